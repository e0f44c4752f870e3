#!/usr/bin/env bash
# `jleak attach` / `jleak snapshot` run as root against targets that attack
# it (docs/security.md), with the real jleak binary. The attacker is the
# JVM's own user (nobody, uid 65534), a container (its own mount and PID
# namespaces, root inside), or another local user (uid 4242). For each
# attack: jleak exits 2 with a last line that names the problem, within a
# bound (no hang), the victim outside is untouched (content, owner, mode,
# and its directory's listing), no secret reaches jleak's output, and no
# jleak process is left running.
#
#   A. the JVM's user plants links in its control directory /tmp/jleak-PID:
#      request.tmp -> a root file; s-old -> a root directory (stale
#      clean-up); final.request links planted into the session's output
#      directory while it runs (a race).
#   B. a container plants absolute links in its /tmp: /tmp/jleak-1/
#      request.tmp -> a host file; /tmp/jleak-1/lib -> a host directory
#      (the agent copy of a JVM without the agent).
#   C. another user squats the JVM's attach socket /tmp/.java_pid<PID>:
#      jleak must not connect to it.
#   D. an agent that lies (hostile_agent.py): the snapshot named
#      "../../<secret>", a FIFO, a link to a root-only secret; agent.json
#      nested 200000 levels deep.
#
# Needs real root (setpriv to other uids, unshare, nsenter): tagged
# no-sandbox. Usage: attach_attack_test.sh JLEAK JAVA JNI_MALLOC_JAR
# COMMON_JAR HOSTILE_AGENT_PY
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/attach_test_lib.sh"

if [[ $# -ne 5 ]]; then
  echo "usage: $0 JLEAK JAVA JNI_MALLOC_JAR COMMON_JAR HOSTILE_AGENT_PY" >&2
  exit 2
fi
jleak="$(readlink -f "$1")"; java="$(readlink -f "$2")"
leak_jar="$(readlink -f "$3")"; common="$(dirname "$(readlink -f "$4")")"
hostile="$(readlink -f "$5")"
fail() { echo "FAIL: $*" >&2; exit 1; }
[[ "$(id -u)" -eq 0 ]] || fail "needs root"
setpriv --reuid=65534 --regid=65534 --clear-groups true ||
  fail "setpriv to uid 65534 is not permitted here (run outside Bazel's sandbox)"

# Everything the attackers' processes need, readable by them, in /dev/shm
# (a container sees it); the victims, root's, in the host's /tmp (a
# container does not: its /tmp is its own).
stage="$(mktemp -d /dev/shm/jleak-attack.XXXXXX)"
vroot="$(mktemp -d /tmp/jleak-attack.XXXXXX)"
chmod 755 "${stage}" "${vroot}"
victim_dir="${vroot}/victim"
mkdir -m 755 "${victim_dir}"
printf 'precious\n' >"${victim_dir}/precious"
chmod 644 "${victim_dir}/precious"
secret="${vroot}/secret"
token="TOPSECRET-$RANDOM$RANDOM"
printf '%s\n' "${token}" >"${secret}"
chmod 600 "${secret}"
out="${vroot}/out"          # jleak's own outputs, root's
mkdir -m 700 "${out}"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "${p}" 2>/dev/null || true; done
  rm -rf "${stage}" "${vroot}" "${sockdir:-}" "${ctl:-}" 2>/dev/null || true
}
trap cleanup EXIT

stage_jvm_files "${stage}" "${jleak}" "${leak_jar}" "${common}"
mkdir "${stage}/fake"
for n in libjvm.so libjemalloc.so.2 libjleak_agent.so; do cp /bin/true "${stage}/fake/${n}"; done
chmod -R a+rX "${stage}/fake"

victim_state() {
  stat -c '%n %U %a %s' "${victim_dir}" "${victim_dir}"/* | sort
  cat "${victim_dir}"/precious
}
before="$(victim_state)"
check_victim() {  # NAME
  [[ "$(victim_state)" == "${before}" ]] ||
    { victim_state >&2; fail "$1: the victim was touched"; }
}

as_nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)

# jvm NAME MODE [as_nobody]: starts the JNI leaker with MODE "standby"
# (jleak env) or "jemalloc" (no agent); sets $pid.
jvm() {
  local name="$1" mode="$2" env cmd; shift 2
  # Made first: the background shell must exec at once (a container's JVM
  # is found as its child).
  env="$(jvm_env "${stage}" "${jleak}" "${mode}")"
  cmd="$(leaker_command "${stage}" "${java}" "--rate 1000000 --duration 600")"
  "$@" sh -c "cd /tmp
    ${env}
    ${cmd}" >"${stage}/${name}.jvm.out" 2>&1 &
  pid=$!
  pids+=("${pid}")
  sleep 3
  kill -0 "${pid}" || { cat "${stage}/${name}.jvm.out" >&2; fail "${name}: the JVM did not start"; }
}

# refused NAME REGEX jleak-args...: jleak exits 2 within 90 s, its last
# stderr line matches REGEX, no secret in what it printed or wrote.
refused() {
  local name="$1" regex="$2"; shift 2
  set +e
  timeout -s KILL 90 "${jleak}" "$@" >"${stage}/${name}.stdout" 2>"${stage}/${name}.stderr"
  local got=$?
  set -e
  echo "--- ${name}: exit ${got}"; tail -n 2 "${stage}/${name}.stderr"
  [[ ${got} -ne 137 ]] || fail "${name}: jleak hung (killed after 90 s)"
  [[ ${got} -eq 2 ]] || { cat "${stage}/${name}.stderr" >&2; fail "${name}: exit ${got}, want 2"; }
  tail -n 1 "${stage}/${name}.stderr" | grep -Eq -- "${regex}" ||
    fail "${name}: the last line does not name the problem (/${regex}/)"
  ! grep -rqa "${token}" "${stage}/${name}.stdout" "${stage}/${name}.stderr" "${out}" ||
    fail "${name}: the secret reached jleak's output"
  check_victim "${name}"
  # jleak and its helpers (forked, same command line) are all gone.
  sleep 0.2
  [[ -z "$(pgrep -f -- "${out}/" || true)" ]] || fail "${name}: a jleak process is still running"
}

# --- A. The JVM's user plants links in its own control directory.
jvm standby-nobody standby "${as_nobody[@]}"
ctl="/tmp/jleak-${pid}"
plant() {  # plant COMMANDS: as the JVM's user, in a fresh control dir
  rm -rf "${ctl}"
  "${as_nobody[@]}" sh -c "mkdir -m 700 '${ctl}' && cd '${ctl}' && $1"
}
plant "ln -s '${victim_dir}/precious' request.tmp"
refused A-request "symbolic link 'request.tmp'" attach --duration 3 --out "${out}/a1" "${pid}"
plant "ln -s '${victim_dir}' s-old"
refused A-stale "symbolic link 's-old'" attach --duration 3 --out "${out}/a2" "${pid}"
rm -rf "${ctl}"
# final.request: planted into the session's output directory while it runs.
"${as_nobody[@]}" sh -c "while :; do for d in '${ctl}'/s-*; do \
  [ -d \"\$d\" ] && ln -s '${victim_dir}/created-by-root' \"\$d/final.request\" 2>/dev/null; \
  done; sleep 0.05; done" &
planter=$!
pids+=("${planter}")
refused A-final "final.request.*(symbolic link|planted)" attach --duration 3 --interval 1 --out "${out}/a3" "${pid}"
kill "${planter}"; wait "${planter}" 2>/dev/null || true
kill -0 "${pid}" || fail "A: the JVM did not survive"
kill -9 "${pid}"
rm -rf "${ctl}"

# --- B. A container plants absolute links to the host in its /tmp.
container() {  # NAME MODE: a JVM as root in new PID and mount namespaces
  local name="$1" mode="$2" upid
  jvm "${name}" "${mode}" unshare --pid --fork --mount-proc sh -c \
    'mount -t tmpfs tmpfs /tmp && exec "$@"' container
  upid="${pid}"
  pid=""
  for _ in $(seq 50); do
    pid="$(cat "/proc/${upid}/task/${upid}/children" 2>/dev/null | awk '{print $1}')"
    [[ -n "${pid}" ]] && break
    sleep 0.1
  done
  [[ -n "${pid}" ]] || fail "${name}: no JVM in the container"
  pids+=("${pid}")
}
in_container() { nsenter -t "${pid}" -m sh -c "$1"; }
container B-request standby
in_container "mkdir -m 700 /tmp/jleak-1 && ln -s '${victim_dir}/precious' /tmp/jleak-1/request.tmp"
[[ -L "/proc/${pid}/root/tmp/jleak-1/request.tmp" ]] || fail "B: could not plant"
refused B-request "symbolic link 'request.tmp'" attach --duration 3 --out "${out}/b1" "${pid}"
kill -9 "${pid}"
container B-lib jemalloc
in_container "mkdir -m 700 /tmp/jleak-1 && ln -s '${victim_dir}' /tmp/jleak-1/lib"
refused B-lib "symbolic link 'lib'" attach --duration 3 --out "${out}/b2" "${pid}"
kill -9 "${pid}"

# --- C. Another user squats the attach socket of a JVM without the agent.
jvm C-jvm jemalloc "${as_nobody[@]}"
sockdir="$(mktemp -d /tmp/jleak-attack-sock.XXXXXX)"
chown 4242 "${sockdir}"
setpriv --reuid=4242 --regid=4242 --clear-groups /usr/bin/python3 -c '
import os, socket, sys
path, log = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX); s.bind(path); s.listen(5)
open(log, "w").close()
while True:
    c, _ = s.accept()
    with open(log, "ab") as f: f.write(b"connected:" + c.recv(4096) + b"\n")
    c.sendall(b"0\nreturn code: 0\n"); c.close()
' "/tmp/.java_pid${pid}" "${sockdir}/log" &
squatter=$!
pids+=("${squatter}")
sleep 1
[[ -S "/tmp/.java_pid${pid}" ]] || fail "C: no squatting socket"
refused C-squat "squatted|uid 4242" attach --duration 3 --out "${out}/c" "${pid}"
[[ ! -s "${sockdir}/log" ]] || { cat "${sockdir}/log" >&2; fail "C: jleak talked to the squatter"; }
kill "${squatter}"; rm -f "/tmp/.java_pid${pid}"; kill -9 "${pid}"

# --- D. An agent that lies in its answers.
for mode in dotdot fifo link deep; do
  "${as_nobody[@]}" /usr/bin/python3 "${hostile}" "${mode}" "${stage}/fake" "${secret}" &
  pid=$!
  pids+=("${pid}")
  sleep 1
  case "${mode}" in
    dotdot) want="not a file name the agent writes" ;;
    fifo) want="not a regular file|FIFO" ;;
    link) want="symbolic link|planted" ;;
    deep) want="nested at most" ;;
  esac
  refused "D-${mode}" "${want}" snapshot --out "${out}/d-${mode}" "${pid}"
  kill -9 "${pid}"
  rm -rf "/tmp/jleak-${pid}"
done
echo PASS
