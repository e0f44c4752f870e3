// Leaker 7, threads: threads started and parked forever, never joined.
//
// Growth outside malloc, as measured: each thread's stack is an mmap
// (-Xss, 1 MiB reserved by default, a few pages touched): measured +1.1 MiB
// VmSize and +127 KB VmRSS per thread. The JVM's per-thread structures add
// about 7 KB of malloc per thread, spread over JVM-internal sites under
// JVM_StartThread (JavaThread::JavaThread, os::create_thread, ...). An analyzer must say "growth outside malloc" here,
// not name a malloc site. --rate counts threads per second.
//
//   java -cp ... jleak.leakers.ThreadLeak --rate THREADS_PER_S --duration S
//       [--dump-every S]
package jleak.leakers;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.LockSupport;

public final class ThreadLeak {
  public static void main(String[] argv) throws Exception {
    Workload w = Workload.parse("threads", argv, 20, 30);
    long threadsBefore = Workload.procStatus("Threads");
    long vmSizeBefore = Workload.procStatus("VmSize");
    long vmRssBefore = Workload.procStatus("VmRSS");
    List<Thread> retained = new ArrayList<>();
    long started =
        w.run(
            w.rate(),
            i -> {
              CountDownLatch running = new CountDownLatch(1);
              Thread t =
                  new Thread(
                      () -> {
                        running.countDown();
                        while (true) {
                          LockSupport.park();
                        }
                      },
                      "jleak-parked-" + i);
              t.setDaemon(true); // parked forever, but must not block exit
              t.start();
              running.await();
              retained.add(t);
            });
    w.finish(
        String.format(
            "started %d threads parked forever in %.1f s; Threads %+d, VmSize %+d kB,"
                + " VmRSS %+d kB",
            started,
            w.duration(),
            Workload.procStatus("Threads") - threadsBefore,
            Workload.procStatus("VmSize") - vmSizeBefore,
            Workload.procStatus("VmRSS") - vmRssBefore));
  }
}
