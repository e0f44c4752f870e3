/* File: origins_jni.c
 *
 * OriginsProbe's native method (origins_integration_test.sh): anonymous
 * memory mapped by a JNI library through its own GOT, as issue 20's
 * jni_mmap workload does; the agent must name its Java caller.
 */

#include <jni.h>
#include <stdint.h>
#include <sys/mman.h>

JNIEXPORT jlong JNICALL Java_jleak_testdata_OriginsProbe_mapAnon(JNIEnv* env,
                                                                 jclass cls,
                                                                 jlong n) {
  (void)env;
  (void)cls;
  void* p = mmap(NULL, (size_t)n, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? 0 : (jlong)(intptr_t)p;
}
