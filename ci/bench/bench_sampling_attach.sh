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
#   asprof    (with ASPROF=/path/to/asprof) plain `java`, async-profiler
#             attached over the same window with `--nativemem 524288` (the
#             same mean interval as jleak's default sample) recording frees
#             into JFR (`-f x.jfr`), as a leak hunt needs; default stacks
#             (Java frames through its VM structs walker). Built from its
#             public source outside this repository: docs/async-profiler.md
#   alt       (with ALT_AGENT=/path/to/libjleak_agent.so) as sampling, but
#             `jleak attach --agent ALT_AGENT`: another build of the agent
#             over the same window, e.g. an older commit's, to compare two
#             versions of the engine in one interleaved run
# Two figures per run, from t=8 s to SECONDS-7 s (inside the attach): the
# rate (rounds/s of wall time, which a shared machine's neighbours move)
# and the work per CPU second (rounds per second of the JVM's user+system
# time, all its threads: what the attach costs the process, less moved by
# neighbours). Printed per run, as medians, and as ratios of the medians
# (>1: slower) against glibc and against plain jemalloc.
#
# glibc's kinds (glibc, sampling, asprof) run with GLIBC_ENV, by default
# MALLOC_TRIM_THRESHOLD_=268435456: ChurnRate's ~260 KiB Deflater states
# sit at the top of glibc's main heap, and with the default trim threshold
# each end() gives those pages back to the kernel and the next Deflater
# faults them in again: 0.3 rounds/s instead of 10-15 on this machine,
# unless something that lives longer sits above them, as the allocations
# of an attached agent (jleak's or async-profiler's) do. That made plain
# glibc bimodal from run to run (and the attached kinds look faster than
# it); GLIBC_ENV= (empty) measures the defaults anyway.
#
#   ci/bench/bench_sampling_attach.sh [RUNS] [SECONDS]    # defaults: 5, 30
#   ASPROF=/opt/async-profiler/bin/asprof ci/bench/bench_sampling_attach.sh
#   ALT_AGENT=/tmp/old/libjleak_agent.so ci/bench/bench_sampling_attach.sh
# shellcheck source=ci/bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
runs="${1:-5}"; seconds="${2:-30}"
GLIBC_ENV="${GLIBC_ENV-MALLOC_TRIM_THRESHOLD_=268435456}"
churn_rate_setup sampling-bench
pid=""
trap '[[ -n "${pid}" ]] && kill "${pid}" 2>/dev/null; rm -rf "${tmp}"' EXIT
mapfile -t standby < <(standby_env)
from=8; to=$((seconds - 7)); attach_s=$((seconds - 10))
tick="$(getconf CLK_TCK)"

cpu_s() {  # the process's user + system seconds so far
  awk -v t="${tick}" '{ sub(/.*\) /, ""); print ($12 + $13) / t }' "/proc/$1/stat"
}

# one KIND RUN: runs ChurnRate one way; prints "<rounds/s> <rounds per CPU s>".
one() {
  local kind="$1" out="${tmp}/$1-$2" env=() attach=no apid="" c1 c2 rate agent=()
  case "${kind}" in
    glibc) env=(${GLIBC_ENV}) ;;
    sampling) env=(${GLIBC_ENV}); attach=yes ;;
    jemalloc) env=("LD_PRELOAD=${jemalloc}") ;;
    jem-att) env=("${standby[@]}"); attach=yes ;;
    asprof) env=(${GLIBC_ENV}); attach=asprof ;;
    alt) env=(${GLIBC_ENV}); attach=yes; agent=(--agent "${ALT_AGENT}") ;;
  esac
  env "${env[@]}" "${java}" -Xmx256m -XX:-UsePerfData -cp "${tmp}" jleak.bench.ChurnRate "${seconds}" \
    >"${out}.jvm" 2>&1 &
  pid=$!
  if [[ "${attach}" == yes ]]; then
    (sleep 5
     "${jleak}" attach "${agent[@]}" --duration "${attach_s}" --no-analyze --out "${out}" "${pid}" \
       >"${out}.stdout" 2>"${out}.stderr" || echo "${kind} run $2: attach exit $?" >&2) &
    apid=$!
  elif [[ "${attach}" == asprof ]]; then
    (sleep 5
     "${ASPROF}" -d "${attach_s}" --nativemem 524288 -f "${out}.jfr" "${pid}" \
       >"${out}.stdout" 2>"${out}.stderr" || echo "${kind} run $2: asprof exit $?" >&2
     [[ -s "${out}.jfr" ]] || echo "${kind} run $2: asprof wrote no recording" >&2) &
    apid=$!
  fi
  sleep "${from}"; c1="$(cpu_s "${pid}")"
  sleep $((to - from)); c2="$(cpu_s "${pid}")"
  [[ -z "${apid}" ]] || wait "${apid}"
  wait "${pid}" || true
  pid=""
  rate="$(churn_rate "${out}.jvm" "${from}" "${to}")"
  awk -v r="${rate}" -v w=$((to - from)) -v c="$(awk -v a="${c1}" -v b="${c2}" 'BEGIN { print b - a }')" \
    'BEGIN { printf "%s %.2f\n", r, r * w / c }'
}

kinds=(glibc sampling jemalloc jem-att)
if [[ -n "${ASPROF:-}" ]]; then
  [[ -x "${ASPROF}" ]] || { echo "ASPROF=${ASPROF} is not an executable" >&2; exit 2; }
  kinds+=(asprof)
fi
if [[ -n "${ALT_AGENT:-}" ]]; then
  [[ -r "${ALT_AGENT}" ]] || { echo "ALT_AGENT=${ALT_AGENT} is not readable" >&2; exit 2; }
  kinds+=(alt)
fi
declare -A rates=() works=()
for ((i = 1; i <= runs; i++)); do
  line="run ${i}:"
  for k in "${kinds[@]}"; do
    read -r r w < <(one "${k}" "${i}")
    rates[${k}]+="${r} "; works[${k}]+="${w} "
    line+=" ${k} ${r}/s ${w}/cpu-s;"
  done
  echo "${line}"
done
declare -A mr=() mw=()
for k in "${kinds[@]}"; do
  mr[${k}]="$(printf '%s\n' ${rates[${k}]} | median)"
  mw[${k}]="$(printf '%s\n' ${works[${k}]} | median)"
  printf '%-9s median %8s rounds/s (%s), %8s rounds per CPU s (%s)\n' \
    "${k}" "${mr[${k}]}" "${rates[${k}]% }" "${mw[${k}]}" "${works[${k}]% }"
done
for k in "${kinds[@]:1}"; do
  awk -v k="${k}" -v r="${mr[${k}]}" -v w="${mw[${k}]}" -v gr="${mr[glibc]}" -v gw="${mw[glibc]}" \
    -v jr="${mr[jemalloc]}" -v jw="${mw[jemalloc]}" 'BEGIN {
    printf "%-9s slower than glibc: %.2fx (rate), %.2fx (CPU); than plain jemalloc: %.2fx (rate), %.2fx (CPU)\n",
      k, gr / r, gw / w, jr / r, jw / w }'
done
