// File: churn_jni.c - the native half of control 1, Churn.
//
// Java_jleak_leakers_Churn_churn mallocs, fills and frees blocks: heavy
// traffic through malloc, nothing retained. Java_jleak_leakers_Churn_retain
// is the regression demo's extra leak (--leak-rate): it keeps what it
// mallocs.
#include <jni.h>
#include <stdlib.h>
#include <string.h>

static volatile unsigned char g_sink;

static void Throw(JNIEnv* env, const char* class_name, const char* message) {
  jclass cls = (*env)->FindClass(env, class_name);
  if (cls != NULL) (*env)->ThrowNew(env, cls, message);
}

// Mallocs, fills and frees `count` blocks of `bytes` bytes. Throws
// IllegalArgumentException for bytes outside [1, 2^30] or count outside
// [1, 2^20], OutOfMemoryError when malloc fails.
JNIEXPORT void JNICALL Java_jleak_leakers_Churn_churn(JNIEnv* env, jclass cls,
                                                      jint bytes, jint count) {
  if (bytes < 1 || bytes > (1 << 30) || count < 1 || count > (1 << 20)) {
    Throw(env, "java/lang/IllegalArgumentException",
          "Churn.churn: bytes must be in [1, 2^30], count in [1, 2^20]");
    return;
  }
  for (jint i = 0; i < count; ++i) {
    unsigned char* block = malloc((size_t)bytes);
    if (block == NULL) {
      Throw(env, "java/lang/OutOfMemoryError", "Churn.churn: malloc failed");
      return;
    }
    memset(block, i & 0xff, (size_t)bytes);
    g_sink = block[bytes - 1];
    free(block);
  }
}

// Every block retain() kept, linked through its first bytes so the
// pointers escape and the compiler keeps the malloc.
static void* volatile g_kept;

// Mallocs `bytes` (at least a pointer's worth), fills it and keeps it
// forever. Throws IllegalArgumentException for bytes outside [1, 2^30],
// OutOfMemoryError when malloc fails.
JNIEXPORT void JNICALL Java_jleak_leakers_Churn_retain(JNIEnv* env, jclass cls,
                                                       jint bytes) {
  if (bytes < 1 || bytes > (1 << 30)) {
    Throw(env, "java/lang/IllegalArgumentException",
          "Churn.retain: bytes must be in [1, 2^30]");
    return;
  }
  size_t size = (size_t)bytes < sizeof(void*) ? sizeof(void*) : (size_t)bytes;
  void** block = malloc(size);
  if (block == NULL) {
    Throw(env, "java/lang/OutOfMemoryError", "Churn.retain: malloc failed");
    return;
  }
  memset(block, 0x5a, size);
  *block = g_kept;
  g_kept = block;
}
