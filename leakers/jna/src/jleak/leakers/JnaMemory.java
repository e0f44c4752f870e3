// Real library 3, JNA (Debian: libjna-java, libjna-jni): a pool of native
// buffers (com.sun.jna.Memory, JNA's malloc'd memory) that hands out a
// buffer per request and never takes one back. Memory frees its block when
// it is collected or close()d; a pool that keeps every buffer it ever made
// (a "borrow" without "release") grows native memory without bound. The
// classic report: "JNA Memory leak: pooled buffers never released".
//
// --leak=false releases each buffer to the pool after use (the pool keeps
// at most 16 and close()s the rest): the same library, used correctly,
// must be judged clean.
//
// Native site, as measured: malloc under Java_com_sun_jna_Native_malloc in
// libjnidispatch.system.so; the first Java frames are JNA's own
// (com.sun.jna.Native.malloc, com.sun.jna.Memory.malloc, Memory.<init>).
// --rate counts bytes per second (65,521-byte buffers, prime).
//
//   java -cp jna_memory.jar:workload.jar:args.jar:/usr/share/java/jna.jar
//       jleak.leakers.JnaMemory --rate BYTES_PER_S --duration S
//       [--leak=false] [--buffer-bytes N] [--dump-every S]
package jleak.leakers;

import com.sun.jna.Memory;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

public final class JnaMemory {
  static final int BUFFER_BYTES = 65_521;

  /** A pool of native buffers; `release` is what the leaking code forgets. */
  static final class BufferPool {
    private final int bytes;
    private final ArrayDeque<Memory> free = new ArrayDeque<>();
    private final List<Memory> lent = new ArrayList<>();
    private long made;

    BufferPool(int bytes) {
      this.bytes = bytes;
    }

    Memory borrow() {
      Memory m = free.poll();
      if (m == null) {
        m = new Memory(bytes);
        made++;
      }
      lent.add(m);
      return m;
    }

    void release(Memory m) {
      lent.remove(m);
      if (free.size() < 16) {
        free.push(m);
      } else {
        m.close();
      }
    }
  }

  public static void main(String[] argv) throws Exception {
    Workload w = Workload.parse("jna", argv, 5_000_000, 30, "leak", "buffer-bytes");
    boolean leak = !"false".equals(w.args().getString("leak", "true"));
    long bufferBytes = w.args().getLong("buffer-bytes", BUFFER_BYTES);
    if (bufferBytes < 1 || bufferBytes > (1 << 30)) {
      Workload.die("jna", "--buffer-bytes must be 1..1073741824");
    }
    BufferPool pool = new BufferPool((int) bufferBytes);
    long[] checksum = {0};
    long requests =
        w.run(
            w.rate() / bufferBytes,
            i -> {
              Memory m = pool.borrow();
              // Touch every page, so the memory is resident as in real use.
              for (long off = 0; off < m.size(); off += 4096) {
                m.setByte(off, (byte) i);
              }
              checksum[0] += m.getByte(0);
              if (!leak) {
                pool.release(m);
              }
            });
    w.finish(
        String.format(
            "%d requests in %.1f s, %d buffers of %d bytes made, %d still lent%s",
            requests,
            w.duration(),
            pool.made,
            bufferBytes,
            pool.lent.size(),
            checksum[0] == Long.MIN_VALUE ? "!" : ""));
  }
}
