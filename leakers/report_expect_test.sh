#!/usr/bin/env bash
# Tests report_expect.py (suite_test's expected_report checks) on crafted
# report.json files: matches pass, mismatches and missing fields fail, the
# SKIP holds only when the whole top-level key is absent, bad input exits 2.
#
#   report_expect_test.sh REPORT_EXPECT_PY
set -uo pipefail
check="$1"
dir="${TEST_TMPDIR:-$(mktemp -d)}"
failures=0
# expect_exit WANT_STATUS WANT_REGEX -- ARGS...: runs the checker, asserts
# its exit status and that its output matches WANT_REGEX.
expect_exit() {
  local want="$1" want_re="$2"; shift 3
  local out status
  out="$(python3 "${check}" "$@" 2>&1)"; status=$?
  if [[ ${status} -ne ${want} ]] || ! grep -Eq -- "${want_re}" <<<"${out}"; then
    echo "FAIL: report_expect.py $* -> exit ${status} (want ${want}), output:"
    echo "${out}" | sed 's/^/    /'
    echo "    (want a line matching /${want_re}/)"
    failures=$((failures + 1))
  else
    echo "ok: $* -> ${status}"
  fi
}

cat >"${dir}/named.json" <<'JSON'
{"verdict": "leak", "kind": "outside_malloc",
 "reason": "leak: threads pool-#-thread-#: +20.0/s, started from jleak.leakers.ThreadPool.handle (ThreadPool.java:61)",
 "memory": {"recorded": true,
            "threads": [{"pattern": "pool-#-thread-#", "count": [2, 4],
                         "parked_in": ["java.util.concurrent.LinkedBlockingQueue.take"],
                         "started_from": ["jleak.leakers.ThreadPool.handle (ThreadPool.java:61)"]}],
            "files": []}}
JSON
cat >"${dir}/old.json" <<'JSON'
{"verdict": "leak", "kind": "outside_malloc", "reason": "leak: RSS grows"}
JSON
printf '[1, 2]' >"${dir}/array.json"
printf '{"memory": ' >"${dir}/truncated.json"

r="${dir}/named.json"
expect_exit 0 '^ok: report.json memory.threads\[0\].pattern = "pool-#-thread-#"' -- "${r}" \
  '--expect=memory.threads[0].pattern=^pool-#-thread-#$'
expect_exit 0 '^ok: .*started_from' -- "${r}" --skip-without=memory \
  '--expect=memory.threads[0].started_from[0]=^jleak\.leakers\.ThreadPool\.handle \(ThreadPool\.java:[0-9]+\)$' \
  '--expect=memory.threads[0].parked_in=LinkedBlockingQueue\.take' \
  '--expect=memory.recorded=^true$' \
  '--expect=reason=pool-#-thread-#.*started from jleak\.leakers\.ThreadPool\.handle'
# A mismatch fails, and names the value found.
expect_exit 1 '^FAIL: report.json memory.threads\[0\].pattern = "pool-#-thread-#" does not match /\^jleak-parked-#\$/' -- \
  "${r}" '--expect=memory.threads[0].pattern=^jleak-parked-#$'
# One failing expectation among passing ones fails the check.
expect_exit 1 '^ok: report.json reason' -- "${r}" '--expect=reason=pool' \
  '--expect=memory.recorded=^false$'
# Missing fields under an existing memory object fail, even with the skip.
expect_exit 1 '^FAIL: report.json memory.files\[0\].pattern: missing \(memory.files has 0 entries, no \[0\]\)' -- \
  "${r}" --skip-without=memory '--expect=memory.files[0].pattern=x'
expect_exit 1 "^FAIL: report.json memory.class_loaders\\[0\\].type: missing \\(memory has no key 'class_loaders'\\)" -- \
  "${r}" --skip-without=memory '--expect=memory.class_loaders[0].type=x'
# No memory key at all: skipped with --skip-without, failed without it.
expect_exit 0 '^SKIP: no memory object yet' -- "${dir}/old.json" --skip-without=memory \
  '--expect=memory.threads[0].pattern=^pool-#-thread-#$'
expect_exit 1 "^FAIL: .*report has no key 'memory'" -- "${dir}/old.json" \
  '--expect=memory.threads[0].pattern=^pool-#-thread-#$'
# Bad input: exit 2 with a one-line reason.
expect_exit 2 'not a JSON object' -- "${dir}/array.json" '--expect=a=b'
expect_exit 2 'cannot read .*truncated.json' -- "${dir}/truncated.json" '--expect=a=b'
expect_exit 2 'cannot read .*missing.json' -- "${dir}/missing.json" '--expect=a=b'
expect_exit 2 'bad regex' -- "${r}" '--expect=reason=(unclosed'
expect_exit 2 'needs PATH=REGEX' -- "${r}" '--expect=reason'
expect_exit 2 'needs PATH=REGEX' -- "${r}" '--expect=a..b=x'
expect_exit 2 'unknown argument' -- "${r}" '--frobnicate=1'

if [[ ${failures} -ne 0 ]]; then
  echo "${failures} check(s) failed"
  exit 1
fi
echo "PASS"
