// Leaker, thread pool: a request handler makes an ExecutorService per
// request (Executors.newFixedThreadPool(--pool-threads)), runs its tasks
// on it, and never shuts it down: the pool's threads, named
// pool-<N>-thread-<M>, stay parked in LinkedBlockingQueue.take forever.
// --leak=false shuts each executor down after its tasks are done (the
// healthy twin): its threads exit.
//
// Growth outside malloc, as designed: each leaked thread keeps its stack,
// an mmap (1 MiB reserved, the touched pages resident; the threads leaker
// measured about 127 KB of VmRSS per thread), plus its JVM structures and
// its jemalloc thread cache (malloc). The threads are started from
// jleak.leakers.ThreadPool.handle (ThreadPoolExecutor.execute ->
// addWorker -> Thread.start). --rate counts requests per second; each
// starts --pool-threads threads.
//
//   java -cp ... jleak.leakers.ThreadPool --rate REQUESTS_PER_S --duration S
//       [--leak=false] [--pool-threads N] [--dump-every S]
package jleak.leakers;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

public final class ThreadPool {
  static final int POOL_THREADS = 2;

  public static void main(String[] argv) throws Exception {
    Workload w = Workload.parse("thread_pool", argv, 10, 30, "leak", "pool-threads");
    boolean leak = !"false".equals(w.args().getString("leak", "true"));
    long poolThreads = w.args().getLong("pool-threads", POOL_THREADS);
    if (poolThreads < 1 || poolThreads > 64) {
      Workload.die("thread_pool", "--pool-threads must be in [1, 64]");
    }
    long threadsBefore = Workload.procStatus("Threads");
    long vmRssBefore = Workload.procStatus("VmRSS");
    long[] checksum = {0};
    long requests = w.run(w.rate(), i -> checksum[0] += handle(i, (int) poolThreads, leak));
    Workload.forceGc();
    w.finish(
        String.format(
            "handled %d requests on an executor of %d threads each, %s, in %.1f s;"
                + " Threads %+d, VmRSS %+d kB, checksum %d",
            requests,
            poolThreads,
            leak ? "never shut down" : "shut down",
            w.duration(),
            Workload.procStatus("Threads") - threadsBefore,
            Workload.procStatus("VmRSS") - vmRssBefore,
            checksum[0]));
    // The leaked pools' threads are not daemons: they would keep the JVM up.
    System.exit(0);
  }

  /**
   * One request: its own executor, one task per pool thread (so every thread is started), the
   * results summed. With leak, the executor is dropped without shutdown().
   */
  static long handle(long request, int poolThreads, boolean leak) throws Exception {
    ExecutorService executor = Executors.newFixedThreadPool(poolThreads);
    List<Future<Long>> results = new ArrayList<>();
    for (int t = 0; t < poolThreads; t++) {
      long seed = request * poolThreads + t;
      results.add(executor.submit(() -> seed * 31 + 7));
    }
    long sum = 0;
    for (Future<Long> f : results) {
      sum += f.get();
    }
    if (!leak) {
      executor.shutdown();
      if (!executor.awaitTermination(10, TimeUnit.SECONDS)) {
        throw new IllegalStateException("thread_pool: executor did not terminate in 10 s");
      }
    }
    return sum;
  }
}
