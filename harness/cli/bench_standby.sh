#!/usr/bin/env bash
# harness/cli/bench_standby.sh: what `jleak env`'s standby costs a JVM that
# is never attached to. Runs ChurnRate (bench/ChurnRate.java: zlib streams
# and small direct buffers, about 25 GB/s through malloc/free on this
# machine, far beyond a real service: the allocator's cost dominates) for
# SECONDS, RUNS times in each setting:
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
#   harness/cli/bench_standby.sh [RUNS] [SECONDS]    # defaults: 7 runs, 12 s
#   LGS="19 21" harness/cli/bench_standby.sh         # standby settings
#   BAZEL="bazel --output_base=/tmp/ob" harness/cli/bench_standby.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
runs="${1:-7}"; seconds="${2:-12}"
read -r -a bazel_cmd <<< "${BAZEL:-bazel}"
"${bazel_cmd[@]}" build --ui_event_filters=-info --noshow_progress //harness:jleak
bin="$("${bazel_cmd[@]}" info bazel-bin 2>/dev/null)"
jleak="${bin}/harness/jleak"
jemalloc="${bin}/profiler/lib/libjemalloc.so.2"
java="$(readlink -f "$(command -v java)")"
src="$(pwd)/harness/cli/bench/ChurnRate.java"
tmp="$(mktemp -d /tmp/jleak-standby-bench.XXXXXX)"
trap 'rm -rf "${tmp}"' EXIT
# The source program is compiled once; every run starts from the classes.
"${java%/java}/javac" -d "${tmp}" "${src}"

env_of() {  # SETTING: the environment assignments of that setting
  case "$1" in
    plain) echo "LD_PRELOAD=${jemalloc}" ;;
    inactive) echo "LD_PRELOAD=${jemalloc}"; echo "MALLOC_CONF=prof:true,prof_active:false,lg_prof_sample:19" ;;
    standby:*) "${jleak}" env --format shell --sample-bytes $((1 << ${1#standby:})) |
                 sed -n 's/^export //p' | tr -d "'" ;;
  esac
}

# start SETTING OUT: starts ChurnRate in the background; sets $!.
start() {
  local vars=()
  mapfile -t vars < <(env_of "$1")
  env "${vars[@]}" "${java}" -Xmx256m -XX:-UsePerfData -cp "${tmp}" ChurnRate "${seconds}" \
    >"$2" 2>/dev/null &
}

rate() {  # OUT: rounds/s after the first 2 s
  awk '/^churnrate t=/ { split($2, t, "="); split($3, r, "=");
         if (t0 == "" && t[2] >= 2) { t0 = t[2]; r0 = r[2] }
         t1 = t[2]; r1 = r[2] }
       END { printf "%.3f\n", (r1 - r0) / (t1 - t0) }' "$1"
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
    ratios[${s}]+="$(awk -v p="$(rate "${tmp}/a")" -v q="$(rate "${tmp}/b")" 'BEGIN { printf "%.3f", p / q }') "
  done
done
median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
echo "ratio of plain jemalloc's rate to each setting's, run side by side (>1: the setting is slower)"
for s in "${settings[@]}"; do
  printf '%-11s median %.3f   (%s)\n' "${s}" "$(median <<<"${ratios[${s}]}")" "${ratios[${s}]% }"
done
