// File: jni_malloc.c - the native half of leaker 1, JniMalloc.
//
// Java_jleak_leakers_JniMalloc_leak mallocs a block, fills it and never
// frees it. The blocks are chained through their first word into a global
// list, so the pointer escapes and the compiler cannot delete the malloc.
#include <jni.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// Bounds on one block: room for the chain pointer, at most 1 GiB.
#define kMinBlockBytes ((jint)sizeof(void*))
#define kMaxBlockBytes ((jint)(1 << 30))

static void* volatile g_leaked = NULL;

static void Throw(JNIEnv* env, const char* class_name, const char* message) {
  jclass cls = (*env)->FindClass(env, class_name);
  if (cls != NULL) (*env)->ThrowNew(env, cls, message);
}

// Leaks one block of `bytes` bytes; returns its last byte (0xA5) so the
// caller has a checksum. Throws IllegalArgumentException on a size outside
// [8, 1 GiB] and OutOfMemoryError when malloc fails.
JNIEXPORT jint JNICALL Java_jleak_leakers_JniMalloc_leak(JNIEnv* env,
                                                         jclass cls,
                                                         jint bytes) {
  if (bytes < kMinBlockBytes || bytes > kMaxBlockBytes) {
    Throw(env, "java/lang/IllegalArgumentException",
          "JniMalloc.leak: block size must be in [8, 2^30] bytes");
    return -1;
  }
  unsigned char* block = malloc((size_t)bytes);
  if (block == NULL) {
    Throw(env, "java/lang/OutOfMemoryError", "JniMalloc.leak: malloc failed");
    return -1;
  }
  memset(block, 0xA5, (size_t)bytes);
  *(void**)block = g_leaked;
  g_leaked = block;
  return block[bytes - 1];
}
