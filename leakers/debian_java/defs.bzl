"""The real third-party JNI libraries of the suite, as Debian ships them.

- debian_jar: a jar of @debian_java (Debian's /usr/share/java, see
  WORKSPACE) as a java_jar dependency. The jar is an input Bazel tracks;
  the JNI library it loads is found at run time where Debian installs it.
- *_FLAGS: the system properties that make each library load Debian's
  native library (never one extracted from its jar into /tmp): give them
  as `jvm_flags` to whatever runs the workload (a workload_test of
  //leakers:defs.bzl with `jars = [<the debian_jar>]`, a jvm_leak_test).

All come from packages ci/setup.sh installs.
"""

load("//bazel:java.bzl", "JarInfo")

# zstd-jni 1.5.2 (libzstd-jni-java, libzstd-jni1): util.Native loads the
# file named by ZstdNativePath with System.load.
ZSTD_JNI_FLAGS = ["-DZstdNativePath=/usr/lib/x86_64-linux-gnu/libzstd-jni.so.1"]

# Xerial sqlite-jdbc 3.40 (libxerial-sqlite-jdbc-java, -jni): SQLiteJDBCLoader
# loads org.sqlite.lib.path/org.sqlite.lib.name.
SQLITE_JDBC_FLAGS = [
    "-Dorg.sqlite.lib.path=/usr/lib/x86_64-linux-gnu/jni",
    "-Dorg.sqlite.lib.name=libsqlitejdbc.so",
]

# JNA 5.13 (libjna-java, libjna-jni): libjnidispatch from
# jna.boot.library.path; jna.nounpack forbids unpacking one from the jar.
JNA_FLAGS = [
    "-Djna.boot.library.path=/usr/lib/x86_64-linux-gnu/jni",
    "-Djna.nounpack=true",
]

# libjpeg-turbo 2.1.5's TurboJPEG binding (libturbojpeg-java, libturbojpeg0):
# no flag. Its TJLoader tries System.loadLibrary("turbojpeg"), then
# System.load("/usr/lib/x86_64-linux-gnu/libturbojpeg.so"), the symlink of
# libturbojpeg0-dev (ci/setup.sh installs it; without it, the binding fails
# with UnsatisfiedLinkError). The JNI functions live in libturbojpeg.so.0.

def _debian_jar_impl(ctx):
    jar = ctx.file.jar
    return [
        DefaultInfo(files = depset([jar]), runfiles = ctx.runfiles(files = [jar])),
        JarInfo(jar = jar, main_class = "", transitive_jars = depset([jar])),
    ]

debian_jar = rule(
    implementation = _debian_jar_impl,
    doc = "Wraps a jar of a Debian package so java_jar can depend on it.",
    attrs = {
        "jar": attr.label(mandatory = True, allow_single_file = [".jar"]),
        "package": attr.string(
            mandatory = True,
            doc = "The Debian package it comes from (ci/setup.sh installs it).",
        ),
    },
)
