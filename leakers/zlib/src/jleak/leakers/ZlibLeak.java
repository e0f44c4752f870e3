// Leaker 5, zlib: Deflaters, Inflaters or GZIPOutputStreams used once, never
// end()ed or closed, and kept reachable (so their Cleaners never run).
//
// Native sites, as measured (libz.so.1 via libzip.so):
//   --kind deflater  Java_java_util_zip_Deflater_init -> deflateInit2_:
//                    about 268 KB per Deflater (four 64 KiB buffers + state)
//   --kind gzip      the same, for the Deflater inside each GZIPOutputStream
//   --kind inflater  Java_java_util_zip_Inflater_init -> inflateInit2_:
//                    about 7.5 KB per Inflater (its inflate_state; no 32 KiB
//                    window shows up, as the single inflate() call finishes
//                    the stream)
// --rate counts objects per second (default 20: about 5 MB/s of Deflaters;
// Inflaters need about 700/s for the same).
//
//   java -cp ... jleak.leakers.ZlibLeak --kind deflater|inflater|gzip
//       --rate OBJECTS_PER_S --duration S [--dump-every S]
package jleak.leakers;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import java.util.zip.Inflater;

public final class ZlibLeak {
  public static void main(String[] argv) throws Exception {
    Workload w = Workload.parse("zlib", argv, 20, 30, "kind");
    String kind = w.args().getString("kind", "deflater");
    byte[] input = sampleInput();
    byte[] compressed = deflate(input);
    byte[] out = new byte[2 * input.length];
    List<Object> retained = new ArrayList<>();
    Workload.Step step;
    switch (kind) {
      case "deflater":
        step =
            i -> {
              Deflater d = new Deflater();
              d.setInput(input);
              d.finish();
              d.deflate(out);
              retained.add(d);
            };
        break;
      case "inflater":
        step =
            i -> {
              Inflater inf = new Inflater();
              inf.setInput(compressed);
              if (inf.inflate(out) != input.length) {
                throw new DataFormatException("short inflate");
              }
              retained.add(inf);
            };
        break;
      case "gzip":
        step =
            i -> {
              GZIPOutputStream gz = new GZIPOutputStream(new ByteArrayOutputStream());
              gz.write(input);
              gz.flush();
              retained.add(gz);
            };
        break;
      default:
        Workload.die("zlib", "--kind must be deflater, inflater or gzip, not '" + kind + "'");
        return;
    }
    long objects = w.run(w.rate(), step);
    w.finish(
        String.format(
            "kept %d %s objects reachable without end()/close() in %.1f s",
            objects, kind, w.duration()));
  }

  /** 16 KiB of compressible text. */
  static byte[] sampleInput() {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; sb.length() < 16384; i++) {
      sb.append("line ").append(i).append(": the quick brown fox jumps over the lazy dog\n");
    }
    return sb.substring(0, 16384).getBytes(StandardCharsets.US_ASCII);
  }

  static byte[] deflate(byte[] input) {
    Deflater d = new Deflater();
    try {
      d.setInput(input);
      d.finish();
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      byte[] buf = new byte[4096];
      while (!d.finished()) {
        bytes.write(buf, 0, d.deflate(buf));
      }
      return bytes.toByteArray();
    } finally {
      d.end();
    }
  }
}
