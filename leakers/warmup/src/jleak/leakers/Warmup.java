// Control 3, JIT and class-loading warm-up: during the first 25% of the run
// each unit defines a new class (a java.lang.reflect.Proxy class in its own
// class loader) and calls it until the JIT compiles it; afterwards units
// only call the classes already loaded. Metaspace and the code cache are
// mmap'd; what malloc sees is class-loader data, symbols, and compiler
// arenas (Arena::grow/ChunkPool in libjvm.so), which the JVM pools and
// reuses, so it grows early and then stays. Must be judged clean.
// --rate counts units (new classes in warm-up, call batches later) per second.
//
//   java -cp ... jleak.leakers.Warmup --rate UNITS_PER_S --duration S
//       [--dump-every S]
package jleak.leakers;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntUnaryOperator;

public final class Warmup {
  static final int CALLS_PER_UNIT = 2_000;

  public static void main(String[] argv) throws Exception {
    Workload w = Workload.parse("warmup", argv, 200, 30);
    long classes = Math.max(1, Math.round(w.rate() * w.duration() * 0.25));
    List<IntUnaryOperator> loaded = new ArrayList<>();
    long[] checksum = {0};
    long units =
        w.run(
            w.rate(),
            i -> {
              IntUnaryOperator op;
              if (i < classes) {
                op = newClass((int) i);
                loaded.add(op);
              } else {
                op = loaded.get((int) (i % loaded.size()));
              }
              int x = (int) i;
              for (int c = 0; c < CALLS_PER_UNIT; c++) {
                x = op.applyAsInt(x);
              }
              checksum[0] += x;
            });
    w.finish(
        String.format(
            "loaded %d proxy classes in the first 25%%, %d units of %d calls in %.1f s,"
                + " checksum %d",
            loaded.size(), units, CALLS_PER_UNIT, w.duration(), checksum[0]));
  }

  /** A new Proxy class, defined in a fresh class loader, computing x * 31 + k. */
  static IntUnaryOperator newClass(int k) {
    ClassLoader loader = new ClassLoader(Warmup.class.getClassLoader()) {};
    InvocationHandler h =
        (proxy, method, args) -> {
          if (method.getName().equals("applyAsInt")) {
            return (Integer) args[0] * 31 + k;
          }
          return method.getName().equals("hashCode") ? k : null;
        };
    return (IntUnaryOperator)
        Proxy.newProxyInstance(loader, new Class<?>[] {IntUnaryOperator.class}, h);
  }
}
