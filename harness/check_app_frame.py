#!/usr/bin/env python3
# File: check_app_frame.py
#
# The `expected_app_frame` check of jvm_leak_test (harness/defs.bzl): after
# `jleak run` met the expected verdict, asserts that the report names the
# application method that misuses a library (issue 19; report.json's
# groups[], as harness/report/report_schema.md documents it):
#
#   check_app_frame.py --report run/report.json --text run-output.txt \
#       --expect com.example.thumbs.ThumbnailService.renderPreview \
#       [--clean com.example.thumbs.ThumbnailService.renderArchive]...
#
#   1. groups[0].app_method is the expected method (or, for an expected
#      name ending in "." or "$", starts with it), and that group is over
#      its budget;
#   2. the first two lines of the text report (from its verdict line,
#      `jleak: LEAK: ...`) contain the expected method;
#   3. the group holds all its native sites: every site of sites[] that
#      grows (growth_bytes > 0, p_value <= 0.05), whose first application
#      frame (frames[].origin == "application", innermost first) is the
#      expected method and whose library entry is one of groups[0]'s
#      members' is a member of groups[0] (its `group` is 0 and its rank is
#      in groups[0].sites), and at least one is. The entry is the class of
#      the outermost library frame below the application frame, else of the
#      outermost JDK one (the key: application frame + entry; a
#      group split by the entry's method, or by the allocating function,
#      fails);
#      A groups[0] of the application's own JNI code (app_frame "" with an
#      app_method) is one native site: the method's other native sites are
#      groups of their own;
#   4. each --clean method (a healthy caller of the same library) has a
#      group, none of its groups is over budget, and none is groups[0].
#
# A report without a `groups` key (an analyzer from before groups[]) fails.
# Exit 1 with one FAIL line per unmet check; exit 2 when the report or
# text cannot be read.
import argparse
import json
import re
import sys

VERDICT_LINE = re.compile(r"^jleak: (LEAK|CLEAN|INCONCLUSIVE):")
MAX_INPUT_BYTES = 256 << 20  # report.json is at most a few MB


def read_text(path, what):
    """The file's text, or exit 2 with one line naming it."""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_INPUT_BYTES + 1)
    except OSError as e:
        print(f"check_app_frame: cannot read the {what} {path}: {e.strerror}")
        sys.exit(2)
    if len(data) > MAX_INPUT_BYTES:
        print(f"check_app_frame: the {what} {path} is over {MAX_INPUT_BYTES} bytes")
        sys.exit(2)
    return data.decode("utf-8", errors="replace")


def names(method, expected):
    """Whether a `pkg.Class.method` is the expected one (see the header)."""
    if not isinstance(method, str):
        return False
    if expected.endswith((".", "$")):
        return method.startswith(expected)
    return method == expected


def app_index(site):
    """The index of the site's innermost application frame, or None."""
    frames = site.get("frames")
    if not isinstance(frames, list):
        return None
    for i, f in enumerate(frames):
        if isinstance(f, dict) and f.get("origin") == "application":
            return i
    return None


def first_app_method(site):
    """The innermost frame of the site marked application, or None."""
    i = app_index(site)
    return None if i is None else site["frames"][i].get("function")


def entry_class(site):
    """The class through which the application frame reaches the
    allocation: that of the outermost library frame below it, else of the
    outermost JDK one; "" when there is none."""
    i = app_index(site)
    if i is None:
        return ""
    below = [f for f in site["frames"][:i] if isinstance(f, dict)]
    for origin in ("library", "jdk"):
        named = [f.get("function") for f in below if f.get("origin") == origin]
        named = [n for n in named if isinstance(n, str)]
        if named:
            return named[-1].rpartition(".")[0] or named[-1]
    return ""


def growing(site):
    g = site.get("growth_bytes")
    p = site.get("p_value")
    return (isinstance(g, (int, float)) and g > 0 and
            isinstance(p, (int, float)) and p <= 0.05)


def check(report, text_lines, expected, clean):
    """The list of unmet checks, each a one-line reason."""
    fails = []
    groups = report["groups"]
    if not isinstance(groups, list) or not groups or not all(
            isinstance(g, dict) for g in groups):
        return ["groups[] is not a non-empty list of objects"]
    top = groups[0]
    if not names(top.get("app_method"), expected):
        fails.append(
            f"groups[0].app_method is {top.get('app_method')!r}, expected "
            f"{expected!r} (groups[0].headline: {top.get('headline')!r})")
    if top.get("over_budget") is not True:
        fails.append("groups[0] is not over budget")

    start = next((i for i, line in enumerate(text_lines)
                  if VERDICT_LINE.match(line)), None)
    if start is None:
        fails.append("the text report has no verdict line (`jleak: LEAK: ...`)")
    else:
        first_two = text_lines[start:start + 2]
        if not any(expected in line for line in first_two):
            fails.append(f"the first 2 lines of the text report do not name "
                         f"{expected!r}: {first_two!r}")

    sites = report.get("sites")
    if not isinstance(sites, list):
        sites = []
    members = top.get("sites")
    members = set(members) if isinstance(members, list) else set()
    sites = [s for s in sites if isinstance(s, dict)]
    entries = {entry_class(s) for s in sites if s.get("rank") in members}
    # The application's own JNI code (app_frame "" beside app_method): each
    # native site is a group of its own, as the JNI rule of the headline
    # says, so the method's other native sites are not groups[0]'s.
    native = top.get("app_frame") == "" and bool(top.get("app_method"))
    mine = 0
    for s in sites:
        method = first_app_method(s)
        if s.get("rank") in members and method is not None and not names(
                method, expected):
            fails.append(f"site {s.get('rank')} is in groups[0] but its first "
                         f"application frame is {method!r}")
        if not growing(s) or not names(method, expected):
            continue
        if entry_class(s) not in entries:
            continue  # another library entry: a group of its own
        if native and s.get("rank") not in members:
            continue  # another native function of the app's own JNI code
        mine += 1
        if s.get("group") != 0 or s.get("rank") not in members:
            fails.append(
                f"site {s.get('rank')} ({s.get('headline')!r}) grows from "
                f"{expected!r} but is in group {s.get('group')!r}, not "
                f"groups[0] (members {sorted(members)})")
    if mine == 0:
        fails.append(f"no growing site of sites[] has {expected!r} as its first "
                     "application frame (frames[].origin)")

    for c in clean:
        theirs = [i for i, g in enumerate(groups) if names(g.get("app_method"), c)]
        if not theirs:
            fails.append(f"no group has the healthy caller {c!r} as app_method")
        for i in theirs:
            if i == 0:
                fails.append(f"the healthy caller {c!r} is groups[0]")
            if groups[i].get("over_budget") is not False:
                fails.append(f"the healthy caller {c!r} (groups[{i}]) is over "
                             f"budget: {groups[i].get('headline')!r}")
    return fails


def main(argv):
    parser = argparse.ArgumentParser(
        description="Checks the application frame a jleak report names.")
    parser.add_argument("--report", required=True, help="run/report.json")
    parser.add_argument("--text", required=True,
                        help="the standard output of `jleak run`")
    parser.add_argument("--expect", required=True,
                        help="pkg.Class.method of groups[0]")
    parser.add_argument("--clean", action="append", default=[],
                        help="pkg.Class.method of a healthy caller")
    args = parser.parse_args(argv)
    if not args.expect or any(not c for c in args.clean):
        print("check_app_frame: --expect and --clean need a method name")
        return 2

    try:
        report = json.loads(read_text(args.report, "JSON report"))
    except ValueError as e:
        print(f"check_app_frame: {args.report} is not JSON: {e}")
        return 2
    if not isinstance(report, dict):
        print(f"check_app_frame: {args.report} is not a JSON object")
        return 2
    if "groups" not in report:
        print(f"FAIL: expected_app_frame: {args.report} has no groups key "
              f"(a jleak from before leak groups?)")
        return 1
    text_lines = read_text(args.text, "text report").splitlines()

    fails = check(report, text_lines, args.expect, args.clean)
    for f in fails:
        print(f"FAIL: expected_app_frame: {f}")
    if fails:
        return 1
    print(f"ok: groups[0] and the text report's headline name {args.expect}" +
          "".join(f"; {c} is a clean group" for c in args.clean))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
