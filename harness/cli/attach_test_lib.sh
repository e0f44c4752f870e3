# attach_test_lib.sh: what the container and attack tests of `jleak attach`
# share (sourced by pidns_attach_test.sh, which userns_attach_test runs
# too, and attach_attack_test.sh): the JVM's files staged where any user
# and any container can read them, and the command lines of the leaker.

# The leaker's evidence by design (pidns_attach_test.sh has the arithmetic):
# 131,071-byte blocks (jemalloc class 128 KiB) at 2 MB/s = 15.3 blocks/s,
# sampled every 32 KiB, 12 s attaches with a snapshot every 0.5 s (n ~ 18
# analyzed).
LEAK_ARGS="--rate 2000000 --block-bytes 131071 --duration 600"
SAMPLING=(--sample-bytes 32768)
WINDOW=(--duration 12 --interval 0.5)

# stage_jvm_files STAGE JLEAK LEAK_JAR COMMON_DIR: copies jleak's jemalloc
# and agent (as `jleak env` names them), the leaker's jars and JNI library
# into STAGE, readable by everyone.
stage_jvm_files() {
  local stage="$1" jleak="$2" leak_jar="$3" common="$4" jemalloc agent
  (
    eval "$("${jleak}" env --format shell)"
    cp "${LD_PRELOAD}" "${stage}/libjemalloc.so.2"
    agent="${JAVA_TOOL_OPTIONS#-agentpath:}"
    cp "${agent%%=*}" "${stage}/libjleak_agent.so"
  )
  cp "${leak_jar}" "${common}/workload.jar" "${common}/args.jar" \
    "$(dirname "${leak_jar}")/libjni_malloc.so" "${stage}/"
  chmod 755 "${stage}"
  chmod -R a+rX "${stage}"
}

# jvm_env STAGE JLEAK MODE: shell lines that set up the JVM's environment:
# MODE "standby" (`jleak env` with the staged files), "jemalloc" (prof:true,
# no agent) or "plain" (nothing: glibc's malloc, no agent).
jvm_env() {
  local stage="$1" jleak="$2" mode="$3"
  if [[ "${mode}" == plain ]]; then
    echo ":"
  elif [[ "${mode}" == standby ]]; then
    "${jleak}" env --format shell --jemalloc "${stage}/libjemalloc.so.2" \
      --agent "${stage}/libjleak_agent.so"
  else
    echo "export LD_PRELOAD='${stage}/libjemalloc.so.2' MALLOC_CONF=prof:true,prof_active:false"
  fi
}

# leaker_command STAGE JAVA [LEAKER_ARGS]: the shell command that runs the
# JNI leaker from the staged files.
leaker_command() {
  local stage="$1" java="$2" args="${3:-${LEAK_ARGS}}"
  echo "exec '${java}' -Xmx128m -XX:-UsePerfData" \
    "-cp '${stage}/jni_malloc.jar:${stage}/workload.jar:${stage}/args.jar'" \
    "-Djava.library.path='${stage}' jleak.leakers.JniMalloc ${args}"
}

# ------------------------------------------------------------------------
# The end-to-end tests' helpers (attach_command_test.sh,
# sampling_attach_test.sh). They use the caller's variables: jleak, java,
# common (the directory of workload.jar and args.jar), jemalloc (start's
# jemalloc modes), root (logs and output directories), the array pids (JVMs
# started, killed at exit by kill_started_jvms); `fail` ends the test.

fail() { echo "FAIL: $*" >&2; exit 1; }

# attach_test_setup NAME: makes and enters root ($TEST_TMPDIR/NAME), takes
# the attach tests' lock (they share the host's /tmp but each has its own
# PID namespace: JVMs of two tests may have the same PID, hence the same
# /tmp/jleak-<pid>; they take turns), and sets pids=() with
# kill_started_jvms as the EXIT trap.
attach_test_setup() {
  root="${TEST_TMPDIR:-$(mktemp -d)}/$1"
  mkdir -p "${root}"
  cd "${root}"
  exec 9>/tmp/jleak-attach-test.lock
  # The attach tests take turns on the machine; the wait counts against the
  # test's timeout, so a TIMEOUT's log says how long it waited.
  if ! flock -n 9; then
    local waited_from="${SECONDS}"
    echo "waiting for /tmp/jleak-attach-test.lock: another attach test is running on this machine" >&2
    flock 9
    echo "waited $((SECONDS - waited_from)) s for /tmp/jleak-attach-test.lock" >&2
  fi
  pids=()
  trap kill_started_jvms EXIT
}

# kill_started_jvms: the EXIT trap; kills every JVM in pids and removes
# its control directory.
kill_started_jvms() {
  for p in "${pids[@]}"; do
    kill -9 "${p}" 2>/dev/null || true
    rm -rf "/tmp/jleak-${p}"
  done
}

# start NAME ENV_MODE JAR MAIN ARGS...: starts a JVM in the background with
# ENV_MODE "standby" (jleak env), "jemalloc" (prof:true, no agent),
# "prof-off" (jemalloc, profiling off) or "plain"; sets $pid. The caller's
# arrays extra_env (VAR=value) and jvm_flags (e.g. -Xcomp, or a
# -Djava.library.path that wins over the jar's directory), if set, are
# added, and extra_cp (jars of a real library) after the workload's jars.
start() {
  local name="$1" mode="$2" jar="$3" main="$4"; shift 4
  local env=()
  case "${mode}" in
    standby) mapfile -t env < <("${jleak}" env --format shell | sed -n 's/^export //p' | tr -d "'") ;;
    jemalloc) env=("LD_PRELOAD=${jemalloc}" "MALLOC_CONF=prof:true,prof_active:false") ;;
    prof-off) env=("LD_PRELOAD=${jemalloc}") ;;
    plain) env=() ;;
  esac
  env "${env[@]}" ${extra_env[@]+"${extra_env[@]}"} "${java}" -Xmx128m -XX:-UsePerfData \
    -cp "${jar}:${common}/workload.jar:${common}/args.jar${extra_cp:+:${extra_cp}}" \
    "-Djava.library.path=$(dirname "${jar}")" ${jvm_flags[@]+"${jvm_flags[@]}"} "${main}" "$@" \
    >"${root}/${name}.jvm.out" 2>&1 &
  pid=$!
  pids+=("${pid}")
  sleep 3  # JVM start and JIT warm-up, on a shared machine
  kill -0 "${pid}" || { cat "${root}/${name}.jvm.out" >&2; fail "${name}: JVM did not start"; }
}

# attach NAME WANT_EXIT [jleak args...]: runs jleak, checks the exit code.
# With attach_timeout set, jleak must end within that many seconds (124).
attach() {
  local name="$1" want="$2"; shift 2
  local limit=()
  [[ -z "${attach_timeout:-}" ]] || limit=(timeout --kill-after=5 "${attach_timeout}")
  set +e
  "${limit[@]}" "${jleak}" "$@" >"${root}/${name}.stdout" 2>"${root}/${name}.stderr"
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

# evidence NAME REPORT_JSON: the verdict's evidence, one line in the log:
# analyzed snapshots, the leak site's (or, if none, the steepest site's)
# rate and 95% CI, and jemalloc's exact count.
evidence() {
  python3 - "$1" "$2" <<'PY' || echo "--- $1: evidence: no report"
import json, sys
name, path = sys.argv[1:3]
r = json.load(open(path))
snaps = r["snapshots"]
idx = [i for i, s in enumerate(snaps) if s.get("analyzed")]
window = snaps[idx[-1]]["time_seconds"] - snaps[idx[0]]["time_seconds"] if idx else 0
sites = r["sites"]
site = next((s for s in sites if "JniMalloc_leak" in s["headline"]), None)
if site is None and sites:
    site = max(sites, key=lambda s: s["bytes_per_second_low"])
k = lambda v: "%.1f KiB/s" % (v / 1024)
line = "--- %s: evidence: %s, n=%d of %d snapshots over %.1f s" % (
    name, r["verdict"], len(idx), len(snaps), window)
if site:
    b = site["bytes"]
    gained = (b[idx[-1]] - b[idx[0]]) if idx else 0
    line += "; site %s %s (95%% CI %s to %s, p=%.2g, +%.1f MiB in the window)" % (
        site["top_frame"][:40], k(site["bytes_per_second"]), k(site["bytes_per_second_low"]),
        k(site["bytes_per_second_high"]), site["p_value"], gained / 2**20)
a = r.get("signals", {}).get("jemalloc_allocated")
if a:
    line += "; exact %s (%s to %s)" % (k(a["rate"]), k(a["rate_low"]), k(a["rate_high"]))
print(line)
PY
}

# sampling_engine_ran NAME: NAME.stderr, and the manifest, agent.json and
# report of $root/NAME/, say the sampling engine ran, with its limit, and
# detached cleanly (every GOT slot restored, no drops).
sampling_engine_ran() {
  local limit='memory allocated before the attach is not seen \(the verdict is about growth after it\)'
  grep -q 'bytes (sampling engine), a snapshot every' "${root}/$1.stderr" ||
    fail "$1: stderr does not name the sampling engine"
  grep -Eq "the agent samples malloc itself; ${limit}" "${root}/$1.stderr" ||
    fail "$1: stderr does not say the engine's limit"
  if [[ -f "${root}/$1/report.json" ]]; then
    grep -Eq "^  engine: sampling: ${limit}$" "${root}/$1.stdout" ||
      { cat "${root}/$1.stdout" >&2; fail "$1: the report does not name the engine"; }
  fi
  python3 - "${root}/$1" <<'PY' || fail "$1: manifest, agent.json or report.json"
import json, os, sys
d = sys.argv[1]
m = json.load(open(d + "/manifest.json"))
assert m["engine"]["name"] == "sampling", m["engine"]
assert m["engine"]["limit"].startswith("memory allocated before the attach"), m["engine"]
assert m["target"]["jemalloc"] == "", m["target"]
e = json.load(open(d + "/agent.json"))["engine"]
assert e["name"] == "sampling" and e["installed"] is False, e
p = e["patcher"]
assert p["slots_patched"] > 0 and p["slots_restored"] == p["slots_patched"], p
assert p["slots_tracked"] == 0 and p["mprotect_failures"] == 0, p
assert e["samples"] > 0 and not any(e["drops"].values()), e
if os.path.exists(d + "/report.json"):
    r = json.load(open(d + "/report.json"))
    assert r["engine"]["name"] == "sampling", r.get("engine")
PY
}
