#!/usr/bin/env bash
# ci/bench_profile.sh: whole-process comparison of `jleak profile --base A B`
# with the reference, `jeprof --text --base=A <java> B`, on the same JVM
# heap profiles. Prints the median wall time and peak RSS of each over N
# runs, and the ratio.
#
#   ci/bench_profile.sh [RUNS] [A.heap B.heap]
# Defaults: 5 runs on testdata/profiles/smoke (two dumps of one JVM).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs="${1:-5}"
a="${2:-testdata/profiles/smoke/jeprof.18581.0.i0.heap}"
b="${3:-testdata/profiles/smoke/jeprof.18581.3.f.heap}"

bazel build -c opt --ui_event_filters=-info --noshow_progress \
  //harness:jleak //profiler:jeprof
bin="$(bazel info -c opt bazel-bin 2>/dev/null)"
java="$(readlink -f "$(command -v java)")"
smoke_dir="$(bazel info bazel-bin 2>/dev/null)/leakers/smoke"

# Prints "<seconds> <peak KiB>" for one run of the command.
measure() {
  /usr/bin/time -f '%e %M' -o /tmp/jleak-bench.$$ "$@" >/dev/null 2>&1
  cat /tmp/jleak-bench.$$
}

median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

bench() {
  local name="$1"; shift
  local times=() mems=()
  for ((i = 0; i < runs; i++)); do
    read -r t m < <(measure "$@")
    times+=("$t"); mems+=("$m")
  done
  local tm mm
  tm="$(printf '%s\n' "${times[@]}" | median)"
  mm="$(printf '%s\n' "${mems[@]}" | median)"
  printf '%-8s median %6.3f s   peak RSS %7d KiB   (runs: %s)\n' \
    "${name}" "${tm}" "${mm}" "${times[*]}" >&2
  echo "${tm}"
}

echo "diff of ${a##*/} -> ${b##*/}, ${runs} runs each" >&2
t_jeprof="$(bench jeprof "${bin}/profiler/bin/jeprof" --text --show_bytes \
  --base="${a}" "${java}" "${b}")"
t_jleak="$(bench jleak "${bin}/harness/jleak" profile --bytes \
  --binary-dir "${smoke_dir}" --base "${a}" "${b}")"
awk -v j="${t_jeprof}" -v l="${t_jleak}" \
  'BEGIN { printf "jleak is %.1fx faster than jeprof\n", (l > 0 ? j / l : 0) }'
