// File: jemalloc_jni.c - the JNI half of jleak.leakers.Jemalloc.
//
// The measuring hook of the workloads' --dump-every checkpoints (their
// workload tests and leakers/measure.sh, which run without jleak's agent):
// finds jemalloc's mallctl with dlsym(RTLD_DEFAULT, "mallctl") (so it works
// only when jemalloc is LD_PRELOADed, and does nothing otherwise), reads
// stats.allocated and asks for a heap profile with prof.dump.
#include <dlfcn.h>
#include <errno.h>
#include <jni.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef int (*MallctlFn)(const char*, void*, size_t*, void*, size_t);

// FindMallctl returns jemalloc's mallctl, or NULL when jemalloc is absent.
static MallctlFn FindMallctl(void) {
  return (MallctlFn)dlsym(RTLD_DEFAULT, "mallctl");
}

JNIEXPORT jboolean JNICALL Java_jleak_leakers_Jemalloc_present(JNIEnv* env,
                                                               jclass cls) {
  return FindMallctl() != NULL ? JNI_TRUE : JNI_FALSE;
}

// Returns true when jemalloc was started with prof:true.
JNIEXPORT jboolean JNICALL Java_jleak_leakers_Jemalloc_profiling(JNIEnv* env,
                                                                 jclass cls) {
  MallctlFn mallctl = FindMallctl();
  if (mallctl == NULL) return JNI_FALSE;
  bool prof = false;
  size_t len = sizeof(prof);
  if (mallctl("opt.prof", &prof, &len, NULL, 0) != 0) return JNI_FALSE;
  return prof ? JNI_TRUE : JNI_FALSE;
}

// RefreshedStat reads a size_t statistic after refreshing the statistics
// epoch; -1 without jemalloc or on error.
static jlong RefreshedStat(const char* name) {
  MallctlFn mallctl = FindMallctl();
  if (mallctl == NULL) return -1;
  uint64_t epoch = 1;
  size_t len = sizeof(epoch);
  if (mallctl("epoch", &epoch, &len, &epoch, len) != 0) return -1;
  size_t value = 0;
  len = sizeof(value);
  if (mallctl(name, &value, &len, NULL, 0) != 0) return -1;
  return (jlong)value;
}

// Returns the bytes in live allocations made by the program: stats.allocated
// minus jemalloc's internal allocations (per-thread tcache arrays, about
// 80 KB per thread, which stats.allocated includes but profiles never show).
// Exact, not sampled; -1 without jemalloc.
JNIEXPORT jlong JNICALL Java_jleak_leakers_Jemalloc_allocated(JNIEnv* env,
                                                              jclass cls) {
  jlong allocated = RefreshedStat("stats.allocated");
  jlong internal = RefreshedStat("stats.arenas.4096.internal");
  if (allocated < 0 || internal < 0) return -1;
  return allocated - internal;
}

// Returns jemalloc's internal allocations (stats.arenas.<all>.internal), or
// -1 without jemalloc.
JNIEXPORT jlong JNICALL Java_jleak_leakers_Jemalloc_internal(JNIEnv* env,
                                                             jclass cls) {
  return RefreshedStat("stats.arenas.4096.internal");
}

// Writes <prof_prefix>.<pid>.<seq>.m<n>.heap. Returns 0 on success, else the
// errno mallctl returned (ENOENT when profiling is off), or ENOSYS without
// jemalloc.
JNIEXPORT jint JNICALL Java_jleak_leakers_Jemalloc_dump(JNIEnv* env,
                                                        jclass cls) {
  MallctlFn mallctl = FindMallctl();
  if (mallctl == NULL) return ENOSYS;
  return mallctl("prof.dump", NULL, NULL, NULL, 0);
}
