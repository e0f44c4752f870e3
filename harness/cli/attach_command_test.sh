#!/usr/bin/env bash
# End-to-end test of `jleak env`, `jleak attach` and `jleak snapshot` on
# JVMs that jleak did not start (production's standby mode):
#   1. a leaker started with `jleak env`'s settings, no jleak running:
#      attach names the leak (exit 1) at the JNI site and its Java method;
#      the JVM keeps running, sampling is off again; attach twice in a row
#      works; a second attach while one runs is refused (exit 2);
#   2. a healthy control, the same way: clean (exit 0);
#   3. `jleak snapshot` five times, `jleak analyze` of the folder, --stop;
#      attach refuses while a collection is on;
#   4. a JVM with jemalloc (prof:true) but no agent: the agent is loaded
#      through HotSpot's attach mechanism and the leak is named;
#   5. bad input, each one line on stderr, exit 2, the target unharmed and
#      nothing left running or in its /tmp: not a JVM, no jemalloc,
#      jemalloc with profiling off, a user that may not inspect the JVM,
#      a JVM that exits mid-attach, `jleak attach` itself killed (-9): the
#      agent turns sampling off and the next attach works.
set -euo pipefail

if [[ $# -ne 5 ]]; then
  echo "usage: $0 JLEAK JAVA JNI_MALLOC_JAR CHURN_JAR COMMON_JARS_DIR" >&2
  exit 2
fi
jleak="$(readlink -f "$1")"; java="$(readlink -f "$2")"
leak_jar="$(readlink -f "$3")"; churn_jar="$(readlink -f "$4")"
common="$(dirname "$(readlink -f "$5")")"
root="${TEST_TMPDIR:-$(mktemp -d)}/attach"
mkdir -p "${root}"
cd "${root}"
fail() { echo "FAIL: $*" >&2; exit 1; }
# Leaks are named from 6-7 s attaches: at the default 512 KiB sampling a
# 2 MB/s leak gives about 25 samples, too few to be sure of the site on a
# loaded machine. This test is about the commands; the statistics at the
# defaults are attach_acceptance.sh's (30 s attaches).
sampling=(--sample-bytes 65536)
# Tests share the host's /tmp but each has its own PID namespace: JVMs of
# two tests may have the same PID, hence the same /tmp/jleak-<pid>. Runs of
# this test take turns.
exec 9>/tmp/jleak-attach-test.lock
flock 9

pids=()
cleanup() {
  for p in "${pids[@]}"; do
    kill -9 "${p}" 2>/dev/null || true
    rm -rf "/tmp/jleak-${p}"
  done
}
trap cleanup EXIT

# start NAME ENV_MODE JAR MAIN ARGS...: starts a JVM in the background with
# ENV_MODE "standby" (jleak env), "jemalloc" (prof:true, no agent),
# "prof-off" (jemalloc, profiling off) or "plain"; sets $pid.
start() {
  local name="$1" mode="$2" jar="$3" main="$4"; shift 4
  local env=()
  case "${mode}" in
    standby) mapfile -t env < <("${jleak}" env --format shell | sed -n 's/^export //p' | tr -d "'") ;;
    jemalloc) env=("LD_PRELOAD=${jemalloc}" "MALLOC_CONF=prof:true,prof_active:false") ;;
    prof-off) env=("LD_PRELOAD=${jemalloc}") ;;
    plain) env=() ;;
  esac
  env "${env[@]}" "${java}" -Xmx128m -XX:-UsePerfData -cp "${jar}:${common}/workload.jar:${common}/args.jar" \
    "-Djava.library.path=$(dirname "${jar}")" "${main}" "$@" \
    >"${root}/${name}.jvm.out" 2>&1 &
  pid=$!
  pids+=("${pid}")
  sleep 3  # JVM start and JIT warm-up, on a shared machine
  kill -0 "${pid}" || { cat "${root}/${name}.jvm.out" >&2; fail "${name}: JVM did not start"; }
}

# attach NAME WANT_EXIT [jleak args...]: runs jleak, checks the exit code.
attach() {
  local name="$1" want="$2"; shift 2
  set +e
  "${jleak}" "$@" >"${root}/${name}.stdout" 2>"${root}/${name}.stderr"
  local got=$?
  set -e
  echo "--- ${name}: exit ${got}"; tail -n 3 "${root}/${name}.stderr"
  [[ ${got} -eq ${want} ]] || { cat "${root}/${name}.stdout" "${root}/${name}.stderr" >&2; fail "${name}: exit ${got}, want ${want}"; }
}

# one_line_error NAME REGEX: stderr is exactly one line, matching REGEX.
one_line_error() {
  [[ "$(wc -l <"${root}/$1.stderr")" -eq 1 ]] || { cat "${root}/$1.stderr" >&2; fail "$1: not a one-line error"; }
  grep -Eq -- "$2" "${root}/$1.stderr" || { cat "${root}/$1.stderr" >&2; fail "$1: error does not match '$2'"; }
}

# last_line_error NAME REGEX: after progress lines, one line says why.
last_line_error() {
  tail -n 1 "${root}/$1.stderr" | grep -Eq -- "$2" || { cat "${root}/$1.stderr" >&2; fail "$1: last line does not match '$2'"; }
}

sampling_off() {  # DIR: the agent's last word is "sampling off"
  python3 -c 'import json,sys; a=json.load(open(sys.argv[1]+"/agent.json")); sys.exit(0 if a["standby"]["sampling"] is False and a["finished"] else 1)' "$1" ||
    fail "$1: agent.json does not say sampling is off"
}

# jleak env points at the jemalloc and agent in jleak's runfiles.
"${jleak}" env --format shell >env.sh
jemalloc="$(sed -n "s/^export LD_PRELOAD=//p" env.sh | tr -d "'")"
[[ -f "${jemalloc}" ]] || fail "jleak env: LD_PRELOAD is not a file: ${jemalloc}"
grep -q "^export MALLOC_CONF='prof:true,prof_active:false,lg_prof_sample:19'$" env.sh ||
  fail "jleak env: MALLOC_CONF"
grep -q "^export JAVA_TOOL_OPTIONS='-agentpath:/.*libjleak_agent\.so=standby'$" env.sh ||
  fail "jleak env: JAVA_TOOL_OPTIONS"
"${jleak}" env --format dockerfile | grep -q '^ENV LD_PRELOAD="/' || fail "jleak env: Dockerfile form"
"${jleak}" env --format kubernetes | grep -q '^  - name: MALLOC_CONF$' || fail "jleak env: Kubernetes form"

# jleak install: one relocatable folder; its jleak finds its own files, and
# a JVM starts from the folder alone with `env --prefix`.
inst="${root}/inst"
"${jleak}" install --prefix "${inst}" >install.out || fail "install"
for f in bin/jleak lib/libjemalloc.so.2 lib/libjleak_agent.so; do
  [[ -x "${inst}/${f}" ]] || fail "install: no ${f}"
done
readelf -d "${inst}/lib/libjleak_agent.so" | grep -q 'R.*PATH.*\$ORIGIN' ||
  fail "install: the agent has no \$ORIGIN RUNPATH"
env -u RUNFILES_DIR "${inst}/bin/jleak" env --format shell |
  grep -q "^export LD_PRELOAD='${inst}/lib/libjemalloc.so.2'$" ||
  fail "install: the installed jleak does not find its own jemalloc"
mapfile -t inst_env < <("${inst}/bin/jleak" env --prefix "${inst}" --format shell | sed -n 's/^export //p' | tr -d "'")
env "${inst_env[@]}" "${java}" -XX:-UsePerfData -version >inst_java.out 2>&1 ||
  { cat inst_java.out >&2; fail "install: a JVM does not start with env --prefix"; }
! grep -q 'jleak agent' inst_java.out || { cat inst_java.out >&2; fail "install: the standby agent complained"; }

# 1. The leaker in standby.
start leak standby "${leak_jar}" jleak.leakers.JniMalloc --rate 2000000 --duration 600
leak_pid="${pid}"
attach leak 1 attach --duration 7 --interval 1 "${sampling[@]}" --out "${root}/leak" "${leak_pid}"
grep -q '^jleak: LEAK: leak: Java_jleak_leakers_JniMalloc_leak from jleak\.leakers\.JniMalloc\.leak grows' leak.stdout ||
  { cat leak.stdout >&2; fail "leak: the site is not named"; }
kill -0 "${leak_pid}" || fail "leak: the JVM did not survive the attach"
sampling_off "${root}/leak"
[[ "$(stat -c %a "${root}/leak")" == 700 ]] || fail "leak: out dir is not mode 0700"
python3 - "${root}/leak" <<'PY' || fail "leak: manifest"
import json, sys
m = json.load(open(sys.argv[1] + "/manifest.json"))
assert m["mode"] == "attach" and m["outcome"] == "collected", m
assert m["target"]["agent_loaded"] == "start", m["target"]
assert any("JniMalloc" in a for a in m["settings"]["command"])
PY
# Twice in a row, and the second is refused while the first runs.
attach again 1 attach --duration 6 --interval 1 "${sampling[@]}" --out "${root}/again" "${leak_pid}" &
first=$!
sleep 1.5
attach busy 2 attach --duration 3 --out "${root}/busy" "${leak_pid}"
one_line_error busy "another jleak is attached to process ${leak_pid}"
[[ ! -e "${root}/busy" ]] || fail "busy: the refused attach left its output directory"
wait "${first}" || fail "again: the second attach in a row failed"

# 2. The healthy control in standby: clean.
start control standby "${churn_jar}" jleak.leakers.Churn --rate 20000000 --duration 600
attach control 0 attach --duration 7 --interval 1 --out "${root}/control" "${pid}"
grep -q '^jleak: CLEAN: clean' control.stdout || { cat control.stdout >&2; fail "control: not clean"; }
kill -0 "${pid}" || fail "control: the JVM did not survive the attach"
kill "${pid}"

# 3. A collection: five snapshots, analyze, stop.
for i in 1 2 3 4 5; do
  attach "snap${i}" 0 snapshot --out "${root}/collection" "${leak_pid}"
  sleep 1
done
grep -q 'sampling is on from now' snap1.stderr || fail "snapshot: first one does not say sampling is on"
attach during 2 attach --duration 3 --out "${root}/during" "${leak_pid}"
one_line_error during "jleak snapshot --stop"
attach stop 0 snapshot --stop --out "${root}/collection" "${leak_pid}"
attach collected 1 analyze "${root}/collection"
grep -q 'Java_jleak_leakers_JniMalloc_leak' collected.stdout || fail "collection: leak not named"
[[ "$(ls "${root}/collection" | grep -c '^snapshot-[0-9]*\.heap$')" -eq 6 ]] || fail "collection: want 6 snapshots"
attach stop_again 2 snapshot --stop --out "${root}/collection" "${leak_pid}"
one_line_error stop_again "no collection to stop"

# 5b. jleak attach killed with SIGKILL: the agent sees its lock go, turns
# sampling off; the next attach works and finds it off.
"${jleak}" attach --duration 60 --no-analyze --out "${root}/killed" "${leak_pid}" >/dev/null 2>&1 &
killed=$!
sleep 4
kill -9 "${killed}"; wait "${killed}" 2>/dev/null || true
sleep 2.5
grep -q 'jleak agent: the jleak that attached went away; sampling is off again' leak.jvm.out ||
  fail "killed: the agent did not end the abandoned session"
attach after_kill 0 attach --duration 3 --interval 1 --no-analyze --out "${root}/after_kill" "${leak_pid}"
sampling_off "${root}/after_kill"

# 5c. It exits mid-attach.
( sleep 4; kill -9 "${leak_pid}" ) &
attach exits 2 attach --duration 30 --interval 1 --out "${root}/exits" "${leak_pid}"
last_line_error exits "JVM ${leak_pid} exited during the attach after [0-9]+ snapshot"
[[ ! -e "/tmp/jleak-${leak_pid}" ]] || fail "exits: control directory left in /tmp"

# 4. jemalloc with profiling compiled in, no agent: loaded now.
start dynamic jemalloc "${leak_jar}" jleak.leakers.JniMalloc --rate 2000000 --duration 600
attach dynamic 1 attach --duration 7 --interval 1 "${sampling[@]}" --out "${root}/dynamic" "${pid}"
grep -q 'loaded it through HotSpot' dynamic.stderr || fail "dynamic: agent not loaded at attach"
grep -q '^jleak: LEAK: leak: Java_jleak_leakers_JniMalloc_leak from jleak\.leakers\.JniMalloc\.leak' dynamic.stdout ||
  { cat dynamic.stdout >&2; fail "dynamic: the site or its Java method is not named"; }
attach dynamic2 0 attach --duration 3 --interval 1 --no-analyze --out "${root}/dynamic2" "${pid}"
! grep -q 'loaded it' dynamic2.stderr || fail "dynamic2: loaded the agent twice"
kill "${pid}"

# 5. Bad input.
sleep 60 & sleeper=$!; pids+=("${sleeper}")
attach not_jvm 2 attach --duration 3 "${sleeper}"
one_line_error not_jvm "process ${sleeper} \(sleep\) is not a JVM"
kill -0 "${sleeper}" || fail "not_jvm: the process was harmed"
attach no_pid 2 attach --duration 3 999999999
one_line_error no_pid "no process 999999999"
start plain plain "${leak_jar}" jleak.leakers.JniMalloc --rate 100000 --duration 600
attach no_jemalloc 2 attach --duration 3 "${pid}"
one_line_error no_jemalloc "was started without jemalloc"
kill -0 "${pid}" || fail "no_jemalloc: the JVM was harmed"
kill "${pid}"
start prof_off prof-off "${leak_jar}" jleak.leakers.JniMalloc --rate 100000 --duration 600
attach prof_off 2 attach --duration 3 "${pid}"
one_line_error prof_off "heap profiling is off .* restart it"
kill -0 "${pid}" || fail "prof_off: the JVM was harmed"
[[ ! -e "/tmp/jleak-${pid}" ]] || fail "prof_off: control directory left in /tmp"
# Another user may not inspect (ptrace-read) the JVM. Bazel's sandbox may
# map no user but root; then this case only runs outside it
# (--spawn_strategy=standalone).
if [[ "$(id -u)" -eq 0 ]] && command -v setpriv >/dev/null &&
   setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
  # A copy nobody can reach (the test's own directories are private).
  nobody_dir="$(mktemp -d /tmp/jleak-nobody.XXXXXX)"
  cp "${jleak}" "${nobody_dir}/jleak"; chmod 755 "${nobody_dir}" "${nobody_dir}/jleak"
  set +e
  setpriv --reuid=65534 --regid=65534 --clear-groups "${nobody_dir}/jleak" \
    attach --duration 3 --out /nonexistent/x "${pid}" >nobody.stdout 2>nobody.stderr
  got=$?
  set -e
  rm -rf "${nobody_dir}"
  [[ ${got} -eq 2 ]] || { cat nobody.stderr >&2; fail "nobody: exit ${got}, want 2"; }
  one_line_error nobody "not allowed to inspect process ${pid}"
  kill -0 "${pid}" || fail "nobody: the JVM was harmed"
else
  echo "--- nobody: skipped (needs root, setpriv, and a user namespace that maps uid 65534)"
fi
kill "${pid}"
# attach starts no process of its own that could outlive it.
sleep 0.5
[[ -z "$(pgrep -x jleak || true)" ]] || fail "a jleak process is still running"
echo PASS
