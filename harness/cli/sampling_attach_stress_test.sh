#!/usr/bin/env bash
# Stress test of the sampling engine under `jleak attach`: a JVM started
# with plain `java` runs MallocStress (leakers/malloc_stress: 12 threads
# churning malloc, calloc, realloc, reallocarray, posix_memalign,
# aligned_alloc, memalign and free through JNI, each block's contents,
# zeros and alignment checked, plus Deflaters and direct buffers) while
# jleak attaches and detaches again and again (2 s sessions sampling every
# 4 KiB, so blocks are sampled before a detach and freed after it all the
# time), 11 times, and once collects with `jleak snapshot` / `--stop` (the
# hooks stay across requests). Asserts: every jleak call ends in time (no deadlock)
# with exit 0; every session restored every slot it patched; the JVM
# neither crashes nor hangs and its own checks pass (exit 0, "0 errors",
# every thread made progress).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/attach_test_lib.sh"

if [[ $# -ne 4 ]]; then
  echo "usage: $0 JLEAK JAVA MALLOC_STRESS_JAR COMMON_JARS_DIR" >&2
  exit 2
fi
jleak="$(readlink -f "$1")"; java="$(readlink -f "$2")"
stress_jar="$(readlink -f "$3")"; common="$(dirname "$(readlink -f "$4")")"
attach_test_setup stress

# The workload runs until told to stop (--stop-file), then checks every
# block it still holds and exits.
cycles=12
start stress plain "${stress_jar}" jleak.leakers.MallocStress --threads 12 --duration 900 \
  --stop-file "${root}/stop"
stress_pid="${pid}"
started="${SECONDS}"

# Each jleak call must end within 60 s: a hung hook or agent would not.
attach_timeout=60
for ((i = 1; i <= cycles; i++)); do
  if (( i == 4 )); then
    # A collection: two snapshots and a stop, the hooks installed between.
    attach collect1 0 snapshot --sample-bytes 4096 --out "${root}/collection" "${stress_pid}"
    sleep 1
    attach collect2 0 snapshot --sample-bytes 4096 --out "${root}/collection" "${stress_pid}"
    attach collect3 0 snapshot --stop --sample-bytes 4096 --out "${root}/collection" "${stress_pid}"
    continue
  fi
  attach "cycle${i}" 0 attach --duration 2 --interval 0.5 --sample-bytes 4096 \
    --no-analyze --out "${root}/cycle${i}" "${stress_pid}"
  python3 - "${root}/cycle${i}/agent.json" <<'PY' || fail "cycle${i}: agent.json"
import json, sys
a = json.load(open(sys.argv[1]))
e = a["engine"]
assert a["finished"] and a["standby"]["sampling"] is False, a["standby"]
assert e["name"] == "sampling" and e["installed"] is False, e
assert e["patcher"]["slots_restored"] == e["patcher"]["slots_patched"] > 0, e["patcher"]
print("--- samples %d, live %s, drops %s" % (e["samples"], e["live"], e["drops"]))
PY
done
echo "--- ${cycles} cycles in $((SECONDS - started)) s"
kill -0 "${stress_pid}" || fail "the JVM died during the cycles"

# The workload stops, checks everything it still holds, and exits.
touch "${root}/stop"
timeout 120 tail --pid="${stress_pid}" -f /dev/null || fail "the JVM did not end (hung?)"
set +e
wait "${stress_pid}"
code=$?
set -e
cat stress.jvm.out
[[ ${code} -eq 0 ]] || fail "the JVM exited ${code} (its checks failed, or it crashed)"
grep -Eq '^malloc_stress: 12 threads, [0-9]+ calls .*, 0 errors, slowest thread [1-9]' stress.jvm.out ||
  fail "the workload's own checks did not pass"
! grep -q 'A fatal error has been detected' stress.jvm.out || fail "the JVM crashed"
echo PASS
