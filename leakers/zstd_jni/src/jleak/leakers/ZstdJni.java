// Real library 1, zstd-jni (Debian: libzstd-jni-java, libzstd-jni1): a
// ZstdOutputStreamNoFinalizer per message, written and flushed but never
// closed, then dropped. The "NoFinalizer" stream frees its native ZSTD_CStream
// only in close(); dropped unclosed, the Java object is collected and the
// native stream (its compression workspace, allocated at the first write)
// stays forever: the Java heap looks healthy while RSS grows. The classic
// report: "memory leak when ZstdOutputStream is not closed".
//
// --leak=false closes each stream (try-with-resources): the same library,
// used correctly, must be judged clean.
//
// Native site, as measured: malloc in libzstd.so.1 (ZSTD_createCStream,
// then the workspace of the first ZSTD_compressStream2) under
// Java_com_github_luben_zstd_ZstdOutputStreamNoFinalizer_*; the first Java
// frames are zstd-jni's own (com.github.luben.zstd.ZstdOutputStreamNoFinalizer).
// --rate counts streams per second.
//
//   java -cp zstd_jni.jar:workload.jar:args.jar:/usr/share/java/zstd-jni.jar
//       jleak.leakers.ZstdJni --rate STREAMS_PER_S --duration S [--leak=false]
//       [--level N] [--dump-every S]
package jleak.leakers;

import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;

public final class ZstdJni {
  static long compressedBytes;

  public static void main(String[] argv) throws Exception {
    Workload w = Workload.parse("zstd_jni", argv, 20, 30, "leak", "level");
    boolean leak = !"false".equals(w.args().getString("leak", "true"));
    int level = (int) w.args().getLong("level", 3);
    byte[] message = sampleInput();
    long streams =
        w.run(
            w.rate(),
            i -> {
              if (leak) {
                writeAndForget(message, level);
              } else {
                writeAndClose(message, level);
              }
            });
    w.finish(
        String.format(
            "%s %d zstd streams in %.1f s (%d compressed bytes)",
            leak ? "left open" : "closed", streams, w.duration(), compressedBytes));
  }

  /** 16 KiB of compressible text, one message. */
  static byte[] sampleInput() {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; sb.length() < 16384; i++) {
      sb.append("event ").append(i).append(": user=42 action=view item=").append(i * 7).append('\n');
    }
    return sb.substring(0, 16384).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  }

  /** The misuse: flush() instead of close(); the stream is then dropped. */
  static void writeAndForget(byte[] message, int level) throws IOException {
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    ZstdOutputStreamNoFinalizer z = new ZstdOutputStreamNoFinalizer(sink, level);
    z.write(message);
    z.flush();
    compressedBytes += sink.size();
  }

  static void writeAndClose(byte[] message, int level) throws IOException {
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    try (ZstdOutputStreamNoFinalizer z = new ZstdOutputStreamNoFinalizer(sink, level)) {
      z.write(message);
    }
    compressedBytes += sink.size();
  }
}
