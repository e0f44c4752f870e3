#!/usr/bin/env bash
# File: profile_cli_test.sh
#
# `jleak profile` as a user meets it, on the real and edge-case profiles of
# testdata/profiles:
#   - bad input (missing file, a directory, an empty file, a truncated
#     profile, a gperftools profile, a file that is no profile, a garbage
#     number, a bad --base): exit 2 and exactly one line on stderr, naming
#     the file (and the line, where there is one);
#   - --format pprof -o FILE writes a gzip file that `gunzip -t` accepts,
#     also for a --base difference; to a pipe it writes the same bytes;
#   - --base: the difference's total is the newer total minus the base's;
#   - an output path that cannot be written exits 2 with one line and
#     leaves no file behind, not even a temporary one; a good -o replaces
#     an existing file whole.
#
#   bazel test //harness/cli:profile_cli_test
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 JLEAK LIBSMOKE_JNI" >&2
  exit 2
fi
jleak="$(readlink -f "$1")"
# The profiles name the JNI library by the path it had where they were
# recorded; the test's own copy is found by file name.
jni_dir="$(dirname "$(readlink -f "$2")")"

smoke=testdata/profiles/smoke
edge=testdata/profiles/edge
i0="${smoke}/jeprof.18581.0.i0.heap"
f="${smoke}/jeprof.18581.3.f.heap"

tmp="${TEST_TMPDIR:-$(mktemp -d)}/cli"
rm -rf "${tmp}"
mkdir -p "${tmp}"
fail() { echo "FAIL: $*" >&2; exit 1; }

# run NAME ARGS...: runs `jleak profile ARGS`, keeps stdout/stderr in
# ${tmp}/NAME.{out,err}, sets $status.
run() {
  local name="$1"; shift
  status=0
  "${jleak}" profile "$@" >"${tmp}/${name}.out" 2>"${tmp}/${name}.err" || status=$?
}

# bad_input NAME WANT_SUBSTRING ARGS...: exit 2, stdout empty, exactly one
# line on stderr, containing WANT_SUBSTRING (fixed string).
bad_input() {
  local name="$1" want="$2"; shift 2
  run "${name}" "$@"
  local lines
  lines="$(wc -l <"${tmp}/${name}.err")"
  [[ ${status} -eq 2 ]] || { cat "${tmp}/${name}.err" >&2; fail "${name}: exit ${status}, want 2"; }
  [[ ! -s "${tmp}/${name}.out" ]] || fail "${name}: wrote to stdout on bad input"
  [[ ${lines} -eq 1 ]] ||
    { cat "${tmp}/${name}.err" >&2; fail "${name}: ${lines} lines on stderr, want exactly 1 (above)"; }
  grep -qF -- "${want}" "${tmp}/${name}.err" ||
    fail "${name}: stderr '$(cat "${tmp}/${name}.err")' lacks '${want}'"
  echo "ok: ${name}: $(cat "${tmp}/${name}.err")"
}

# ---- Bad input ----
bad_input missing_file "${tmp}/no-such.heap" "${tmp}/no-such.heap"
mkdir -p "${tmp}/a-directory.heap"
bad_input directory "${tmp}/a-directory.heap" "${tmp}/a-directory.heap"
: >"${tmp}/empty.heap"
bad_input empty_file "empty.heap" "${tmp}/empty.heap"
bad_input truncated "truncated.heap:34:" "${edge}/truncated.heap"
bad_input gperftools "gperftools.heap:1:" "${edge}/gperftools.heap"
grep -qF "gperftools" "${tmp}/gperftools.err" || fail "gperftools: does not say it is the gperftools format"
printf 'hello, I am not a heap profile\n' >"${tmp}/notes.txt"
bad_input not_a_profile "notes.txt:1: not a jemalloc heap profile" "${tmp}/notes.txt"
bad_input garbage_number "garbage_number.heap:2:" "${edge}/garbage_number.heap"
bad_input zero_objects "zero_objects.heap:2:" "${edge}/zero_objects.heap"
bad_input base_missing "${tmp}/no-base.heap" --base "${tmp}/no-base.heap" "${f}"
bad_input base_truncated "truncated.heap:34:" --base "${edge}/truncated.heap" "${f}"

# ---- pprof output ----
run pprof --format pprof --binary-dir "${jni_dir}" -o "${tmp}/f.pb.gz" "${f}"
[[ ${status} -eq 0 ]] || { cat "${tmp}/pprof.err" >&2; fail "pprof: exit ${status}"; }
[[ ! -s "${tmp}/pprof.out" ]] || fail "pprof: -o given, yet wrote to stdout"
gunzip -t "${tmp}/f.pb.gz" || fail "pprof: gunzip -t rejects ${tmp}/f.pb.gz"
[[ "$(gunzip -c "${tmp}/f.pb.gz" | wc -c)" -gt 1000 ]] || fail "pprof: profile.proto under 1000 bytes"
# The JNI site's name is in the string table.
gunzip -c "${tmp}/f.pb.gz" | grep -qa Java_jleak_smoke_Smoke_retain ||
  fail "pprof: Java_jleak_smoke_Smoke_retain not in the profile's strings"
echo "ok: pprof: $(wc -c <"${tmp}/f.pb.gz") bytes, gunzip -t passes"

run pprof_stdout --format pprof --binary-dir "${jni_dir}" "${f}"
[[ ${status} -eq 0 ]] || fail "pprof to a pipe: exit ${status}"
cmp -s "${tmp}/pprof_stdout.out" "${tmp}/f.pb.gz" || fail "pprof: stdout and -o bytes differ"
echo "ok: pprof_stdout: the same bytes as -o"

run pprof_diff --format pprof --binary-dir "${jni_dir}" --base "${i0}" -o "${tmp}/diff.pb.gz" "${f}"
[[ ${status} -eq 0 ]] || { cat "${tmp}/pprof_diff.err" >&2; fail "pprof --base: exit ${status}"; }
gunzip -t "${tmp}/diff.pb.gz" || fail "pprof --base: gunzip -t rejects it"
gunzip -c "${tmp}/diff.pb.gz" | grep -qa "jleak diff: jeprof.18581.3.f.heap - jeprof.18581.0.i0.heap" ||
  fail "pprof --base: no 'jleak diff' comment naming both files"
echo "ok: pprof_diff"

# ---- --base ----
total() { sed -n 's/^Total: \(-\{0,1\}[0-9]*\) B$/\1/p' "$1"; }
for n in newer older diff; do
  case "${n}" in
    newer) run newer --bytes "${f}" ;;
    older) run older --bytes "${i0}" ;;
    diff) run diff --bytes --base "${i0}" "${f}" ;;
  esac
  [[ ${status} -eq 0 ]] || { cat "${tmp}/${n}.err" >&2; fail "${n}: exit ${status}"; }
  [[ -n "$(total "${tmp}/${n}.out")" ]] || fail "${n}: no 'Total: N B' line"
done
want=$(($(total "${tmp}/newer.out") - $(total "${tmp}/older.out")))
got="$(total "${tmp}/diff.out")"
# Each total is rounded on its own: allow 2 bytes.
[[ $((got - want)) -le 2 && $((want - got)) -le 2 ]] ||
  fail "--base: difference total ${got}, want newer - base = ${want}"
[[ ${got} -gt 30000000 ]] || fail "--base: the smoke workload grew by ${got} B, want > 30 MB"
echo "ok: base: total ${got} B = newer - base"

# ---- Output that cannot be written ----
# unwritable NAME PATH: exit 2, one stderr line naming PATH, no file at
# PATH and no temporary left in its directory.
unwritable() {
  local name="$1" path="$2"
  local dir; dir="$(dirname "${path}")"
  local before=""
  [[ -d "${dir}" ]] && before="$(ls -A "${dir}")"
  run "${name}" --bytes -o "${path}" "${f}"
  [[ ${status} -eq 2 ]] || { cat "${tmp}/${name}.err" >&2; fail "${name}: exit ${status}, want 2"; }
  [[ "$(wc -l <"${tmp}/${name}.err")" -eq 1 ]] ||
    { cat "${tmp}/${name}.err" >&2; fail "${name}: want exactly one line on stderr"; }
  grep -qF -- "${path}" "${tmp}/${name}.err" || fail "${name}: stderr does not name ${path}"
  [[ ! -f "${path}" ]] || fail "${name}: a file was left at ${path}"
  if [[ -d "${dir}" ]]; then
    [[ "$(ls -A "${dir}")" == "${before}" ]] ||
      fail "${name}: ${dir} changed: $(ls -A "${dir}" | tr '\n' ' ')"
  fi
  echo "ok: ${name}: $(cat "${tmp}/${name}.err")"
}

mkdir -p "${tmp}/out/is-a-directory"
unwritable output_is_directory "${tmp}/out/is-a-directory"
[[ -z "$(ls -A "${tmp}/out/is-a-directory")" ]] || fail "output_is_directory: wrote inside the directory"
: >"${tmp}/out/a-file"
unwritable parent_is_file "${tmp}/out/a-file/report.txt"
unwritable parent_missing "${tmp}/out/no-such-dir/report.txt"
if [[ "$(id -u)" -ne 0 ]]; then
  # Root writes into read-only directories; everyone else must not.
  mkdir -p "${tmp}/out/read-only"
  chmod 555 "${tmp}/out/read-only"
  unwritable read_only_dir "${tmp}/out/read-only/report.txt"
  chmod 755 "${tmp}/out/read-only"
fi

# A good -o replaces an existing file whole.
printf 'old contents that are longer than nothing\n' >"${tmp}/out/report.txt"
run replace --bytes -o "${tmp}/out/report.txt" "${f}"
[[ ${status} -eq 0 ]] || fail "replace: exit ${status}"
cmp -s "${tmp}/out/report.txt" "${tmp}/newer.out" || fail "replace: -o output differs from stdout output"
echo "ok: replace"

echo PASS
