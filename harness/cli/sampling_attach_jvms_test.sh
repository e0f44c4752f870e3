#!/usr/bin/env bash
# `jleak attach` on plain `java` JVMs (glibc's malloc, no settings) that
# sampling_attach_test.sh does not cover, each attached by the sampling
# engine (agent/sampling_capture.h):
#   1. a real library as Debian ships it: zstd-jni's
#      ZstdOutputStreamNoFinalizer never closed (leakers/zstd_jni), its
#      native stream malloc'd by libzstd under a JNI library loaded with
#      System.load before the attach: leak named at zstd's allocation and
#      the library's own Java class;
#   2. -Xcomp (every method compiled before it runs: no interpreter frames
#      on the leak's stack) and 3. -Xint (interpreter only: no compiled
#      frames): the JNI leaker is named with its Java method, and the
#      healthy control (churn) is clean, in each mode.
# The evidence by design is attach_test_lib.sh's (131,071-byte blocks at
# 2 MB/s sampled every 32 KiB, 12 s attaches with a snapshot every 0.5 s,
# n ~ 18 analyzed). zstd: 3 streams/s of ~3.66 MB each (leakers/BUILD), ~11
# MB/s, so ~130 MB in the window; sampled every 32 KiB each stream's
# workspace is sampled ~110 times. The controls' clean verdicts rest on
# their sampled sites alone (glibc has no exact count).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/attach_test_lib.sh"

if [[ $# -ne 7 ]]; then
  echo "usage: $0 JLEAK JAVA JNI_MALLOC_JAR CHURN_JAR ZSTD_JNI_JAR DEBIAN_ZSTD_JNI_JAR COMMON_JARS_DIR" >&2
  exit 2
fi
jleak="$(readlink -f "$1")"; java="$(readlink -f "$2")"
leak_jar="$(readlink -f "$3")"; churn_jar="$(readlink -f "$4")"
zstd_jar="$(readlink -f "$5")"; zstd_lib_jar="$(readlink -f "$6")"
common="$(dirname "$(readlink -f "$7")")"
attach_test_setup sampling_jvms
read -r -a leak_args <<<"${LEAK_ARGS}"

# leak_named NAME SITE_REGEX JAVA_REGEX: the verdict's first line names
# the site and its Java method.
leak_named() {
  grep -Eq "^jleak: LEAK: leak: $2 from $3" "${root}/$1.stdout" ||
    { cat "${root}/$1.stdout" >&2; fail "$1: the site or its Java method is not named"; }
}

# 1. zstd-jni, the library's own native path (leakers/debian_java/defs.bzl).
jvm_flags=(-DZstdNativePath=/usr/lib/x86_64-linux-gnu/libzstd-jni.so.1)
extra_cp="${zstd_lib_jar}"
start zstd plain "${zstd_jar}" jleak.leakers.ZstdJni --rate 3 --duration 600
unset extra_cp
attach zstd 1 attach "${WINDOW[@]}" "${SAMPLING[@]}" --out "${root}/zstd" "${pid}"
evidence zstd "${root}/zstd/report.json"
# Debian's libzstd exports only its API: the malloc call in its internal
# ZSTD_customMalloc is named by offset (libzstd.so.1.5.4+0x26016 measured).
leak_named zstd '(ZSTD_[A-Za-z_]+|Java_com_github_luben_zstd_[A-Za-z_]+|libzstd\.so[.0-9]*\+0x[0-9a-f]+)( \(in [^)]*\))?' \
  'com\.github\.luben\.zstd\.ZstdOutputStreamNoFinalizer\.'
sampling_engine_ran zstd
kill -0 "${pid}" || fail "zstd: the JVM did not survive"
kill "${pid}"

# 2-3. The JNI leaker and the control under -Xcomp and -Xint.
for mode in Xcomp Xint; do
  jvm_flags=("-${mode}")
  start "leak-${mode}" plain "${leak_jar}" jleak.leakers.JniMalloc "${leak_args[@]}"
  attach "leak-${mode}" 1 attach "${WINDOW[@]}" "${SAMPLING[@]}" --out "${root}/leak-${mode}" "${pid}"
  evidence "leak-${mode}" "${root}/leak-${mode}/report.json"
  leak_named "leak-${mode}" Java_jleak_leakers_JniMalloc_leak 'jleak\.leakers\.JniMalloc\.leak grows'
  sampling_engine_ran "leak-${mode}"
  python3 - "${root}/leak-${mode}/agent.json" <<'PY' || fail "leak-${mode}: no Java frames"
import json, sys
j = json.load(open(sys.argv[1]))["java_stacks"]
assert j["enabled"] and j["with_java_frames"] > 0, j
PY
  kill -0 "${pid}" || fail "leak-${mode}: the JVM did not survive"
  kill "${pid}"

  start "control-${mode}" plain "${churn_jar}" jleak.leakers.Churn --rate 20000000 --duration 600
  attach "control-${mode}" 0 attach "${WINDOW[@]}" "${SAMPLING[@]}" --out "${root}/control-${mode}" "${pid}"
  evidence "control-${mode}" "${root}/control-${mode}/report.json"
  grep -q '^jleak: CLEAN: clean' "${root}/control-${mode}.stdout" ||
    { cat "${root}/control-${mode}.stdout" >&2; fail "control-${mode}: not clean"; }
  sampling_engine_ran "control-${mode}"
  kill -0 "${pid}" || fail "control-${mode}: the JVM did not survive"
  kill "${pid}"
done
sleep 0.5
[[ -z "$(pgrep -x jleak || true)" ]] || fail "a jleak process is still running"
echo PASS
