// Leaker 3, DirectByteBuffer: ByteBuffer.allocateDirect, retained in a list.
//
// Native site, as measured: Unsafe_AllocateMemory0 -> os::malloc in
// libjvm.so, under java.nio.Bits/DirectByteBuffer.<init>; buffers of
// 1,048,573 bytes (prime, size class 1 MiB). The JVM counts them in the
// "direct" buffer pool, which this workload prints at exit.
//
// Direct memory is capped by -XX:MaxDirectMemorySize (default: the maximum
// heap size); a long run needs rate x duration below it.
//
//   java -cp ... jleak.leakers.DirectBuffer --rate BYTES_PER_S --duration S
//       [--dump-every S]
package jleak.leakers;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

public final class DirectBuffer {
  static final int BUFFER_BYTES = 1_048_573;

  public static void main(String[] argv) throws Exception {
    Workload w = Workload.parse("direct_buffer", argv, 5_000_000, 30);
    List<ByteBuffer> retained = new ArrayList<>();
    long buffers =
        w.run(
            w.rate() / BUFFER_BYTES,
            i -> {
              ByteBuffer b = ByteBuffer.allocateDirect(BUFFER_BYTES);
              b.put(0, (byte) i).put(BUFFER_BYTES - 1, (byte) 1);
              retained.add(b);
            });
    Workload.forceGc();
    w.finish(
        String.format(
            "retained %d direct buffers of %d bytes (%d bytes) in %.1f s;"
                + " direct pool after GC: %d buffers, %d bytes",
            buffers,
            BUFFER_BYTES,
            buffers * BUFFER_BYTES,
            w.duration(),
            Workload.directPool().getCount(),
            Workload.directPool().getMemoryUsed()));
  }
}
