#!/usr/bin/env bash
# ci/bench/bench_attach.sh: what `jleak attach` costs while it samples,
# and that the cost goes away when it ends. ChurnRate
# (leakers/bench/ChurnRate.java) runs for 20 + DURATION + 25 s under
# `jleak env`'s standby settings; at t=20 s `jleak attach --duration
# DURATION` samples it (the run's defaults: 512 KiB sampling, a forced GC
# and snapshot every DURATION/30 s, within 2-10 s). A second ChurnRate
# under plain jemalloc (profiling off) runs beside it all along, so both
# see the same neighbours on this shared machine. Prints, for before,
# during and after the attach, the ratio of the plain run's rate to the
# standby run's (>1: slower than plain jemalloc), the attach's verdict
# line (the workload is healthy: clean expected) and whether the JVM ran
# to its end (it survived the attach). REPEAT runs.
#
# PLAIN=1: both JVMs are plain `java` (glibc's malloc, no jleak settings,
# no agent): the attach loads the agent, which samples with its own engine,
# and the ratios are against plain java.
#
#   ci/bench/bench_attach.sh [DURATION] [REPEAT]    # defaults: 30 s, 3
#   PLAIN=1 ci/bench/bench_attach.sh 30 3
# shellcheck source=ci/bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
duration="${1:-30}"; repeat="${2:-3}"
churn_rate_setup attach-bench
pid=""; ref=""
trap '[[ -n "${pid}" ]] && kill "${pid}" 2>/dev/null; [[ -n "${ref}" ]] && kill "${ref}" 2>/dev/null; rm -rf "${tmp}"' EXIT
mapfile -t vars < <(standby_env)
ref_env=("LD_PRELOAD=${jemalloc}")
baseline="plain jemalloc"
if [[ -n "${PLAIN:-}" ]]; then
  vars=(); ref_env=(); baseline="plain java"
fi
total=$((20 + duration + 25))

for ((i = 1; i <= repeat; i++)); do
  out="${tmp}/run${i}"
  env "${vars[@]}" "${java}" -Xmx256m -XX:-UsePerfData -cp "${tmp}" jleak.bench.ChurnRate "${total}" \
    >"${out}.jvm" 2>&1 &
  pid=$!
  env "${ref_env[@]}" "${java}" -Xmx256m -XX:-UsePerfData -cp "${tmp}" jleak.bench.ChurnRate "${total}" \
    >"${out}.ref" 2>&1 &
  ref=$!
  sleep 20
  set +e
  "${jleak}" attach --duration "${duration}" --out "${out}" "${pid}" >"${out}.stdout" 2>"${out}.stderr"
  code=$?
  set -e
  # The attach's window as the workload's own clock saw it.
  end_attach="$(awk '/^churnrate t=/ { split($2, t, "="); last = t[2] } END { print last }' "${out}.jvm")"
  sleep 23
  wait "${pid}" "${ref}" || true
  # Survived the attach and ran to its end (not killed, not crashed).
  alive=no; grep -q '^churnrate done' "${out}.jvm" && alive=yes
  pid=""; ref=""
  after_from="$(awk -v e="${end_attach}" 'BEGIN { print e + 2 }')"
  ratio() {  # FROM TO: plain's rate / standby's rate in [FROM, TO]
    awk -v p="$(churn_rate "${out}.ref" "$1" "$2")" -v q="$(churn_rate "${out}.jvm" "$1" "$2")" 'BEGIN { printf "%.3f", p / q }'
  }
  printf "run %d: slower than ${baseline} by: before %sx, during the attach %sx, after %sx; attach exit %d; JVM ran to its end: %s\n" \
    "${i}" "$(ratio 5 19)" "$(ratio 21 "${end_attach}")" "$(ratio "${after_from}" $((total - 1)))" "${code}" "${alive}"
  head -n 1 "${out}.stdout" | cut -c1-160
done
