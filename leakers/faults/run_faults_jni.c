// JNI half of the RunFaults test workload: a retained allocation and a
// deliberate crash.
#include <jni.h>
#include <stdlib.h>
#include <string.h>

// Chained through their first word so the pointer escapes and the
// compiler keeps the malloc and memset.
static void* volatile g_retained = NULL;

JNIEXPORT jlong JNICALL Java_jleak_testdata_RunFaults_retain(JNIEnv* env,
                                                             jclass cls,
                                                             jint bytes) {
  (void)env;
  (void)cls;
  if (bytes < (jint)sizeof(void*)) return -1;
  unsigned char* block = malloc((size_t)bytes);
  if (block == NULL) return -1;
  memset(block, 0x5A, (size_t)bytes);
  *(void**)block = g_retained;
  g_retained = block;
  return block[bytes - 1];
}

JNIEXPORT void JNICALL Java_jleak_testdata_RunFaults_crash(JNIEnv* env,
                                                           jclass cls) {
  (void)env;
  (void)cls;
  volatile int* volatile p = NULL;
  *p = 42;  // SIGSEGV in native code: the JVM writes hs_err and aborts
}
