#!/usr/bin/env bash
# ci/bench/bench_analyze.sh: `jleak analyze` of a whole run directory (read every
# snapshot, symbolize, fit, terminal summary and HTML report) against the
# reference on one pair of the same files, `jeprof --text --base=FIRST
# <java> LAST`. Prints the median wall time and peak RSS of each over RUNS
# runs, and the ratio.
#
#   ci/bench/bench_analyze.sh [RUNS] [RUN_DIR]
# Without RUN_DIR it makes one: the JNI C++ leaker at 1 MB/s under
# `jleak run --duration 40` (about 21 snapshots).
# shellcheck source=ci/bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
runs="${1:-5}"; dir="${2:-}"

ci_build -c opt //harness:jleak //third_party/jemalloc:jeprof
opt_bin="${bin}"
if [[ -z "${dir}" ]]; then
  ci_build //harness:jleak //third_party/jemalloc:jemalloc //agent:libjleak_agent.so \
    //leakers/jni_cpp //leakers/jni_cpp:libjni_cpp.so
  dir="$(mktemp -d /tmp/jleak-bench-analyze.XXXXXX)/run"
  "${bin}/harness/jleak" run --no-analyze --duration 40 --out "${dir}" -- \
    "${java}" -cp "${bin}/leakers/jni_cpp/jni_cpp.jar:${bin}/leakers/common/workload.jar:${bin}/leakers/common/args.jar" \
    -Djava.library.path="${bin}/leakers/jni_cpp" jleak.leakers.JniCpp \
    --rate 1000000 --duration 70 >/dev/null 2>&1
fi
snapshots=("${dir}"/snapshot-*.heap)
first="${dir}/snapshot-0.heap"
last="${dir}/$(cd "${dir}" && ls snapshot-*.heap | sort -t- -k2 -n | tail -n 1)"


echo "${dir}: ${#snapshots[@]} snapshots; jeprof on ${first##*/} -> ${last##*/}, ${runs} runs each" >&2
t_jeprof="$(bench jeprof "${opt_bin}/third_party/jemalloc/bin/jeprof" --text --show_bytes \
  --base="${first}" "${java}" "${last}")"
t_jleak="$(bench jleak "${opt_bin}/harness/jleak" analyze \
  --html "/tmp/jleak-bench-analyze.$$.html" "${dir}")"
rm -f "/tmp/jleak-bench-analyze.$$.html"
awk -v j="${t_jeprof}" -v l="${t_jleak}" -v n="${#snapshots[@]}" 'BEGIN {
  printf "jleak analyze (%d snapshots) is %.1fx faster than jeprof on one pair\n",
    n, (l > 0 ? j / l : 0) }'
