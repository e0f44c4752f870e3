// Control 2, warm-up plateau: a native cache that fills during the first 25%
// of the run, then stays at its cap while its entries keep being replaced.
//
// Native site, as measured: Java_jleak_leakers_Plateau_put in
// libplateau_jni.so (malloc, 131,071-byte entries: prime, size class
// 128 KiB). The cache holds rate x duration / 4 bytes; growth stops at 25%.
// Must be judged clean.
//
//   java -cp ... jleak.leakers.Plateau --rate BYTES_PER_S --duration S
//       [--entry-bytes N] [--dump-every S]
package jleak.leakers;

public final class Plateau {
  static final int ENTRY_BYTES = 131_071;

  static native void init(int capacity);

  static native int put(int slot, int bytes);

  public static void main(String[] argv) throws Exception {
    Workload w = Workload.parse("plateau", argv, 5_000_000, 30, "entry-bytes");
    // Passed to the native code unchecked: the native side validates.
    int entryBytes = (int) w.args().getLong("entry-bytes", ENTRY_BYTES);
    int capacity =
        entryBytes > 0
            ? (int) Math.max(1, Math.round(w.rate() * w.duration() * 0.25 / entryBytes))
            : 1;
    System.loadLibrary("plateau_jni");
    long[] checksum = {0};
    long puts;
    try {
      init(capacity);
      puts =
          w.run(
              w.rate() / Math.max(1, entryBytes),
              i -> checksum[0] += put((int) (i % capacity), entryBytes));
    } catch (IllegalArgumentException | IllegalStateException | OutOfMemoryError e) {
      Workload.die("plateau", "native code rejected the input: " + e);
      return;
    }
    w.finish(
        String.format(
            "%d puts of %d bytes into a native cache of %d slots (cap %d bytes) in %.1f s,"
                + " checksum %d",
            puts, entryBytes, capacity, (long) capacity * entryBytes, w.duration(), checksum[0]));
  }
}
