#!/usr/bin/env bash
# File: analyze_std_vector_test.sh
#
# The held-out case of naming: production-style profiles (jemalloc's own
# interval dumps, LD_PRELOAD + MALLOC_CONF, no agent, no timeline, no Java
# frames) of a JNI library that leaks through a std::vector<char> grown in
# its cache's Insert() (testdata/profiles/std_vector, recorded from
# //leakers/std_containers). `jleak analyze` must name the user's function,
# with the std:: frames folded as "via", in the verdict, the text, JSON's
# top_frame and the HTML's data; never std::__new_allocator.
#
#   bazel test //harness/cli:analyze_std_vector_test
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 JLEAK LIBSTD_CONTAINERS" >&2
  exit 2
fi
jleak="$(readlink -f "$1")"
# The profiles name the JNI library by the path it had where they were
# recorded; the test's own copy is found by file name.
jni_dir="$(dirname "$(readlink -f "$2")")"
tmp="${TEST_TMPDIR:-$(mktemp -d)}/std_vector"
rm -rf "${tmp}"
mkdir -p "${tmp}"
fail() { echo "FAIL: $*" >&2; cat "${tmp}/out" >&2; exit 1; }

# A copy with the runfiles' links resolved: jleak does not follow links
# inside a directory it analyzes (a run directory is not trusted).
cp -rL testdata/profiles/std_vector "${tmp}/profiles"

status=0
"${jleak}" analyze --binary-dir "${jni_dir}" --json "${tmp}/r.json" \
  --html "${tmp}/r.html" "${tmp}/profiles" >"${tmp}/out" 2>&1 ||
  status=$?
[[ ${status} -eq 1 ]] || fail "expected exit 1 (leak), got ${status}"
head -n 1 "${tmp}/out" | grep -q \
  '^jleak: LEAK: leak: jleak::leakers::stdc::LeakyCache::Insert(unsigned long, char) via std::vector<char>::insert → std::__new_allocator<char>::allocate grows' ||
  fail "the verdict does not name LeakyCache::Insert via std::vector"
top="$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); s=r["sites"][0]; print(s["top_frame"], "|", s["frames"][0]["kind"], "|", s["frames"][s["user_frame"]]["kind"])' "${tmp}/r.json")"
[[ "${top}" == "jleak::leakers::stdc::LeakyCache::Insert(unsigned long, char) | runtime | user" ]] ||
  fail "report.json's first site: ${top}"
grep -q '"top_frame":"jleak::leakers::stdc::LeakyCache::Insert' "${tmp}/r.html" ||
  fail "the HTML report's data does not name LeakyCache::Insert first"
# The healthy std::string and make_shared paths of the same library are
# their own sites, and not over budget.
python3 - "${tmp}/r.json" <<'PY' || fail "the healthy paths are not separate, clean sites"
import json, sys
r = json.load(open(sys.argv[1]))
names = {s["top_frame"].split("(")[0]: s for s in r["sites"]}
for healthy in ("jleak::leakers::stdc::Journal::Append",
                "jleak::leakers::stdc::Registry::Register"):
    assert healthy in names, healthy
    assert not names[healthy]["over_budget"], healthy
PY
echo PASS
