// MemoryMapBench: a JVM shaped for measuring the memory map's cost per
// snapshot (ci/bench/bench_memory_map.sh): THREADS parked threads (two
// mappings each: stack and guard) and MAPS file regions mapped from one
// file and kept, then idle for SECONDS while jleak takes its snapshots.
//
//   java -cp DIR jleak.bench.MemoryMapBench THREADS MAPS SECONDS FILE
package jleak.bench;

import java.io.RandomAccessFile;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

public final class MemoryMapBench {
  public static void main(String[] args) throws Exception {
    int threads = Integer.parseInt(args[0]);
    int maps = Integer.parseInt(args[1]);
    double seconds = Double.parseDouble(args[2]);
    CountDownLatch done = new CountDownLatch(1);
    for (int i = 0; i < threads; i++) {
      Thread t = new Thread(() -> {
        try {
          done.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, "bench-" + i);
      t.setDaemon(true);
      t.start();
    }
    // Regions two pages apart: each map() is its own mapping (adjacent
    // ones of the same file could merge).
    List<MappedByteBuffer> kept = new ArrayList<>();
    long page = 4096;
    try (RandomAccessFile f = new RandomAccessFile(args[3], "rw")) {
      f.setLength(2 * page * maps + page);
      FileChannel ch = f.getChannel();
      for (int i = 0; i < maps; i++) {
        MappedByteBuffer b = ch.map(FileChannel.MapMode.READ_WRITE, 2 * page * i, page);
        b.put(0, (byte) 1);  // resident
        kept.add(b);
      }
    }
    System.out.println("memorymapbench ready threads=" + threads + " maps=" + kept.size());
    Thread.sleep((long) (seconds * 1000));
    done.countDown();
  }
}
