// Leaker 9, two Java callers of one allocation: TwoCallers.retain and
// TwoCallers.churn both call ByteBuffer.allocateDirect with the same size,
// so their native stacks are the same (Unsafe_AllocateMemory0 -> os::malloc
// in libjvm.so, under the same JDK frames) up to the Java method. retain
// keeps its buffers forever: the leak. churn allocates twice as many and
// keeps only the last WINDOW (healthy: the dropped buffers are freed by
// their Cleaners after a GC; the window keeps the site in the heap
// profiles, as a jvm_leak_test clean_sites check needs). Only the Java
// frames tell the two apart: the analysis must blame retain and find churn
// within budget.
//
// Buffers of 65,521 bytes (prime; 64 KiB size class). --rate is retain's
// bytes per second (units/s = rate / 65,521); churn allocates 2x that.
// Both methods touch every 4 KiB page of their buffer in a loop; with
// those back-edges tiered compilation reaches C2 mid-run (see README.md for
// when, measured with -XX:+PrintCompilation): the JIT/interpreter
// transition happens while the leak is being measured.
//
// Direct memory is capped by -XX:MaxDirectMemorySize (default: the maximum
// heap size); a long run needs retain's rate x duration below it.
//
//   java -XX:MaxDirectMemorySize=1g -cp ... jleak.leakers.TwoCallers
//       --rate BYTES_PER_S --duration S [--dump-every S]
package jleak.leakers;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

public final class TwoCallers {
  static final int BUFFER_BYTES = 65_521;
  static final int PAGE_BYTES = 4096;
  static final int CHURN_PER_UNIT = 2;
  static final int WINDOW = 16;

  static final List<ByteBuffer> retained = new ArrayList<>();
  static final ByteBuffer[] window = new ByteBuffer[WINDOW];
  static long churned;

  /** Allocates a buffer, stamps its pages and keeps it forever: the leak. */
  static void retain(long seq) {
    ByteBuffer b = ByteBuffer.allocateDirect(BUFFER_BYTES);
    for (int offset = 0; offset < BUFFER_BYTES; offset += PAGE_BYTES) {
      b.put(offset, (byte) seq);
    }
    retained.add(b);
  }

  /** Allocates a buffer, stamps its pages and keeps it for the next WINDOW calls only. */
  static void churn(long seq) {
    ByteBuffer b = ByteBuffer.allocateDirect(BUFFER_BYTES);
    for (int offset = 0; offset < BUFFER_BYTES; offset += PAGE_BYTES) {
      b.put(offset, (byte) seq);
    }
    window[(int) (churned++ % WINDOW)] = b; // drops the buffer WINDOW calls ago
  }

  public static void main(String[] argv) throws Exception {
    Workload w = Workload.parse("two_callers", argv, 5_000_000, 30);
    long units =
        w.run(
            w.rate() / BUFFER_BYTES,
            i -> {
              retain(i);
              for (int c = 0; c < CHURN_PER_UNIT; c++) {
                churn(i * CHURN_PER_UNIT + c);
              }
            });
    Workload.forceGc();
    w.finish(
        String.format(
            "retain kept %d direct buffers of %d bytes (%d bytes), churn allocated %d and"
                + " kept the last %d, in %.1f s; direct pool after GC: %d buffers, %d bytes",
            units,
            BUFFER_BYTES,
            units * BUFFER_BYTES,
            churned,
            Math.min(churned, WINDOW),
            w.duration(),
            Workload.directPool().getCount(),
            Workload.directPool().getMemoryUsed()));
  }
}
