// Leaker 4, Unsafe: sun.misc.Unsafe.allocateMemory without freeMemory.
//
// Native site, as measured: Unsafe_AllocateMemory0 -> os::malloc in
// libjvm.so (same shape as DirectByteBuffer, without the Bits/DirectByteBuffer
// Java frames); blocks of 1,572,853 bytes (prime, size class 1.5 MiB).
//
//   java -cp ... jleak.leakers.UnsafeAlloc --rate BYTES_PER_S --duration S
//       [--dump-every S]
package jleak.leakers;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;

public final class UnsafeAlloc {
  static final int BLOCK_BYTES = 1_572_853;

  public static void main(String[] argv) throws Throwable {
    Workload w = Workload.parse("unsafe", argv, 5_000_000, 30);
    // sun.misc.Unsafe through reflection and method handles: javac -Werror
    // would reject a direct reference (proprietary API warning).
    Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
    Field theUnsafe = unsafeClass.getDeclaredField("theUnsafe");
    theUnsafe.setAccessible(true);
    Object unsafe = theUnsafe.get(null);
    MethodHandles.Lookup lookup = MethodHandles.lookup();
    MethodHandle allocate =
        lookup
            .findVirtual(unsafeClass, "allocateMemory", MethodType.methodType(long.class, long.class))
            .bindTo(unsafe);
    MethodHandle setMemory =
        lookup
            .findVirtual(
                unsafeClass,
                "setMemory",
                MethodType.methodType(void.class, long.class, long.class, byte.class))
            .bindTo(unsafe);
    List<Long> addresses = new ArrayList<>();
    long blocks =
        w.run(
            w.rate() / BLOCK_BYTES,
            i -> {
              long address;
              try {
                address = (long) allocate.invokeExact((long) BLOCK_BYTES);
                setMemory.invokeExact(address, (long) BLOCK_BYTES, (byte) 0x3C);
              } catch (Throwable t) {
                throw new IllegalStateException(t);
              }
              addresses.add(address);
            });
    w.finish(
        String.format(
            "allocated %d Unsafe blocks of %d bytes (%d bytes) without freeMemory in %.1f s",
            blocks, BLOCK_BYTES, blocks * BLOCK_BYTES, w.duration()));
  }
}
