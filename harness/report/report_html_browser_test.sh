#!/usr/bin/env bash
# File: report_html_browser_test.sh
#
# Opens the HTML report of the fixture Analysis in headless Chromium
# (Debian package `chromium`, installed by ci/setup.sh) and checks that:
#   1. the page logs nothing to the console: no script error, no blocked
#      request (the page's Content-Security-Policy reports any fetch), no
#      unparsable embedded JSON;
#   2. its script ran to the end, zooming the icicle graph worked
#      (#jleak-selftest), and the plots and the icicle graph are in the DOM;
#   3. a screenshot can be taken: kept as report.png (and report.html) in
#      $TEST_UNDECLARED_OUTPUTS_DIR, i.e.
#      bazel-testlogs/harness/report/report_html_browser_test/test.outputs/.
# Before trusting (1), it checks that this Chromium does print console
# messages, on a page made to fail: a silent browser would pass anything.
#
#   bazel test //harness/report:report_html_browser_test
#   usage: report_html_browser_test.sh PATH_TO_html_report_fixture
set -euo pipefail

readonly FIXTURE="${1:?usage: $0 PATH_TO_html_report_fixture}"
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

# 1 + 2. The report: console quiet, script done, DOM complete.
readonly REPORT="${TMP}/report.html"
"${FIXTURE}" --out="${REPORT}" || fail "html_report_fixture failed"
cp "${REPORT}" "${OUT}/report.html"
readonly URL="file://${REPORT}"

run_chromium "${TMP}/dom.log" "${URL}#jleak-selftest" --dump-dom \
  >"${TMP}/dom.html"
errors="$(console_lines "${TMP}/dom.log")"
[[ -z "${errors}" ]] || fail "console messages from the report:
${errors}"

dom="$(cat "${TMP}/dom.html")"
expect() {  # expect DESCRIPTION FIXED_STRING
  grep -qF -- "$2" <<<"${dom}" || fail "the rendered page lacks $1 ($2)"
}
expect "the script's ready mark" 'data-jleak-ready="1"'
expect "all 6 sites in the embedded data" 'data-jleak-sites="6"'
expect "the verdict read from the embedded data" 'data-jleak-verdict="leak"'
expect "a working icicle-graph zoom" 'data-jleak-selftest="ok"'
expect "the RSS plot" 'id="plot-rss"'
expect "the jemalloc plot" 'id="plot-jemalloc"'
expect "the direct-buffer plot" 'id="plot-direct"'
expect "the per-site plot" 'id="plot-sites"'
expect "the icicle graph" 'id="flame"'
expect "the sites table" '<table class="sites">'
plots="$(grep -oF '<svg class="plot"' <<<"${dom}" | wc -l)"
[[ "${plots}" -ge 5 ]] || fail "expected at least 5 plots, found ${plots}"
if grep -qF '<script>alert' <<<"${dom}"; then
  fail "a hostile function name reached the DOM as markup"
fi

# 3. The screenshot, for people (and for review of the layout).
run_chromium "${TMP}/shot.log" "${URL}" \
  --screenshot="${OUT}/report.png" --window-size=1280,2000 >/dev/null
[[ -s "${OUT}/report.png" ]] || fail "no screenshot written"
[[ "$(head -c 8 "${OUT}/report.png" | od -An -tx1 | tr -d ' \n')" == \
   "89504e470d0a1a0a" ]] || fail "the screenshot is not a PNG"
errors="$(console_lines "${TMP}/shot.log")"
[[ -z "${errors}" ]] || fail "console messages while taking the screenshot:
${errors}"

log "PASS: no console messages, ${plots} plots, screenshot ${OUT}/report.png"
