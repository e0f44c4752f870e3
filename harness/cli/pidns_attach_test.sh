#!/usr/bin/env bash
# The container case of `jleak attach`, as docs/production.md shows it: a
# JVM in its own PID namespace (PID 1 there) and mount namespace with a
# private /tmp, started with `jleak env`'s settings, and jleak attaching
# from outside, where the JVM's files are only reachable through
# /proc/PID/root:
#
#   unshare --pid --fork --mount-proc sh -c 'mount -t tmpfs tmpfs /tmp &&
#       exec java ...'                       # the "container"
#   jleak attach --duration 12 HOST_PID      # from the host
#
# 1. standby agent loaded at start: the leak is named, the JVM runs on;
# 2. jemalloc only (no agent at start): the agent (and any library it needs
#    that the container lacks) is copied into the container's /tmp and
#    loaded through HotSpot's attach socket there; the leak is named.
# 3. plain `java` (glibc's malloc, no agent): the agent is copied and
#    loaded the same way and samples with its own engine (GOT hooks); the
#    leak is named, every slot is restored at the detach, the JVM runs on.
#
# With a 5th argument, USERNS_LAUNCHER (userns_launcher.cc), the container
# also has a user namespace made by root, whose uid 0 is host uid 100000
# (as userns-remapped runtimes make it): to the JVM, host root is then an
# unmapped uid that its attach socket refuses (`jcmd` as root fails too);
# jleak's helper acts as uid 100000, which the JVM sees as its own root.
# (//harness/cli:userns_attach_test; needs real uids: no Bazel sandbox.)
#
# Needs root (unshare); files the JVM needs are staged in /dev/shm, outside
# the /tmp that the "container" hides.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/attach_test_lib.sh"

if [[ $# -ne 4 && $# -ne 5 ]]; then
  echo "usage: $0 JLEAK JAVA JNI_MALLOC_JAR COMMON_JAR [USERNS_LAUNCHER]" >&2
  exit 2
fi
launcher="${5:+$(readlink -f "$5")}"
readonly HOST_UID=100000
jleak="$(readlink -f "$1")"; java="$(readlink -f "$2")"
leak_jar="$(readlink -f "$3")"; common="$(dirname "$(readlink -f "$4")")"
root="${TEST_TMPDIR:-$(mktemp -d)}/pidns"
mkdir -p "${root}"
cd "${root}"
fail() { echo "FAIL: $*" >&2; exit 1; }
# The evidence for "the leak is named" (each attach asserts exit 1 and the
# site), by design: 2 MiB blocks at 2 MB/s were 0.95 blocks/s, so a 7 s
# attach with 1 s between snapshots saw a staircase of ~5 blocks at n = 5-6
# analyzed snapshots, where the Theil-Sen rank interval is the whole
# [min, max] of the pairwise slopes: one step without a block (a stalled
# JVM, a snapshot a little early) put its lower bound at zero.
# Now blocks of 131,071 bytes (2^17 - 1, jemalloc class 128 KiB) at
# 2,000,000 B/s = 15.3 blocks/s, sampled every 32 KiB on average: each
# block is sampled with p = 1 - exp(-4) = 0.982 (sd 128 KiB * sqrt((1-p)/p)
# = 17.5 KiB per block, 1% of the site's bytes after 12 s). A 12 s attach
# with a snapshot every 0.5 s: ~24 snapshots, 3 s warm-up, n ~ 18 analyzed
# over 9 s holding ~137 blocks (~135 sampled), 7.6 blocks per step. The
# 95% lower bound is then the 50th smallest of 153 pairwise slopes
# (var S = 697, C = 1.96 * 26.4 = 51.7, M1 = (153 - 51.7) / 2) and p ~ 1e-9:
# measured 1.90 MiB/s, 95% CI 1.85 to 1.96. Same numbers and reasoning as
# attach_command_test.sh; the statistics at the defaults are
# attach_acceptance.sh's (30 s attaches).
sampling=("${SAMPLING[@]}")
window=("${WINDOW[@]}")
# evidence NAME: the leak site's rate and 95% CI from NAME/report.json.
evidence() {
  python3 - "${root}/$1/report.json" "$1" <<'PY' || echo "--- $1: evidence: no report"
import json, sys
r = json.load(open(sys.argv[1]))
n = sum(1 for s in r["snapshots"] if s.get("analyzed"))
site = next((s for s in r["sites"] if "JniMalloc_leak" in s["headline"]), None)
line = "--- %s: evidence: %s, n=%d of %d snapshots" % (sys.argv[2], r["verdict"], n, len(r["snapshots"]))
if site:
    line += "; site %.1f KiB/s (95%% CI %.1f to %.1f KiB/s, p=%.2g)" % (
        site["bytes_per_second"] / 1024, site["bytes_per_second_low"] / 1024,
        site["bytes_per_second_high"] / 1024, site["p_value"])
print(line)
PY
}

[[ "$(id -u)" -eq 0 ]] || fail "needs root: unshare --pid --mount"
unshare --pid --fork --mount-proc true ||
  fail "unshare --pid --fork --mount-proc is not permitted here"

stage="$(mktemp -d /dev/shm/jleak-pidns.XXXXXX)"
upid=""
cleanup() {
  [[ -n "${upid}" ]] && kill -9 "${upid}" 2>/dev/null || true
  rm -rf "${stage}"
}
trap cleanup EXIT
stage_jvm_files "${stage}" "${jleak}" "${leak_jar}" "${common}"

# container NAME MODE: starts the JVM in new PID and mount namespaces with
# a private /tmp; MODE "standby" (jleak env), "jemalloc" (prof:true, no
# agent) or "plain" (glibc, no agent). Sets $upid (unshare) and $jpid (the
# JVM, as seen here).
container() {
  local name="$1" mode="$2" env cmd
  # Made first: the background shell must exec unshare at once (its
  # children are how the JVM is found).
  env="$(jvm_env "${stage}" "${jleak}" "${mode}")"
  cmd="$(leaker_command "${stage}" "${java}")"
  if [[ -n "${launcher}" ]]; then
    # launcher -> its child in the new namespaces -> PID 1 there (the JVM);
    # the launcher mounts /proc and a private /tmp itself.
    printf '%s\n' "cd /tmp" "${env}" "${cmd}" >"${stage}/${name}.sh"
    chmod a+r "${stage}/${name}.sh"
    "${launcher}" "${HOST_UID}" sh "${stage}/${name}.sh" >"${root}/${name}.jvm.out" 2>&1 &
  else
    unshare --pid --fork --mount-proc sh -c "
      mount -t tmpfs tmpfs /tmp || exit 3
      ${env}
      ${cmd}" >"${root}/${name}.jvm.out" 2>&1 &
  fi
  upid=$!
  jpid=""
  for _ in $(seq 50); do
    jpid="$(cat "/proc/${upid}/task/${upid}/children" 2>/dev/null | awk '{print $1}')"
    if [[ -n "${launcher}" && -n "${jpid}" ]]; then
      jpid="$(cat "/proc/${jpid}/task/${jpid}/children" 2>/dev/null | awk '{print $1}')"
    fi
    [[ -n "${jpid}" ]] && break
    sleep 0.1
  done
  [[ -n "${jpid}" ]] || fail "${name}: no JVM under unshare"
  sleep 4
  kill -0 "${jpid}" || { cat "${root}/${name}.jvm.out" >&2; fail "${name}: the JVM did not start"; }
  [[ "$(awk '/^NSpid:/ {print $NF}' "/proc/${jpid}/status")" == 1 ]] ||
    fail "${name}: the JVM is not PID 1 in its namespace"
  if [[ -n "${launcher}" ]]; then
    [[ "$(awk '/^Uid:/ {print $3}' "/proc/${jpid}/status")" == "${HOST_UID}" ]] ||
      fail "${name}: the JVM does not run as host uid ${HOST_UID}"
  fi
  [[ ! -e /tmp/jleak-1 ]] || fail "${name}: /tmp/jleak-1 exists outside the container"
}

attach() {  # NAME WANT_EXIT args...
  local name="$1" want="$2"; shift 2
  set +e
  "${jleak}" "$@" >"${root}/${name}.stdout" 2>"${root}/${name}.stderr"
  local got=$?
  set -e
  echo "--- ${name}: exit ${got}"; cat "${root}/${name}.stderr"
  [[ ${got} -eq ${want} ]] || { cat "${root}/${name}.stdout" >&2; fail "${name}: exit ${got}, want ${want}"; }
}

# 1. Standby agent from the start.
container standby standby
attach standby 1 attach "${window[@]}" "${sampling[@]}" --out "${root}/standby" "${jpid}"
evidence standby
grep -q '^jleak: LEAK: leak: Java_jleak_leakers_JniMalloc_leak from jleak\.leakers\.JniMalloc\.leak' standby.stdout ||
  { cat standby.stdout >&2; fail "standby: the site is not named"; }
python3 - "${root}/standby" "${jpid}" <<'PY' || fail "standby: manifest target"
import json, sys
m = json.load(open(sys.argv[1] + "/manifest.json"))
t = m["target"]
assert t["ns_pid"] == 1 and t["pid"] == int(sys.argv[2]), t
assert t["root"] == "/proc/%s/root" % sys.argv[2], t
assert t["control_dir"] == "/tmp/jleak-1", t
PY
kill -0 "${jpid}" || fail "standby: the JVM did not survive"
[[ -d "/proc/${jpid}/root/tmp/jleak-1" ]] || fail "standby: no control directory in the container's /tmp"
kill -9 "${upid}"; wait "${upid}" 2>/dev/null || true; upid=""

# 2. No agent at start: loaded through the container's attach socket.
container dynamic jemalloc
attach dynamic 1 attach "${window[@]}" "${sampling[@]}" --out "${root}/dynamic" "${jpid}"
evidence dynamic
grep -q 'loaded it through HotSpot' dynamic.stderr || fail "dynamic: agent not loaded at attach"
grep -q '^jleak: LEAK: leak: Java_jleak_leakers_JniMalloc_leak' dynamic.stdout ||
  { cat dynamic.stdout >&2; fail "dynamic: the site is not named"; }
[[ -f "/proc/${jpid}/root/tmp/jleak-1/lib/libjleak_agent.so" ]] ||
  fail "dynamic: the agent was not copied into the container"
# Made by jleak's helper as the JVM's user (host root would be uid 65534
# to it, and could not even create files in its tmpfs).
[[ "$(stat -c %u "/proc/${jpid}/root/tmp/jleak-1/lib/libjleak_agent.so")" == "$(awk '/^Uid:/ {print $3}' "/proc/${jpid}/status")" ]] ||
  fail "dynamic: the agent copy is not the JVM user's"
grep -q 'libjleak_agent.so' "/proc/${jpid}/maps" || fail "dynamic: agent not mapped"
kill -0 "${jpid}" || fail "dynamic: the JVM did not survive"
kill -9 "${upid}"; wait "${upid}" 2>/dev/null || true; upid=""

# 3. Plain java in the container: the sampling engine.
container plain plain
attach plain 1 attach "${window[@]}" "${sampling[@]}" --out "${root}/plain" "${jpid}"
evidence plain
grep -q 'loaded it through HotSpot' plain.stderr || fail "plain: agent not loaded at attach"
grep -q '^jleak: LEAK: leak: Java_jleak_leakers_JniMalloc_leak from jleak\.leakers\.JniMalloc\.leak' plain.stdout ||
  { cat plain.stdout >&2; fail "plain: the site or its Java method is not named"; }
sampling_engine_ran plain
python3 - "${root}/plain" <<'PY' || fail "plain: manifest target"
import json, sys
t = json.load(open(sys.argv[1] + "/manifest.json"))["target"]
assert t["ns_pid"] == 1 and t["control_dir"] == "/tmp/jleak-1", t
PY
kill -0 "${jpid}" || fail "plain: the JVM did not survive"
echo PASS
