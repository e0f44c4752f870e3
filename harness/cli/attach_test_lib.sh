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
# MODE "standby" (`jleak env` with the staged files) or "jemalloc" (prof:true,
# no agent).
jvm_env() {
  local stage="$1" jleak="$2" mode="$3"
  if [[ "${mode}" == standby ]]; then
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
