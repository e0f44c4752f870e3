// Real library 4, libjpeg-turbo's TurboJPEG Java binding (Debian:
// libturbojpeg-java, libturbojpeg0; libturbojpeg0-dev for the
// libturbojpeg.so the binding loads): an application of its own,
// com.example.thumbs, not jleak's, that renders JPEG thumbnails from two
// places. renderPreview keeps each preview's TJCompressor (to re-encode it
// at another quality on demand) and never closes it; renderArchive closes
// the compressor of each archive job when the job completes (the last 512
// jobs are in flight; --in-flight N). An open TJCompressor holds its native tjhandle (the
// libjpeg compress and decompress objects, their memory manager and its
// permanent pools): about 4.9 KB of malloc'd memory, measured with
// jemalloc's stats.allocated (4000 of these 64x48 4:2:0 compressors kept
// open, against 4000 closed: +19.6 MB). TJCompressor has a
// finalizer, so a compressor merely dropped is freed at a later GC: the
// compressors that leak are the ones kept reachable and never closed, as
// here (the preview cache keeps the closed ones of the healthy twin too).
//
// --leak=false closes the preview's compressor after compressing: both
// paths close, the healthy twin.
//
// Native sites, as measured: several malloc sites in the stripped
// libturbojpeg.so.0 (tjInitCompress under TJCompressor.init, the permanent
// pools of the first compress under TJCompressor.compress), each with the
// first application frame com.example.thumbs.ThumbnailService.renderPreview
// (the leak) or renderArchive (flat: 512 compressors, about 2.5 MB).
// --rate counts previews per second; as many archive jobs run.
//
//   java -cp turbojpeg.jar:workload.jar:args.jar:/usr/share/java/turbojpeg.jar
//       com.example.thumbs.ThumbnailService --rate PREVIEWS_PER_S --duration S
//       [--leak=false] [--in-flight ARCHIVE_JOBS] [--dump-every S]
package com.example.thumbs;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import jleak.leakers.Workload;
import org.libjpegturbo.turbojpeg.TJ;
import org.libjpegturbo.turbojpeg.TJCompressor;
import org.libjpegturbo.turbojpeg.TJException;

public final class ThumbnailService {
  static final int WIDTH = 64;
  static final int HEIGHT = 48;
  static final int ARCHIVE_IN_FLIGHT = 512;
  static final int MAX_IN_FLIGHT = 1 << 20;

  /** A rendered preview: its size, and the compressor kept to re-encode it. */
  static final class Preview {
    final TJCompressor compressor;
    final int jpegBytes;

    Preview(TJCompressor compressor, int jpegBytes) {
      this.compressor = compressor;
      this.jpegBytes = jpegBytes;
    }
  }

  private final byte[] pixels = testImage();
  private final boolean closePreviews;
  private final int inFlight;
  private final Map<Long, Preview> previews = new HashMap<>();
  private final ArrayDeque<TJCompressor> archiveJobs = new ArrayDeque<>();
  private long previewBytes;
  private long archiveBytes;

  ThumbnailService(boolean closePreviews, int inFlight) {
    this.closePreviews = closePreviews;
    this.inFlight = inFlight;
  }

  /** The bug (unless closePreviews): the preview keeps an open compressor. */
  void renderPreview(long id) throws TJException {
    TJCompressor c = new TJCompressor(pixels, 0, 0, WIDTH, 0, HEIGHT, TJ.PF_RGB);
    c.setSubsamp(TJ.SAMP_420);
    c.setJPEGQuality(75);
    c.compress(0);
    int size = c.getCompressedSize();
    previews.put(id, new Preview(c, size));
    previewBytes += size;
    if (closePreviews) {
      c.close();
    }
  }

  /** Correct: an archive job's compressor is closed when the job completes. */
  void renderArchive(long id) throws TJException {
    TJCompressor c = new TJCompressor(pixels, 0, 0, WIDTH, 0, HEIGHT, TJ.PF_RGB);
    c.setSubsamp(TJ.SAMP_444);
    c.setJPEGQuality(95);
    c.compress(0);
    archiveBytes += c.getCompressedSize();
    archiveJobs.add(c);
    if (archiveJobs.size() > inFlight) {
      archiveJobs.poll().close();
    }
  }

  /** A WIDTH x HEIGHT RGB gradient with some texture, the same for every job. */
  static byte[] testImage() {
    byte[] rgb = new byte[WIDTH * HEIGHT * 3];
    for (int y = 0; y < HEIGHT; y++) {
      for (int x = 0; x < WIDTH; x++) {
        int i = (y * WIDTH + x) * 3;
        rgb[i] = (byte) (x * 4);
        rgb[i + 1] = (byte) (y * 5);
        rgb[i + 2] = (byte) ((x * y) ^ (x << 3));
      }
    }
    return rgb;
  }

  public static void main(String[] argv) throws Exception {
    Workload w = Workload.parse("turbojpeg", argv, 1000, 30, "leak", "in-flight");
    boolean leak = !"false".equals(w.args().getString("leak", "true"));
    long inFlight = w.args().getLong("in-flight", ARCHIVE_IN_FLIGHT);
    if (inFlight < 1 || inFlight > MAX_IN_FLIGHT) {
      Workload.die("turbojpeg", "--in-flight must be 1.." + MAX_IN_FLIGHT);
    }
    ThumbnailService service = new ThumbnailService(!leak, (int) inFlight);
    long jobs =
        w.run(
            w.rate(),
            i -> {
              service.renderPreview(i);
              service.renderArchive(i);
            });
    w.finish(
        String.format(
            "%d previews (compressors %s) and %d archive jobs (%d in flight) in %.1f s,"
                + " %d + %d JPEG bytes",
            jobs,
            leak ? "left open" : "closed",
            jobs,
            service.archiveJobs.size(),
            w.duration(),
            service.previewBytes,
            service.archiveBytes));
  }
}
