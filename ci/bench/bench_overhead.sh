#!/usr/bin/env bash
# ci/bench/bench_overhead.sh: what profiling costs a JVM. Times one allocation-
# bound workload (RunFaults cpuchurn: zlib streams and small direct buffers,
# fixed work) three ways, interleaved, RUNS times each: without any preload
# (glibc malloc), with our jemalloc preloaded but profiling off, and under
# `jleak run` at its defaults (512 KiB sampling, forced GC + snapshot every
# 10 s, Java frames at every sampled allocation), and `jleak run
# --no-java-stacks` (the same without the agent's AsyncGetCallTrace walk:
# what Java frames cost). Prints medians and the ratios to plain jemalloc.
#
#   ci/bench/bench_overhead.sh [RUNS] [ROUNDS]     # defaults: 5 runs, 240 rounds
#   SAMPLES="65536 524288" ci/bench/bench_overhead.sh   # also time `jleak run`
#                            # at other --sample-bytes, same interleaving
# shellcheck source=ci/bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
runs="${1:-5}"; rounds="${2:-240}"

ci_build //harness:jleak //third_party/jemalloc:jemalloc //agent:libjleak_agent.so \
  //leakers/faults:run_faults //leakers/faults:librun_faults_jni.so
cmd=("${java}" -Xmx256m -cp "${bin}/leakers/faults/run_faults.jar"
     -Djava.library.path="${bin}/leakers/faults" jleak.testdata.RunFaults
     cpuchurn "${rounds}")
tmp="$(mktemp -d /tmp/jleak-overhead.XXXXXX)"

wall() {  # prints the wall seconds of "$@"
  local s e
  s="$(date +%s.%N)"; "$@" >/dev/null 2>&1; e="$(date +%s.%N)"
  awk -v s="${s}" -v e="${e}" 'BEGIN { printf "%.3f\n", e - s }'
}

samples=(${SAMPLES:-})
glibc=(); plain=(); jleak=(); nojava=(); declare -A sampled=()
for ((i = 0; i < runs; i++)); do
  glibc+=("$(wall "${cmd[@]}")")
  plain+=("$(wall env LD_PRELOAD="${bin}/third_party/jemalloc/lib/libjemalloc.so.2" "${cmd[@]}")")
  rm -rf "${tmp}/run"
  jleak+=("$(wall "${bin}/harness/jleak" run --no-analyze --out "${tmp}/run" -- "${cmd[@]}")")
  rm -rf "${tmp}/run"
  nojava+=("$(wall "${bin}/harness/jleak" run --no-analyze --no-java-stacks --out "${tmp}/run" -- "${cmd[@]}")")
  for s in "${samples[@]}"; do
    rm -rf "${tmp}/run"
    sampled[${s}]+="$(wall "${bin}/harness/jleak" run --no-analyze \
      --sample-bytes "${s}" --out "${tmp}/run" -- "${cmd[@]}") "
  done
done
g="$(printf '%s\n' "${glibc[@]}" | median)"
p="$(printf '%s\n' "${plain[@]}" | median)"
j="$(printf '%s\n' "${jleak[@]}" | median)"
n="$(printf '%s\n' "${nojava[@]}" | median)"
echo "glibc (no preload):        median ${g} s  (${glibc[*]})"
echo "jemalloc, profiling off:   median ${p} s  (${plain[*]})"
echo "jleak run (defaults):      median ${j} s  (${jleak[*]})"
echo "jleak run --no-java-stacks: median ${n} s  (${nojava[*]})"
awk -v g="${g}" -v p="${p}" -v j="${j}" -v n="${n}" 'BEGIN {
  printf "ratios to plain jemalloc: glibc %.2f, jleak run %.2f, jleak run --no-java-stacks %.2f\n", g / p, j / p, n / p }'
for s in "${samples[@]}"; do
  m="$(printf '%s\n' ${sampled[${s}]} | median)"
  awk -v s="${s}" -v m="${m}" -v p="${p}" -v all="${sampled[${s}]}" 'BEGIN {
    printf "jleak run --sample-bytes %-8s median %s s, %.2f of plain jemalloc  (%s)\n",
      s, m, m / p, all }'
done
