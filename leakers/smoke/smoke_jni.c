// JNI half of the smoke workload: mallocs a block and keeps it forever.
#include <jni.h>
#include <stdlib.h>
#include <string.h>

// Blocks are chained through their first word so the pointer escapes;
// otherwise the compiler may delete the malloc and memset.
static void* volatile g_retained = NULL;

JNIEXPORT jlong JNICALL Java_jleak_smoke_Smoke_retain(JNIEnv* env,
                                                      jclass cls,
                                                      jint bytes) {
  (void)env;
  (void)cls;
  if (bytes < (jint)sizeof(void*)) return -1;
  unsigned char* block = malloc((size_t)bytes);
  if (block == NULL) return -1;
  memset(block, 0xA5, (size_t)bytes);
  *(void**)block = g_retained;
  g_retained = block;
  return block[bytes - 1];
}
