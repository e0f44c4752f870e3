// Leaker 6, Java2D (headless): ColorConvertOp filters between ICC profiles,
// each used once and retained. Each op caches the LCMS transform its first
// filter() created; a retained op keeps that native transform alive, GC or
// not (an unretained one is freed by the Disposer after a GC).
//
// Native site, as measured: Java_sun_java2d_cmm_lcms_LCMS_createNativeTransform
// in liblcms.so (LCMS's _cmsMalloc and friends below it; Debian's liblcms is
// stripped, so inner names are unreliable), about 56 KB per op for this mix
// of profiles.
// --rate counts ColorConvertOps per second.
//
//   java -cp ... jleak.leakers.Java2dColorConvert --rate OPS_PER_S
//       --duration S [--dump-every S]
package jleak.leakers;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorConvertOp;
import java.util.ArrayList;
import java.util.List;

public final class Java2dColorConvert {
  public static void main(String[] argv) throws Exception {
    System.setProperty("java.awt.headless", "true");
    Workload w = Workload.parse("java2d", argv, 60, 30);
    ColorSpace srgb = ColorSpace.getInstance(ColorSpace.CS_sRGB);
    ColorSpace[] targets = {
      ColorSpace.getInstance(ColorSpace.CS_CIEXYZ),
      ColorSpace.getInstance(ColorSpace.CS_LINEAR_RGB),
      ColorSpace.getInstance(ColorSpace.CS_PYCC),
      ColorSpace.getInstance(ColorSpace.CS_GRAY),
    };
    BufferedImage src = new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB);
    src.setRGB(1, 1, 0x336699);
    List<ColorConvertOp> retained = new ArrayList<>();
    long[] checksum = {0};
    long ops =
        w.run(
            w.rate(),
            i -> {
              ColorConvertOp op = new ColorConvertOp(srgb, targets[(int) (i % targets.length)], null);
              BufferedImage dst = op.filter(src, null);
              checksum[0] += dst.getRGB(1, 1) & 0xff;
              retained.add(op);
            });
    w.finish(
        String.format(
            "retained %d ColorConvertOps (sRGB to CIEXYZ/linear RGB/PYCC/gray) in %.1f s,"
                + " checksum %d",
            ops, w.duration(), checksum[0]));
  }
}
