#!/usr/bin/env bash
# Integration test of `jleak run` on the RunFaults workload
# (leakers/faults): a leaking JVM, the faults of issue 4 (crash, exit 3,
# SIGKILL, hang past --timeout, bad path, not a JVM, unwritable and
# vanished output directory, agent that fails to load), --duration,
# native mode and --replay. For each: the exit code, what the manifest
# says, that collected snapshots are kept, and that no process is left.
set -euo pipefail

if [[ $# -ne 4 ]]; then
  echo "usage: $0 JLEAK JAVA RUN_FAULTS_JAR JNI_LIB" >&2
  exit 2
fi
jleak="$(readlink -f "$1")"; java="$(readlink -f "$2")"
jar="$(readlink -f "$3")"; jni_dir="$(dirname "$(readlink -f "$4")")"

root="${TEST_TMPDIR:-$(mktemp -d)}/runs"
mkdir -p "${root}"
fail() { echo "FAIL: $*" >&2; exit 1; }

# jq is not installed; python3 is (Debian's base). j DIR EXPR prints
# manifest field EXPR (a Python expression over `m`).
j() { python3 -c "import json,sys; m=json.load(open(sys.argv[1]+'/manifest.json')); print($2)" "$1"; }

# run NAME EXPECTED_EXIT [jleak run options...] -- command...
# Collection only (--no-analyze), except for the run named "leak", whose
# exit code is the analyzer's verdict.
run() {
  local name="$1" want="$2"; shift 2
  local out="${root}/${name}"
  local analyze=(--no-analyze)
  [[ "${name}" == leak ]] && analyze=()
  set +e
  "${jleak}" run --out "${out}" "${analyze[@]}" "$@" >"${root}/${name}.stdout" 2>"${root}/${name}.stderr"
  local got=$?
  set -e
  echo "--- ${name}: exit ${got}"; tail -n 2 "${root}/${name}.stderr"
  [[ ${got} -eq ${want} ]] || { cat "${root}/${name}.stderr" >&2; fail "${name}: exit ${got}, want ${want}"; }
}

# no_process_left DIR: the profiled process (agent.pid) is gone.
no_process_left() {
  local pidfile="$1/agent.pid"
  [[ -f "${pidfile}" ]] || return 0
  local pid; pid="$(cat "${pidfile}")"
  ! kill -0 "${pid}" 2>/dev/null || fail "$1: workload pid ${pid} still alive"
}

snapshots() { ls "$1" | grep -c '^snapshot-[0-9]*\.heap$' || true; }

jvm=("${java}" -Xmx64m -XX:ErrorFile=/dev/null -XX:-CreateCoredumpOnCrash
     -cp "${jar}" "-Djava.library.path=${jni_dir}" jleak.testdata.RunFaults)

# 1. A leaking JVM, to its natural end: analyzed, the verdict is the exit.
# 8 s at 1 s intervals: 6 snapshots after the warm-up, a clear trend.
run leak 1 --interval 1 -- "${jvm[@]}" leak 8
d="${root}/leak"
grep -q '^jleak: LEAK: leak: Java_jleak_testdata_RunFaults_retain from jleak\.testdata\.RunFaults\.retain grows' \
  "${root}/leak.stdout" || { cat "${root}/leak.stdout" >&2; fail "leak: verdict does not name the JNI site"; }
# With the agent's Java stacks no frame is the anonymous "Interpreter" (a
# frame of HotSpot's interpreter with no Java method named). libjvm's own
# functions (InterpreterRuntime::...) are real names, so the check is on
# whole function names, not a substring.
python3 - "${d}/report.json" <<'PY' || fail "leak: the report still shows Interpreter frames"
import json, sys
r = json.load(open(sys.argv[1]))
bad = [f["function"] for s in r["sites"] for f in s["frames"]
       if f["function"] in ("Interpreter", "[interpreter]")]
sys.exit(1 if bad else 0)
PY
! grep -qw 'from Interpreter' "${root}/leak.stdout" ||
  fail "leak: the headline names the Interpreter"
[[ "$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["verdict"], r["sites"][0]["top_frame"])' "${d}/report.json")" == "leak Java_jleak_testdata_RunFaults_retain" ]] ||
  fail "leak: report.json verdict/top site"
# The page is drawn by its script from the embedded data: the data and the
# plots of the page model must be there.
grep -q 'id="jleak-data"' "${d}/report.html" &&
  grep -q '"plots":\[{"id":"plot-' "${d}/report.html" ||
  fail "leak: no HTML report with plots"
[[ "$(stat -c %a "${d}")" == 700 ]] || fail "run directory is not mode 0700"
[[ "$(snapshots "${d}")" -ge 4 ]] || fail "leak: fewer than 4 snapshots"
[[ "$(j "${d}" "m['outcome']")" == collected ]] || fail "leak: outcome"
[[ "$(j "${d}" "m['snapshots'][-1]['kind']")" == final ]] || fail "leak: no final snapshot"
[[ "$(j "${d}" "m['agent']['vm']['java.version'].split('.')[0]")" == 17 ]] || fail "leak: JDK version missing"
[[ "$(j "${d}" "m['agent']['jemalloc']['version'][:5]")" == 5.3.0 ]] || fail "leak: jemalloc version missing"
python3 - "${d}" <<'PY' || fail "leak: timeline does not show the leak"
import json, sys
t = [json.loads(l) for l in open(sys.argv[1] + "/timeline.jsonl")]
a = [r["jemalloc"]["allocated"] for r in t]
# 8 blocks of 2 MB per second for 4 s: at least 40 MB more at the end.
assert a[-1] - a[0] > 40e6, a
assert all(r["java"]["gc_forced"] for r in t), t
PY
ls "${d}"/perf-*.map >/dev/null || fail "leak: no perf map"
grep -q 'RunFaults' "${d}"/perf-*.map || echo "note: no RunFaults method JIT-compiled"
head -c 8 "${d}/snapshot-0.heap" | grep -q heap_v2 || fail "leak: snapshot is not heap_v2"
# What the workload printed reached the terminal and stays in the run.
grep -q '^leak: retained' "${root}/leak.stdout" || fail "leak: workload stdout not passed through"
grep -q '^leak: retained' "${d}/workload.log" || fail "leak: workload stdout not in workload.log"
[[ "$(j "${d}" "m['workload_log']")" == workload.log ]] || fail "leak: manifest has no workload_log"
# Build-ids of the modules the workload ran, for analysis on another host.
j "${d}" "[p for p, i in m['build_ids'].items() if p.endswith('/libjvm.so') and len(i) >= 16 and int(i, 16) >= 0]" |
  grep -q libjvm.so || fail "leak: no build-id for libjvm.so in the manifest"
# The report names the workload's command line.
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert "RunFaults leak 8" in r["command"], r["command"]' \
  "${d}/report.json" || fail "leak: report.json has no command line"
no_process_left "${d}"

# 2. --duration ends a long workload gracefully, with a final snapshot;
#    --nmt adds the JVM's Native Memory Tracking summary to each snapshot.
run duration 0 --interval 1 --duration 3 --nmt -- "${jvm[@]}" leak 60
d="${root}/duration"
[[ "$(j "${d}" "m['workload']['ended_by']")" == duration ]] || fail "duration: ended_by"
[[ "$(j "${d}" "m['snapshots'][-1]['kind']")" == final ]] || fail "duration: no final snapshot"
python3 - "${d}" <<'PY' || fail "duration: no NMT figures in the timeline"
import json, sys
t = [json.loads(l) for l in open(sys.argv[1] + "/timeline.jsonl")]
for r in t:
    nmt = r["java"]["nmt_committed"]
    assert nmt["Total"] > 0 and nmt["Thread"] > 0 and nmt["Java Heap"] > 0, nmt
PY
no_process_left "${d}"

# 3. Crash in JNI (SIGSEGV; the JVM aborts): snapshots kept, exit 2.
run segv 2 --interval 1 -- "${jvm[@]}" segv 2
d="${root}/segv"
[[ "$(j "${d}" "m['outcome']")" == crashed ]] || fail "segv: outcome"
[[ "$(snapshots "${d}")" -ge 2 ]] || fail "segv: snapshots not kept"
grep -q "the workload crashed" "${root}/segv.stderr" || fail "segv: message"
grep -q "A fatal error has been detected" "${d}/workload.log" ||
  fail "segv: the JVM's crash report is not in workload.log"
no_process_left "${d}"

# 4. System.exit(3): the VM still dies cleanly, so the data is complete.
run exit3 0 --interval 1 -- "${jvm[@]}" exit3 1.5
d="${root}/exit3"
[[ "$(j "${d}" "m['workload']['exit_code']")" == 3 ]] || fail "exit3: exit code"
[[ "$(j "${d}" "m['snapshots'][-1]['kind']")" == final ]] || fail "exit3: no final snapshot"

# 5. Hang past --timeout: final snapshot requested, then killed; exit 2.
run hang 2 --interval 1 --timeout 3 --grace 2 -- "${jvm[@]}" hang
d="${root}/hang"
[[ "$(j "${d}" "m['outcome']")" == timeout ]] || fail "hang: outcome"
[[ "$(j "${d}" "m['snapshots'][-1]['kind']")" == final ]] || fail "hang: no final snapshot"
no_process_left "${d}"

# 6. SIGKILL from outside (as the OOM killer would).
d="${root}/sigkill"
set +e
"${jleak}" run --out "${d}" --no-analyze --interval 1 -- "${jvm[@]}" leak 30 \
  >"${root}/sigkill.stdout" 2>"${root}/sigkill.stderr" &
launcher=$!
for _ in $(seq 50); do [[ -s "${d}/agent.pid" ]] && break; sleep 0.1; done
# Killed once its first snapshot is on disk (not after a fixed 2 s: on a
# loaded machine the baseline's forced GC and memory map took longer).
for _ in $(seq 300); do compgen -G "${d}/snapshot-*.heap" >/dev/null && break; sleep 0.1; done
sleep 1
kill -9 "$(cat "${d}/agent.pid")"
wait "${launcher}"; got=$?
set -e
echo "--- sigkill: exit ${got}"
[[ ${got} -eq 2 ]] || fail "sigkill: exit ${got}"
[[ "$(j "${d}" "m['workload']['signal_name']")" == SIGKILL ]] || fail "sigkill: signal"
[[ "$(snapshots "${d}")" -ge 1 ]] || fail "sigkill: snapshots not kept"

# 7. Bad path: nothing starts; the manifest says so.
run badpath 2 -- /nonexistent/bin/java -version
[[ "$(j "${root}/badpath" "m['outcome']")" == not-started ]] || fail "badpath: outcome"
grep -q "/nonexistent/bin/java" "${root}/badpath.stderr" || fail "badpath: message"

# 8. Not a JVM, but told it is one: no agent report.
run notjvm 2 --mode jvm -- /bin/sleep 1
[[ "$(j "${root}/notjvm" "m['outcome']")" == agent-missing ]] || fail "notjvm: outcome"
grep -q -- "--mode=native" "${root}/notjvm.stderr" || fail "notjvm: message"

# 9. A native program in native mode, then --replay of it.
run native 0 --interval 0.5 --no-workload-log -- /bin/sleep 1.5
[[ "$(snapshots "${root}/native")" -ge 3 ]] || fail "native: snapshots"
[[ ! -e "${root}/native/workload.log" ]] || fail "native: workload.log despite --no-workload-log"
[[ "$(j "${root}/native" "m['agent']['mode']")" == native ]] || fail "native: mode"
set +e
"${jleak}" run --replay "${root}/native" --no-analyze --out "${root}/replay" 2>"${root}/replay.stderr"
got=$?
set -e
[[ ${got} -eq 0 ]] || { cat "${root}/replay.stderr"; fail "replay: exit ${got}"; }
[[ "$(j "${root}/replay" "m['settings']['command']")" == "$(j "${root}/native" "m['settings']['command']")" ]] ||
  fail "replay: different command"
[[ "$(j "${root}/replay" "m['settings']['interval_s']")" == 0.5 ]] || fail "replay: interval"
[[ ! -e "${root}/replay/workload.log" ]] || fail "replay: --no-workload-log not replayed"

# 10. Output directory that cannot be created (root-proof: under a file).
set +e
"${jleak}" run --out /dev/null/run -- /bin/true 2>"${root}/unwritable2.stderr"; got=$?
set -e
[[ ${got} -eq 2 ]] || fail "unwritable: exit ${got}"
grep -q "cannot create output directory" "${root}/unwritable2.stderr" || fail "unwritable: message"

# 11. Output directory removed mid-run (stands in for a lost or full disk:
#     root ignores read-only permissions). The agent must not crash the
#     workload; jleak says what happened.
d="${root}/vanish"
set +e
"${jleak}" run --out "${d}" --no-analyze --interval 0.3 -- /bin/sleep 2 2>"${root}/vanish.stderr" &
launcher=$!
sleep 1
rm -rf "${d}"
wait "${launcher}"; got=$?
set -e
echo "--- vanish: exit ${got}"; tail -n 1 "${root}/vanish.stderr"
[[ ${got} -eq 2 ]] || fail "vanish: exit ${got}"
grep -q "cannot write .*manifest.json" "${root}/vanish.stderr" || fail "vanish: message"

# 12. An agent that fails to load: the JVM refuses to start.
echo "not an ELF file" >"${root}/bad_agent.so"
run badagent 2 --agent "${root}/bad_agent.so" -- "${jvm[@]}" leak 1
[[ "$(j "${root}/badagent" "m['outcome']")" == agent-missing ]] || fail "badagent: outcome"

# 13. SIGTERM and Ctrl-C (SIGINT): jleak forwards them to the workload (its
#     output copied to workload.log by a second thread, which must not be
#     the one that takes the signal), the JVM shuts down with a final
#     snapshot, and the data is kept. `set -m`: without job control, bash
#     starts background jobs with SIGINT ignored, as no terminal would.
stop_with() {  # stop_with NAME SIGNAL
  local d="${root}/$1" got
  set +e
  set -m
  "${jleak}" run --out "${d}" --no-analyze --interval 0.5 -- "${jvm[@]}" leak 60 \
    >"${root}/$1.stdout" 2>"${root}/$1.stderr" &
  local launcher=$!
  set +m
  for _ in $(seq 100); do
    [[ "$(snapshots "${d}" 2>/dev/null)" -ge 2 ]] && break
    sleep 0.2
  done
  kill "-$2" "${launcher}"
  wait "${launcher}"; got=$?
  set -e
  echo "--- $1: exit ${got}"; tail -n 1 "${root}/$1.stderr"
  [[ ${got} -eq 0 ]] || { cat "${root}/$1.stderr" >&2; fail "$1: exit ${got}"; }
  [[ "$(j "${d}" "m['workload']['ended_by']")" == "signal SIG$2" ]] || fail "$1: ended_by"
  [[ "$(j "${d}" "m['workload']['sent_sigkill']")" == False ]] || fail "$1: the JVM needed SIGKILL"
  [[ "$(j "${d}" "m['snapshots'][-1]['kind']")" == final ]] || fail "$1: no final snapshot"
  no_process_left "${d}"
}
stop_with sigterm TERM
stop_with sigint INT

echo PASS
