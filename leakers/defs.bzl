"""Macros of the leak suite's workloads (leakers/README.md).

- workload_test: a cheap test that runs one leaker or control for real, a
  few seconds under the Bazel-built jemalloc (LD_PRELOAD, profiling off),
  with the workload's own forced-GC checkpoints (--dump-every). It asserts
  what the workload printed: summary lines, the exact malloc growth over
  the last 75% of the run (jemalloc's stats.allocated after a forced GC),
  and that bad input makes the native code throw a Java exception (exit 2,
  no JVM crash). Script: leakers/workload_test.sh.
- suite_test: one row of the suite (leakers/BUILD, README.md's table): a
  jvm_leak_test (//harness:defs.bzl) of a workload under `jleak run` for
  SUITE_DURATION seconds, expecting `leak` at a named site (a leaker) or
  `clean` (a control).

Example (//leakers/jni_malloc:jni_malloc_test):

    workload_test(
        name = "jni_malloc_test",
        workload = ":jni_malloc",
        main_class = "jleak.leakers.JniMalloc",
        jni = [":libjni_malloc.so"],
        args = ["--rate=20000000", "--duration=2", "--dump-every=0.5"],
        expect = ["^jni_malloc: leaked 19 blocks of 2097143 bytes"],
        growth = (24000000, 36000000),
        bad_inputs = {"--block-bytes=3": "IllegalArgumentException"},
    )

A workload on a Debian library's jar names that jar too:
`jars = ["//leakers/debian_java:jna"]`, `jvm_flags = JNA_FLAGS`
(leakers/debian_java/defs.bzl).

Example (//leakers:jni_malloc_leak_test):

    suite_test(
        name = "jni_malloc_leak_test",
        args = ["--rate=5000000"],
        expect = "leak",
        expected_java_frame = "^jleak\\.leakers\\.JniMalloc\\.leak$",
        expected_site = "^Java_jleak_leakers_JniMalloc_leak$",
        jar = "//leakers/jni_malloc",
        jni = ["//leakers/jni_malloc:libjni_malloc.so"],
        main_class = "jleak.leakers.JniMalloc",
    )
"""

load("//harness:defs.bzl", "jvm_leak_test")

# Seconds every suite test runs its workload under `jleak run`.
SUITE_DURATION = 24

# suite_test's expected_report checks pass with "SKIP: no memory object
# yet" when report.json has no top-level `memory` key at all. None: the
# analysis that writes it (issue 20) has landed, so a missing `memory`
# fails.
REPORT_SKIP_WITHOUT = None

_COMMON_JARS = [
    "//leakers/common:workload",
    "//leakers/common:args",
]

_COMMON_LIBS = ["//leakers/common:libjleak_jemalloc_jni.so"]

def _quote(s):
    """Quotes s for the shell-like tokenization Bazel applies to test args."""
    return "'" + s.replace("'", "'\\''") + "'"

def workload_test(
        name,
        workload,
        main_class,
        args,
        jars = [],
        jni = [],
        expect = [],
        growth = None,
        bad_inputs = {},
        jvm_flags = [],
        **kwargs):
    """Declares an sh_test running `workload` once, plus once per bad input.

    Args:
      name: test name.
      workload: the java_jar target of the workload.
      main_class: its main class.
      args: the workload's arguments (include --dump-every for `growth`).
      jars: other jars for the class path besides the workload's and
        //leakers/common's, e.g. a debian_jar (leakers/debian_java).
      jni: the workload's JNI libraries (cc_binary linkshared targets).
      expect: regexes (grep -E) each of which must match a line of stdout;
        write "$$" for "$" (args undergo make-variable expansion).
      growth: (min, max) bytes for the jleak-growth line, or None.
      bad_inputs: {"extra args": "regex"}: with these args appended, the run
        must exit 2 and print a line matching regex (the Java exception).
      jvm_flags: extra JVM flags.
      **kwargs: common test attributes (size defaults to "small").
    """
    if not args:
        fail("workload_test needs args (at least --duration)", "args")
    kwargs.setdefault("size", "small")
    test_args = [
        "--java=$(rootpath @local_jdk//:bin/java)",
        "--jemalloc=$(rootpath //third_party/jemalloc:jemalloc)",
        "--main=" + main_class,
        "--jar=$(rootpath %s)" % workload,
    ]
    test_args += ["--jar=$(rootpath %s)" % j for j in jars + _COMMON_JARS]
    test_args += ["--lib=$(rootpath %s)" % l for l in jni + _COMMON_LIBS]
    test_args += ["--jvm-flag=" + f for f in jvm_flags]
    test_args += [_quote("--expect=" + e) for e in expect]
    if growth != None:
        test_args += ["--growth-min=%d" % growth[0], "--growth-max=%d" % growth[1]]
    for bad, regex in bad_inputs.items():
        test_args += [_quote("--bad=" + bad), _quote("--bad-expect=" + regex)]
    native.sh_test(
        name = name,
        srcs = ["//leakers:workload_test.sh"],
        args = test_args + ["--"] + args,
        data = [workload] + jars + [
            "//third_party/jemalloc:jemalloc",
            "@local_jdk//:bin/java",
            "@local_jdk//:jdk",
        ] + _COMMON_JARS + jni + _COMMON_LIBS,
        **kwargs
    )

def suite_test(
        name,
        jar,
        main_class,
        args,
        expect,
        overrun = 30,
        expected_report = {},
        engines = ["jemalloc"],
        **kwargs):
    """Declares one row of the suite: a jvm_leak_test of a leaker or control.

    jleak runs the workload for SUITE_DURATION seconds, a snapshot every
    2 s. The workload is told to run `overrun` seconds longer (its own
    --duration), so that jleak ends it: final snapshot, then SIGTERM.

    Args:
      name: <row>_leak_test for a leaker, <row>_clean_test for a control.
      jar: the workload's java_jar, e.g. "//leakers/jni_malloc".
      main_class: its main class.
      args: the workload's arguments, without --duration (added here).
      expect: "leak" (tagged "leaker") or "clean" (tagged "control").
      overrun: seconds the workload's --duration exceeds SUITE_DURATION;
        2 for the warm-up controls, which grow in the first quarter of
        their own --duration and so must not run much longer than jleak.
      expected_report: {path: regex} checked in report.json once the
        verdict is met (leakers/report_expect.py): a dotted path with list
        indices, e.g. "memory.threads[0].pattern", whose value must contain
        a match of the (Python) regex; see REPORT_SKIP_WITHOUT.
      engines: the capture engines the row runs under in the suite, each
        its own test with the same expectations: "jemalloc" is `name`;
        "sampling" (`jleak run --engine sampling`: glibc's malloc, the
        agent's GOT hooks) is <row>_sampling_leak_test or
        <row>_sampling_clean_test, tagged "sampling_engine". A row not run
        under an engine still has that test, tagged "manual" (left out of
        `//...`, which keeps the suite's time), for the whole sweep:
        `bazel test --config=ci $(bazel query 'attr(tags, sampling_engine,
        //leakers:all)')`.
      **kwargs: jvm_leak_test's other attributes: expected_site,
        expected_kind, expected_java_frame, clean_sites,
        expected_app_frame (the leaker's method that forgot to close or
        free, as report.json's groups[0].app_method names it),
        clean_app_frames, jni, jvm_flags, warmup, ...
    """
    if expect not in ["leak", "clean"]:
        fail("expect must be \"leak\" or \"clean\"", "expect")
    suffix = "_leak_test" if expect == "leak" else "_clean_test"
    if not name.endswith(suffix):
        fail("a suite test expecting %s is named <row>%s" % (expect, suffix), "name")
    if [a for a in args if a.startswith("--duration")]:
        fail("suite_test adds the workload's --duration itself", "args")
    if expected_report:
        check_args = []
        if REPORT_SKIP_WITHOUT:
            check_args.append("--skip-without=" + REPORT_SKIP_WITHOUT)
        check_args += [
            "--expect=%s=%s" % (path, regex)
            for path, regex in expected_report.items()
        ]
        kwargs["report_check"] = "//leakers:report_expect.py"
        kwargs["report_check_args"] = check_args
    for engine in engines:
        if engine not in ["jemalloc", "sampling"]:
            fail("engines are \"jemalloc\" and \"sampling\"", "engines")
    for engine in ["jemalloc", "sampling"]:
        tags = ["leaker" if expect == "leak" else "control"]
        if engine != "jemalloc":
            tags.append(engine + "_engine")
        if engine not in engines:
            if engine == "jemalloc":
                continue
            tags.append("manual")
        jvm_leak_test(
            name = name if engine == "jemalloc" else name[:-len(suffix)] + "_" + engine + suffix,
            jar = jar,
            main_class = main_class,
            args = args + ["--duration=%d" % (SUITE_DURATION + overrun)],
            duration = SUITE_DURATION,
            engine = engine,
            expect = expect,
            tags = tags,
            **kwargs
        )
