#!/usr/bin/env bash
# ci/bench/bench_memory_map.sh: what memory-SEQ.json costs per snapshot
# (issue 20's acceptance: a JVM with 500 threads and 2,000 mappings).
# Runs leakers/bench/MemoryMapBench.java (THREADS parked threads, MAPS
# file regions kept) under `jleak run --interval 1` for SECONDS, RUNS
# times, the agent built -c opt (what a release ships), and reads each
# snapshot's
# memory-N.json: cost_ns (smaps read, parse and classification, the JVM's
# threads, stacks and class loaders, the allocator's figures) and the
# mapping count. Prints the median and the largest cost per snapshot in
# ms, wall time and the recording thread's CPU time (cost_cpu_ns: on a
# shared machine the wall time measures the neighbours too), and the
# medians' share of the 1 s interval. Snapshots taken while the workload
# was still starting (fewer mappings) count alike. The first snapshot
# (JVM start-up, one-time vmStructs lookup) is reported on its own.
#
#   ci/bench/bench_memory_map.sh [RUNS] [SECONDS] [THREADS] [MAPS]
#                                # defaults: 3 runs, 12 s, 500, 1000
# shellcheck source=ci/bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
runs="${1:-3}"; seconds="${2:-12}"; threads="${3:-500}"; maps="${4:-1000}"
# The agent, which does the work, optimized as a release ships it; the
# launcher as built for tests (it only waits).
ci_build -c opt //agent:libjleak_agent.so
agent="${bin}/agent/libjleak_agent.so"
ci_build //harness:jleak
jleak="${bin}/harness/jleak"
tmp="$(mktemp -d /tmp/jleak-memory-bench.XXXXXX)"
trap 'rm -rf "${tmp}"' EXIT
"${java%/java}/javac" -d "${tmp}" "$(pwd)/leakers/bench/MemoryMapBench.java"

all="${tmp}/costs"; first="${tmp}/first"
: > "${all}"; : > "${first}"
for ((r = 0; r < runs; r++)); do
  out="${tmp}/run-${r}"
  "${jleak}" run --agent "${agent}" --out "${out}" --no-analyze --interval 1 \
    --duration "${seconds}" -- "${java}" -Xmx256m -cp "${tmp}" \
    jleak.bench.MemoryMapBench "${threads}" "${maps}" $((seconds + 30)) \
    "${tmp}/regions-${r}.dat" >/dev/null 2>&1 || true
  python3 - "${out}" "${all}" "${first}" <<'PY'
import glob, json, os, sys
out, all_path, first_path = sys.argv[1:]
rows = []
for f in glob.glob(os.path.join(out, "memory-*.json")):
    j = json.load(open(f))
    rows.append((j["seq"], j["cost_ns"] / 1e6, j["mappings"], len(j["threads"]),
                 j["rss_bytes"], j["cost_cpu_ns"] / 1e6))
rows.sort()
with open(all_path, "a") as a, open(first_path, "a") as b:
    for seq, ms, mappings, threads, rss, cpu in rows:
        (b if seq == 0 else a).write(f"{ms:.3f} {mappings} {threads} {rss} {cpu:.3f}\n")
PY
done
n="$(wc -l < "${all}")"
[[ "${n}" -gt 0 ]] || { echo "no memory-N.json written" >&2; exit 1; }
med="$(cut -d' ' -f1 "${all}" | median)"
max="$(cut -d' ' -f1 "${all}" | sort -n | tail -n 1)"
maps_med="$(cut -d' ' -f2 "${all}" | median)"
threads_med="$(cut -d' ' -f3 "${all}" | median)"
echo "memory map: ${n} snapshots, median ${maps_med} mappings, ${threads_med} threads listed"
echo "memory map: cost per snapshot median ${med} ms, max ${max} ms;" \
  "$(awk -v m="${med}" 'BEGIN { printf "%.2f", m / 10 }')% of a 1 s interval"
cpu_med="$(cut -d' ' -f5 "${all}" | median)"
cpu_max="$(cut -d' ' -f5 "${all}" | sort -n | tail -n 1)"
echo "memory map: CPU time per snapshot median ${cpu_med} ms, max ${cpu_max} ms;" \
  "$(awk -v m="${cpu_med}" 'BEGIN { printf "%.2f", m / 10 }')% of a 1 s interval"
echo "memory map: load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
echo "memory map: first snapshot (start-up): $(cut -d' ' -f1 "${first}" | tr '\n' ' ')ms"
