// File: OriginsProbe.java
//
// The workload of origins_integration_test.sh and bench_origins.sh: file
// regions mapped with FileChannel.map and kept, and an ExecutorService made
// per call and never shut down, from methods whose names the agent must
// record (agent/native_origins.h).
//
//   java jleak.testdata.OriginsProbe probe DIR MAPS POOLS SECONDS [JNI_LIB]
//       maps MAPS regions of DIR/segment-N.idx in mapSegment, starts POOLS
//       pools in handleRequest, and with JNI_LIB (an absolute path) maps 3
//       anonymous MiB in mapRegion through its native mapAnon; prints
//       "ready", waits SECONDS, exits 0.
//   java jleak.testdata.OriginsProbe bench DIR SECONDS
//       for SECONDS each: FileChannel.map + unmap of one 4 KiB region in a
//       loop, then thread start + join; prints
//       "bench maps_per_s=X threads_per_s=Y".

package jleak.testdata;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

public final class OriginsProbe {
  private static final List<MappedByteBuffer> kept = new ArrayList<>();
  private static final List<ExecutorService> pools = new ArrayList<>();

  private OriginsProbe() {}

  static MappedByteBuffer mapSegment(Path dir, int i) throws IOException {
    Path file = dir.resolve("segment-" + i + ".idx");
    try (FileChannel ch =
        FileChannel.open(
            file,
            StandardOpenOption.CREATE,
            StandardOpenOption.READ,
            StandardOpenOption.WRITE)) {
      return ch.map(FileChannel.MapMode.READ_WRITE, 0, 65536);
    }
  }

  private static native long mapAnon(long bytes);

  static long mapRegion(long bytes) {
    long address = mapAnon(bytes);
    if (address == 0) throw new IllegalStateException("mapAnon failed");
    return address;
  }

  static void handleRequest() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(1);
    Future<?> done = pool.submit(() -> {});
    done.get();
    pools.add(pool);
  }

  // Unsafe.invokeCleaner, found by reflection (sun.misc is open to all).
  private static Object unsafe;
  private static Method invokeCleaner;

  private static void unmap(ByteBuffer b) throws Exception {
    if (invokeCleaner == null) {
      Class<?> c = Class.forName("sun.misc.Unsafe");
      Field f = c.getDeclaredField("theUnsafe");
      f.setAccessible(true);
      unsafe = f.get(null);
      invokeCleaner = c.getMethod("invokeCleaner", ByteBuffer.class);
    }
    invokeCleaner.invoke(unsafe, b);
  }

  private static void bench(Path dir, double seconds) throws Exception {
    Path file = dir.resolve("bench.idx");
    long maps = 0;
    long until = System.nanoTime() + (long) (seconds * 1e9);
    long start = System.nanoTime();
    try (FileChannel ch =
        FileChannel.open(
            file,
            StandardOpenOption.CREATE,
            StandardOpenOption.READ,
            StandardOpenOption.WRITE)) {
      while (System.nanoTime() < until) {
        MappedByteBuffer b = ch.map(FileChannel.MapMode.READ_WRITE, 0, 4096);
        b.put(0, (byte) 1);
        unmap(b);
        ++maps;
      }
    }
    double mapSeconds = (System.nanoTime() - start) / 1e9;
    long threads = 0;
    until = System.nanoTime() + (long) (seconds * 1e9);
    start = System.nanoTime();
    while (System.nanoTime() < until) {
      Thread t = new Thread(() -> {});
      t.start();
      t.join();
      ++threads;
    }
    double threadSeconds = (System.nanoTime() - start) / 1e9;
    System.out.printf(
        "bench maps_per_s=%.0f threads_per_s=%.0f%n",
        maps / mapSeconds, threads / threadSeconds);
  }

  public static void main(String[] args) throws Exception {
    if ((args.length == 5 || args.length == 6) && args[0].equals("probe")) {
      Path dir = Path.of(args[1]);
      for (int i = 0; i < Integer.parseInt(args[2]); ++i) kept.add(mapSegment(dir, i));
      for (int i = 0; i < Integer.parseInt(args[3]); ++i) handleRequest();
      if (args.length == 6) {
        System.load(args[5]);
        for (int i = 0; i < 3; ++i) mapRegion(1 << 20);
      }
      System.out.println("ready");
      Thread.sleep((long) (Double.parseDouble(args[4]) * 1000));
      System.exit(0);
    } else if (args.length == 3 && args[0].equals("bench")) {
      bench(Path.of(args[1]), Double.parseDouble(args[2]));
      System.exit(0);
    } else {
      System.err.println("usage: OriginsProbe probe DIR MAPS POOLS SECONDS [JNI_LIB] | bench DIR SECONDS");
      System.exit(2);
    }
  }
}
