// Leaker, mapped file: an index reader maps a segment of its index file per
// request with FileChannel.map and keeps every mapping. --leak=false keeps
// only the last 4 (the healthy twin): the dropped MappedByteBuffers are
// unmapped when a GC runs their Cleaners (jleak forces one before every
// snapshot).
//
// Growth outside malloc, as designed: each request maps a --region-bytes
// region of one temp file, /tmp/jleak-segments-<digits>.idx (16 regions of
// real data, written once at start, so the page cache holds at most 16
// regions), READ_ONLY, and reads one byte of every page, so the whole
// region is resident: RSS grows by the region per kept mapping (smaps:
// a r--s mapping of the file, Anonymous 0) while the page cache, the Java
// heap and malloc stay flat. Mapped from jleak.leakers.MappedFile.mapSegment
// (FileChannelImpl.map0 -> mmap64 in libnio). The file is deleted at exit
// (a shutdown hook, so also when jleak ends the run with SIGTERM).
// --rate counts bytes mapped per second.
//
//   java -cp ... jleak.leakers.MappedFile --rate BYTES_PER_S --duration S
//       [--leak=false] [--region-bytes N] [--dir D] [--dump-every S]
package jleak.leakers;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

public final class MappedFile {
  static final int REGION_BYTES = 1 << 20;
  static final int FILE_REGIONS = 16;
  static final int TWIN_KEEPS = 4;
  static final int PAGE = 4096;

  public static void main(String[] argv) throws Exception {
    Workload w =
        Workload.parse("mapped_file", argv, 4 << 20, 30, "leak", "region-bytes", "dir");
    boolean leak = !"false".equals(w.args().getString("leak", "true"));
    long regionBytes = w.args().getLong("region-bytes", REGION_BYTES);
    if (regionBytes < PAGE || regionBytes > (1 << 30) || regionBytes % PAGE != 0) {
      Workload.die("mapped_file", "--region-bytes must be a multiple of 4096 in [4096, 2^30]");
    }
    Path dir = Paths.get(w.args().getString("dir", System.getProperty("java.io.tmpdir")));
    Path file = Files.createTempFile(dir, "jleak-segments-", ".idx");
    Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(file)));
    long vmRssBefore = Workload.procStatus("VmRSS");
    try (FileChannel channel =
        FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      writeSegments(channel, regionBytes);
      List<MappedByteBuffer> kept = new ArrayList<>();
      ArrayDeque<MappedByteBuffer> recent = new ArrayDeque<>();
      long[] checksum = {0};
      long regions =
          w.run(
              w.rate() / regionBytes,
              i -> {
                MappedByteBuffer segment =
                    mapSegment(channel, (i % FILE_REGIONS) * regionBytes, regionBytes);
                checksum[0] += touch(segment);
                if (leak) {
                  kept.add(segment);
                } else {
                  recent.addLast(segment);
                  if (recent.size() > TWIN_KEEPS) {
                    recent.removeFirst(); // unmapped by its Cleaner after a GC
                  }
                }
              });
      Workload.forceGc();
      w.finish(
          String.format(
              "mapped %d regions of %d bytes of %s, %s, in %.1f s; VmRSS %+d kB, checksum %d",
              regions,
              regionBytes,
              file,
              leak ? "all kept" : "the last " + TWIN_KEEPS + " kept",
              w.duration(),
              Workload.procStatus("VmRSS") - vmRssBefore,
              checksum[0]));
    } finally {
      deleteQuietly(file);
    }
  }

  /** The index reader's request: maps one segment of the index, read-only. */
  static MappedByteBuffer mapSegment(FileChannel channel, long offset, long bytes)
      throws IOException {
    return channel.map(FileChannel.MapMode.READ_ONLY, offset, bytes);
  }

  /** Reads one byte of every page, so the whole mapping is resident. */
  static long touch(MappedByteBuffer segment) {
    long sum = 0;
    for (int p = 0; p < segment.capacity(); p += PAGE) {
      sum += segment.get(p);
    }
    return sum;
  }

  /** Fills the file's FILE_REGIONS regions with data (not a sparse file). */
  static void writeSegments(FileChannel channel, long regionBytes) throws IOException {
    ByteBuffer page = ByteBuffer.allocate(PAGE);
    for (long off = 0; off < FILE_REGIONS * regionBytes; off += PAGE) {
      page.clear();
      while (page.hasRemaining()) {
        page.put((byte) (off / PAGE + page.position()));
      }
      page.flip();
      while (page.hasRemaining()) {
        channel.write(page, off + page.position());
      }
    }
    channel.force(false);
  }

  static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      System.err.println("mapped_file: cannot delete " + file + ": " + e);
    }
  }
}
