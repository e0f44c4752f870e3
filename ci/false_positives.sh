#!/usr/bin/env bash
# ci/false_positives.sh: how often jleak calls a healthy workload leaking.
#
# Runs every control (leakers/{churn,plateau,warmup,zlib_bounded} and
# examples/cache) RUNS times under `jleak run --duration DURATION` with
# jleak's default settings (sampling, interval, warm-up, budgets), and
# counts the verdicts per control. Exits 1 if any run was not `clean`; the
# run directories of those are kept and listed.
#
#   ci/false_positives.sh [RUNS] [DURATION]    # defaults: 20 runs, 60 s
#   PARALLEL=2 ci/false_positives.sh           # two runs at a time
#   KEEP=1 ci/false_positives.sh               # keep clean runs' directories
#                                              # too (to re-analyze them)
# shellcheck source=ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
runs="${1:-20}"; duration="${2:-60}"; parallel="${PARALLEL:-1}"

ci_build //harness:jleak //third_party/jemalloc:jemalloc //agent:libjleak_agent.so \
  //leakers/churn //leakers/churn:libchurn_jni.so \
  //leakers/plateau //leakers/plateau:libplateau_jni.so \
  //leakers/warmup //leakers/zlib_bounded //examples/cache
common="${bin}/leakers/common/workload.jar:${bin}/leakers/common/args.jar"
root="$(mktemp -d /tmp/jleak-false-positives.XXXXXX)"

# name|classpath|library path|main class|args. The warm-up controls grow
# during the first quarter of their own --duration, which jleak's default
# 25% warm-up then skips; the others outlast jleak's --duration.
controls=(
  "churn|${bin}/leakers/churn/churn.jar:${common}|${bin}/leakers/churn|jleak.leakers.Churn|--rate=100000000 --duration=$((duration + 30))"
  "plateau|${bin}/leakers/plateau/plateau.jar:${common}|${bin}/leakers/plateau|jleak.leakers.Plateau|--rate=5000000 --duration=${duration}"
  "warmup|${bin}/leakers/warmup/warmup.jar:${common}|${bin}/leakers/warmup|jleak.leakers.Warmup|--rate=200 --duration=${duration}"
  "zlib_bounded|${bin}/leakers/zlib_bounded/zlib_bounded.jar:${common}|${bin}/leakers/zlib_bounded|jleak.leakers.ZlibBounded|--rate=100 --duration=$((duration + 30))"
  "cache|${bin}/examples/cache/cache.jar||com.example.cache.CacheService|--requests-per-second=2000"
)

one_run() {  # one_run NAME CP LIBPATH MAIN ARGS RUN_INDEX: prints "NAME verdict"
  local name="$1" cp="$2" lib="$3" main="$4" args="$5" i="$6" dir rc
  dir="${root}/${name}-${i}"
  set +e
  # shellcheck disable=SC2086  # ARGS is a word list
  "${bin}/harness/jleak" run --out "${dir}" --duration "${duration}" -- \
    "${java}" -cp "${cp}" ${lib:+-Djava.library.path="${lib}"} "${main}" \
    ${args} >"${dir}.log" 2>&1
  rc=$?
  set -e
  case "${rc}" in
    0) echo "${name} clean"; [[ -n "${KEEP:-}" ]] || rm -rf "${dir}" "${dir}.log" ;;
    1) echo "${name} leak ${dir}" ;;
    *) echo "${name} inconclusive ${dir}" ;;
  esac
}

results="${root}/results.txt"
for ((i = 0; i < runs; i++)); do
  for c in "${controls[@]}"; do
    IFS='|' read -r name cp lib main args <<<"${c}"
    while (($(jobs -rp | wc -l) >= parallel)); do wait -n || true; done
    one_run "${name}" "${cp}" "${lib}" "${main}" "${args}" "${i}" \
      >>"${results}" &
  done
  printf '[false_positives] round %d of %d started\n' "$((i + 1))" "${runs}" >&2
done
wait
bad=0
for c in "${controls[@]}"; do
  name="${c%%|*}"
  clean="$(grep -c "^${name} clean" "${results}" || true)"
  total="$(grep -c "^${name} " "${results}" || true)"
  printf '%-13s %2d of %2d clean (%d s runs, default settings)\n' \
    "${name}" "${clean}" "${total}" "${duration}"
  if ((clean != total)); then
    bad=1
    grep "^${name} " "${results}" | grep -v " clean$" | sed 's/^/    /'
  fi
done
echo "run directories of non-clean runs: ${root}"
exit "${bad}"
