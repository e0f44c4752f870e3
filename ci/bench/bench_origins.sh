#!/usr/bin/env bash
# ci/bench/bench_origins.sh: what the agent's mmap and pthread_create hooks
# (agent/native_origins.h, origins=1) cost a JVM. OriginsProbe's bench
# (agent/testdata/.../OriginsProbe.java) runs, SECONDS s each, a loop of
# FileChannel.map + unmap of one 4 KiB region, then a loop of Thread.start +
# join; three ways, interleaved, RUNS times each:
#   plain     `java` alone
#   agent     as `jleak run` starts it (jemalloc preloaded, profiling, Java
#             stacks), origins=0
#   origins   the same, origins=1
# Prints each run's maps/s and threads/s, the medians, and the ratios of the
# medians (>1: slower) origins/agent; and, less moved by a shared machine's
# neighbours, the hooks' own time per call as origins.json counts it
# (stats.record_ns / mmaps, thread_ns / threads_started) beside the loop's
# time per call.
#
#   bazel build -c opt //agent:libjleak_agent.so //agent:origins_probe \
#       //third_party/jemalloc
#   ci/bench/bench_origins.sh [RUNS] [SECONDS]     # defaults: 5, 5
set -euo pipefail
runs="${1:-5}"; seconds="${2:-5}"
bin="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/bazel-bin"
agent="${bin}/agent/libjleak_agent.so"; jar="${bin}/agent/origins_probe.jar"
jemalloc="${bin}/third_party/jemalloc/lib/libjemalloc.so.2"
for f in "${agent}" "${jar}" "${jemalloc}"; do
  [[ -f "${f}" ]] || { echo "missing ${f}: build it first (see the header)" >&2; exit 2; }
done
tmp="$(mktemp -d)"; trap 'rm -rf "${tmp}"' EXIT

# one KIND RUN: prints "<maps/s> <threads/s>" (and, for origins, the hooks'
# ns per mmap and per thread start).
one() {
  local kind="$1" out="${tmp}/$1-$2" flags=() env=()
  mkdir -p "${out}/seg"
  if [[ "${kind}" != plain ]]; then
    local origins=1; [[ "${kind}" == agent ]] && origins=0
    env=(LD_PRELOAD="${jemalloc}"
         MALLOC_CONF="prof:true,prof_active:true,lg_prof_sample:19,prof_prefix:${out}/jeprof")
    flags=("-agentpath:${agent}=out=${out},interval=1,gc=1,gc_wait_ms=2000,baseline=1,perfmap=1,origins=${origins}")
  fi
  env "${env[@]}" java -Xmx128m "${flags[@]}" -cp "${jar}" \
      jleak.testdata.OriginsProbe bench "${out}/seg" "${seconds}" 2>/dev/null |
    sed -n 's/^bench maps_per_s=\([0-9]*\) threads_per_s=\([0-9]*\)$/\1 \2/p' |
    tr '\n' ' '
  if [[ "${kind}" == origins ]]; then
    python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["stats"]
print("%.0f %.0f" % (s["record_ns"] / max(1, s["mmaps"]), s["thread_ns"] / max(1, s["threads_started"])))' \
      "${out}/origins.json"
  else
    echo "- -"
  fi
}

declare -A maps threads
hook_map=""; hook_thread=""
for ((r = 1; r <= runs; ++r)); do
  for kind in plain agent origins; do
    read -r m t hm ht < <(one "${kind}" "${r}")
    maps[${kind}]+="${m} "; threads[${kind}]+="${t} "
    [[ "${kind}" == origins ]] && { hook_map+="${hm} "; hook_thread+="${ht} "; }
    printf '%-8s run %d: %8s maps/s %7s threads/s  hooks: %6s ns/mmap %6s ns/thread\n' \
      "${kind}" "${r}" "${m}" "${t}" "${hm}" "${ht}"
  done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
for kind in plain agent origins; do
  mm="$(median <<<"${maps[${kind}]}")"; tm="$(median <<<"${threads[${kind}]}")"
  printf '%-8s median: %8s maps/s %7s threads/s\n' "${kind}" "${mm}" "${tm}"
  eval "mm_${kind}=${mm} tm_${kind}=${tm}"
done
awk -v a="${mm_agent}" -v o="${mm_origins}" -v ta="${tm_agent}" -v to="${tm_origins}" \
  'BEGIN { printf "origins/agent slowdown: maps %.3fx, thread starts %.3fx\n", a / o, ta / to }'
hm="$(median <<<"${hook_map}")"; ht="$(median <<<"${hook_thread}")"
awk -v hm="${hm}" -v ht="${ht}" -v m="${mm_origins}" -v t="${tm_origins}" \
  'BEGIN { printf "hooks, median: %.0f ns per mmap (%.1f%% of a map+unmap at %s/s), %.0f ns per thread start (%.1f%% of a start+join at %s/s)\n", hm, 100 * hm * m / 1e9, m, ht, 100 * ht * t / 1e9, t }'
