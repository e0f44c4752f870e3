#!/usr/bin/env bash
# End-to-end test of `jleak attach` on JVMs started with plain `java`: no
# jleak settings, glibc's malloc, no agent. jleak loads the agent through
# HotSpot's attach mechanism and the agent samples with its own engine
# (agent/sampling_capture.h):
#   1. a JNI malloc leaker, attached after a few seconds for 20 s: leak
#      (exit 1) named at its JNI site and its Java method; the manifest,
#      agent.json and the report say the sampling engine ran and what it
#      cannot see; every GOT slot patched was restored; the JVM keeps
#      running (and leaking) after the detach;
#   2. a second attach to it reuses the agent (not loaded again), and
#      names the leak again;
#   3. a real library: Deflaters never ended (zlib, through the JDK's
#      libzip), named at deflateInit2_ and the Java lambda that leaks them;
#   4. the healthy control (churn: 20 MB/s of JNI malloc/free and direct
#      buffers): clean (exit 0).
# The evidence by design is attach_command_test.sh's (131,071-byte blocks at
# 2 MB/s sampled every 32 KiB, a snapshot every 0.5 s; here n ~ 30 analyzed
# of ~40 snapshots). glibc's malloc has no exact count, so the control's
# clean verdict rests on its sampled sites alone (flat, measured +0 B).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/attach_test_lib.sh"

if [[ $# -ne 6 ]]; then
  echo "usage: $0 JLEAK JAVA JNI_MALLOC_JAR ZLIB_JAR CHURN_JAR COMMON_JARS_DIR" >&2
  exit 2
fi
jleak="$(readlink -f "$1")"; java="$(readlink -f "$2")"
leak_jar="$(readlink -f "$3")"; zlib_jar="$(readlink -f "$4")"
churn_jar="$(readlink -f "$5")"; common="$(dirname "$(readlink -f "$6")")"
attach_test_setup sampling
rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB$/\1/p' "/proc/$1/status"; }

# 1. The leaker, plain java, attached after a few seconds.
read -r -a leak_args <<<"${LEAK_ARGS}"
start leak plain "${leak_jar}" jleak.leakers.JniMalloc "${leak_args[@]}"
leak_pid="${pid}"
sleep 2
attach leak 1 attach --duration 20 --interval 0.5 "${SAMPLING[@]}" --out "${root}/leak" "${leak_pid}"
evidence leak "${root}/leak/report.json"
grep -q '^jleak: LEAK: leak: Java_jleak_leakers_JniMalloc_leak from jleak\.leakers\.JniMalloc\.leak grows' leak.stdout ||
  { cat leak.stdout >&2; fail "leak: the site or its Java method is not named"; }
grep -q 'loaded it through HotSpot' leak.stderr || fail "leak: the agent was not loaded at attach"
sampling_engine_ran leak
sampling_off "${root}/leak"
python3 - "${root}/leak/agent.json" <<'PY' || fail "leak: no Java frames"
import json, sys
j = json.load(open(sys.argv[1]))["java_stacks"]
assert j["enabled"] and j["with_java_frames"] > 0, j
PY
# It keeps running, and leaking, with the hooks gone.
before="$(rss_kb "${leak_pid}")"
sleep 2
after="$(rss_kb "${leak_pid}")"
(( after > before + 1024 )) || fail "leak: the JVM stopped working after the detach (RSS ${before} -> ${after} kB)"

# 2. Again: the agent stays loaded and idle, and is reused.
attach again 1 attach --duration 10 --interval 0.5 "${SAMPLING[@]}" --out "${root}/again" "${leak_pid}"
evidence again "${root}/again/report.json"
! grep -q 'loaded it' again.stderr || fail "again: loaded the agent twice"
grep -q '^jleak: LEAK: leak: Java_jleak_leakers_JniMalloc_leak from jleak\.leakers\.JniMalloc\.leak grows' again.stdout ||
  { cat again.stdout >&2; fail "again: the leak is not named"; }
sampling_engine_ran again
python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["engine"]; sys.exit(0 if e["sessions"] == 2 else 1)' \
  "${root}/again/agent.json" || fail "again: not the second session of the same engine"
kill -0 "${leak_pid}" || fail "again: the JVM did not survive"
kill "${leak_pid}"

# 3. A real library: Deflaters never ended.
start zlib plain "${zlib_jar}" jleak.leakers.ZlibLeak --kind deflater --rate 20 --duration 600
sleep 2
attach zlib 1 attach --duration 15 --interval 0.5 --out "${root}/zlib" "${pid}"
grep -q '^jleak: LEAK: leak: deflateInit2_ from jleak\.leakers\.ZlibLeak\.lambda\$main\$0' zlib.stdout ||
  { cat zlib.stdout >&2; fail "zlib: deflateInit2_ and its Java caller are not named"; }
sampling_engine_ran zlib
kill -0 "${pid}" || fail "zlib: the JVM did not survive"
kill "${pid}"

# 4. The healthy control: clean.
start control plain "${churn_jar}" jleak.leakers.Churn --rate 20000000 --duration 600
sleep 2
attach control 0 attach --duration 15 --interval 0.5 --out "${root}/control" "${pid}"
evidence control "${root}/control/report.json"
grep -q '^jleak: CLEAN: clean' control.stdout || { cat control.stdout >&2; fail "control: not clean"; }
sampling_engine_ran control
kill -0 "${pid}" || fail "control: the JVM did not survive"
kill "${pid}"
sleep 0.5
[[ -z "$(pgrep -x jleak || true)" ]] || fail "a jleak process is still running"
echo PASS
