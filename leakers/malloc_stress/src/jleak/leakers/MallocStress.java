// MallocStress: the sampling engine's stress workload (not a leaker: it
// keeps nothing). --threads Java threads each own a native pool of 64 live
// blocks (malloc_stress.c) and churn it through malloc, calloc, realloc,
// reallocarray, posix_memalign, aligned_alloc, memalign and free, checking
// every block's contents, calloc's zeros and the alignments; beside them one
// thread churns Deflaters (zlib's allocations) and one direct buffers
// (Unsafe_AllocateMemory0 -> os::malloc, freed by Cleaners). Meant to run
// while `jleak attach` attaches and detaches again and again: blocks move
// between "allocated before the attach", "sampled", and "freed after the
// detach" all the time.
//
// Prints one line and exits 0 when every check passed and every thread made
// progress, 1 otherwise:
//   malloc_stress: 12 threads, 5123456 calls (malloc 731000, ...), 2561234
//   frees, 0 errors, slowest thread 401234 calls
//
//   java -cp ... jleak.leakers.MallocStress --threads N --duration S
//       [--rate OPS_PER_S_PER_THREAD] [--stop-file PATH]
// --stop-file: the threads also stop once PATH exists (looked for every
// 0.1 s), so a test can end the run when it is done with it.
package jleak.leakers;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.Deflater;

public final class MallocStress {
  static final String[] KINDS = {
    "malloc", "calloc", "realloc(NULL)", "posix_memalign", "aligned_alloc", "memalign",
    "reallocarray", "realloc"
  };
  static final int OPS_PER_CALL = 1000;

  static native long create(long seed);

  static native long churn(long pool, int ops);

  static native void destroy(long pool, long[] counts);

  static volatile Object sink;
  static volatile boolean stop;

  public static void main(String[] argv) throws Exception {
    Workload w = Workload.parse("malloc_stress", argv, 2_000_000, 30, "threads", "stop-file");
    long threadCount = w.args().getLong("threads", 12);
    if (threadCount < 1 || threadCount > 256) {
      Workload.die("malloc_stress", "--threads must be in [1, 256]");
    }
    System.loadLibrary("malloc_stress");
    final long deadline = System.nanoTime() + (long) (w.duration() * 1e9);
    final String stopFile = w.args().getString("stop-file", "");
    final double opsPerSecond = w.rate();
    final long[][] counts = new long[(int) threadCount][10];
    final Throwable[] failure = {null};
    Thread[] threads = new Thread[(int) threadCount + 2];
    for (int t = 0; t < threadCount; t++) {
      final int index = t;
      threads[t] =
          new Thread(
              () -> {
                long pool = create(index + 1);
                long start = System.nanoTime();
                long ops = 0;
                while (!stop && System.nanoTime() < deadline) {
                  churn(pool, OPS_PER_CALL);
                  ops += OPS_PER_CALL;
                  long ahead = (long) (ops / opsPerSecond * 1e9) - (System.nanoTime() - start);
                  if (ahead > 1_000_000) {
                    sleepMs(ahead / 1_000_000);
                  }
                }
                destroy(pool, counts[index]);
              },
              "malloc-stress-" + t);
    }
    AtomicLong deflaters = new AtomicLong();
    threads[(int) threadCount] =
        new Thread(
            () -> {
              byte[] input = new byte[65521];
              byte[] output = new byte[65536];
              while (!stop && System.nanoTime() < deadline) {
                Deflater d = new Deflater(Deflater.BEST_SPEED);
                d.setInput(input);
                d.finish();
                d.deflate(output);
                d.end();
                deflaters.incrementAndGet();
              }
            },
            "malloc-stress-deflater");
    AtomicLong buffers = new AtomicLong();
    threads[(int) threadCount + 1] =
        new Thread(
            () -> {
              while (!stop && System.nanoTime() < deadline) {
                try {
                  sink = ByteBuffer.allocateDirect(32749);
                  buffers.incrementAndGet();
                } catch (OutOfMemoryError e) {
                  // The JDK's direct-memory reservation gives up after
                  // ~0.5 s of GCs while its Cleaner has not caught up: on a
                  // machine loaded 15 times over it did (allocated: 65498
                  // of 128 MiB by then). Not what this thread is for (the
                  // malloc of each buffer, through the hooks): wait, go on.
                  sink = null;
                  System.gc();
                  sleepMs(100);
                }
                sleepMs(1);
              }
            },
            "malloc-stress-direct");
    if (!stopFile.isEmpty()) {
      Thread watcher =
          new Thread(
              () -> {
                while (!stop && System.nanoTime() < deadline) {
                  stop = Files.exists(Paths.get(stopFile));
                  sleepMs(100);
                }
              },
              "malloc-stress-stop");
      watcher.setDaemon(true);
      watcher.start();
    }
    for (Thread t : threads) {
      t.setUncaughtExceptionHandler((th, e) -> failure[0] = e);
      t.start();
    }
    for (Thread t : threads) {
      t.join();
    }
    long[] total = new long[10];
    long slowest = Long.MAX_VALUE;
    for (long[] c : counts) {
      long calls = 0;
      for (int i = 0; i < 10; i++) {
        total[i] += c[i];
      }
      for (int i = 0; i < KINDS.length; i++) {
        calls += c[i];
      }
      slowest = Math.min(slowest, calls);
    }
    long calls = 0;
    StringBuilder byKind = new StringBuilder();
    for (int i = 0; i < KINDS.length; i++) {
      calls += total[i];
      byKind.append(i == 0 ? "" : ", ").append(KINDS[i]).append(' ').append(total[i]);
    }
    long errors = total[9];
    System.out.printf(
        "malloc_stress: %d threads, %d calls (%s), %d frees, %d errors, slowest thread %d calls;"
            + " %d deflaters, %d direct buffers%n",
        threadCount, calls, byKind, total[8], errors, slowest, deflaters.get(), buffers.get());
    if (failure[0] != null) {
      System.out.println("malloc_stress: FAILED: " + failure[0]);
    }
    System.exit(errors == 0 && slowest > 0 && failure[0] == null ? 0 : 1);
  }

  static void sleepMs(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
