// Leaker, class loaders: a plugin host makes a new URLClassLoader per
// request, loads its plugin class (ClassLoaderPlugin, generated: 32 methods
// of about 9 KB of bytecode each) in it, runs it once, and keeps the loader
// in a list forever. --leak=false closes the loader and drops it (the
// healthy twin): the GC unloads its class and metaspace is reused.
//
// Growth outside malloc, as designed: every loader defines its own copy of
// the class (its parent is the platform loader, so the application loader
// cannot answer first), and each copy's methods, bytecode and constant
// pool live in that loader's metaspace, an mmap'd space of the JVM; the
// class file's symbols are shared, so malloc grows little. The loaders are
// java.net.URLClassLoader over a temp directory holding the plugin's
// .class file (copied from this jar at start, deleted at exit), so no jar
// stays open per loader. --rate counts loaders per second.
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
    Path classFile = dir.resolve(PLUGIN.replace('.', '/') + ".class");
    Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(dir, classFile)));
    try {
      Files.createDirectories(classFile.getParent());
      try (InputStream in =
          ClassLoaderLeak.class.getResourceAsStream("/" + PLUGIN.replace('.', '/') + ".class")) {
        if (in == null) {
          Workload.die("classloader", "the plugin class is not in the jar");
          return;
        }
        Files.copy(in, classFile);
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
              "loaded %s in %d URLClassLoaders, %s, in %.1f s; VmRSS %+d kB, checksum %d",
              PLUGIN,
              loaders,
              leak ? "all kept" : "each closed and dropped",
              w.duration(),
              Workload.procStatus("VmRSS") - vmRssBefore,
              checksum[0]));
    } finally {
      deleteQuietly(dir, classFile);
    }
  }

  /** The plugin host's request: a loader of its own for the plugin. */
  static URLClassLoader loadPlugin(URL[] path, long request) {
    return new URLClassLoader("plugin-" + request, path, ClassLoader.getPlatformClassLoader());
  }

  static void deleteQuietly(Path dir, Path classFile) {
    try {
      Files.deleteIfExists(classFile);
      for (Path p = classFile.getParent(); p != null && p.startsWith(dir); p = p.getParent()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      System.err.println("classloader: cannot delete " + dir + ": " + e);
    }
  }
}
