#!/usr/bin/env bash
# Runs the heap profile fuzzer for JLEAK_FUZZ_SECONDS (default 30) seeded
# with the profiles in testdata/. Fails on any crash, leak, sanitizer
# report or timeout; prints how many inputs ran.
set -euo pipefail
fuzzer="$1"
seconds="${JLEAK_FUZZ_SECONDS:-30}"
corpus="${TEST_TMPDIR:-$(mktemp -d)}/corpus"
mkdir -p "${corpus}"
cp testdata/profiles/smoke/*.heap testdata/profiles/edge/*.heap "${corpus}/"
artifacts="${TEST_UNDECLARED_OUTPUTS_DIR:-${TEST_TMPDIR:-/tmp}}/"
log="${TEST_TMPDIR:-/tmp}/fuzz.log"
if ! "${fuzzer}" -max_total_time="${seconds}" -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -artifact_prefix="${artifacts}" "${corpus}" >"${log}" 2>&1; then
  tail -n 60 "${log}" >&2
  echo "FAIL: the fuzzer found a crashing input (saved under ${artifacts})" >&2
  exit 1
fi
grep -E 'Done [0-9]+ runs' "${log}" || tail -n 3 "${log}"
