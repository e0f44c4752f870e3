/* File: testlib.c
 *
 * A small shared library for the sampling engine's tests: every function
 * calls one function of the malloc family (or dlopen) through this
 * library's own import slots, as a JNI library would. Built several ways by
 * //agent/sampling:testlibs: lazy binding (calls through .got.plt JUMP_SLOTs,
 * partial RELRO) and -fno-plt with BIND_NOW (GLOB_DAT slots in full RELRO),
 * with frame pointers and no tail calls, so each function is its own
 * allocation site (the return address inside it is a stack's first frame).
 */

#define _GNU_SOURCE
#include <dlfcn.h>
#include <malloc.h>
#include <stdlib.h>

#define TL_EXPORT __attribute__((visibility("default"), noinline))

TL_EXPORT void* tl_malloc(size_t n) { return malloc(n); }

TL_EXPORT void* tl_calloc(size_t count, size_t n) { return calloc(count, n); }

TL_EXPORT void* tl_realloc(void* p, size_t n) { return realloc(p, n); }

TL_EXPORT void* tl_reallocarray(void* p, size_t count, size_t n) {
  return reallocarray(p, count, n);
}

TL_EXPORT void* tl_posix_memalign(size_t alignment, size_t n) {
  void* p = NULL;
  return posix_memalign(&p, alignment, n) == 0 ? p : NULL;
}

TL_EXPORT void* tl_aligned_alloc(size_t alignment, size_t n) {
  return aligned_alloc(alignment, n);
}

TL_EXPORT void* tl_memalign(size_t alignment, size_t n) {
  return memalign(alignment, n);
}

TL_EXPORT void tl_free(void* p) { free(p); }

/* A pointer to free in read-only data: an R_X86_64_64 relocation. */
static void (*const free_function)(void*) = free;

TL_EXPORT void tl_free_via_pointer(void* p) {
  /* A volatile read, or the compiler calls free directly. */
  void (*const volatile* fn)(void*) = &free_function;
  (*fn)(p);
}

/* &malloc as this library sees it: its GLOB_DAT slot. */
TL_EXPORT void* tl_malloc_address(void) { return (void*)&malloc; }

TL_EXPORT void* tl_dlopen(const char* file, int mode) {
  return dlopen(file, mode);
}

/* One malloc and free of n bytes (the microbenchmark's loop body). */
TL_EXPORT void tl_malloc_free(size_t n) {
  void* p = malloc(n);
  __asm__ volatile("" : : "r"(p) : "memory");
  free(p);
}
