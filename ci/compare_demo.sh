#!/usr/bin/env bash
# ci/compare_demo.sh: does `jleak compare` catch a small extra leak against
# a run without it, and leave two identical builds alone?
#
# The workload is the churn control (leakers/churn: heavy malloc/free and
# direct-buffer traffic, nothing kept). The "candidate" adds --leak-rate
# bytes per second kept through JNI malloc (Java_jleak_leakers_Churn_retain),
# the "base" does not. RUNS base runs and RUNS candidate runs of DURATION
# seconds each under `jleak run` with default settings, then:
#   - candidate k vs base k:      must be `regression` (exit 1), RUNS times;
#   - base k vs base k+1 (mod N): must be `same` (exit 0), RUNS times.
# With LEAK_RATES="65536 16384 4096" it repeats the candidate part for each
# extra rate (the smallest one caught every time is what it can see).
#
#   ci/compare_demo.sh [RUNS] [DURATION]      # defaults: 10 runs, 60 s
#   PARALLEL=2 LEAK_RATES="65536 8192" ci/compare_demo.sh 5 60
# shellcheck source=ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
runs="${1:-10}"; duration="${2:-60}"; parallel="${PARALLEL:-1}"
rates="${LEAK_RATES:-65536}"; churn_rate="${CHURN_RATE:-10000000}"

ci_build //harness:jleak //third_party/jemalloc:jemalloc //agent:libjleak_agent.so \
  //leakers/churn //leakers/churn:libchurn_jni.so
cp="${bin}/leakers/churn/churn.jar:${bin}/leakers/common/workload.jar:${bin}/leakers/common/args.jar"
root="$(mktemp -d /tmp/jleak-compare-demo.XXXXXX)"

one_run() {  # one_run DIR LEAK_RATE
  "${bin}/harness/jleak" run --no-analyze --out "$1" --duration "${duration}" -- \
    "${java}" -cp "${cp}" -Djava.library.path="${bin}/leakers/churn" \
    jleak.leakers.Churn --rate="${churn_rate}" --leak-rate="$2" \
    --duration=$((duration + 30)) >"$1.log" 2>&1 || true
}

throttle() { while (($(jobs -rp | wc -l) >= parallel)); do wait -n || true; done; }

for ((i = 0; i < runs; i++)); do
  throttle; one_run "${root}/base-${i}" 0 &
  for r in ${rates}; do throttle; one_run "${root}/cand-${r}-${i}" "${r}" & done
  printf '[compare_demo] round %d of %d started\n' "$((i + 1))" "${runs}" >&2
done
wait

verdict() {  # verdict BASE CANDIDATE: prints the compare verdict word
  local out rc
  set +e
  out="$("${bin}/harness/jleak" compare "$1" "$2" 2>&1)"; rc=$?
  set -e
  echo "${out}" >"$2.compare-$(basename "$1").txt"
  case "${rc}" in 0) echo same ;; 1) echo regression ;; *) echo inconclusive ;; esac
}

bad=0
same=0
for ((i = 0; i < runs; i++)); do
  v="$(verdict "${root}/base-${i}" "${root}/base-$(((i + 1) % runs))")"
  [[ "${v}" == same ]] && same=$((same + 1)) || echo "  base-${i} vs base-$(((i + 1) % runs)): ${v}"
done
printf 'identical builds:          %2d of %2d judged same\n' "${same}" "${runs}"
((same == runs)) || bad=1
for r in ${rates}; do
  caught=0
  for ((i = 0; i < runs; i++)); do
    v="$(verdict "${root}/base-${i}" "${root}/cand-${r}-${i}")"
    [[ "${v}" == regression ]] && caught=$((caught + 1)) || echo "  cand-${r}-${i}: ${v}"
  done
  printf 'extra leak %6d B/s:     %2d of %2d judged regression\n' "${r}" "${caught}" "${runs}"
  ((caught == runs)) || bad=1
done
echo "run directories and compare outputs: ${root}"
exit "${bad}"
