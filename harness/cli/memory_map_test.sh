#!/usr/bin/env bash
# Integration test of memory-SEQ.json (issue 20) through `jleak run`:
# 1. a JVM (leakers/bench/MemoryMapBench: 40 parked threads, 150 kept file
#    regions): every timeline record names its memory file, which exists,
#    whose classes add up to its Rss, within 5% of the timeline's RSS; the
#    JVM's classes are told (heap, code cache, class metadata); the mapped
#    file is listed with its mappings; the threads by name, with tid, stack
#    bytes and the frame they are parked in; class loaders; jemalloc's
#    figures.
# 2. a native program (python3 mapping a file): the same file checks, the
#    JVM's classes unknown (-1), OS threads listed.
set -euo pipefail

if [[ $# -ne 3 ]]; then
  echo "usage: $0 JLEAK JAVA BENCH_JAR" >&2
  exit 2
fi
jleak="$(readlink -f "$1")"; java="$(readlink -f "$2")"; jar="$(readlink -f "$3")"
root="${TEST_TMPDIR:-$(mktemp -d)}/memory"
mkdir -p "${root}"
fail() { echo "FAIL: $*" >&2; exit 1; }

# check DIR MODE FILE: the memory files of run DIR (MODE jvm or native),
# FILE being the file the workload maps.
check() {
  python3 - "$@" <<'PY'
import json, os, sys
d, mode, mapped = sys.argv[1:]
def fail(msg):
    sys.exit(f"FAIL: {d}: {msg}")
timeline = [json.loads(l) for l in open(os.path.join(d, "timeline.jsonl"))]
if len(timeline) < 3:
    fail(f"only {len(timeline)} snapshots")
ready = 0
for t in timeline:
    seq = t["seq"]
    name = t.get("memory_file")
    if name != f"memory-{seq}.json":
        fail(f"snapshot {seq}: memory_file {name!r}")
    m = json.load(open(os.path.join(d, name)))
    if m["format"] != "jleak-memory 1" or m["seq"] != seq or m["pid"] != t["pid"]:
        fail(f"{name}: header {m['format']} {m['seq']} {m['pid']}")
    c = m["classes"]
    if len(c) != 8:
        fail(f"{name}: classes {sorted(c)}")
    total = sum(v for v in c.values() if v > 0)
    if total != m["rss_bytes"]:
        fail(f"{name}: classes add up to {total}, rss_bytes {m['rss_bytes']}")
    # smaps_rollup (the timeline) and smaps (the memory file) are read a
    # few ms apart: the baseline, taken while the program is still
    # starting (python3 grows by MBs then), may differ more.
    off = abs(m["rss_bytes"] - t["rss_bytes"]) / t["rss_bytes"]
    if off > 0.05 and t["kind"] != "baseline":
        fail(f"{name}: rss {m['rss_bytes']} vs timeline {t['rss_bytes']} ({off:.1%})")
    if m["os_threads"] < 1 or len(m["threads"]) < 1:
        fail(f"{name}: no threads")
    if m["allocator"]["name"] != "jemalloc" or m["allocator"]["allocated"] <= 0:
        fail(f"{name}: allocator {m['allocator']}")
    if not 0 < m["cost_ns"] < 5e9:
        fail(f"{name}: cost_ns {m['cost_ns']}")
    if mode == "jvm":
        for k in ("java_heap", "code_cache", "class_metadata", "thread_stacks",
                  "code_and_libraries"):
            if c[k] <= 0:
                fail(f"{name}: {k} = {c[k]}")
        types = [g["type"] for g in m["class_loaders"]]
        if "<bootstrap>" not in types:
            fail(f"{name}: class loaders {types}")
    else:
        for k in ("java_heap", "code_cache", "class_metadata"):
            if c[k] != -1:
                fail(f"{name}: {k} = {c[k]} in a native program")
        if "class_loaders" in m:
            fail(f"{name}: class_loaders in a native program")
    files = [f for f in m["files"] if f["path"] == mapped]
    if not files:
        continue
    ready += 1
    f = files[0]
    want = 150 if mode == "jvm" else 3
    if f["mappings"] != want or f["rss_bytes"] < want * 4096:
        fail(f"{name}: {mapped}: {f}")
    if c["file_mapped"] < f["rss_bytes"]:
        fail(f"{name}: file_mapped {c['file_mapped']} < {f['rss_bytes']}")
    if mode == "jvm":
        # The main class is loaded by now.
        app = [g for g in m["class_loaders"] if g["type"].endswith("$AppClassLoader")]
        if len(app) != 1 or app[0]["loaders"] != 1 or app[0]["classes"] < 2:
            fail(f"{name}: class loaders {m['class_loaders']}")
        bench = [x for x in m["threads"] if x["name"].startswith("bench-")]
        if len(bench) != 40:
            fail(f"{name}: {len(bench)} bench threads")
        for x in bench:
            if not (x["java"] and x["daemon"] and x["state"] == "WAITING"
                    and x["tid"] > 0 and x["stack_bytes"] > 0):
                fail(f"{name}: thread {x}")
            # report.json's java_method text.
            if not any(fr.startswith("java.util.concurrent.CountDownLatch.await (CountDownLatch.java:")
                       for fr in x["parked_in"]):
                fail(f"{name}: parked_in {x['parked_in']}")
if ready < 2:
    fail(f"the mapped file {mapped} is in only {ready} memory files")
print(f"{d}: {len(timeline)} memory files checked ({ready} with {mapped})")
PY
}

# 1. JVM.
regions="${root}/regions.dat"
"${jleak}" run --out "${root}/jvm" --no-analyze --interval 1 --duration 7 -- \
  "${java}" -Xmx128m -cp "${jar}" jleak.bench.MemoryMapBench 40 150 60 "${regions}" \
  2>"${root}/jvm.stderr" || { cat "${root}/jvm.stderr" >&2; fail "jvm run"; }
check "${root}/jvm" jvm "${regions}"

# 2. Native: python3 maps three regions of a file and keeps them.
data="${root}/native.dat"
"${jleak}" run --out "${root}/native" --no-analyze --interval 0.5 --duration 4 -- \
  /usr/bin/python3 -c '
import mmap, sys, time
f = open(sys.argv[1], "w+b"); f.truncate(3 * 2 * 4096)
maps = []
for i in range(3):
    m = mmap.mmap(f.fileno(), 4096, offset=2 * 4096 * i); m[0] = 1; maps.append(m)
time.sleep(60)' "${data}" 2>"${root}/native.stderr" || { cat "${root}/native.stderr" >&2; fail "native run"; }
check "${root}/native" native "${data}"
echo PASS
