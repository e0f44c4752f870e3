// Leaker, JNI mmap: a native scratch-arena library maps anonymous memory
// with mmap for each request, touches it, and never unmaps it.
// --leak=false unmaps all but the last 4 regions (the healthy twin).
//
// Growth outside malloc, as designed: Java_jleak_leakers_JniMmap_mapAnon in
// libjni_mmap.so calls mmap(MAP_PRIVATE | MAP_ANONYMOUS) and memsets the
// region, so RSS grows by the region size per request while malloc, the
// Java heap and the thread count stay flat. Its Java caller is
// jleak.leakers.JniMmap.reserveArena. Regions are 1 MiB by default
// (--region-bytes); the kernel may merge neighbouring regions into one
// mapping. --rate counts bytes mapped per second.
//
//   java -cp ... jleak.leakers.JniMmap --rate BYTES_PER_S --duration S
//       [--leak=false] [--region-bytes N] [--dump-every S]
package jleak.leakers;

import java.util.ArrayDeque;

public final class JniMmap {
  static final int REGION_BYTES = 1 << 20;
  static final int TWIN_KEEPS = 4;

  static native long mapAnon(long bytes);

  static native void unmap(long address, long bytes);

  public static void main(String[] argv) throws Exception {
    Workload w = Workload.parse("jni_mmap", argv, 4 << 20, 30, "leak", "region-bytes");
    boolean leak = !"false".equals(w.args().getString("leak", "true"));
    // Passed to the native code unchecked: the native side validates.
    long regionBytes = w.args().getLong("region-bytes", REGION_BYTES);
    System.loadLibrary("jni_mmap");
    long vmRssBefore = Workload.procStatus("VmRSS");
    ArrayDeque<Long> recent = new ArrayDeque<>();
    long regions;
    try {
      regions =
          w.run(
              w.rate() / Math.max(1, regionBytes),
              i -> {
                long address = reserveArena(regionBytes);
                if (!leak) {
                  recent.addLast(address);
                  if (recent.size() > TWIN_KEEPS) {
                    unmap(recent.removeFirst(), regionBytes);
                  }
                }
              });
    } catch (IllegalArgumentException | IllegalStateException | OutOfMemoryError e) {
      Workload.die("jni_mmap", "native code rejected the input: " + e);
      return;
    }
    w.finish(
        String.format(
            "mapped %d anonymous regions of %d bytes through JNI mmap, %s, in %.1f s;"
                + " VmRSS %+d kB",
            regions,
            regionBytes,
            leak ? "never unmapped" : "all but the last " + TWIN_KEEPS + " unmapped",
            w.duration(),
            Workload.procStatus("VmRSS") - vmRssBefore));
  }

  /** The application's request: a scratch arena from the native library. */
  static long reserveArena(long bytes) {
    return mapAnon(bytes);
  }
}
