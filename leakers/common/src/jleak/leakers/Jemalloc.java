// The Java half of libjleak_jemalloc_jni.so: jemalloc's statistics and
// prof.dump, reached through mallctl when jemalloc is LD_PRELOADed.
//
// Used only by Workload's --dump-every checkpoints (the workload tests and
// leakers/measure.sh, which run without jleak; under `jleak run` its agent
// takes the snapshots). Nothing here is loaded unless --dump-every is given.
package jleak.leakers;

public final class Jemalloc {
  private Jemalloc() {}

  static {
    System.loadLibrary("jleak_jemalloc_jni");
  }

  /** True when jemalloc's mallctl is in the process (LD_PRELOAD). */
  public static native boolean present();

  /** True when jemalloc runs with prof:true. */
  public static native boolean profiling();

  /**
   * Exact live bytes the program allocated: stats.allocated minus jemalloc's internal allocations
   * (per-thread tcache arrays), or -1 without jemalloc.
   */
  public static native long allocated();

  /** jemalloc's internal allocations (stats.arenas.all.internal), or -1 without jemalloc. */
  public static native long internal();

  /** mallctl("prof.dump"): 0 on success, else an errno value. */
  public static native int dump();
}
