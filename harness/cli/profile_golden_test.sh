#!/usr/bin/env bash
# File: profile_golden_test.sh
#
# Golden test of `jleak profile` on the real profiles of testdata/profiles:
# text (--bytes --lines 15) and collapsed stacks, of one profile and of a
# --base difference, for the smoke JNI workload and the zlib Deflater leak.
# Each output must equal testdata/golden/<case> byte for byte.
#
#   bazel test //harness/cli:profile_golden_test
#   bazel run //harness/cli:profile_golden_test -- --update   # rewrite goldens
#
# What makes the outputs the same on every machine (testdata/README.md):
#   - The JNI library path recorded in the smoke profiles points into the
#     bazel-out of the machine that recorded them; --binary-dir points at the
#     runfiles copy of //leakers/smoke:libsmoke_jni.so instead.
#   - --debug-dir is an empty directory, so no separate debug file is used
#     (libc6-dbg is installed on some machines, not on others): names come
#     from each file's own .symtab/.dynsym, and code without symbols prints
#     as module+0xoffset, which is stable for a given package version.
#   - System modules (libjvm, libc, libz, ...) are this Debian's. The build-
#     ids the goldens were made with are in testdata/golden/build_ids.txt;
#     when an output differs, the modules whose build-id changed are listed
#     (a Debian package upgrade: regenerate with --update).
#   - No perf map is beside the profiles, so JIT frames print as 0x<address>.
set -euo pipefail

if [[ $# -lt 2 || $# -gt 3 ]]; then
  echo "usage: $0 JLEAK LIBSMOKE_JNI [--update]" >&2
  exit 2
fi
jleak="$(readlink -f "$1")"
jni_dir="$(dirname "$(readlink -f "$2")")"
update=0
if [[ $# -eq 3 ]]; then
  [[ "$3" == --update ]] || { echo "unknown option $3" >&2; exit 2; }
  update=1
fi

profiles=testdata/profiles
golden_in=testdata/golden
golden_out="${golden_in}"
if [[ ${update} -eq 1 ]]; then
  [[ -n "${BUILD_WORKSPACE_DIRECTORY:-}" ]] ||
    { echo "--update needs 'bazel run' (BUILD_WORKSPACE_DIRECTORY)" >&2; exit 2; }
  golden_out="${BUILD_WORKSPACE_DIRECTORY}/testdata/golden"
  mkdir -p "${golden_out}"
fi

tmp="${TEST_TMPDIR:-$(mktemp -d)}"
no_debug="${tmp}/no-debug-dir"
mkdir -p "${no_debug}"
common=(--binary-dir "${jni_dir}" --debug-dir "${no_debug}")

smoke_i0="${profiles}/smoke/jeprof.18581.0.i0.heap"
smoke_f="${profiles}/smoke/jeprof.18581.3.f.heap"
zlib_i0="${profiles}/zlib/jeprof.7416.0.i0.heap"
zlib_f="${profiles}/zlib/jeprof.7416.2.f.heap"

# case NAME ARGS...: golden file name, then the `jleak profile` arguments.
cases=(
  "smoke_f.txt --bytes --lines 15 ${smoke_f}"
  "smoke_diff.txt --bytes --lines 15 --base ${smoke_i0} ${smoke_f}"
  "smoke_diff.collapsed --format collapsed --base ${smoke_i0} ${smoke_f}"
  "zlib_f.txt --bytes --lines 15 ${zlib_f}"
  "zlib_diff.collapsed --format collapsed --base ${zlib_i0} ${zlib_f}"
)

# build_ids: "<path> <build-id>" of every executable system module mapped
# in the profiles above (the bazel-out modules are the runfiles' own).
build_ids() {
  local f path
  for f in "${smoke_i0}" "${smoke_f}" "${zlib_i0}" "${zlib_f}"; do
    sed -n '/^MAPPED_LIBRARIES:/,$p' "${f}" |
      awk 'NF >= 6 && $2 ~ /x/ && $6 ~ /^\/usr\// { print $6 }'
  done | sort -u | while read -r path; do
    if [[ -f "${path}" ]]; then
      echo "${path} $(readelf -n "${path}" 2>/dev/null |
        sed -n 's/.*Build ID: //p' | head -n 1)"
    else
      echo "${path} missing"
    fi
  done
}

failures=0
for c in "${cases[@]}"; do
  read -r -a words <<<"${c}"
  name="${words[0]}"
  args=("${words[@]:1}")
  status=0
  "${jleak}" profile "${common[@]}" "${args[@]}" \
    >"${tmp}/${name}" 2>"${tmp}/${name}.stderr" || status=$?
  if [[ ${status} -ne 0 ]]; then
    cat "${tmp}/${name}.stderr" >&2
    echo "FAIL: ${name}: jleak profile ${args[*]} exited ${status}" >&2
    failures=$((failures + 1))
    continue
  fi
  if [[ ${update} -eq 1 ]]; then
    cp "${tmp}/${name}" "${golden_out}/${name}"
    echo "wrote ${golden_out}/${name}"
  elif ! diff -u "${golden_in}/${name}" "${tmp}/${name}" >"${tmp}/${name}.diff"; then
    head -n 60 "${tmp}/${name}.diff" >&2
    echo "FAIL: ${name}: jleak profile ${args[*]} differs from ${golden_in}/${name} (diff above: - golden, + now)" >&2
    failures=$((failures + 1))
  else
    echo "ok: ${name}"
  fi
done

if [[ ${update} -eq 1 ]]; then
  build_ids >"${golden_out}/build_ids.txt"
  echo "wrote ${golden_out}/build_ids.txt"
  exit "$((failures > 0 ? 1 : 0))"
fi

if [[ ${failures} -gt 0 ]]; then
  build_ids >"${tmp}/build_ids.txt"
  if ! diff "${golden_in}/build_ids.txt" "${tmp}/build_ids.txt" >"${tmp}/build_ids.diff"; then
    echo "These modules differ from the ones the goldens were made with (< then, > now):" >&2
    grep '^[<>]' "${tmp}/build_ids.diff" >&2 || true
    echo "If the Debian packages were upgraded on purpose, regenerate the goldens:" >&2
  else
    echo "The system modules are the ones the goldens were made with: the change is jleak's." >&2
    echo "If the new output is right, regenerate the goldens:" >&2
  fi
  echo "  bazel run //harness/cli:profile_golden_test -- --update" >&2
  exit 1
fi
echo "PASS: ${#cases[@]} outputs equal their goldens"
