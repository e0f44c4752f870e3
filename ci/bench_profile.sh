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

# shellcheck source=ci/bench_lib.sh
source "ci/bench_lib.sh"

echo "diff of ${a##*/} -> ${b##*/}, ${runs} runs each" >&2
t_jeprof="$(bench jeprof "${bin}/profiler/bin/jeprof" --text --show_bytes \
  --base="${a}" "${java}" "${b}")"
t_jleak="$(bench jleak "${bin}/harness/jleak" profile --bytes \
  --binary-dir "${smoke_dir}" --base "${a}" "${b}")"
awk -v j="${t_jeprof}" -v l="${t_jleak}" \
  'BEGIN { printf "jleak is %.1fx faster than jeprof\n", (l > 0 ? j / l : 0) }'
