// An example service guarded by a jvm_leak_test (see README.md, "Guard your
// own workload"): an LRU cache of compressed responses. Each request
// compresses a payload with a Deflater and, correctly, end()s it, so its
// native zlib state is freed at once; evicted entries are plain byte
// arrays. Runs until stopped (jleak sends SIGTERM after its --duration).
//
//   java -cp cache.jar com.example.cache.CacheService --requests-per-second=2000
package com.example.cache;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.Deflater;

public final class CacheService {
  private static final int CAPACITY = 5_000;

  private final Map<Integer, byte[]> cache =
      new LinkedHashMap<>(CAPACITY, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Integer, byte[]> eldest) {
          return size() > CAPACITY;
        }
      };

  byte[] handle(int key) {
    return cache.computeIfAbsent(key, CacheService::render);
  }

  static byte[] render(int key) {
    byte[] payload = ("response for key " + key + " ").repeat(64).getBytes();
    Deflater deflater = new Deflater();
    try {
      deflater.setInput(payload);
      deflater.finish();
      byte[] out = new byte[payload.length + 64];
      int n = deflater.deflate(out);
      return java.util.Arrays.copyOf(out, n);
    } finally {
      // Without end() the zlib state would wait for a GC and a Cleaner;
      // jleak forces a GC before each snapshot, so that alone is not a leak.
      deflater.end();
    }
  }

  public static void main(String[] args) throws InterruptedException {
    int rps = 1000;
    for (String a : args) {
      if (a.startsWith("--requests-per-second=")) {
        rps = Integer.parseInt(a.substring(a.indexOf('=') + 1));
      } else {
        System.err.println("usage: CacheService [--requests-per-second=N]");
        System.exit(2);
      }
    }
    CacheService service = new CacheService();
    java.util.Random random = new java.util.Random(42);
    long served = 0;
    long start = System.nanoTime();
    while (true) {
      // Keys drawn from a range twice the capacity: a steady miss rate.
      service.handle(random.nextInt(2 * CAPACITY));
      served++;
      long due = start + served * 1_000_000_000L / rps;
      long wait = due - System.nanoTime();
      if (wait > 0) {
        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
      }
    }
  }
}
