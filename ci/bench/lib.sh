# ci/bench/lib.sh: what the benchmarks in ci/bench/ share (sourced first
# thing, as `source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"`). It sources
# ci/lib.sh: strict mode, --help, the repository root as working
# directory, `bazel_cmd` from $BAZEL, `ci_build`, `median`.
#
# Whole-process timing (bench_analyze, bench_profile):
#   `bench NAME CMD...` runs CMD $runs times, prints its median wall time
#   and peak RSS to stderr, and echoes the median seconds.
# The ChurnRate workload (bench_standby, bench_attach):
#   `churn_rate_setup NAME` builds //harness:jleak and sets bin, jleak,
#   jemalloc (jleak's, profiling off unless MALLOC_CONF says otherwise),
#   java and tmp (a fresh /tmp/jleak-NAME.XXXXXX, holding ChurnRate's
#   classes; the caller removes it). `standby_env [ARGS]` prints `jleak env
#   ARGS`'s assignments, one per line, for `env`. `churn_rate FILE FROM
#   [TO]`: ChurnRate's rounds/s between its report lines in [FROM, TO] s.
# shellcheck shell=bash disable=SC2034,SC2154  # variables shared with callers

# shellcheck source=ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

# Prints "<seconds> <peak KiB>" for one run of the command. Wall time from
# the shell's clock to the microsecond (time(1)'s %e has only 10 ms, too
# coarse for a command that takes 30 ms); peak RSS from time(1).
measure() {
  local start end
  start="${EPOCHREALTIME}"
  /usr/bin/time -f '%M' -o "/tmp/jleak-bench.$$" "$@" >/dev/null 2>&1 || true
  end="${EPOCHREALTIME}"
  # time(1) puts "Command exited with non-zero status N" first when the
  # command says so (jleak analyze exits 1 on a leak): the figure is last.
  echo "$(awk -v s="${start}" -v e="${end}" 'BEGIN { printf "%.4f", e - s }') $(tail -n 1 "/tmp/jleak-bench.$$")"
}

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
  printf '%-8s median %7.4f s   peak RSS %7d KiB   (runs: %s)\n' \
    "${name}" "${tm}" "${mm}" "${times[*]}" >&2
  echo "${tm}"
}

churn_rate_setup() {
  ci_build //harness:jleak
  jleak="${bin}/harness/jleak"
  jemalloc="${bin}/third_party/jemalloc/lib/libjemalloc.so.2"
  tmp="$(mktemp -d "/tmp/jleak-$1.XXXXXX")"
  # Compiled once; every run starts from the classes.
  "${java%/java}/javac" -d "${tmp}" "$(pwd)/leakers/bench/ChurnRate.java"
}

standby_env() {
  "${jleak}" env --format shell "$@" | sed -n 's/^export //p' | tr -d "'"
}

churn_rate() {
  awk -v a="$2" -v b="${3:-1e18}" '/^churnrate t=/ { split($2, t, "="); split($3, r, "=");
      if (t[2] >= a && t0 == "") { t0 = t[2]; r0 = r[2] }
      if (t[2] <= b) { t1 = t[2]; r1 = r[2] } }
    END { printf "%.3f\n", (r1 - r0) / (t1 - t0) }' "$1"
}
