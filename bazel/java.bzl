"""java_jar: compile Java sources into a jar with the local JDK, offline.

Bazel's native java_* rules need @remote_java_tools (JavaBuilder, ijar,
singlejar), which cannot be downloaded here. This rule runs the JDK's own
`javac` and `jar` from @local_jdk (Debian's OpenJDK 17) in one action.

Example:

    load("//bazel:java.bzl", "java_jar")

    java_jar(
        name = "util",
        srcs = glob(["util/*.java"]),
    )

    java_jar(
        name = "app",
        srcs = ["App.java"],
        main_class = "com.example.App",
        deps = [":util"],
    )

The jar's runfiles hold it and every jar it depends on; JarInfo gives the
classpath in order (this jar first), for rules such as jvm_leak_test.
"""

JarInfo = provider(
    doc = "A jar built by java_jar and its transitive classpath.",
    fields = {
        "jar": "File: the jar this target built.",
        "main_class": "string: Main-Class, or empty.",
        "transitive_jars": "depset of File: this jar and all it depends on, in classpath order.",
    },
)

# Arguments: <javac> <jar> <out.jar> <main class or ''> <classpath or ''> <srcs...>
_BUILD_JAR = """\
set -euo pipefail
javac="$1"; jar="$2"; out="$3"; main="$4"; cp="$5"; shift 5
classes="$(mktemp -d "${TMPDIR:-/tmp}/java_jar.XXXXXX")"
trap 'rm -rf "$classes"' EXIT
# -XX:-UsePerfData: sandboxed actions share /tmp but not PID namespaces, so
# their /tmp/hsperfdata_<user>/<pid> files collide (a warning per action).
"$javac" -J-XX:-UsePerfData -d "$classes" ${cp:+-cp "$cp"} -encoding UTF-8 --release 17 \
    -Xlint:all,-serial,-options -Werror -nowarn "$@"
"$jar" -J-XX:-UsePerfData --create --file "$out" ${main:+--main-class "$main"} -C "$classes" .
"""

def _java_jar_impl(ctx):
    out = ctx.actions.declare_file(ctx.label.name + ".jar")
    dep_jars = depset(
        transitive = [d[JarInfo].transitive_jars for d in ctx.attr.deps],
        order = "preorder",
    )
    classpath = ":".join([j.path for j in dep_jars.to_list()])
    ctx.actions.run_shell(
        command = _BUILD_JAR,
        arguments = [
            ctx.executable._javac.path,
            ctx.executable._jar.path,
            out.path,
            ctx.attr.main_class,
            classpath,
        ] + [s.path for s in ctx.files.srcs],
        inputs = depset(ctx.files.srcs, transitive = [dep_jars]),
        outputs = [out],
        tools = ctx.files._jdk,
        mnemonic = "JavaJar",
        progress_message = "Compiling %d Java sources into %s" % (
            len(ctx.files.srcs),
            out.short_path,
        ),
    )
    transitive_jars = depset([out], transitive = [dep_jars], order = "preorder")
    runfiles = ctx.runfiles(files = transitive_jars.to_list())
    for d in ctx.attr.deps + ctx.attr.data:
        runfiles = runfiles.merge(d[DefaultInfo].default_runfiles)
    runfiles = runfiles.merge(ctx.runfiles(files = ctx.files.data))
    return [
        DefaultInfo(files = depset([out]), runfiles = runfiles),
        JarInfo(
            jar = out,
            main_class = ctx.attr.main_class,
            transitive_jars = transitive_jars,
        ),
    ]

java_jar = rule(
    implementation = _java_jar_impl,
    doc = "Compiles Java sources with the local JDK's javac into <name>.jar.",
    attrs = {
        "srcs": attr.label_list(
            allow_files = [".java"],
            allow_empty = False,
            doc = "Java source files.",
        ),
        "deps": attr.label_list(
            providers = [JarInfo],
            doc = "Other java_jar targets on the compile classpath.",
        ),
        "main_class": attr.string(
            doc = "Written as Main-Class into the manifest, for `java -jar`.",
        ),
        "data": attr.label_list(
            allow_files = True,
            doc = "Files needed at run time (e.g. JNI libraries).",
        ),
        "_javac": attr.label(
            default = "@local_jdk//:bin/javac",
            allow_single_file = True,
            executable = True,
            cfg = "exec",
        ),
        "_jar": attr.label(
            default = "@local_jdk//:bin/jar",
            allow_single_file = True,
            executable = True,
            cfg = "exec",
        ),
        "_jdk": attr.label(default = "@local_jdk//:jdk", cfg = "exec"),
    },
)
