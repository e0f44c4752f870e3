#!/usr/bin/env bash
# Runs a libFuzzer target for JLEAK_FUZZ_SECONDS (default 30), seeded with
# its corpus in testdata/fuzz/<CORPUS>/ (grown by ci/fuzz.sh and checked
# in, so every run starts where the long runs got to), the inputs that once
# crashed it (testdata/fuzz/regressions/<CORPUS>-*) and, for the heap
# profile fuzzer, the profiles in testdata/. Fails on any crash, leak,
# sanitizer report or timeout; prints how many inputs ran.
#
#   heap_profile_fuzz_test.sh FUZZER CORPUS     # CORPUS: heap_profile, ...
set -euo pipefail
fuzzer="$1"
name="${2:-heap_profile}"
seconds="${JLEAK_FUZZ_SECONDS:-30}"
corpus="${TEST_TMPDIR:-$(mktemp -d)}/corpus"
mkdir -p "${corpus}"
if [[ -d "testdata/fuzz/${name}" ]]; then
  cp testdata/fuzz/"${name}"/* "${corpus}/" 2>/dev/null || true
fi
# Inputs that once crashed it (ci/fuzz.sh saves them there).
cp testdata/fuzz/regressions/"${name}"-* "${corpus}/" 2>/dev/null || true
if [[ "${name}" == "heap_profile" ]]; then
  cp testdata/profiles/smoke/*.heap testdata/profiles/edge/*.heap "${corpus}/"
fi
# The smaps classifier (//profile:memory_map_fuzzer) starts from real smaps.
if [[ "${name}" == "smaps" ]]; then
  cp testdata/memory/*.smaps "${corpus}/"
fi
artifacts="${TEST_UNDECLARED_OUTPUTS_DIR:-${TEST_TMPDIR:-/tmp}}/"
log="${TEST_TMPDIR:-/tmp}/fuzz.log"
if ! "${fuzzer}" -max_total_time="${seconds}" -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -artifact_prefix="${artifacts}" "${corpus}" >"${log}" 2>&1; then
  tail -n 60 "${log}" >&2
  echo "FAIL: the fuzzer found a crashing input (saved under ${artifacts})" >&2
  exit 1
fi
grep -E 'Done [0-9]+ runs' "${log}" || tail -n 3 "${log}"
