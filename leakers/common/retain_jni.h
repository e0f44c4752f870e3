// File: retain_jni.h - the JNI `static native long retain(int bytes)` of
// the workloads that keep native memory on purpose and nothing else
// (leakers/smoke, leakers/faults).
//
//   #include "leakers/common/retain_jni.h"
//   JLEAK_RETAIN_JNI(Java_jleak_smoke_Smoke_retain)
//
// JLEAK_RETAIN_JNI(name) defines the JNI function `name`: it mallocs
// `bytes`, fills them with 0xA5, chains the block to the ones before
// through its first word (so the pointer escapes and the compiler keeps the
// malloc and memset) and returns its last byte; -1 when bytes is smaller
// than a pointer or malloc fails. It is a macro, not a helper function,
// because the malloc must be called from the JNI function's own frame: that
// frame is the site the tests expect jleak and jeprof to name (a helper's
// would be named instead).
#ifndef JLEAK_LEAKERS_COMMON_RETAIN_JNI_H_
#define JLEAK_LEAKERS_COMMON_RETAIN_JNI_H_

#include <jni.h>
#include <stdlib.h>
#include <string.h>

#define JLEAK_RETAIN_JNI(name)                                        \
  static void* volatile name##_retained = NULL;                       \
  JNIEXPORT jlong JNICALL name(JNIEnv* env, jclass cls, jint bytes) { \
    (void)env;                                                        \
    (void)cls;                                                        \
    if (bytes < (jint)sizeof(void*)) return -1;                       \
    unsigned char* block = malloc((size_t)bytes);                     \
    if (block == NULL) return -1;                                     \
    memset(block, 0xA5, (size_t)bytes);                               \
    *(void**)block = name##_retained;                                 \
    name##_retained = block;                                          \
    return block[bytes - 1];                                          \
  }

#endif  // JLEAK_LEAKERS_COMMON_RETAIN_JNI_H_
