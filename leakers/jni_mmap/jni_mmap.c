// File: jni_mmap.c - the native half of the jni_mmap leaker, JniMmap.
//
// Java_jleak_leakers_JniMmap_mapAnon maps anonymous memory with mmap (not
// malloc: the growth is outside the allocator) and touches every byte, so
// it is resident; Java_jleak_leakers_JniMmap_unmap gives a region back.
// mmap is called through the PLT, as any JNI library would.
#include <errno.h>
#include <jni.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

// Bounds on one region: at least one byte, at most 1 GiB.
#define kMaxRegionBytes ((jlong)1 << 30)

static void Throw(JNIEnv* env, const char* class_name, const char* message) {
  jclass cls = (*env)->FindClass(env, class_name);
  if (cls != NULL) (*env)->ThrowNew(env, cls, message);
}

// Maps `bytes` of anonymous private memory, fills it with 0xA5 and returns
// its address. Throws IllegalArgumentException on a size outside
// [1, 1 GiB] and OutOfMemoryError when mmap fails.
JNIEXPORT jlong JNICALL Java_jleak_leakers_JniMmap_mapAnon(JNIEnv* env,
                                                           jclass cls,
                                                           jlong bytes) {
  if (bytes < 1 || bytes > kMaxRegionBytes) {
    Throw(env, "java/lang/IllegalArgumentException",
          "JniMmap.mapAnon: region size must be in [1, 2^30] bytes");
    return 0;
  }
  void* region = mmap(NULL, (size_t)bytes, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (region == MAP_FAILED) {
    char message[128];
    snprintf(message, sizeof(message), "JniMmap.mapAnon: mmap failed: %s",
             strerror(errno));
    Throw(env, "java/lang/OutOfMemoryError", message);
    return 0;
  }
  memset(region, 0xA5, (size_t)bytes);
  return (jlong)(intptr_t)region;
}

// Unmaps a region mapAnon returned. Throws IllegalArgumentException on an
// address that is 0 or not page-aligned, or a size outside [1, 1 GiB], and
// IllegalStateException when munmap fails.
JNIEXPORT void JNICALL Java_jleak_leakers_JniMmap_unmap(JNIEnv* env, jclass cls,
                                                        jlong address,
                                                        jlong bytes) {
  const long page = sysconf(_SC_PAGESIZE);
  if (address == 0 || page <= 0 || (uintptr_t)address % (uintptr_t)page != 0 ||
      bytes < 1 || bytes > kMaxRegionBytes) {
    Throw(env, "java/lang/IllegalArgumentException",
          "JniMmap.unmap: not a region of mapAnon");
    return;
  }
  if (munmap((void*)(intptr_t)address, (size_t)bytes) != 0) {
    char message[128];
    snprintf(message, sizeof(message), "JniMmap.unmap: munmap failed: %s",
             strerror(errno));
    Throw(env, "java/lang/IllegalStateException", message);
  }
}
