"""The real third-party JNI libraries of the suite, as Debian ships them.

- debian_jar: a jar of @debian_java (Debian's /usr/share/java, see
  WORKSPACE) as a java_jar dependency. The jar is an input Bazel tracks;
  the JNI library it loads is found at run time where Debian installs it.
- *_FLAGS: the system properties that make each library load Debian's
  native library (never one extracted from its jar into /tmp): give them
  as `jvm_flags` to whatever runs the workload.
- debian_workload_test: leakers/workload_test.bzl's test for a workload
  that needs one of these jars on its class path.

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

def debian_workload_test(name, workload, main_class, args, debian_jar, jvm_flags, expect = [], growth = None, **kwargs):
    """workload_test (leakers/workload_test.bzl) with a Debian jar.

    Runs `workload` once under the Bazel-built jemalloc (profiling off) and
    checks its summary line and exact malloc growth, as workload_test does.

    Args:
      name: test name.
      workload: the java_jar of the workload.
      main_class: its main class.
      args: the workload's arguments (with --dump-every for `growth`).
      debian_jar: the debian_jar target it needs on the class path.
      jvm_flags: the library's *_FLAGS.
      expect: regexes stdout lines must match.
      growth: (min, max) bytes of exact malloc growth, or None.
      **kwargs: common test attributes (size defaults to "small").
    """
    kwargs.setdefault("size", "small")
    common_jars = ["//leakers/common:workload", "//leakers/common:args"]
    common_libs = ["//leakers/common:libjleak_jemalloc_jni.so"]
    test_args = [
        "--java=$(rootpath @local_jdk//:bin/java)",
        "--jemalloc=$(rootpath //third_party/jemalloc:jemalloc)",
        "--main=" + main_class,
        "--jar=$(rootpath %s)" % workload,
        "--jar=$(rootpath %s)" % debian_jar,
    ] + ["--jar=$(rootpath %s)" % j for j in common_jars]
    test_args += ["--lib=$(rootpath %s)" % l for l in common_libs]
    test_args += ["--jvm-flag=" + f for f in jvm_flags]
    test_args += ["'--expect=%s'" % e.replace("'", "'\\''") for e in expect]
    if growth != None:
        test_args += ["--growth-min=%d" % growth[0], "--growth-max=%d" % growth[1]]
    native.sh_test(
        name = name,
        srcs = ["//leakers:workload_test.sh"],
        args = test_args + ["--"] + args,
        data = [
            workload,
            debian_jar,
            "//third_party/jemalloc:jemalloc",
            "@local_jdk//:bin/java",
            "@local_jdk//:jdk",
        ] + common_jars + common_libs,
        **kwargs
    )
