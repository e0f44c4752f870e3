#!/usr/bin/env bash
# ci/bench/bench_sampling_attach.sh: what `jleak attach` costs a JVM started
# with plain `java` (glibc's malloc, no jleak settings), sampled by the
# agent's own engine, beside the other ways to run the same workload.
# ChurnRate (leakers/bench/ChurnRate.java, RunFaults cpuchurn's rounds: zlib
# Deflaters and small direct buffers, the allocator's cost dominates) runs
# SECONDS s, four ways, interleaved, RUNS times each:
#   glibc     plain `java`, never attached (the JVM as users run it)
#   sampling  plain `java`, `jleak attach` from t=5 s to SECONDS-5 s: the
#             sampling engine (512 KiB, Java stacks, a forced-GC snapshot
#             every 2 s; the agent loaded through HotSpot's attach)
#   jemalloc  jleak's jemalloc preloaded, profiling off, never attached
#   jem-att   `jleak env`'s standby, attached over the same window: the
#             jemalloc engine
# The figure is each run's ChurnRate rate (rounds/s) from t=8 s to
# SECONDS-7 s, inside the attach; printed per run, their medians, and the
# ratios of the medians (>1: slower) against glibc and against jemalloc.
#
#   ci/bench/bench_sampling_attach.sh [RUNS] [SECONDS]    # defaults: 5, 30
# shellcheck source=ci/bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
runs="${1:-5}"; seconds="${2:-30}"
churn_rate_setup sampling-bench
pid=""
trap '[[ -n "${pid}" ]] && kill "${pid}" 2>/dev/null; rm -rf "${tmp}"' EXIT
mapfile -t standby < <(standby_env)
from=8; to=$((seconds - 7)); attach_s=$((seconds - 10))

# one KIND RUN: runs ChurnRate one way; prints its rate in [from, to].
one() {
  local kind="$1" out="${tmp}/$1-$2" env=() attach=no
  case "${kind}" in
    sampling) attach=yes ;;
    jemalloc) env=("LD_PRELOAD=${jemalloc}") ;;
    jem-att) env=("${standby[@]}"); attach=yes ;;
  esac
  env "${env[@]}" "${java}" -Xmx256m -XX:-UsePerfData -cp "${tmp}" jleak.bench.ChurnRate "${seconds}" \
    >"${out}.jvm" 2>&1 &
  pid=$!
  if [[ "${attach}" == yes ]]; then
    sleep 5
    "${jleak}" attach --duration "${attach_s}" --no-analyze --out "${out}" "${pid}" \
      >"${out}.stdout" 2>"${out}.stderr" || echo "${kind} run $2: attach exit $?" >&2
  fi
  wait "${pid}" || true
  pid=""
  churn_rate "${out}.jvm" "${from}" "${to}"
}

kinds=(glibc sampling jemalloc jem-att)
declare -A rates=()
for ((i = 1; i <= runs; i++)); do
  line="run ${i}:"
  for k in "${kinds[@]}"; do
    r="$(one "${k}" "${i}")"
    rates[${k}]+="${r} "
    line+=" ${k} ${r}"
  done
  echo "${line} rounds/s"
done
declare -A med=()
for k in "${kinds[@]}"; do
  med[${k}]="$(printf '%s\n' ${rates[${k}]} | median)"
  printf '%-9s median %8s rounds/s  (%s)\n' "${k}" "${med[${k}]}" "${rates[${k}]% }"
done
for k in sampling jemalloc jem-att; do
  awk -v k="${k}" -v m="${med[${k}]}" -v g="${med[glibc]}" -v j="${med[jemalloc]}" 'BEGIN {
    printf "%-9s slower than glibc %.2fx, than plain jemalloc %.2fx\n", k, g / m, j / m }'
done
