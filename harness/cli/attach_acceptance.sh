#!/usr/bin/env bash
# harness/cli/attach_acceptance.sh: the production scenario, measured. A
# leaker (leakers/jni_malloc, 1 MB/s through JNI malloc) and a control
# (leakers/churn, 20 MB/s of JNI malloc/free and direct buffers, all freed)
# are started with `jleak env`'s settings and no jleak process; after
# WAIT s, `jleak attach --duration DURATION` samples each. Prints, per run:
# the exit code (1 leak, 0 clean), the verdict line, whether the JVM was
# still running afterwards, and whether its agent says sampling is off.
# (The cost during and after an attach: ci/bench/bench_attach.sh.)
#
#   harness/cli/attach_acceptance.sh [REPEAT] [WAIT] [DURATION]   # 1, 20, 30
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
repeat="${1:-1}"; wait_s="${2:-20}"; duration="${3:-30}"
read -r -a bazel_cmd <<< "${BAZEL:-bazel}"
"${bazel_cmd[@]}" build --ui_event_filters=-info --noshow_progress \
  //harness:jleak //leakers/jni_malloc //leakers/churn
bin="$("${bazel_cmd[@]}" info bazel-bin 2>/dev/null)"
jleak="${bin}/harness/jleak"
java="$(readlink -f "$(command -v java)")"
common="${bin}/leakers/common"
tmp="$(mktemp -d /tmp/jleak-acceptance.XXXXXX)"
pid=""
trap '[[ -n "${pid}" ]] && kill "${pid}" 2>/dev/null; rm -rf "${tmp}"' EXIT
mapfile -t vars < <("${jleak}" env --format shell | sed -n 's/^export //p' | tr -d "'")

one() {  # NAME DIR MAIN ARGS...
  local name="$1" dir="$2" main="$3"; shift 3
  local out="${tmp}/${name}"
  env "${vars[@]}" "${java}" -Xmx256m -XX:-UsePerfData \
    -cp "${bin}/leakers/${dir}/${dir}.jar:${common}/workload.jar:${common}/args.jar" \
    "-Djava.library.path=${bin}/leakers/${dir}" "${main}" "$@" >"${out}.jvm" 2>&1 &
  pid=$!
  sleep "${wait_s}"
  set +e
  "${jleak}" attach --duration "${duration}" --out "${out}" "${pid}" >"${out}.stdout" 2>"${out}.stderr"
  local code=$?
  set -e
  local alive=no
  kill -0 "${pid}" 2>/dev/null && alive=yes
  local off
  off="$(python3 -c 'import json,sys; print("off" if not json.load(open(sys.argv[1]))["standby"]["sampling"] else "ON")' "${out}/agent.json" 2>/dev/null || echo "?")"
  kill "${pid}" 2>/dev/null || true; wait "${pid}" 2>/dev/null || true; pid=""
  printf '%s: exit %d, JVM running after: %s, sampling after: %s\n  %s\n' \
    "${name}" "${code}" "${alive}" "${off}" "$(head -n 1 "${out}.stdout" | cut -c1-200)"
}

for ((i = 1; i <= repeat; i++)); do
  one "leak${i}" jni_malloc jleak.leakers.JniMalloc --rate 1000000 --duration 3600
  one "control${i}" churn jleak.leakers.Churn --rate 20000000 --duration 3600
done
