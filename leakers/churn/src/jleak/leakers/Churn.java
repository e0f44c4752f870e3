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
// --leak-rate BYTES_PER_S (default 0) makes it the "candidate" of the
// regression demo (ci/compare_demo.sh): besides the churn, that many bytes
// per second are malloc'd and kept (Java_jleak_leakers_Churn_retain), a
// small extra leak for `jleak compare` to find against a run without it.
//
//   java -cp ... jleak.leakers.Churn --rate BYTES_PER_S --duration S
//       [--block-bytes N] [--leak-rate BYTES_PER_S] [--dump-every S]
package jleak.leakers;

import java.nio.ByteBuffer;

public final class Churn {
  static final int JNI_BLOCK_BYTES = 262_139;
  static final int BUFFER_BYTES = 1_048_573;

  static native void churn(int bytes, int count);

  static native void retain(int bytes);

  static volatile Object sink;

  public static void main(String[] argv) throws Exception {
    Workload w = Workload.parse("churn", argv, 100_000_000, 30, "block-bytes", "leak-rate");
    // Passed to the native code unchecked: the native side validates.
    int blockBytes = (int) w.args().getLong("block-bytes", JNI_BLOCK_BYTES);
    double leakRate = w.args().getDouble("leak-rate", 0);
    if (!(leakRate >= 0)) {
      Workload.die("churn", "--leak-rate must be >= 0");
    }
    System.loadLibrary("churn_jni");
    // One unit: one direct buffer, and the same number of bytes through JNI.
    int jniBlocksPerUnit = Math.max(1, BUFFER_BYTES / Math.max(1, blockBytes));
    double unitsPerSecond = w.rate() / (2.0 * BUFFER_BYTES);
    // Whole bytes kept per unit, the fraction carried over so the rate is
    // exact.
    double leakPerUnit = leakRate / unitsPerSecond;
    double[] leakDebt = {0};
    long[] leaked = {0};
    long units;
    try {
      units =
          w.run(
              unitsPerSecond,
              i -> {
                churn(blockBytes, jniBlocksPerUnit);
                if (leakPerUnit > 0) {
                  leakDebt[0] += leakPerUnit;
                  int bytes = (int) leakDebt[0];
                  if (bytes > 0) {
                    retain(bytes);
                    leakDebt[0] -= bytes;
                    leaked[0] += bytes;
                  }
                }
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
                + " in %.1f s%s",
            jniBytes,
            directBytes,
            w.duration(),
            leaked[0] > 0 ? String.format("; kept %d bytes (--leak-rate)", leaked[0]) : ""));
  }
}
