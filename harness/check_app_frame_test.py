#!/usr/bin/env python3
# File: check_app_frame_test.py
#
# Tests check_app_frame.py, the expected_app_frame check of jvm_leak_test,
# on small reports shaped like report.json's groups[] (issue 19): each case
# runs the script as the test template does and asserts its exit code and
# the line that says why. The reports are a leaker calling one library from
# two application methods, renderPreview (leaks, three native sites) and
# renderArchive (closes, one flat site).
import copy
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKER = os.path.join(HERE, "check_app_frame.py")
if not os.path.exists(CHECKER):  # Bazel runfiles: the script beside us
    CHECKER = os.path.join(os.getcwd(), "harness", "check_app_frame.py")

APP = "com.example.thumbs.ThumbnailService"
PREVIEW = APP + ".renderPreview"
ARCHIVE = APP + ".renderArchive"
LIB = "org.libjpegturbo.turbojpeg.TJCompressor"


def frames(app_method, lib_method):
    return [
        {"function": "tjInitCompress", "file": "", "line": 0, "origin": ""},
        {"function": LIB + "." + lib_method, "file": "", "line": 0,
         "origin": "library"},
        {"function": app_method, "file": "ThumbnailService.java", "line": 68,
         "origin": "application"},
        {"function": APP + ".lambda$main$0", "file": "ThumbnailService.java",
         "line": 115, "origin": "application"},
        {"function": "jleak.leakers.Workload.run", "file": "Workload.java",
         "line": 123, "origin": "library"},
    ]


def site(rank, group, app_method, lib_method, growth, p=0.0001, over=True):
    return {"rank": rank, "group": group, "headline": f"site {rank}",
            "frames": frames(app_method, lib_method), "growth_bytes": growth,
            "p_value": p, "over_budget": over}


BASE = {
    "verdict": "leak",
    "groups": [
        {"rank": 0, "app_method": PREVIEW, "over_budget": True,
         "headline": PREVIEW + " (ThumbnailService.java:68) leaks 4.5 MiB/s "
                     "through " + LIB + " -> libturbojpeg (3 sites)",
         "sites": [0, 1, 2]},
        {"rank": 1, "app_method": ARCHIVE, "over_budget": False,
         "headline": ARCHIVE + " (ThumbnailService.java:82)", "sites": [3]},
    ],
    "sites": [
        site(0, 0, PREVIEW, "init", 30 << 20),
        site(1, 0, PREVIEW, "compress", 9 << 20),
        site(2, 0, PREVIEW, "compress", 4 << 20, p=0.01, over=False),
        site(3, 1, ARCHIVE, "init", 1000, p=0.4, over=False),
    ],
}

TEXT = [
    "jleak run: snapshot 11 (final) at 23.9 s",
    "jleak: LEAK: leak: " + PREVIEW + " (ThumbnailService.java:68) leaks "
    "4.5 MiB/s through " + LIB + " -> libturbojpeg (3 sites)",
    "  Memory allocated through malloc grows; the growing sites are named below.",
    "  " + ARCHIVE,
]

failures = []


def run(name, report, text, args, want_code, want_text):
    """Runs the checker; records a failure unless exit code and output match."""
    with tempfile.TemporaryDirectory() as d:
        rpath = os.path.join(d, "report.json")
        tpath = os.path.join(d, "stdout.txt")
        if report is not None:
            with open(rpath, "w") as f:
                f.write(report if isinstance(report, str) else json.dumps(report))
        if text is not None:
            with open(tpath, "w") as f:
                f.write("\n".join(text) + "\n")
        p = subprocess.run(
            [sys.executable, CHECKER, "--report", rpath, "--text", tpath] + args,
            capture_output=True, text=True, check=False)
    out = p.stdout + p.stderr
    if p.returncode != want_code or want_text not in out:
        failures.append(f"{name}: exit {p.returncode} (want {want_code}), "
                        f"output {out!r} (want {want_text!r})")
    else:
        print(f"ok: {name}")


def variant(change):
    r = copy.deepcopy(BASE)
    change(r)
    return r


E = ["--expect", PREVIEW]
C = ["--clean", ARCHIVE]

# The contract met, with and without a healthy caller.
run("named", BASE, TEXT, E, 0, "ok: groups[0] and the text report's headline")
run("named, clean caller", BASE, TEXT, E + C, 0, ARCHIVE + " is a clean group")
run("class prefix", BASE, TEXT, ["--expect", APP + "."], 0, "ok:")
# A report from before groups[] fails: it cannot name the method.
run("no groups key", variant(lambda r: r.pop("groups")), TEXT, E, 1,
    "has no groups key")

# The application's own JNI code: one group per native site, so another
# growing native site of the same method is not groups[0]'s.
def jni_groups(r):
    r["groups"][0]["app_frame"] = ""
    r["sites"].append(site(4, 2, PREVIEW, "init", 2 << 20))
    r["groups"].append({"rank": 2, "app_method": PREVIEW, "app_frame": "",
                        "over_budget": True, "headline": "site 4",
                        "sites": [4]})


run("JNI sites, a group each", variant(jni_groups), TEXT, E, 0, "ok:")

# 1. groups[0] names the library's frame, or a longer method name.
run("library frame named",
    variant(lambda r: r["groups"][0].update(app_method=LIB + ".init")),
    TEXT, E, 1, "groups[0].app_method is")
run("no partial names", BASE, TEXT, ["--expect", APP + ".render"], 1,
    "groups[0].app_method is")
run("empty groups", variant(lambda r: r.update(groups=[])), TEXT, E, 1,
    "not a non-empty list")
run("top group within budget",
    variant(lambda r: r["groups"][0].update(over_budget=False)), TEXT, E, 1,
    "groups[0] is not over budget")

# 2. The method is named only on the third line of the text report.
run("named too late", BASE, [TEXT[0], "jleak: LEAK: leak: tjInitCompress from " +
                             LIB + ".init", TEXT[2], "  " + PREVIEW],
    E, 1, "the first 2 lines of the text report do not name")
run("no verdict line", BASE, [TEXT[0]], E, 1, "has no verdict line")

# 3. One native site of the forgotten close() left in a group of its own;
#    a site of another caller in the leak's group.
def split(r):
    r["sites"][1]["group"] = 2
    r["groups"][0]["sites"] = [0, 2]
    r["groups"].append({"app_method": PREVIEW, "over_budget": True,
                        "headline": "x", "sites": [1]})
run("site split off", variant(split), TEXT, E, 1,
    "grows from '" + PREVIEW + "' but is in group 2")
run("foreign member",
    variant(lambda r: r["groups"][0].update(sites=[0, 1, 2, 3])), TEXT, E, 1,
    "site 3 is in groups[0] but its first application frame is '" + ARCHIVE)
# A growing site of the same method through another library entry is a
# group of its own (the key is application frame + entry)...
def other_entry(r):
    s = site(4, 2, PREVIEW, "init", 1 << 20)
    s["frames"][1]["function"] = "org.example.other.Codec.init"
    r["sites"].append(s)
    r["groups"].append({"app_method": PREVIEW, "over_budget": True,
                        "headline": "x", "sites": [4]})
run("other entry elsewhere", variant(other_entry), TEXT, E, 0, "ok:")
# ...but the entry is its class: a split by the entry's method fails.
def split_by_method(r):
    for s in r["sites"][1:3]:
        s["group"] = 2
    r["groups"][0]["sites"] = [0]
    r["groups"].append({"app_method": PREVIEW, "over_budget": True,
                        "headline": "x", "sites": [1, 2]})
run("split by entry method", variant(split_by_method), TEXT, E, 1,
    "site 1 ('site 1') grows from")
# With no library frame, the JDK's outermost one is the entry.
def jdk_entry(r):
    for s in r["sites"]:
        for f in s["frames"]:
            if f["origin"] == "library" and f["function"].startswith(LIB):
                f["origin"] = "jdk"
    r["sites"][1]["group"] = 1
    r["groups"][0]["sites"] = [0, 2]
run("jdk entry split", variant(jdk_entry), TEXT, E, 1,
    "site 1 ('site 1') grows from")
# A site that does not grow may sit elsewhere.
run("flat site elsewhere",
    variant(lambda r: r["sites"].append(
        site(4, 1, PREVIEW, "init", 0, p=0.9, over=False))),
    TEXT, E, 0, "ok:")
# Frames without origin: no site can be tied to the method.
def no_origin(r):
    for s in r["sites"]:
        for f in s["frames"]:
            f.pop("origin")
run("no frame origins", variant(no_origin), TEXT, E, 1,
    "no growing site of sites[] has")

# 4. The healthy caller: missing, over budget, or first.
run("clean caller missing", variant(lambda r: r["groups"].pop(1)), TEXT,
    E + C, 1, "no group has the healthy caller")
run("clean caller grows",
    variant(lambda r: r["groups"][1].update(over_budget=True)), TEXT, E + C, 1,
    "(groups[1]) is over budget")
run("clean caller first",
    variant(lambda r: r["groups"][0].update(app_method=ARCHIVE)), TEXT,
    ["--expect", APP + ".", "--clean", ARCHIVE], 1, "is groups[0]")

# Unreadable input: exit 2, one line naming the file.
run("missing report", None, TEXT, E, 2, "cannot read the JSON report")
run("not JSON", "{\"groups\": [", TEXT, E, 2, "is not JSON")
run("not an object", "[1, 2]", TEXT, E, 2, "is not a JSON object")
run("missing text", BASE, None, E, 2, "cannot read the text report")

for f in failures:
    print("FAIL: " + f)
sys.exit(1 if failures else 0)
