#!/usr/bin/env bash
# ci/bench/bench_standby.sh: what `jleak env`'s standby costs a JVM that
# is never attached to. Runs ChurnRate (leakers/bench/ChurnRate.java:
# zlib streams and small direct buffers, about 25 GB/s through malloc/free
# on this machine, far beyond a real service: the allocator's cost
# dominates) for SECONDS, RUNS times in each setting:
#   plain       jleak's jemalloc, profiling off (MALLOC_CONF empty:
#               opt.prof false), no agent: the reference (and, against
#               itself, the noise)
#   inactive    prof:true,prof_active:false,lg_prof_sample:19, no agent
#               (jemalloc's part alone)
#   standby:N   `jleak env --sample-bytes 2^N`: prof:true,prof_active:false,
#               lg_prof_sample:N and the agent in standby. While inactive,
#               jemalloc still counts bytes to the next sample and takes its
#               slow path there, every 2^N bytes per thread: N sets the cost
# This machine is shared, and its load moves by 2x within minutes: timing
# settings one after the other measured the neighbours. So each setting
# runs at the same time as a plain run, the two JVMs sharing the CPUs
# alike, and the figure is the ratio of their rates (rounds/s after a 2 s
# warm-up): plain / setting, >1 when the setting is slower. Prints each
# setting's median ratio over RUNS pairs, and all of them.
#
#   ci/bench/bench_standby.sh [RUNS] [SECONDS]    # defaults: 7 runs, 12 s
#   LGS="19 21" ci/bench/bench_standby.sh         # standby settings
#   BAZEL="bazel --output_base=/tmp/ob" ci/bench/bench_standby.sh
# shellcheck source=ci/bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
runs="${1:-7}"; seconds="${2:-12}"
churn_rate_setup standby-bench
trap 'rm -rf "${tmp}"' EXIT

env_of() {  # SETTING: the environment assignments of that setting
  case "$1" in
    plain) echo "LD_PRELOAD=${jemalloc}" ;;
    inactive) echo "LD_PRELOAD=${jemalloc}"; echo "MALLOC_CONF=prof:true,prof_active:false,lg_prof_sample:19" ;;
    standby:*) standby_env --sample-bytes $((1 << ${1#standby:})) ;;
  esac
}

# start SETTING OUT: starts ChurnRate in the background; sets $!.
start() {
  local vars=()
  mapfile -t vars < <(env_of "$1")
  env "${vars[@]}" "${java}" -Xmx256m -XX:-UsePerfData -cp "${tmp}" jleak.bench.ChurnRate "${seconds}" \
    >"$2" 2>/dev/null &
}

# plain against plain: how far from 1.000 the noise alone puts a ratio.
settings=(plain inactive)
for lg in ${LGS:-19 21 23 30}; do settings+=("standby:${lg}"); done
declare -A ratios
for ((i = 0; i < runs; i++)); do
  for s in "${settings[@]}"; do
    # Alternate which starts first: JVM start-up is the noisiest part.
    if ((i % 2)); then start "${s}" "${tmp}/b"; b=$!; start plain "${tmp}/a"; a=$!
    else start plain "${tmp}/a"; a=$!; start "${s}" "${tmp}/b"; b=$!; fi
    wait "${a}" "${b}"
    ratios[${s}]+="$(awk -v p="$(churn_rate "${tmp}/a" 2)" -v q="$(churn_rate "${tmp}/b" 2)" 'BEGIN { printf "%.3f", p / q }') "
  done
done
echo "ratio of plain jemalloc's rate to each setting's, run side by side (>1: the setting is slower)"
for s in "${settings[@]}"; do
  printf '%-11s median %.3f   (%s)\n' "${s}" "$(tr ' ' '\n' <<<"${ratios[${s}]}" | grep . | median)" "${ratios[${s}]% }"
done
