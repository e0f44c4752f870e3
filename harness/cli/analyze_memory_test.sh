#!/usr/bin/env bash
# File: analyze_memory_test.sh
#
# `jleak analyze` of run directories whose agent recorded where RSS went
# (memory-SEQ.json; the hand-made series of testdata/memory): each leak is
# named by its class and specifics in the verdict, with exit 1, and the
# JSON report's `memory` object names the same; the clean run is clean;
# --max-outside-rate is a budget; bare .heap files say plainly that
# nothing outside malloc was recorded; a memory file that is not one is an
# error (exit 2) naming the file.
#
#   bazel test //harness/cli:analyze_memory_test
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 JLEAK" >&2
  exit 2
fi
jleak="$(readlink -f "$1")"
tmp="${TEST_TMPDIR:-$(mktemp -d)}/memory"
rm -rf "${tmp}"
mkdir -p "${tmp}"
fail() { echo "FAIL: $*" >&2; cat "${tmp}/out" >&2; exit 1; }
# A copy with the runfiles' links resolved: jleak does not follow links
# inside a directory it analyzes (a run directory is not trusted).
cp -rL testdata/memory "${tmp}/series"

# analyze CASE EXPECTED_STATUS ARGS...: the verdict line in ${tmp}/out,
# the JSON report in ${tmp}/CASE.json.
analyze() {
  local case="$1" want="$2"
  shift 2
  local status=0
  "${jleak}" analyze --json "${tmp}/${case}.json" "$@" \
    "${tmp}/series/${case}" >"${tmp}/out" 2>&1 || status=$?
  [[ ${status} -eq ${want} ]] ||
    fail "${case}: expected exit ${want}, got ${status}"
}
reason_has() {  # reason_has CASE FIXED_STRING
  head -n 1 "${tmp}/out" | grep -qF -- "$2" ||
    fail "$1: the verdict lacks: $2"
}
json() {  # json CASE PYTHON_EXPRESSION_OF_r
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
    "${tmp}/$1.json" "$2"
}

analyze mapped_file 1
reason_has mapped_file 'growth outside malloc: mapped files /var/lib/app/index/segments-*.idx: 54 mappings, +4.0 MiB/s, mapped from com.example.Index.open (Index.java:33)'
[[ "$(json mapped_file 'r["kind"], r["memory"]["files"][0]["pattern"], r["memory"]["files"][0]["mapped_from"][0]')" == \
   "('outside_malloc', '/var/lib/app/index/segments-*.idx', 'com.example.Index.open (Index.java:33)')" ]] ||
  fail "mapped_file: report.json's memory.files[0]"
grep -qF '  ! mapped files ' "${tmp}/out" ||
  fail "mapped_file: the class over budget is not marked in the table"

analyze thread_pool 1
reason_has thread_pool 'threads pool-#-thread-#: +6.0/s, 132 live, parked in java.util.concurrent.LinkedBlockingQueue.take, started from com.example.Handler.handle (Handler.java:22)'
reason_has thread_pool 'jemalloc allocated grows 42.0 MiB -> 90.1 MiB (+3.0 MiB/s, p<0.001) while the profiled heap grows +0 B/s: blocks freed into the thread caches (tcache) of the 96 new threads'
[[ "$(json thread_pool 'r["memory"]["threads"][0]["pattern"], r["memory"]["threads"][0]["started_from"][0], r["memory"]["allocator"]["finding_kind"]')" == \
   "('pool-#-thread-#', 'com.example.Handler.handle (Handler.java:22)', 'allocated_not_profiled')" ]] ||
  fail "thread_pool: report.json's memory.threads[0]"

analyze classloader 1
reason_has classloader 'class metadata +749.3 KiB/s: loaders of type com.example.PluginLoader 30 -> 110, their classes 1500 -> 5500'
[[ "$(json classloader 'r["memory"]["class_loaders"][0]["type"]')" == \
   "com.example.PluginLoader" ]] || fail "classloader: memory.class_loaders[0]"

analyze retention 1
reason_has retention 'allocator retention (jemalloc resident grows); jemalloc holds resident pages beyond what is allocated: resident - allocated 12.0 MiB -> 28.0 MiB (+1.0 MiB/s, p<0.001)'
[[ "$(json retention 'r["kind"], r["memory"]["allocator"]["finding_kind"]')" == \
   "('allocator_retention', 'retention')" ]] || fail "retention: kind"

analyze jni_mmap 1
reason_has jni_mmap 'growth outside malloc: anonymous mappings: 92 mappings, +1.0 MiB/s, mapped from com.example.NativeBuffers.mapAnon'

analyze clean 0
reason_has clean 'clean: '
[[ "$(json clean 'r["memory"]["recorded"], any(c["over_budget"] for c in r["memory"]["classes"])')" == \
   "(True, False)" ]] || fail "clean: memory recorded, nothing over budget"

# The budget: RSS over its own budget still decides for the mapped files;
# with every budget above the leak's rate, the run is clean.
analyze classloader 0 --max-rss-rate 1MiB --max-outside-rate 1MiB
analyze classloader 1 --max-rss-rate 1MiB --max-outside-rate 256KiB
reason_has classloader 'leak: growth outside malloc: class metadata +749.3 KiB/s'
reason_has classloader 'budget 256.0 KiB/s per class'
# (Into a file: grep -q would end the pipe early, and pipefail fail it.)
"${jleak}" analyze --help >"${tmp}/help" 2>&1 || true
grep -q -- '--max-outside-rate' "${tmp}/help" ||
  fail "--help does not document --max-outside-rate"

# Bare .heap files: nothing outside malloc was recorded, said plainly.
mkdir -p "${tmp}/series/bare"
for i in 0 1 2 3 4 5; do
  cp "${tmp}/series/clean/snapshot-${i}.heap" "${tmp}/series/bare/"
done
analyze bare 0
grep -qF '  where RSS went: nothing outside malloc was recorded' "${tmp}/out" ||
  fail "bare: the text does not say nothing outside malloc was recorded"
[[ "$(json bare 'r["memory"]["recorded"], r["memory"]["reason"].startswith("nothing outside malloc was recorded")')" == \
   "(False, True)" ]] || fail "bare: memory.recorded/reason"

# A memory file that is not one: exit 2, one line naming it.
printf '{"format":"jleak-memory 9"}' >"${tmp}/series/clean/memory-4.json"
analyze clean 2
grep -qF "clean/memory-4.json: format 'jleak-memory 9', not 'jleak-memory 1'" \
  "${tmp}/out" || fail "a bad memory file is not named"
echo "PASS"
