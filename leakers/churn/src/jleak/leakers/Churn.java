// Control 1, churn: heavy native allocation that is all freed. Half of
// --rate goes through JNI malloc/free (Java_jleak_leakers_Churn_churn in
// libchurn_jni.so, blocks of 262,139 bytes, prime), half through direct
// ByteBuffers of 1,048,573 bytes (Unsafe_AllocateMemory0 -> os::malloc)
// dropped at once and freed by their Cleaners after a GC. A little heap
// garbage rides along so young GCs happen as in a real program.
//
// Must be judged clean: after a forced GC nothing remains. Without one the
// direct buffers pile up between GCs and look like a leak.
//
//   java -cp ... jleak.leakers.Churn --rate BYTES_PER_S --duration S
//       [--block-bytes N] [--dump-every S]
package jleak.leakers;

import java.nio.ByteBuffer;

public final class Churn {
  static final int JNI_BLOCK_BYTES = 262_139;
  static final int BUFFER_BYTES = 1_048_573;

  static native void churn(int bytes, int count);

  static volatile Object sink;

  public static void main(String[] argv) throws Exception {
    Workload w = Workload.parse("churn", argv, 100_000_000, 30, "block-bytes");
    // Passed to the native code unchecked: the native side validates.
    int blockBytes = (int) w.args().getLong("block-bytes", JNI_BLOCK_BYTES);
    System.loadLibrary("churn_jni");
    // One unit: one direct buffer, and the same number of bytes through JNI.
    int jniBlocksPerUnit = Math.max(1, BUFFER_BYTES / Math.max(1, blockBytes));
    long units;
    try {
      units =
          w.run(
              w.rate() / (2.0 * BUFFER_BYTES),
              i -> {
                churn(blockBytes, jniBlocksPerUnit);
                ByteBuffer b = ByteBuffer.allocateDirect(BUFFER_BYTES);
                b.put(0, (byte) i);
                sink = b;
                sink = new byte[64 * 1024];
              });
    } catch (IllegalArgumentException | OutOfMemoryError e) {
      Workload.die("churn", "native code rejected the input: " + e);
      return;
    }
    long jniBytes = units * jniBlocksPerUnit * (long) blockBytes;
    long directBytes = units * (long) BUFFER_BYTES;
    w.finish(
        String.format(
            "churned %d bytes through JNI malloc/free and %d bytes of dropped direct buffers"
                + " in %.1f s",
            jniBytes, directBytes, w.duration()));
  }
}
