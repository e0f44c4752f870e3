#!/usr/bin/env python3
"""Checks fields of a jleak report.json against regexes (the suite's naming
assertions, leakers/defs.bzl suite_test(expected_report = ...)).

    report_expect.py REPORT.json [--skip-without KEY] [--expect PATH=REGEX]...

PATH is a dotted path into the report with list indices, e.g.
`memory.threads[0].started_from[0]`; the value found (a string as is, any
other JSON value as compact JSON) must contain a match of REGEX (Python
`re.search`). Every expectation is checked and printed; exit 0 when all
hold, 1 when any fails or its path is missing, 2 on bad arguments or an
unreadable report.

--skip-without KEY: when the report has no top-level KEY at all, print
`SKIP: no KEY object yet` and exit 0 without checking (for fields another
branch adds; remove the flag once they exist). A report that has KEY but
not a field under it fails as usual.
"""

import json
import re
import sys

MAX_REPORT_BYTES = 64 << 20
_TOKEN = re.compile(r"([^.\[\]]+)((?:\[\d+\])*)")


def usage(problem):
    print("report_expect: " + problem, file=sys.stderr)
    print(
        "usage: report_expect.py REPORT.json [--skip-without KEY] "
        "[--expect PATH=REGEX]...",
        file=sys.stderr,
    )
    sys.exit(2)


def parse_path(path):
    """'a.b[0].c' -> ['a', 'b', 0, 'c']; None when malformed."""
    steps = []
    for part in path.split("."):
        m = _TOKEN.fullmatch(part)
        if not m:
            return None
        steps.append(m.group(1))
        steps.extend(int(i) for i in re.findall(r"\[(\d+)\]", m.group(2)))
    return steps


def resolve(report, steps):
    """The value at steps, or (None, why) when a step is missing."""
    value, walked = report, ""
    for step in steps:
        if isinstance(step, int):
            if not isinstance(value, list) or step >= len(value):
                n = len(value) if isinstance(value, list) else "no"
                return None, "%s has %s entries, no [%d]" % (walked or "report", n, step)
            value, walked = value[step], "%s[%d]" % (walked, step)
        else:
            if not isinstance(value, dict) or step not in value:
                return None, "%s has no key '%s'" % (walked or "report", step)
            value, walked = value[step], (walked + "." + step) if walked else step
    return value, None


def main(argv):
    if len(argv) < 1:
        usage("no report given")
    report_path, rest = argv[0], argv[1:]
    skip_without, expectations = None, []
    i = 0
    while i < len(rest):
        arg = rest[i]
        name, eq, value = arg.partition("=")
        if not eq:
            if i + 1 >= len(rest):
                usage("option %s needs a value" % arg)
            value = rest[i + 1]
            i += 1
        if name == "--skip-without":
            skip_without = value
        elif name == "--expect":
            path, eq, regex = value.partition("=")
            steps = parse_path(path)
            if not eq or not steps:
                usage("--expect needs PATH=REGEX, got '%s'" % value)
            try:
                expectations.append((path, steps, re.compile(regex)))
            except re.error as e:
                usage("--expect %s: bad regex /%s/: %s" % (path, regex, e))
        else:
            usage("unknown argument '%s'" % arg)
        i += 1

    try:
        with open(report_path, "rb") as f:
            data = f.read(MAX_REPORT_BYTES + 1)
        if len(data) > MAX_REPORT_BYTES:
            raise ValueError("larger than %d bytes" % MAX_REPORT_BYTES)
        report = json.loads(data.decode("utf-8"))
        if not isinstance(report, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError, RecursionError) as e:
        print("report_expect: cannot read %s: %s" % (report_path, e), file=sys.stderr)
        return 2

    if skip_without is not None and skip_without not in report:
        print(
            "SKIP: no %s object yet (report.json); not checked: %s"
            % (skip_without, ", ".join(p for p, _, _ in expectations))
        )
        return 0

    failed = 0
    for path, steps, regex in expectations:
        value, why = resolve(report, steps)
        if why is not None:
            print("FAIL: report.json %s: missing (%s)" % (path, why))
            failed += 1
            continue
        text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
        if regex.search(text):
            print("ok: report.json %s = %s" % (path, json.dumps(text)[:300]))
        else:
            print(
                "FAIL: report.json %s = %s does not match /%s/"
                % (path, json.dumps(text)[:300], regex.pattern)
            )
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
