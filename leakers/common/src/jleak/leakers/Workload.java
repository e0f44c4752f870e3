// The loop every leaker and control runs: parses --rate, --duration and
// --dump-every, performs units of work at a steady rate for the duration,
// and takes forced-GC checkpoints.
//
// A checkpoint (every --dump-every seconds, at t=0 and at the end) runs
// System.gc(), waits for reference processing (so Cleaners of dropped
// DirectByteBuffers, Inflaters, Deflaters and Java2D objects have run), then,
// when jemalloc is LD_PRELOADed, reads stats.allocated and, with prof:true,
// writes a heap profile with prof.dump. It prints one line per checkpoint:
//
//   jleak-checkpoint n=3 t=7.501 units=750 allocated=123456789 internal=2621440 dump=m3
//
// where allocated is jemalloc's stats.allocated minus its internal
// allocations (exact bytes the program holds), internal those internal
// allocations (per-thread caches, about 80 KB per thread).
//
// and at exit the exact malloc growth between the first checkpoint at or
// after 25% of the run and the last one:
//
//   jleak-growth: allocated +37500000 bytes from t=7.501 to t=30.000 s
package jleak.leakers;

import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.lang.ref.PhantomReference;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

public final class Workload {
  /** One unit of work; index counts from 0. */
  public interface Step {
    void run(long index) throws Exception;
  }

  private final String program;
  private final Args args;
  private final double rate;
  private final double duration;
  private final double dumpEvery;
  private final List<double[]> checkpoints = new ArrayList<>(); // {t, units, allocated}
  private long start;
  private int dumps;

  private Workload(String program, Args args, double rate, double duration, double dumpEvery) {
    this.program = program;
    this.args = args;
    this.rate = rate;
    this.duration = duration;
    this.dumpEvery = dumpEvery;
  }

  /**
   * Parses the common options (rate, duration, dump-every) and the workload's own; exits 2 on a
   * bad value.
   */
  public static Workload parse(
      String program, String[] argv, double defaultRate, double defaultDuration, String... extra) {
    List<String> known = new ArrayList<>(Arrays.asList("rate", "duration", "dump-every"));
    known.addAll(Arrays.asList(extra));
    Args args = Args.parse(program, argv, known.toArray(new String[0]));
    double rate = args.getDouble("rate", defaultRate);
    double duration = args.getDouble("duration", defaultDuration);
    double dumpEvery = args.getDouble("dump-every", 0);
    if (!(rate > 0) || !(duration > 0) || !(dumpEvery >= 0)) {
      die(program, "--rate and --duration must be > 0, --dump-every >= 0");
    }
    return new Workload(program, args, rate, duration, dumpEvery);
  }

  public Args args() {
    return args;
  }

  public double rate() {
    return rate;
  }

  public double duration() {
    return duration;
  }

  /** Prints "program: message" to stderr and exits 2 (input or harness error). */
  public static void die(String program, String message) {
    System.err.println(program + ": " + message);
    System.exit(2);
  }

  /**
   * Runs step at unitsPerSecond until the duration is over, then catches up to exactly
   * floor(unitsPerSecond * duration) units. Returns the number of units run.
   */
  public long run(double unitsPerSecond, Step step) throws Exception {
    if (!(unitsPerSecond > 0)) {
      die(program, "rate too low: " + unitsPerSecond + " units/s");
    }
    start = System.nanoTime();
    long done = 0;
    double nextCheckpoint = 0;
    if (dumpEvery > 0) {
      checkpoint(0, 0);
      nextCheckpoint = dumpEvery;
    }
    final long total = (long) Math.floor(unitsPerSecond * duration);
    while (true) {
      double t = elapsed();
      if (t >= duration) {
        break;
      }
      // Checked before every unit, so a workload that falls behind (a loaded
      // machine) still gets its checkpoints on time.
      if (dumpEvery > 0 && t >= nextCheckpoint && nextCheckpoint < duration - 1e-9) {
        checkpoint(t, done);
        nextCheckpoint += dumpEvery;
        continue;
      }
      if (done < Math.min(total, (long) Math.floor(unitsPerSecond * t))) {
        step.run(done++);
        continue;
      }
      long nextUnitNanos = (long) ((done + 1) / unitsPerSecond * 1e9) - (System.nanoTime() - start);
      if (nextUnitNanos > 0) {
        Thread.sleep(Math.min(5, Math.max(1, nextUnitNanos / 1_000_000)));
      }
    }
    while (done < total) {
      step.run(done++);
    }
    if (dumpEvery > 0) {
      checkpoint(elapsed(), done);
    }
    return done;
  }

  /** Seconds since run() started. */
  public double elapsed() {
    return (System.nanoTime() - start) / 1e9;
  }

  /** Prints the workload's summary line, then the checkpoint growth if any. */
  public void finish(String summary) {
    System.out.println(program + ": " + summary);
    if (checkpoints.size() < 2 || checkpoints.get(0)[2] < 0) {
      return;
    }
    double[] last = checkpoints.get(checkpoints.size() - 1);
    double[] from = last;
    for (double[] c : checkpoints) {
      if (c[0] >= 0.25 * duration - 0.05) {
        from = c;
        break;
      }
    }
    System.out.printf(
        "jleak-growth: allocated %+d bytes from t=%.3f to t=%.3f s, %d units%n",
        (long) (last[2] - from[2]), from[0], last[0], (long) (last[1] - from[1]));
  }

  private void checkpoint(double t, long units) {
    forceGc();
    long allocated = Jemalloc.allocated();
    String dump = "none";
    if (allocated >= 0 && Jemalloc.profiling()) {
      int err = Jemalloc.dump();
      dump = err == 0 ? "m" + dumps++ : "error:" + err;
    }
    checkpoints.add(new double[] {t, units, allocated});
    System.out.printf(
        "jleak-checkpoint n=%d t=%.3f units=%d allocated=%d internal=%d dump=%s%n",
        checkpoints.size() - 1, t, units, allocated, Jemalloc.internal(), dump);
  }

  /**
   * Runs a full GC and waits until reference processing has caught up: a phantom-reachable
   * sentinel has been enqueued, and Cleaner threads had a moment to run. Done twice, since one GC
   * may leave objects that only a Cleaner's run made unreachable.
   */
  public static void forceGc() {
    for (int round = 0; round < 2; round++) {
      ReferenceQueue<Object> queue = new ReferenceQueue<>();
      PhantomReference<Object> sentinel = new PhantomReference<>(new Object(), queue);
      System.gc();
      try {
        queue.remove(2000);
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      Reference.reachabilityFence(sentinel);
    }
  }

  /**
   * The JVM's "direct" buffer pool: the live DirectByteBuffers, as the workloads that allocate them
   * report at exit (getCount, getMemoryUsed).
   */
  public static BufferPoolMXBean directPool() {
    for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
      if (pool.getName().equals("direct")) {
        return pool;
      }
    }
    throw new IllegalStateException("no direct buffer pool");
  }

  /** A field of /proc/self/status in kB (VmSize, VmRSS) or as a count (Threads); -1 if absent. */
  public static long procStatus(String field) {
    try {
      for (String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
        if (line.startsWith(field + ":")) {
          return Long.parseLong(line.substring(field.length() + 1).trim().split("\\s+")[0]);
        }
      }
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
    return -1;
  }
}
