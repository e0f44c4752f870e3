// Leaker, class loaders: a plugin host makes a new URLClassLoader per
// request, loads its plugin in it (ClassLoaderPlugin and the parts it calls,
// ClassLoaderPluginPart<k>, generated: 32 methods of about 9 KB of bytecode
// in all), runs it once, and keeps the loader in a list forever.
// --leak=false closes the loader and drops it (the healthy twin): the GC
// unloads its classes and metaspace is reused.
//
// Growth outside malloc, as designed: every loader defines its own copy of
// the classes (its parent is the platform loader, so the application
// loader cannot answer first), and each copy's methods, bytecode and
// constant pool live in that loader's metaspace, an mmap'd space of the
// JVM; the class files' symbols are shared, so malloc grows little. The
// loaders are java.net.URLClassLoader over a temp directory holding the
// plugin's .class files (copied from this jar at start, deleted at exit),
// so no jar stays open per loader. --rate counts loaders per second.
//
//   java -cp ... jleak.leakers.ClassLoaderLeak --rate LOADERS_PER_S
//       --duration S [--leak=false] [--dump-every S]
package jleak.leakers;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntUnaryOperator;

public final class ClassLoaderLeak {
  static final String PLUGIN = "jleak.leakers.ClassLoaderPlugin";

  public static void main(String[] argv) throws Exception {
    Workload w = Workload.parse("classloader", argv, 20, 30, "leak");
    boolean leak = !"false".equals(w.args().getString("leak", "true"));
    Path dir = Files.createTempDirectory("jleak-plugins-");
    List<Path> classFiles = new ArrayList<>();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(dir, classFiles)));
    try {
      for (int part = -1; ; part++) {
        String name = part < 0 ? PLUGIN : PLUGIN + "Part" + part;
        String resource = name.replace('.', '/') + ".class";
        try (InputStream in = ClassLoaderLeak.class.getResourceAsStream("/" + resource)) {
          if (in == null) {
            break;
          }
          Path classFile = dir.resolve(resource);
          Files.createDirectories(classFile.getParent());
          Files.copy(in, classFile);
          classFiles.add(classFile);
        }
      }
      if (classFiles.size() < 2) {
        Workload.die("classloader", "the plugin's classes are not in the jar");
        return;
      }
      URL[] path = {dir.toUri().toURL()};
      long vmRssBefore = Workload.procStatus("VmRSS");
      List<URLClassLoader> kept = new ArrayList<>();
      long[] checksum = {0};
      long loaders =
          w.run(
              w.rate(),
              i -> {
                URLClassLoader loader = loadPlugin(path, i);
                IntUnaryOperator plugin =
                    (IntUnaryOperator)
                        Class.forName(PLUGIN, true, loader).getDeclaredConstructor().newInstance();
                checksum[0] += plugin.applyAsInt((int) i);
                if (leak) {
                  kept.add(loader);
                } else {
                  loader.close();
                }
              });
      Workload.forceGc();
      w.finish(
          String.format(
              "loaded %s and its %d parts in %d URLClassLoaders, %s, in %.1f s; VmRSS %+d kB,"
                  + " checksum %d",
              PLUGIN,
              classFiles.size() - 1,
              loaders,
              leak ? "all kept" : "each closed and dropped",
              w.duration(),
              Workload.procStatus("VmRSS") - vmRssBefore,
              checksum[0]));
    } finally {
      deleteQuietly(dir, classFiles);
    }
  }

  /** The plugin host's request: a loader of its own for the plugin. */
  static URLClassLoader loadPlugin(URL[] path, long request) {
    return new URLClassLoader("plugin-" + request, path, ClassLoader.getPlatformClassLoader());
  }

  /** Deletes the copied class files, then their directories up to dir itself. */
  static void deleteQuietly(Path dir, List<Path> classFiles) {
    try {
      for (Path classFile : classFiles) {
        Files.deleteIfExists(classFile);
      }
      if (!classFiles.isEmpty()) {
        for (Path p = classFiles.get(0).getParent(); p != null && p.startsWith(dir);
            p = p.getParent()) {
          Files.deleteIfExists(p);
        }
      }
    } catch (IOException e) {
      System.err.println("classloader: cannot delete " + dir + ": " + e);
    }
  }
}
