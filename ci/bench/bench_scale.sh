#!/usr/bin/env bash
# ci/bench/bench_scale.sh: how `jleak analyze` grows with the size of its input.
# For each cell of a grid of stacks per profile x snapshots per series, it
# writes a synthetic series with a planted leak (//profile:make_synthetic_profiles,
# stacks of libjvm.so's functions, a snapshot every 5 minutes), times
# `jleak analyze --json` on it (wall time, peak RSS), checks that the
# planted site is the verdict's first site, deletes the series, and prints
# a table, then the growth exponent along each axis (time ~ size^k, from
# the largest and smallest cell of each row and column: k near 1 is linear).
#
#   ci/bench/bench_scale.sh [--quick] [--full]
# Default grid: stacks 1000 10000 100000 x snapshots 10 100 1000, without
# its largest cell (100000 x 1000: 31 GB of files); --full adds it,
# --quick runs 1000 10000 x 10 100 only. STACKS="..." SNAPSHOTS="..."
# override the axes. BAZEL="bazel --output_base=DIR" builds elsewhere.
# Needs the series' size free under $TMPDIR (10000 x 1000: 3.1 GB).
# shellcheck source=ci/bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
stacks_axis="${STACKS:-1000 10000 100000}"
snapshots_axis="${SNAPSHOTS:-10 100 1000}"
full=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) stacks_axis="1000 10000"; snapshots_axis="10 100" ;;
    --full) full=1 ;;
    *) echo "usage: $0 [--quick] [--full]" >&2; exit 2 ;;
  esac
  shift
done

ci_build -c opt //harness:jleak //profile:make_synthetic_profiles
libjvm="$(dirname "${java}")/../lib/server/libjvm.so"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/jleak-bench-scale.XXXXXX")"
trap 'rm -rf "${tmp}"' EXIT

results="${tmp}/results"
: > "${results}"
failures=0
printf '%9s %9s %9s %9s %10s %10s %9s  %s\n' stacks snapshots "disk MB" \
  "wall s" "peak MiB" "us/stack" "cpu s" "planted site" >&2
for stacks in ${stacks_axis}; do
  for snapshots in ${snapshots_axis}; do
    if [[ "${full}" -eq 0 && "${stacks}" -ge 100000 && "${snapshots}" -ge 1000 ]]; then
      printf '%9s %9s   (skipped: --full)\n' "${stacks}" "${snapshots}" >&2
      continue
    fi
    dir="${tmp}/series"
    rm -rf "${dir}"
    "${bin}/profile/make_synthetic_profiles" --out "${dir}" \
      --stacks "${stacks}" --snapshots "${snapshots}" --module "${libjvm}" \
      --interval 300 >/dev/null
    disk="$(du -sm "${dir}" | cut -f1)"
    sync
    start="${EPOCHREALTIME}"
    /usr/bin/time -f '%M %U %S' -o "${tmp}/time" "${bin}/harness/jleak" analyze \
      --json "${tmp}/report.json" "${dir}" >"${tmp}/stdout" 2>&1 || true
    end="${EPOCHREALTIME}"
    read -r peak user sys < <(tail -n 1 "${tmp}/time")
    wall="$(awk -v s="${start}" -v e="${end}" 'BEGIN { printf "%.2f", e - s }')"
    planted="$(head -n 1 "${dir}/planted.txt")"
    found="$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); s=r["sites"][0] if r["sites"] else {}; print(r["verdict"], s.get("over_budget"), s.get("top_frame",""), sep="\t")' "${tmp}/report.json" 2>/dev/null || echo "none")"
    verdict="$(cut -f1 <<< "${found}")"; over="$(cut -f2 <<< "${found}")"
    top="$(cut -f3 <<< "${found}")"
    if [[ "${verdict}" == "leak" && "${over}" == "True" && "${top}" == "${planted}" ]]; then
      check="found: ${planted}"
    else
      check="NOT FOUND (verdict ${verdict}, first site '${top}', planted '${planted}')"
      failures=$((failures + 1))
    fi
    awk -v st="${stacks}" -v sn="${snapshots}" -v d="${disk}" -v w="${wall}" \
      -v p="${peak}" -v u="${user}" -v s="${sys}" -v c="${check}" 'BEGIN {
      printf "%9d %9d %9d %9.2f %10.1f %10.2f %9.1f  %s\n", st, sn, d, w,
        p / 1024, 1e6 * w / (st * sn), u + s, c }' >&2
    echo "${stacks} ${snapshots} ${wall} ${peak}" >> "${results}"
    rm -rf "${dir}"
  done
done

# Growth exponents: time ~ size^k along each axis, from the extremes.
python3 - "${results}" >&2 <<'PY'
import math, sys
cells = {}
for line in open(sys.argv[1]):
    st, sn, wall, peak = line.split()
    cells[(int(st), int(sn))] = (float(wall), float(peak))
def word(k):
    return "sublinear" if k < 0.85 else "linear" if k <= 1.15 else "superlinear"
def exponent(a, b, ya, yb):
    return math.log(yb / ya) / math.log(b / a) if ya > 0 and yb > 0 else 0.0
stacks = sorted({k[0] for k in cells})
snaps = sorted({k[1] for k in cells})
def along(fixed, varying, cell, fixed_name, varying_name):
    """Each line of the grid at one value of `fixed`, along `varying`."""
    for f in fixed:
        line = [v for v in varying if cell(f, v) in cells]
        if len(line) > 1:
            a, b = line[0], line[-1]
            (ta, ma), (tb, mb) = cells[cell(f, a)], cells[cell(f, b)]
            kt, km = exponent(a, b, ta, tb), exponent(a, b, ma, mb)
            print(f"{f} {fixed_name}: time ~ {varying_name}^{kt:.2f} ({word(kt)}), "
                  f"peak RSS ~ {varying_name}^{km:.2f}")
along(stacks, snaps, lambda st, sn: (st, sn), "stacks", "snapshots")
along(snaps, stacks, lambda sn, st: (st, sn), "snapshots", "stacks")
PY
if [[ "${failures}" -gt 0 ]]; then
  echo "bench_scale: the planted site was not found in ${failures} cell(s)" >&2
  exit 1
fi
