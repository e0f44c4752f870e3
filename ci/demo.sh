#!/usr/bin/env bash
# ci/demo.sh: the main job, end to end, on a machine set up by ci/setup.sh.
#
# Builds jemalloc with profiling from the pinned source, the jleak tool and
# two JVM workloads, then runs each under `jleak run`: a JNI leaker, which
# must be judged a leak at its native site, and a healthy churn control,
# which must be judged clean. Reports land in OUTPUT_DIR/<name>/report.html.
#
#   ci/demo.sh [OUTPUT_DIR]     # default: ./jleak-demo-out
# shellcheck source=ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

out="${1:-jleak-demo-out}"
log() { printf '\ndemo: %s\n' "$*" >&2; }

log "building jemalloc (profiling, libunwind), jleak, the agent and two workloads"
ci_build //harness:jleak //third_party/jemalloc:jemalloc //agent:libjleak_agent.so \
  //leakers/jni_malloc //leakers/jni_malloc:libjni_malloc.so \
  //leakers/churn //leakers/churn:libchurn_jni.so
rm -rf "${out}"
mkdir -p "${out}"
out="$(cd "${out}" && pwd)"
common="${bin}/leakers/common/workload.jar:${bin}/leakers/common/args.jar"

log "1/2: a JNI leaker (5 MB/s of malloc never freed), 20 s under jleak run"
set +e
"${bin}/harness/jleak" run --out "${out}/jni_malloc" --interval 2 --duration 20 \
  --expect leak --expect-site '^Java_jleak_leakers_JniMalloc_leak$' -- \
  "${java}" -cp "${bin}/leakers/jni_malloc/jni_malloc.jar:${common}" \
  -Djava.library.path="${bin}/leakers/jni_malloc" \
  jleak.leakers.JniMalloc --rate 5000000 --duration 60
leak_status=$?

log "2/2: a healthy churn control (100 MB/s allocated and freed), 20 s"
"${bin}/harness/jleak" run --out "${out}/churn" --interval 2 --duration 20 \
  --expect clean -- \
  "${java}" -cp "${bin}/leakers/churn/churn.jar:${common}" \
  -Djava.library.path="${bin}/leakers/churn" \
  jleak.leakers.Churn --rate 100000000 --duration 60
clean_status=$?
set -e

log "reports: ${out}/jni_malloc/report.html and ${out}/churn/report.html"
if [[ ${leak_status} -eq 0 && ${clean_status} -eq 0 ]]; then
  log "OK: the leak was found at its site and the control was judged clean"
  exit 0
fi
log "FAILED: leaker exit ${leak_status}, control exit ${clean_status} (0 = as expected)"
exit 1
