#!/usr/bin/env bash
# The user-namespaced container case of `jleak attach`: a JVM in a user
# namespace created by root, where its root (uid 0 inside) is host uid
# 100000, with its own PID and mount namespaces and a private /tmp. To such
# a JVM host root is an unmapped uid (65534): HotSpot's attach listener
# refuses it (SO_PEERCRED), as it refuses `jcmd` run as host root. jleak's
# helper acts as the JVM's user as the host sees it (100000), which the JVM
# sees as its own uid 0:
#   1. standby agent loaded at start: the leak is named;
#   2. jemalloc only: the agent is copied into the container and loaded
#      through HotSpot's attach socket; the leak is named.
# Needs real root (uid 100000 does not exist in Bazel's sandbox): tagged
# no-sandbox. Files the JVM needs are staged in /dev/shm.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/attach_test_lib.sh"

if [[ $# -ne 5 ]]; then
  echo "usage: $0 JLEAK JAVA JNI_MALLOC_JAR COMMON_JAR USERNS_LAUNCHER" >&2
  exit 2
fi
jleak="$(readlink -f "$1")"; java="$(readlink -f "$2")"
leak_jar="$(readlink -f "$3")"; common="$(dirname "$(readlink -f "$4")")"
launcher="$(readlink -f "$5")"
root="${TEST_TMPDIR:-$(mktemp -d)}/userns"
mkdir -p "${root}"
cd "${root}"
fail() { echo "FAIL: $*" >&2; exit 1; }
# The leaker's evidence by design (attach_test_lib.sh, arithmetic in
# pidns_attach_test.sh): 128 KiB blocks, 32 KiB sampling, 12 s attaches.

[[ "$(id -u)" -eq 0 ]] || fail "needs root"
readonly HOST_UID=100000

stage="$(mktemp -d /dev/shm/jleak-userns.XXXXXX)"
upid=""
cleanup() {
  [[ -n "${upid}" ]] && kill -9 "${upid}" 2>/dev/null || true
  rm -rf "${stage}"
}
trap cleanup EXIT
stage_jvm_files "${stage}" "${jleak}" "${leak_jar}" "${common}"

# container NAME MODE: the JVM as uid 0 of a new user namespace (host
# 100000..165535), in new PID and mount namespaces with a private /tmp.
container() {
  local name="$1" mode="$2"
  printf '%s\n' "$(jvm_env "${stage}" "${jleak}" "${mode}")" \
    "$(leaker_command "${stage}" "${java}")" >"${stage}/${name}.sh"
  chmod a+r "${stage}/${name}.sh"
  "${launcher}" "${HOST_UID}" sh "${stage}/${name}.sh" >"${root}/${name}.jvm.out" 2>&1 &
  upid=$!
  # launcher -> its child in the new namespaces -> PID 1 there (the JVM).
  jpid=""
  for _ in $(seq 50); do
    local c
    c="$(cat "/proc/${upid}/task/${upid}/children" 2>/dev/null | awk '{print $1}')"
    [[ -n "${c}" ]] && jpid="$(cat "/proc/${c}/task/${c}/children" 2>/dev/null | awk '{print $1}')"
    [[ -n "${jpid}" ]] && break
    sleep 0.1
  done
  [[ -n "${jpid}" ]] || fail "${name}: no JVM in the container"
  sleep 4
  kill -0 "${jpid}" || { cat "${root}/${name}.jvm.out" >&2; fail "${name}: the JVM did not start"; }
  [[ "$(awk '/^Uid:/ {print $3}' "/proc/${jpid}/status")" == "${HOST_UID}" ]] ||
    fail "${name}: the JVM does not run as host uid ${HOST_UID}"
  [[ "$(awk '/^NSpid:/ {print $NF}' "/proc/${jpid}/status")" == 1 ]] ||
    fail "${name}: the JVM is not PID 1 in its namespace"
}

attach() {  # NAME WANT_EXIT args...
  local name="$1" want="$2"; shift 2
  set +e
  timeout -s KILL 120 "${jleak}" "$@" >"${root}/${name}.stdout" 2>"${root}/${name}.stderr"
  local got=$?
  set -e
  echo "--- ${name}: exit ${got}"; cat "${root}/${name}.stderr"
  [[ ${got} -eq ${want} ]] || { cat "${root}/${name}.stdout" >&2; fail "${name}: exit ${got}, want ${want}"; }
}

# 1. Standby agent from the start.
container standby standby
attach standby 1 attach "${WINDOW[@]}" "${SAMPLING[@]}" --out "${root}/standby" "${jpid}"
grep -q '^jleak: LEAK: leak: Java_jleak_leakers_JniMalloc_leak' standby.stdout ||
  { cat standby.stdout >&2; fail "standby: the site is not named"; }
kill -0 "${jpid}" || fail "standby: the JVM did not survive"
kill -9 "${upid}"; wait "${upid}" 2>/dev/null || true; upid=""

# 2. No agent at start: loaded through the attach socket, as the JVM's user.
container dynamic jemalloc
attach dynamic 1 attach "${WINDOW[@]}" "${SAMPLING[@]}" --out "${root}/dynamic" "${jpid}"
grep -q 'loaded it through HotSpot' dynamic.stderr || fail "dynamic: agent not loaded at attach"
grep -q '^jleak: LEAK: leak: Java_jleak_leakers_JniMalloc_leak' dynamic.stdout ||
  { cat dynamic.stdout >&2; fail "dynamic: the site is not named"; }
[[ "$(stat -c %u "/proc/${jpid}/root/tmp/jleak-1/lib/libjleak_agent.so")" == "${HOST_UID}" ]] ||
  fail "dynamic: the agent copy is not the JVM user's"
grep -q 'libjleak_agent.so' "/proc/${jpid}/maps" || fail "dynamic: agent not mapped"
kill -0 "${jpid}" || fail "dynamic: the JVM did not survive"
echo PASS
