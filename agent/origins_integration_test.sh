#!/usr/bin/env bash
# Integration test of the agent's origins (agent/native_origins.h,
# jvm_origins.h) under `jleak run`: OriginsProbe maps 6 file regions with
# FileChannel.map from mapSegment and keeps them, and makes 4 executors
# from handleRequest, never shut down. origins.json must name mapSegment
# as the Java caller of the 6 mappings (through libnio's map0) and
# handleRequest as the starter of the 4 pool threads, mapRegion as the Java
# caller of the 3 MiB a JNI library (loaded after VMInit) mapped, and hold
# none of the profiler's own mappings (libunwind's caches).
set -euo pipefail

if [[ $# -ne 4 ]]; then
  echo "usage: $0 JLEAK JAVA ORIGINS_PROBE_JAR JNI_LIB" >&2
  exit 2
fi
jleak="$(readlink -f "$1")"; java="$(readlink -f "$2")"; jar="$(readlink -f "$3")"
jni="$(readlink -f "$4")"
root="${TEST_TMPDIR:-$(mktemp -d)}/origins"
mkdir -p "${root}/seg"
fail() { echo "FAIL: $*" >&2; exit 1; }

"${jleak}" run --out "${root}/run" --no-analyze --interval 1 -- \
  "${java}" -Xmx64m -XX:ErrorFile=/dev/null -cp "${jar}" \
  jleak.testdata.OriginsProbe probe "${root}/seg" 6 4 2 "${jni}" \
  >"${root}/run.stdout" 2>"${root}/run.stderr" ||
  { cat "${root}/run.stderr" >&2; fail "jleak run failed"; }
[[ -f "${root}/run/origins.json" ]] ||
  { cat "${root}/run.stderr" >&2; fail "no origins.json"; }

python3 - "${root}/run/origins.json" "${root}/seg" <<'PY'
import json, re, sys
j = json.load(open(sys.argv[1]))
seg = sys.argv[2]
errors = []
def check(ok, what):
    if not ok:
        errors.append(what)
check(j["format"] == "jleak-origins 1", "format")
check(j["installed"] and j["off"] == "", "installed: %r %r" % (j["installed"], j["off"]))

segments = [s for s in j["mmap_sites"]
            if s["kind"] == "file" and re.fullmatch(re.escape(seg) + r"/segment-\d+\.idx", s["path"])]
check(sum(s["mappings"] for s in segments) == 6, "6 segment mappings: %r" % segments)
check(sum(s["bytes"] for s in segments) == 6 * 65536, "6 x 64 KiB")
for s in segments:
    check(s["native_frames"][:1] == ["Java_sun_nio_ch_FileChannelImpl_map0"],
          "native caller of %s: %r" % (s["path"], s["native_frames"]))
    check(any(f.startswith("jleak.testdata.OriginsProbe.mapSegment (OriginsProbe.java:")
              for f in s["java_frames"]), "Java caller of %s: %r" % (s["path"], s["java_frames"]))
jni = [s for s in j["mmap_sites"]
       if s["native_frames"][:1] == ["Java_jleak_testdata_OriginsProbe_mapAnon"]]
check(len(jni) == 1 and jni[0]["kind"] == "anon" and jni[0]["mappings"] == 3 and
      jni[0]["bytes"] == 3 << 20 and
      any(f.startswith("jleak.testdata.OriginsProbe.mapRegion (OriginsProbe.java:")
          for f in jni[0]["java_frames"]), "the JNI library's site: %r" % jni)
own = [s for s in j["mmap_sites"]
       if any("unw_" in f or "libunwind" in f or "libjleak_agent" in f for f in s["native_frames"])]
check(not own, "the profiler's own mappings: %r" % own)

pools = [t for t in j["threads"] if re.fullmatch(r"pool-\d+-thread-1", t["name"])]
check(len(pools) == 4, "4 pool threads: %r" % [t["name"] for t in j["threads"]])
for t in pools:
    check(t["started_from"][:1] == ["java.lang.Thread.start0 (Native Method)"] and
          any(f.startswith("jleak.testdata.OriginsProbe.handleRequest (OriginsProbe.java:")
              for f in t["started_from"]),
          "started_from of %s: %r" % (t["name"], t["started_from"]))
    check(len(t["started_from"]) <= 16, "at most 16 frames")
check(j["stats"]["threads_started"] >= 4, "threads_started")
if errors:
    print("\n".join(errors), file=sys.stderr)
    sys.exit(1)
print("origins.json: %d segment mappings, the JNI site, %d pool threads named" % (6, len(pools)))
PY
