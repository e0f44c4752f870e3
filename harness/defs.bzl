"""jvm_leak_test: guard a JVM workload against native-memory leaks in CI.

The test runs the workload under the profiling jemalloc with jleak's
snapshot agent (`jleak run`: a forced GC, then a heap snapshot, every
`interval` seconds), analyzes the snapshots (`jleak analyze`), and passes
when the verdict is the expected one: `clean`, or `leak` at a site matching
`expected_site`. Its evidence (snapshots, timeline, report.html,
report.json in run/, the text report in run-stdout.txt) is kept in the
test's outputs, bazel-testlogs/<package>/<name>/test.outputs/outputs.zip.

Example (this is //examples/cache:cache_leak_test):

    load("//bazel:java.bzl", "java_jar")
    load("//harness:defs.bzl", "jvm_leak_test")

    java_jar(
        name = "cache",
        srcs = glob(["src/**/*.java"]),
        main_class = "com.example.CacheService",
    )

    jvm_leak_test(
        name = "cache_leak_test",
        jar = ":cache",
        main_class = "com.example.CacheService",
        args = ["--requests-per-second=200"],
        duration = 30,
    )

Tests are tagged "jvm_leak" (plus "leak_expected" or "clean_expected"), so
CI can select them: `bazel test --test_tag_filters=jvm_leak //...`.
"""

load("//bazel:java.bzl", "JarInfo")

_EXPECT = ["clean", "leak"]
_KINDS = ["malloc", "outside_malloc", "allocator_retention"]

def _shell_quote(s):
    return "'" + s.replace("'", "'\\''") + "'"

def _runfile(f):
    # Tests start in the main repository's runfiles directory; external
    # files (the JDK) are in sibling directories: "../local_jdk/...".
    return f.short_path

def _jvm_leak_test_impl(ctx):
    jars = ctx.attr.jar[JarInfo].transitive_jars.to_list()
    jni_dirs = []
    for f in ctx.files.jni:
        d = _runfile(f).rpartition("/")[0]
        if d not in jni_dirs:
            jni_dirs.append(d)
    # -XX:-UsePerfData: parallel tests share /tmp but not PID namespaces,
    # so /tmp/hsperfdata_<user>/<pid> of two JVMs would collide.
    java_cmd = [_runfile(ctx.executable._java), "-XX:-UsePerfData"] + ctx.attr.jvm_flags + [
        "-cp",
        ":".join([_runfile(j) for j in jars]),
    ]
    if jni_dirs:
        java_cmd.append("-Djava.library.path=" + ":".join(jni_dirs))
    java_cmd += [ctx.attr.main_class] + ctx.attr.args_

    analysis = [
        "--expect=" + ctx.attr.expect,
        "--interval=" + ctx.attr.interval,
        "--duration=" + str(ctx.attr.duration),
        "--timeout=" + str(ctx.attr.duration * 3 + 60),
    ]
    if ctx.attr.sample_bytes:
        analysis.append("--sample-bytes=%d" % ctx.attr.sample_bytes)
    if ctx.attr.engine != "jemalloc":
        analysis.append("--engine=" + ctx.attr.engine)
    if ctx.attr.expected_site:
        analysis.append("--expect-site=" + ctx.attr.expected_site)
    if ctx.attr.expected_kind:
        analysis.append("--expect-kind=" + ctx.attr.expected_kind)
    if ctx.attr.expected_java_frame:
        analysis.append("--expect-java-frame=" + ctx.attr.expected_java_frame)
    for site in ctx.attr.clean_sites:
        analysis.append("--expect-clean-site=" + site)
    app_check = []
    if ctx.attr.expected_app_frame:
        app_check.append("--expect=" + ctx.attr.expected_app_frame)
        app_check += ["--clean=" + m for m in ctx.attr.clean_app_frames]
    for flag, value in [
        ("--warmup", ctx.attr.warmup),
        ("--max-site-rate", ctx.attr.max_site_rate),
        ("--max-total-rate", ctx.attr.max_total_rate),
        ("--max-total-growth", ctx.attr.max_total_growth),
        ("--max-rss-rate", ctx.attr.max_rss_rate),
        ("--max-allocated-rate", ctx.attr.max_allocated_rate),
    ]:
        if value:
            analysis.append(flag + "=" + value)
    for s in ctx.attr.suppress:
        analysis.append("--suppress=" + s)
    for rule in ctx.attr.app:
        analysis.append("--app=" + rule)
    if ctx.file.suppressions:
        analysis.append("--suppressions=" + _runfile(ctx.file.suppressions))

    # A check of report.json's fields after the verdict is met (suite_test's
    # naming assertions, leakers/report_expect.py).
    report_check = ""
    if ctx.file.report_check:
        report_check = " ".join([_shell_quote(a) for a in [
            _runfile(ctx.file.report_check),
        ] + ctx.attr.report_check_args])

    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.expand_template(
        template = ctx.file._template,
        output = script,
        is_executable = True,
        substitutions = {
            "%{label}": str(ctx.label),
            "%{testlogs}": "bazel-testlogs/%s/%s" % (ctx.label.package, ctx.label.name),
            "%{jleak}": _runfile(ctx.executable._jleak),
            "%{jemalloc}": _runfile(ctx.file._jemalloc),
            "%{agent}": _runfile(ctx.file._agent),
            "%{analysis}": " ".join([_shell_quote(a) for a in analysis]),
            "%{command}": " ".join([_shell_quote(a) for a in java_cmd]),
            "%{report_check}": report_check,
            "%{app_check}": " ".join([_shell_quote(a) for a in app_check]),
            "%{app_checker}": _runfile(ctx.file._app_checker),
        },
    )
    runfiles = ctx.runfiles(
        files = jars + ctx.files.jni + ctx.files._jdk + ctx.files.data +
                [ctx.file._jemalloc, ctx.file._agent, ctx.file._app_checker] +
                ([ctx.file.suppressions] if ctx.file.suppressions else []) +
                ([ctx.file.report_check] if ctx.file.report_check else []),
    ).merge(ctx.attr._jleak[DefaultInfo].default_runfiles)
    runfiles = runfiles.merge(ctx.attr.jar[DefaultInfo].default_runfiles)
    return [DefaultInfo(executable = script, runfiles = runfiles)]

_jvm_leak_test = rule(
    implementation = _jvm_leak_test_impl,
    test = True,
    attrs = {
        "jar": attr.label(mandatory = True, providers = [JarInfo]),
        "main_class": attr.string(mandatory = True),
        "args_": attr.string_list(),
        "jvm_flags": attr.string_list(),
        "jni": attr.label_list(allow_files = True),
        "data": attr.label_list(allow_files = True),
        "duration": attr.int(mandatory = True),
        "interval": attr.string(mandatory = True),
        "sample_bytes": attr.int(),
        "engine": attr.string(default = "jemalloc", values = ["jemalloc", "sampling"]),
        "warmup": attr.string(),
        "max_site_rate": attr.string(),
        "max_total_rate": attr.string(),
        "max_total_growth": attr.string(),
        "max_rss_rate": attr.string(),
        "max_allocated_rate": attr.string(),
        "suppress": attr.string_list(),
        "app": attr.string_list(),
        "suppressions": attr.label(allow_single_file = True),
        "expect": attr.string(mandatory = True, values = _EXPECT),
        "expected_site": attr.string(),
        "expected_kind": attr.string(),
        "expected_java_frame": attr.string(),
        "clean_sites": attr.string_list(),
        "report_check": attr.label(allow_single_file = [".py"]),
        "report_check_args": attr.string_list(),
        "expected_app_frame": attr.string(),
        "clean_app_frames": attr.string_list(),
        "_jleak": attr.label(
            default = "//harness:jleak",
            executable = True,
            cfg = "target",
        ),
        "_jemalloc": attr.label(
            default = "//third_party/jemalloc:jemalloc",
            allow_single_file = True,
        ),
        "_agent": attr.label(
            default = "//agent:libjleak_agent.so",
            allow_single_file = True,
        ),
        "_java": attr.label(
            default = "@local_jdk//:bin/java",
            allow_single_file = True,
            executable = True,
            cfg = "target",
        ),
        "_jdk": attr.label(default = "@local_jdk//:jdk"),
        "_template": attr.label(
            default = "//harness:jvm_leak_test.sh.tpl",
            allow_single_file = True,
        ),
        "_app_checker": attr.label(
            default = "//harness:check_app_frame.py",
            allow_single_file = True,
        ),
    },
)

def jvm_leak_test(
        name,
        jar,
        main_class,
        args = [],
        jvm_flags = [],
        jni = [],
        data = [],
        duration = 30,
        interval = 2,
        sample_bytes = None,
        engine = "jemalloc",
        warmup = None,
        max_site_rate = None,
        max_total_rate = None,
        max_total_growth = None,
        max_rss_rate = None,
        max_allocated_rate = None,
        suppress = [],
        suppressions = None,
        app = [],
        expect = "clean",
        expected_site = None,
        expected_kind = None,
        expected_java_frame = None,
        clean_sites = [],
        report_check = None,
        report_check_args = [],
        expected_app_frame = None,
        clean_app_frames = [],
        **kwargs):
    """Runs a JVM workload under jleak and asserts the leak verdict.

    Args:
      name: test name.
      jar: a java_jar target (//bazel:java.bzl) holding the workload; its
        dependencies' jars are on the classpath too.
      main_class: the workload's main class.
      args: the workload's arguments.
      jvm_flags: JVM flags, e.g. ["-Xmx256m"].
      jni: JNI libraries (cc_binary(linkshared = True) targets); their
        directories are put on java.library.path.
      data: other files the workload reads at run time.
      duration: seconds the workload runs before jleak stops it (final
        snapshot, then SIGTERM). Pick a duration at least 4x the time the
        workload needs to warm up; 20-60 s suits most services.
      interval: seconds between snapshots; at least 8 snapshots after the
        warm-up make a confident verdict.
      sample_bytes: mean bytes between sampled allocations; default 524288
        (about 1.1x the run time of plain jemalloc). At the default, a
        leak of 0.5-1 MiB per minute is caught by jemalloc's exact count
        (max_allocated_rate) and its site named as the likely one; 65536
        (1.24x) makes such a site significant on its own, for
        expected_site checks of slow leakers (ci/sensitivity.sh).
      engine: "jemalloc" (the default: jleak's profiling jemalloc
        preloaded, with its exact count of allocated bytes) or "sampling"
        (the JVM keeps glibc's malloc and the agent samples it from
        start-up, `jleak run --engine sampling`; verdicts rest on the
        sampled sites).
      warmup: seconds ("10") or a share ("25%") of the run not fitted;
        default 25%.
      max_site_rate: per-site growth budget, e.g. "4KiB" (per second).
      max_total_rate: budget for all sites together, per second.
      max_total_growth: budget for the total growth over the window.
      max_rss_rate: budget for RSS growth outside malloc, per second.
      max_allocated_rate: budget for malloc'd memory as jemalloc counts it
        exactly (not sampled), less suppressed sites, per second; "0"
        disables it.
      suppress: frame regexes whose sites are not judged.
      suppressions: a suppressions file (`function <name>` / `frame <regex>`
        lines; `app <rule>` lines as `app`).
      app: which Java code is the application's, beside the main class's
        code source: package prefixes ("com.example") or jar globs
        ("my-service-*.jar"), passed as `--app`; headlines and leak groups
        name the first application frame.
      expect: "clean" (the default: the workload must not leak) or "leak"
        (a deliberate leaker: the suite's own tests).
      expected_site: with expect = "leak", a regex the top frame of the
        fastest-growing site must match.
      expected_kind: with expect = "leak", "malloc", "outside_malloc" or
        "allocator_retention".
      expected_java_frame: with expect = "leak", a regex the leak site's
        Java method must match: the first Java frame of your own code
        (`package.Class.method`) above the native allocation, as the
        agent's Java stacks record it, e.g. "^com\\.example\\.Cache\\.put$".
      clean_sites: regexes of sites that must exist and stay within their
        budget, e.g. the healthy twin of a leaking caller.
      report_check: a Python 3 script run as `python3 SCRIPT report.json
        ARGS...` once the verdict is met; its exit status is the test's
        (e.g. //leakers:report_expect.py, fields against regexes).
      report_check_args: the script's ARGS.
      expected_app_frame: with expect = "leak", the application method
        (`package.Class.method`, no file or line; a name ending in "." or
        "$" matches a class or package) that misuses a library: the first
        frame of your own code above the allocation, e.g.
        "com.example.Thumbnails.render". report.json's groups[0].app_method
        must be it, the text report's first two lines must name it, and
        every growing site whose first application frame it is, reaching
        the library through the same entry class, must be in that group
        (harness/check_app_frame.py; needs python3).
      clean_app_frames: with expected_app_frame, application methods that
        call the same library correctly: each must have a group, within
        its budget, and none may be groups[0].
      **kwargs: common test attributes (size, timeout, tags, flaky, ...).
        size defaults to "medium" (5 min), enough for a 30-60 s workload.
    """
    if expect not in _EXPECT:
        fail("expect must be one of %s, got %r" % (_EXPECT, expect), "expect")
    if expect == "leak" and not expected_site and not expected_kind:
        fail("expect = \"leak\" needs expected_site (a regex for the " +
             "leaking function) or expected_kind", "expected_site")
    if expect == "clean" and (expected_site or expected_kind):
        fail("expected_site/expected_kind only apply to expect = \"leak\"",
             "expected_site")
    if expected_java_frame and expect != "leak":
        fail("expected_java_frame only applies to expect = \"leak\"",
             "expected_java_frame")
    if expected_app_frame and expect != "leak":
        fail("expected_app_frame only applies to expect = \"leak\"",
             "expected_app_frame")
    if clean_app_frames and not expected_app_frame:
        fail("clean_app_frames needs expected_app_frame", "clean_app_frames")
    for m in ([expected_app_frame] if expected_app_frame else []) + clean_app_frames:
        if not m or " " in m or "(" in m:
            fail(("%r: an application method is package.Class.method, " +
                  "without file or line") % m, "expected_app_frame")
    if expected_kind and expected_kind not in _KINDS:
        fail("expected_kind must be one of %s" % _KINDS, "expected_kind")
    if type(duration) != "int" or duration <= 0:
        fail("duration must be a positive whole number of seconds",
             "duration")
    if interval <= 0 or interval * 6 > duration:
        fail(("interval (%s s) must be positive and allow at least 6 " +
              "snapshots in duration (%s s)") % (interval, duration),
             "interval")
    if not main_class:
        fail("main_class is required", "main_class")
    if sample_bytes != None and (type(sample_bytes) != "int" or sample_bytes <= 0):
        fail("sample_bytes must be a positive whole number of bytes",
             "sample_bytes")

    tags = kwargs.pop("tags", [])
    tags = tags + [
        "jvm_leak",
        "leak_expected" if expect == "leak" else "clean_expected",
    ]
    size = kwargs.pop("size", "medium")

    _jvm_leak_test(
        name = name,
        jar = jar,
        main_class = main_class,
        args_ = args,
        jvm_flags = jvm_flags,
        jni = jni,
        data = data,
        duration = duration,
        interval = str(interval),
        sample_bytes = sample_bytes or 0,
        engine = engine,
        warmup = warmup or "",
        max_site_rate = max_site_rate or "",
        max_total_rate = max_total_rate or "",
        max_total_growth = max_total_growth or "",
        max_rss_rate = max_rss_rate or "",
        max_allocated_rate = max_allocated_rate or "",
        suppress = suppress,
        suppressions = suppressions,
        app = app,
        expect = expect,
        expected_site = expected_site or "",
        expected_kind = expected_kind or "",
        expected_java_frame = expected_java_frame or "",
        clean_sites = clean_sites,
        report_check = report_check,
        report_check_args = report_check_args,
        expected_app_frame = expected_app_frame or "",
        clean_app_frames = clean_app_frames,
        size = size,
        tags = tags,
        **kwargs
    )
