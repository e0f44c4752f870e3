// Test workload for `jleak run`: one JVM main, several ways to behave.
//
//   java -Djava.library.path=DIR jleak.testdata.RunFaults MODE [SECONDS]
//
//   leak S      retain 1,999,993-byte JNI blocks, 8 per second, for S s
//   segv S      run S s, then write through a null pointer in JNI
//   exit3 S     run S s, then System.exit(3)
//   hang        sleep forever, ignoring nothing (for --timeout)
//   churn S     allocate and drop 1,048,573-byte direct buffers, ~50 MB/s
//   cpuchurn N  N rounds of malloc-heavy work as fast as possible; prints
//               its own wall time (the overhead benchmark)
package jleak.testdata;

import java.nio.ByteBuffer;
import jleak.bench.ChurnRate;

public final class RunFaults {
  static native long retain(int bytes);

  static native void crash();

  static volatile Object sink;

  public static void main(String[] argv) throws Exception {
    String mode = argv.length > 0 ? argv[0] : "";
    double seconds = argv.length > 1 ? Double.parseDouble(argv[1]) : 1;
    long end = System.nanoTime() + (long) (seconds * 1e9);
    switch (mode) {
      case "leak":
        System.loadLibrary("run_faults_jni");
        long n = 0;
        while (System.nanoTime() < end) {
          retain(1_999_993);
          n++;
          Thread.sleep(125);
        }
        System.out.println("leak: retained " + n + " blocks");
        return;
      case "segv":
        System.loadLibrary("run_faults_jni");
        Thread.sleep((long) (seconds * 1000));
        crash();
        return;
      case "exit3":
        Thread.sleep((long) (seconds * 1000));
        System.exit(3);
        return;
      case "hang":
        Thread.sleep(Long.MAX_VALUE);
        return;
      case "churn":
        // 50 buffers of ~1 MB per second, dropped at once.
        long i = 0;
        while (System.nanoTime() < end) {
          ByteBuffer b = ByteBuffer.allocateDirect(1_048_573);
          b.put(0, (byte) i++);
          sink = b;
          sink = new byte[64 * 1024];
          Thread.sleep(20);
        }
        System.out.println("churn: dropped " + i + " direct buffers");
        return;
      case "cpuchurn":
        cpuChurn((int) seconds);
        return;
      default:
        System.err.println("usage: RunFaults leak|segv|exit3|hang|churn|cpuchurn [N]");
        System.exit(2);
    }
  }

  // Allocation-bound: ChurnRate's rounds (leakers/bench; zlib streams and
  // small direct buffers), so the allocator's cost dominates.
  static void cpuChurn(int rounds) {
    long start = System.nanoTime();
    byte[] input = new byte[4096];
    byte[] output = new byte[8192];
    long total = 0;
    for (int r = 0; r < rounds; r++) {
      total += ChurnRate.round(input, output);
    }
    System.out.printf(
        "cpuchurn: %d rounds in %.3f s (%d)%n", rounds, (System.nanoTime() - start) / 1e9, total);
  }
}
