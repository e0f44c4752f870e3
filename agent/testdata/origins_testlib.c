/* File: origins_testlib.c
 *
 * A small shared library for native_origins_test.cc: every function makes
 * one call of the mmap family (or pthread_create) through this library's
 * own import slots, as libnio's FileChannelImpl.map0 or a JNI library
 * would. Frame pointers and no tail calls, so each function is the first
 * frame of its calls' stacks.
 */

#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#define OTL_EXPORT __attribute__((visibility("default"), noinline))

OTL_EXPORT void* otl_map_anon(size_t n) {
  void* p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                 -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

/* Maps anonymous memory over [addr, addr + n), whatever was there. */
OTL_EXPORT void* otl_map_anon_at(void* addr, size_t n) {
  void* p = mmap(addr, n, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

/* Maps the first `n` bytes of `path` (which must be that long) shared, and
 * closes the descriptor, as FileChannel.map leaves the mapping alone. */
OTL_EXPORT void* otl_map_file(const char* path, size_t n) {
  int fd = open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0) return NULL;
  void* p = mmap64(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  return p == MAP_FAILED ? NULL : p;
}

OTL_EXPORT int otl_unmap(void* p, size_t n) { return munmap(p, n); }

OTL_EXPORT void* otl_remap(void* p, size_t old_n, size_t new_n) {
  void* q = mremap(p, old_n, new_n, MREMAP_MAYMOVE);
  return q == MAP_FAILED ? NULL : q;
}

OTL_EXPORT int otl_start_thread(pthread_t* t, void* (*start)(void*),
                                void* arg) {
  return pthread_create(t, NULL, start, arg);
}

/* What this library's slots hold now. */
OTL_EXPORT void* otl_mmap_address(void) { return (void*)&mmap; }
OTL_EXPORT void* otl_pthread_create_address(void) {
  return (void*)&pthread_create;
}
