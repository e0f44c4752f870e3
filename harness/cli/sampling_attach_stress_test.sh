#!/usr/bin/env bash
# Stress test of the sampling engine under `jleak attach`: a JVM started
# with plain `java` runs MallocStress (leakers/malloc_stress: 16 threads
# churning malloc, calloc, realloc, reallocarray, posix_memalign,
# aligned_alloc, memalign and free through JNI, each block's contents,
# zeros and alignment checked, plus Deflaters and direct buffers) while
# jleak attaches and detaches again and again (1 s sessions sampling every
# 4 KiB, so blocks are sampled before a detach and freed after it all the
# time), 20 times, and once collects with `jleak snapshot` / `--stop` (the
# hooks stay across requests). Asserts: every jleak call ends in time (no
# deadlock) with exit 0; every session restored every slot it patched; the
# JVM neither crashes nor hangs and its own checks pass (exit 0, "0
# errors", every thread made progress).
#
# With a 5th argument, the JNI library built with AddressSanitizer
# (//leakers/malloc_stress:libmalloc_stress_asan.so): the JVM runs with
# libasan preloaded (so every malloc in the process is ASan's, and the
# engine's saved originals are ASan's too) and loads that library instead:
# a free the hooks lose or double, a block freed early or written past its
# end, is an ASan report and an abort (halt_on_error). Without libasan, or
# if a JVM cannot run under it here, the test says why and passes.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/attach_test_lib.sh"

if [[ $# -ne 4 && $# -ne 5 ]]; then
  echo "usage: $0 JLEAK JAVA MALLOC_STRESS_JAR COMMON_JARS_DIR [ASAN_JNI_LIBRARY]" >&2
  exit 2
fi
jleak="$(readlink -f "$1")"; java="$(readlink -f "$2")"
stress_jar="$(readlink -f "$3")"; common="$(dirname "$(readlink -f "$4")")"
asan_lib="${5:+$(readlink -f "$5")}"  # before attach_test_setup's cd
attach_test_setup "stress${5:+-asan}"
threads=16
cycles=21  # one of them the collection: 20 attach/detach cycles and it

if [[ -n "${asan_lib}" ]]; then
  libasan="$(ldd "${asan_lib}" | awk '$1 ~ /^libasan\.so/ {print $3}')" || true
  if [[ ! -f "${libasan}" ]]; then
    echo "SKIP: ${asan_lib} names no libasan that exists here"; echo PASS; exit 0
  fi
  # HotSpot's own SIGSEGV handling (implicit null checks, safepoint polls)
  # must reach it; LSan would report the JVM's own never-freed memory.
  asan_options=halt_on_error=1:abort_on_error=1:handle_segv=0:allow_user_segv_handler=1
  asan_options+=:detect_leaks=0:verify_asan_link_order=0
  if ! LD_PRELOAD="${libasan}" ASAN_OPTIONS="${asan_options}" "${java}" -Xmx64m -version \
    >"${root}/asan-probe.out" 2>&1; then
    cat "${root}/asan-probe.out"
    echo "SKIP: the JVM does not run with ${libasan} preloaded here"; echo PASS; exit 0
  fi
  mkdir -p "${root}/asan-lib"
  cp "${asan_lib}" "${root}/asan-lib/libmalloc_stress.so"
  extra_env=("LD_PRELOAD=${libasan}" "ASAN_OPTIONS=${asan_options}")
  jvm_flags=("-Djava.library.path=${root}/asan-lib")
  cycles=6  # ASan's malloc is slower: 5 cycles and the collection
fi

# The workload runs until told to stop (--stop-file; its own --duration is
# only a backstop: the cycles took 899 s at a machine load of 30, and a JVM
# that had ended on its own read as dead), then checks every
# block it still holds and exits.
start stress plain "${stress_jar}" jleak.leakers.MallocStress --threads "${threads}" --duration 7200 \
  --stop-file "${root}/stop"
stress_pid="${pid}"
started="${SECONDS}"

# Each jleak call must end within 120 s (a cycle takes 5 s alone, up to 45 s
# on a machine loaded 15 times over): a hung hook or agent would not.
attach_timeout=120
for ((i = 1; i <= cycles; i++)); do
  if (( i == 4 )); then
    # A collection: two snapshots and a stop, the hooks installed between.
    attach collect1 0 snapshot --sample-bytes 4096 --out "${root}/collection" "${stress_pid}"
    sleep 1
    attach collect2 0 snapshot --sample-bytes 4096 --out "${root}/collection" "${stress_pid}"
    attach collect3 0 snapshot --stop --sample-bytes 4096 --out "${root}/collection" "${stress_pid}"
    continue
  fi
  attach "cycle${i}" 0 attach --duration 1 --interval 0.5 --sample-bytes 4096 \
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
if [[ -n "${libasan:-}" ]]; then
  grep -q "${root}/asan-lib/libmalloc_stress.so" "/proc/${stress_pid}/maps" ||
    fail "the JVM did not load the ASan-built library"
  grep -q "$(basename "${libasan}")" "/proc/${stress_pid}/maps" || fail "libasan is not loaded"
fi
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
! grep -q 'A fatal error has been detected' stress.jvm.out || fail "the JVM crashed"
! grep -q 'ERROR: AddressSanitizer' stress.jvm.out || fail "AddressSanitizer found an error"
grep -Eq "^malloc_stress: ${threads} threads, [0-9]+ calls .*, 0 errors, slowest thread [1-9]" stress.jvm.out ||
  fail "the workload's own checks did not pass"
echo PASS
