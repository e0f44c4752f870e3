#!/usr/bin/env bash
# Runs the smoke JVM workload with the Bazel-built profiling jemalloc
# preloaded, then checks that:
#   - the JVM exited 0 and printed its summary,
#   - at least one heap_v2 profile was written (prof_final at exit),
#   - jemalloc's own jeprof finds the JNI site with the bytes it retained.
set -euo pipefail

if [[ $# -ne 6 ]]; then
  echo "usage: $0 JAVA SMOKE_JAR ARGS_JAR JNI_LIB LIBJEMALLOC JEPROF" >&2
  exit 2
fi
java="$1"; smoke_jar="$2"; args_jar="$3"; jni_lib="$4"; jemalloc="$5"; jeprof="$6"

fail() { echo "FAIL: $*" >&2; exit 1; }

out="${TEST_UNDECLARED_OUTPUTS_DIR:-${TEST_TMPDIR:-$(mktemp -d)}}/smoke"
mkdir -p "${out}"
readonly blocks=16 block_bytes=1999993
readonly expected=$((blocks * block_bytes))

set +e
LD_PRELOAD="$(readlink -f "${jemalloc}")" \
MALLOC_CONF="prof:true,prof_final:true,lg_prof_sample:17,prof_prefix:${out}/jeprof" \
  "${java}" -Xmx64m -cp "${smoke_jar}:${args_jar}" \
    -Djava.library.path="$(dirname "${jni_lib}")" \
    jleak.smoke.Smoke --blocks "${blocks}" >"${out}/stdout" 2>"${out}/stderr"
status=$?
set -e
cat "${out}/stdout"
if [[ ${status} -ne 0 ]]; then
  cat "${out}/stderr" >&2
  fail "the JVM exited ${status} under the profiling preload"
fi
grep -q "retained ${blocks} native blocks of ${block_bytes} bytes" "${out}/stdout" ||
  fail "the workload did not print its summary"
if grep -q '<jemalloc>' "${out}/stderr"; then
  cat "${out}/stderr" >&2
  fail "jemalloc complained (see above)"
fi

shopt -s nullglob
profiles=("${out}"/jeprof.*.heap)
[[ ${#profiles[@]} -ge 1 ]] || fail "no heap profile written in ${out}"
for p in "${profiles[@]}"; do
  [[ "$(head -c 8 "${p}")" == "heap_v2/" ]] || fail "${p} does not start with heap_v2/"
done
echo "profiles: ${profiles[*]##*/}"

# jeprof symbolizes against the real java ELF and the libraries listed in
# the profile's MAPPED_LIBRARIES; its cumulative bytes are unsampled.
final="${out}/$(cd "${out}" && ls jeprof.*.f.heap | head -n 1)"
"${jeprof}" --text --cum --show_bytes "$(readlink -f "${java}")" "${final}" \
  >"${out}/jeprof.txt" 2>"${out}/jeprof.err" ||
  { cat "${out}/jeprof.err" >&2; fail "jeprof failed on ${final}"; }
line="$(grep -m1 ' Java_jleak_smoke_Smoke_retain$' "${out}/jeprof.txt")" ||
  { head -n 30 "${out}/jeprof.txt" >&2; fail "jeprof does not name Java_jleak_smoke_Smoke_retain"; }
cum="$(awk '{print $4}' <<<"${line}")"
echo "site Java_jleak_smoke_Smoke_retain: ${cum} bytes (retained ${expected})"
# Sampled every 128 KiB on average, 2 MB blocks are nearly always caught;
# the estimate must be within 15% of the truth.
awk -v got="${cum}" -v want="${expected}" \
  'BEGIN { exit !(got >= 0.85 * want && got <= 1.15 * want) }' ||
  fail "site bytes ${cum} not within 15% of ${expected}"
echo "PASS"
