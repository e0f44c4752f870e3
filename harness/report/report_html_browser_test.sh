#!/usr/bin/env bash
# File: report_html_browser_test.sh
#
# Opens HTML reports of the fixture Analysis in headless Chromium (Debian
# package `chromium`, installed by ci/setup.sh). The page is drawn by its
# script (html/*.js, report.js last) from the embedded JSON, so this is
# where the drawing is tested; report_html_test.cc tests the data the C++ side puts in.
#   1. The page as written: no console message (no script error, no
#      blocked request: the Content-Security-Policy reports any fetch, no
#      unreadable JSON), and the DOM after the script ran (--dump-dom)
#      holds the verdict header, the fixture's sites by name in the table,
#      the sites that did not grow folded behind one line, the plots with
#      their points, where RSS went (the classes stacked, their table,
#      the file pattern that grew), the icicle graph with its frames; no
#      name of the analysis turned into markup.
#   2. The same page with report_html_browser_test.js appended: it compares
#      the DOM with the embedded data row by row, point by point, frame by
#      frame, zooms the icicle graph, flips the suppressed-sites switch, and
#      unit-tests the formatting helpers; also on the fixture without a
#      timeline, and with 40 more sites (limits, folding).
#   3. A screenshot, kept as report.png (with report.html) in
#      $TEST_UNDECLARED_OUTPUTS_DIR, i.e.
#      bazel-testlogs/harness/report/report_html_browser_test/test.outputs/.
# Before trusting (1), it checks that this Chromium does print console
# messages, on a page made to fail: a silent browser would pass anything.
#
#   bazel test //harness/report:report_html_browser_test
#   usage: report_html_browser_test.sh PATH_TO_html_report_fixture \
#            PATH_TO_report_html_browser_test.js
set -euo pipefail

readonly FIXTURE="${1:?usage: $0 PATH_TO_html_report_fixture PATH_TO_test.js}"
readonly TEST_JS="${2:?usage: $0 PATH_TO_html_report_fixture PATH_TO_test.js}"
readonly TMP="${TEST_TMPDIR:-$(mktemp -d)}"
readonly OUT="${TEST_UNDECLARED_OUTPUTS_DIR:-${TMP}}"
readonly TIMEOUT_S="${JLEAK_BROWSER_TIMEOUT:-90}"

fail() { printf 'report_html_browser_test: FAIL: %s\n' "$*" >&2; exit 1; }
log() { printf 'report_html_browser_test: %s\n' "$*" >&2; }

browser=""
for candidate in "${CHROMIUM:-}" chromium chromium-browser; do
  if [[ -n "${candidate}" ]] && command -v "${candidate}" >/dev/null 2>&1; then
    browser="${candidate}"
    break
  fi
done
[[ -n "${browser}" ]] ||
  fail "no chromium on PATH: install Debian's 'chromium' (ci/setup.sh)"

# Chromium writes its profile, caches and crash database under HOME and
# the XDG directories; the sandbox only lets us write under TEST_TMPDIR.
export HOME="${TMP}/home"
export XDG_CONFIG_HOME="${HOME}/.config" XDG_CACHE_HOME="${HOME}/.cache"
export XDG_RUNTIME_DIR="${TMP}/runtime"
mkdir -p "${XDG_CONFIG_HOME}" "${XDG_CACHE_HOME}" "${XDG_RUNTIME_DIR}"
chmod 700 "${XDG_RUNTIME_DIR}"

# run_chromium LOG URL FLAGS...: one headless run with a fresh profile,
# offline, stdout to the caller, stderr (with console messages) to LOG.
run_chromium() {
  local log_file="$1" url="$2"
  shift 2
  local profile
  profile="$(mktemp -d "${TMP}/profile.XXXXXX")"
  timeout -k 10 "${TIMEOUT_S}" "${browser}" \
    --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
    --disable-quic --no-first-run --no-default-browser-check \
    --disable-background-networking --disable-component-update \
    --disable-sync --disable-extensions --disable-default-apps \
    --user-data-dir="${profile}" --hide-scrollbars \
    --enable-logging=stderr --v=0 \
    "$@" "${url}" 2>"${log_file}" ||
    fail "chromium exited with $? on ${url} (log: $(tail -5 "${log_file}"))"
}

# Headless Chromium logs every console message (log, warn, error,
# uncaught exceptions, CSP violations) as "INFO:CONSOLE(...)" or
# ":CONSOLE:..." lines; our page logs nothing when all is well.
console_lines() { grep -E ':CONSOLE[:(]' "$1" || true; }

# dump_dom NAME HTML: the DOM of HTML after its scripts ran, in
# ${TMP}/NAME.dom, with the text of its <script> elements left out (the
# script and the data mention what the checks look for); fails on any
# console message.
dump_dom() {
  local name="$1" html="$2"
  run_chromium "${TMP}/${name}.log" "file://${html}" --dump-dom \
    >"${TMP}/${name}.full.dom"
  perl -0pe 's{(<script[^>]*>).*?</script>}{$1</script>}gs' \
    "${TMP}/${name}.full.dom" >"${TMP}/${name}.dom"
  local errors
  errors="$(console_lines "${TMP}/${name}.log")"
  [[ -z "${errors}" ]] || fail "console messages from ${name}:
${errors}"
}

# 0. The check of the check.
cat >"${TMP}/broken.html" <<'EOF'
<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>
<script>console.error("jleak-canary-error"); undefinedFunction();</script>
</body></html>
EOF
run_chromium "${TMP}/broken.log" "file://${TMP}/broken.html" --dump-dom \
  >/dev/null
console_lines "${TMP}/broken.log" | grep -q 'jleak-canary-error' ||
  fail "chromium did not report console.error of a broken page; cannot check for console errors (log: $(tail -5 "${TMP}/broken.log"))"
console_lines "${TMP}/broken.log" | grep -q 'Uncaught' ||
  fail "chromium did not report an uncaught exception of a broken page"

# 1. The report as written: console quiet, DOM drawn.
readonly REPORT="${TMP}/report.html"
"${FIXTURE}" --out="${REPORT}" || fail "html_report_fixture failed"
cp "${REPORT}" "${OUT}/report.html"
dump_dom page "${REPORT}"
dom="$(cat "${TMP}/page.dom")"

expect() {  # expect DESCRIPTION FIXED_STRING
  grep -qF -- "$2" <<<"${dom}" || fail "the rendered page lacks $1 ($2)"
}
count() {  # count FIXED_STRING: occurrences in the rendered page
  grep -oF -- "$1" <<<"${dom}" | wc -l
}
expect_count() {  # expect_count DESCRIPTION MIN FIXED_STRING
  local n
  n="$(count "$3")"
  [[ "${n}" -ge "$2" ]] || fail "expected at least $2 $1, found ${n} ($3)"
}

body_tag="$(grep -oE '<body[^>]*>' <<<"${dom}" | head -1)"
grep -qF 'data-jleak-ready="1"' <<<"${body_tag}" ||
  fail "the script did not finish drawing: ${body_tag:-no <body>}"
grep -qF 'data-jleak-verdict="leak"' <<<"${body_tag}" ||
  fail "the script did not read the verdict: ${body_tag}"
expect "the verdict header" '<header class="verdict leak" id="verdict">'
expect "the verdict's title" '<h1>Leak found</h1>'
expect "the reason" 'Java_jleak_leakers_JniMalloc_allocate grows 100.0 KiB/s'
expect "the sites table" '<table class="sites">'
expect "the leaking JNI site, first and over budget" \
  '<tr class="site over" data-rank="0"><td class="rank">1</td><td class="frames"><div class="top mono">Java_jleak_leakers_JniMalloc_allocate</div>'
expect "the JNI site's location and first caller" \
  '<div class="where">jni_malloc.cc:42 · libjnimalloc.so</div><ol class="callers mono"><li title="[jit]">jleak.leakers.JniMalloc.allocate(I)J</li>'
expect "the C++ template site, escaped as text" \
  '<div class="top mono">graph::Node&lt;std::map&lt;int, double&gt;&gt;::AddEdge('
expect "the C++ site's location and the library frame it allocated through" \
  '<div class="where">graph.h:87 · libjnigraph.so</div><div class="inner mono" title="void std::vector&lt;std::pair&lt;int,'
expect "the Java site named by the user's method" \
  '<div class="top mono">com.example.cache.Cache.put</div><div class="where">Cache.java:42 · [java]</div>'
expect "the hostile site's name as text" \
  '<div class="top mono">&lt;script&gt;alert(1)&lt;/script&gt;</div>'
expect "the suppressed site" '<tr class="site suppressed" data-rank="2">'
expect "the suppression that matched" 'libjvm.so:CodeCache::.*'
expect "a rate with its interval" '97.0 KiB/s to 103.0 KiB/s'
expect "callers below the top frame" 'jleak.leakers.JniMalloc.allocate(I)J'
expect "the count of further frames" '4 more frames'
expect "the non-growing sites folded behind one line" \
  '<details class="not-grown" id="not-grown"><summary>2 sites that did not grow'
expect "the flat Arena site, folded" 'Arena::grow(unsigned long'
expect "the RSS plot" '<svg class="plot" id="plot-rss"'
expect "the jemalloc plot" '<svg class="plot" id="plot-jemalloc"'
expect "the direct-buffer plot" '<svg class="plot" id="plot-direct"'
expect "the threads plot" '<svg class="plot" id="plot-threads"'
expect "the per-site plot" '<svg class="plot" id="plot-sites"'
expect "the warm-up shading" '<rect class="warmup"'
expect "the icicle graph" '<svg class="flame" id="flame"'
expect "the icicle graph's root" 'data-n="all growth"'
expect "the leaking JNI function in the icicle graph" \
  'data-d="8" data-n="Java_jleak_leakers_JniMalloc_allocate"'
expect "the warnings" 'no symbol table; 3 addresses named by module offset'
expect "the snapshot list" '<summary>Snapshots (13)</summary>'

expect "the stacked area of where RSS went" '<svg class="plot" id="plot-memory"'
expect_count "classes stacked" 8 '<polygon class="band"'
expect "the table of classes" '<table class="signals" id="memory-classes">'
expect "the class over its budget" '<td>! mapped files</td>'
expect "the hostile file pattern as text" \
  '<td>/tmp/&lt;/script&gt;&lt;b&gt;x&lt;/b&gt;-*.idx</td>'
expect "where the files were mapped from" \
  '<td>com.example.Index.open (Index.java:33)</td>'

sites_in_table="$(count '<tr class="site')"
[[ "${sites_in_table}" -eq 7 ]] ||
  fail "expected the fixture's 7 sites (5 rows, 2 folded), found ${sites_in_table}"
expect_count "plots" 5 '<svg class="plot"'
expect_count "plot lines" 9 '<polyline class="line'
expect_count "plotted points" 100 '<circle '
expect_count "icicle-graph frames" 20 '<g class="fn"'
expect_count "icicle-graph rects" 20 '<rect y='
for raw in '<script>alert' '<img'; do
  if grep -qF -- "${raw}" <<<"${dom}"; then
    fail "a hostile function name reached the DOM as markup (${raw})"
  fi
done

# 2. The report with the DOM checks appended, for three fixtures.
# with_checks HTML OUT: HTML with report_html_browser_test.js as the last
# script of its body.
with_checks() {
  local line
  line="$(grep -n '^</body>$' "$1" | tail -1 | cut -d: -f1)"
  [[ -n "${line}" ]] || fail "no </body> line in $1"
  {
    head -n "$((line - 1))" "$1"
    printf '<script>\n'
    cat "${TEST_JS}"
    printf '</script>\n'
    tail -n "+${line}" "$1"
  } >"$2"
}
for variant in default no-timeline extra-sites; do
  case "${variant}" in
    default) flags=() ;;
    no-timeline) flags=(--no-timeline) ;;
    extra-sites) flags=(--extra-sites=40) ;;
  esac
  "${FIXTURE}" --out="${TMP}/${variant}.html" ${flags[@]+"${flags[@]}"} ||
    fail "html_report_fixture ${flags[*]} failed"
  with_checks "${TMP}/${variant}.html" "${TMP}/${variant}-checked.html"
  dump_dom "${variant}-checked" "${TMP}/${variant}-checked.html"
  if ! grep -qE '<body [^>]*data-jleak-selftest="ok"' \
    "${TMP}/${variant}-checked.dom"; then
    failures="$(perl -0ne \
      'print $1 if m{<pre id="jleak-selftest-log">(.*?)</pre>}s' \
      "${TMP}/${variant}-checked.dom")"
    fail "the DOM checks failed on the ${variant} fixture:
${failures:-no result: the checks did not run}"
  fi
done
grep -qF 'id="no-timeline"' "${TMP}/no-timeline-checked.dom" ||
  fail "the report without a timeline does not say so"
grep -qF 'id="plot-heap"' "${TMP}/no-timeline-checked.dom" ||
  fail "the report without a timeline lacks the profiled-heap plot"
if grep -qF 'id="plot-rss"' "${TMP}/no-timeline-checked.dom"; then
  fail "the report without a timeline has an RSS plot"
fi
grep -qF 'id="no-memory">nothing outside malloc was recorded' \
  "${TMP}/no-timeline-checked.dom" ||
  fail "the report of bare .heap files does not say nothing outside malloc was recorded"
grep -qF '<summary>42 sites that did not grow' \
  "${TMP}/extra-sites-checked.dom" ||
  fail "the report with 40 more flat sites does not fold them into one line"

# 3. The screenshot, for people (and for review of the layout).
run_chromium "${TMP}/shot.log" "file://${REPORT}" \
  --screenshot="${OUT}/report.png" --window-size=1280,2000 >/dev/null
[[ -s "${OUT}/report.png" ]] || fail "no screenshot written"
[[ "$(head -c 8 "${OUT}/report.png" | od -An -tx1 | tr -d ' \n')" == \
   "89504e470d0a1a0a" ]] || fail "the screenshot is not a PNG"
errors="$(console_lines "${TMP}/shot.log")"
[[ -z "${errors}" ]] || fail "console messages while taking the screenshot:
${errors}"

log "PASS: no console messages, ${sites_in_table} sites, $(count '<svg class="plot"') plots, $(count '<g class="fn"') icicle frames; DOM checks on 3 fixtures; screenshot ${OUT}/report.png"
