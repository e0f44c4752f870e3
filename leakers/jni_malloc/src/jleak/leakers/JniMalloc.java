// Leaker 1, JNI malloc: a native method mallocs a block and never frees it.
//
// Native site, as measured: Java_jleak_leakers_JniMalloc_leak in
// libjni_malloc.so (malloc), blocks of 2,097,143 bytes (prime; jemalloc size
// class 2 MiB, so the profile shows 2,097,152 per block).
//
//   java -cp ... jleak.leakers.JniMalloc --rate BYTES_PER_S --duration S
//       [--block-bytes N] [--dump-every S]
package jleak.leakers;

public final class JniMalloc {
  static final int BLOCK_BYTES = 2_097_143;

  static native int leak(int bytes);

  public static void main(String[] argv) throws Exception {
    Workload w = Workload.parse("jni_malloc", argv, 5_000_000, 30, "block-bytes");
    // Passed to the native code unchecked: the native side validates.
    int blockBytes = (int) w.args().getLong("block-bytes", BLOCK_BYTES);
    System.loadLibrary("jni_malloc");
    long[] checksum = {0};
    long blocks;
    try {
      blocks = w.run(w.rate() / Math.max(1, blockBytes), i -> checksum[0] += leak(blockBytes));
    } catch (IllegalArgumentException | OutOfMemoryError e) {
      Workload.die("jni_malloc", "native code rejected the input: " + e);
      return;
    }
    w.finish(
        String.format(
            "leaked %d blocks of %d bytes (%d bytes) through JNI malloc in %.1f s, checksum %d",
            blocks, blockBytes, blocks * blockBytes, w.duration(), checksum[0]));
  }
}
