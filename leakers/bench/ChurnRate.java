// ChurnRate: allocation-bound work that reports its own rate, for
// ci/bench/bench_standby.sh and ci/bench/bench_attach.sh, which
// compile this one file (`javac -d DIR leakers/bench/ChurnRate.java`) and
// run `java -cp DIR jleak.bench.ChurnRate SECONDS` (or, without compiling:
// `java leakers/bench/ChurnRate.java SECONDS`). One round (round(), also
// RunFaults cpuchurn's in leakers/faults) is 1,000 zlib Deflaters (malloc'd
// state, end()ed at once) and 1,000 small direct buffers (dropped): the
// allocator's cost dominates. Every second it prints
// "churnrate t=<s> rounds=<total>"; at the end
// "churnrate done rounds=<total> seconds=<s>". Healthy: nothing is kept.
package jleak.bench;

import java.nio.ByteBuffer;
import java.util.zip.Deflater;

public final class ChurnRate {
  static volatile Object sink;

  public static void main(String[] argv) {
    double seconds = argv.length > 0 ? Double.parseDouble(argv[0]) : 60;
    byte[] input = new byte[4096];
    byte[] output = new byte[8192];
    long start = System.nanoTime();
    long end = start + (long) (seconds * 1e9);
    long nextReport = start + 1_000_000_000L;
    long rounds = 0;
    long total = 0;
    while (System.nanoTime() < end) {
      total += round(input, output);
      rounds++;
      long now = System.nanoTime();
      if (now >= nextReport) {
        System.out.printf("churnrate t=%.3f rounds=%d%n", (now - start) / 1e9, rounds);
        nextReport += 1_000_000_000L;
      }
    }
    System.out.printf(
        "churnrate done rounds=%d seconds=%.3f (%d)%n",
        rounds, (System.nanoTime() - start) / 1e9, total);
  }

  /**
   * One round: 1,000 times, a Deflater (level 1) compresses input into output and is ended, and a
   * direct buffer of 512-4,544 bytes is allocated and dropped. Returns the compressed bytes, so the
   * work cannot be optimized away.
   */
  public static long round(byte[] input, byte[] output) {
    long total = 0;
    for (int k = 0; k < 1000; k++) {
      Deflater d = new Deflater(1);
      d.setInput(input);
      d.finish();
      total += d.deflate(output);
      d.end();
      sink = ByteBuffer.allocateDirect(512 + (k % 64) * 64);
    }
    return total;
  }
}
