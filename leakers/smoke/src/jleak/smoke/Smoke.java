// Smoke workload: proves the Java rule, a jar dependency and a JNI library
// work together, and that a JVM runs under the profiling jemalloc.
//
// Native site, as measured: Java_jleak_smoke_Smoke_retain in libsmoke_jni.so
// (malloc, retained on purpose).
package jleak.smoke;

import jleak.leakers.Args;

public final class Smoke {
  // A prime size picks these blocks out of the JVM's own allocations.
  static final int BLOCK_BYTES = 1_999_993;

  static native long retain(int bytes);

  public static void main(String[] argv) {
    Args args = Args.parse("smoke", argv, "blocks");
    long blocks = args.getLong("blocks", 16);
    System.loadLibrary("smoke_jni");
    long checksum = 0;
    for (long i = 0; i < blocks; i++) {
      checksum += retain(BLOCK_BYTES);
    }
    System.out.printf(
        "smoke: retained %d native blocks of %d bytes (%d bytes), checksum %d%n",
        blocks, BLOCK_BYTES, blocks * BLOCK_BYTES, checksum);
  }
}
