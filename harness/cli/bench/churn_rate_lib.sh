# harness/cli/bench/churn_rate_lib.sh: what bench_standby.sh and
# bench_attach.sh share (sourced from the repo root): jleak built, the
# ChurnRate program compiled, and its rate read back.
#
# `churn_rate_setup NAME` builds //harness:jleak and sets bin, jleak,
# jemalloc (jleak's, profiling off unless MALLOC_CONF says otherwise), java
# and tmp (a fresh /tmp/jleak-NAME.XXXXXX, holding ChurnRate's classes;
# the caller removes it). `standby_env [ARGS]` prints `jleak env ARGS`'s
# assignments, one per line, for `env`. `churn_rate FILE FROM [TO]`:
# ChurnRate's rounds/s between its report lines in [FROM, TO] seconds.

# shellcheck source=ci/bench_lib.sh
source "ci/bench_lib.sh"

churn_rate_setup() {
  "${bazel_cmd[@]}" build --ui_event_filters=-info --noshow_progress //harness:jleak
  bin="$("${bazel_cmd[@]}" info bazel-bin 2>/dev/null)"
  jleak="${bin}/harness/jleak"
  jemalloc="${bin}/third_party/jemalloc/lib/libjemalloc.so.2"
  java="$(readlink -f "$(command -v java)")"
  tmp="$(mktemp -d "/tmp/jleak-$1.XXXXXX")"
  # Compiled once; every run starts from the classes.
  "${java%/java}/javac" -d "${tmp}" "$(pwd)/harness/cli/bench/ChurnRate.java"
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
