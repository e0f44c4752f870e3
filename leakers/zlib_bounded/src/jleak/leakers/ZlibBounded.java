// Control 4, bounded zlib: each unit deflates with a Deflater, inflates with
// an Inflater and writes a GZIPOutputStream, and end()s or closes each one.
//
// Native sites (all freed at once): Java_java_util_zip_Deflater_init ->
// deflateInit2_ (about 268 KB per Deflater, twice per unit),
// Java_java_util_zip_Inflater_init -> inflateInit2_ (about 7.5 KB), in
// libz.so.1 via libzip.so. Must be judged clean. --rate counts units per
// second (default 100: about 54 MB/s through zlib's allocator).
//
//   java -cp ... jleak.leakers.ZlibBounded --rate UNITS_PER_S --duration S
//       [--dump-every S]
package jleak.leakers;

import java.io.ByteArrayOutputStream;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import java.util.zip.Inflater;

public final class ZlibBounded {
  public static void main(String[] argv) throws Exception {
    Workload w = Workload.parse("zlib_bounded", argv, 100, 30);
    byte[] input = sampleInput();
    byte[] out = new byte[2 * input.length];
    long[] compressedBytes = {0};
    long units =
        w.run(
            w.rate(),
            i -> {
              Deflater d = new Deflater();
              byte[] compressed;
              try {
                d.setInput(input);
                d.finish();
                int n = d.deflate(out);
                compressed = java.util.Arrays.copyOf(out, n);
                compressedBytes[0] += n;
              } finally {
                d.end();
              }
              Inflater inf = new Inflater();
              try {
                inf.setInput(compressed);
                if (inf.inflate(out) != input.length) {
                  throw new DataFormatException("short inflate");
                }
              } finally {
                inf.end();
              }
              try (GZIPOutputStream gz = new GZIPOutputStream(new ByteArrayOutputStream())) {
                gz.write(input);
              }
            });
    w.finish(
        String.format(
            "%d units of deflate+end, inflate+end and gzip+close (%d compressed bytes) in %.1f s",
            units, compressedBytes[0], w.duration()));
  }

  /** 16 KiB of compressible text, as in ZlibLeak (kept separate: no cross-workload deps). */
  static byte[] sampleInput() {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; sb.length() < 16384; i++) {
      sb.append("line ").append(i).append(": the quick brown fox jumps over the lazy dog\n");
    }
    return sb.substring(0, 16384).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  }
}
