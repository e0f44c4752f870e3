// JNI half of the RunFaults test workload: a retained allocation and a
// deliberate crash.
#include <jni.h>

#include "leakers/common/retain_jni.h"

JLEAK_RETAIN_JNI(Java_jleak_testdata_RunFaults_retain)

JNIEXPORT void JNICALL Java_jleak_testdata_RunFaults_crash(JNIEnv* env,
                                                           jclass cls) {
  (void)env;
  (void)cls;
  volatile int* volatile p = NULL;
  *p = 42;  // SIGSEGV in native code: the JVM writes hs_err and aborts
}
