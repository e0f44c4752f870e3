// File: report_html.h
//
// The report for people (`jleak analyze --html FILE`): one self-contained
// HTML file, inline CSS, inline SVG and a little inline JavaScript, that
// opens offline (no network, no CDN, no web fonts; a Content-Security-Policy
// forbids any fetch) and answers at a glance "is it leaking, where, how
// sure?":
//
//   - a header with the verdict (green clean, red leak, amber
//     inconclusive), its reason, the kind of growth and the command;
//   - summary figures (total growth and rate, analyzed snapshots, budgets);
//   - the top growing sites: top frame and its first callers, growth, rate
//     with its confidence interval, p-value, trend, a sparkline;
//     suppressed sites greyed;
//   - timeline plots (inline SVG drawn here, so tests can read them): RSS,
//     jemalloc allocated/resident, direct buffers when the timeline has
//     them, the profiled heap total, and the live bytes of the top sites,
//     each with the warm-up window shaded;
//   - an icicle graph (a flame graph, root on top) of the growth between
//     the first analyzed snapshot and the last (Analysis.growth_profile,
//     stacks that grew); click a frame to zoom;
//   - warnings and the snapshot list;
//   - the JSON report (report_json.h) embedded in
//     <script type="application/json" id="jleak-data"> for scripts.
//
// Every string from the analysis (function names are C++ templates full
// of <, > and &; file names may hold quotes) is escaped; JSON embedded in a
// <script> has its <, > and & written as \u003c, \u003e, \u0026 so that no
// "</script>" can close it. The output is deterministic: no clock, no
// random ids, so a fixed Analysis always gives the same bytes.
//
// Checked in headless Chromium by //harness/report:report_html_browser_test.

#ifndef JLEAK_HARNESS_REPORT_REPORT_HTML_H_
#define JLEAK_HARNESS_REPORT_REPORT_HTML_H_

#include <cstddef>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "harness/analyze/analysis.h"

namespace jleak {

struct HtmlReportOptions {
  std::string title = "jleak report";
  // Rows of the sites table; over-budget sites are always shown.
  size_t max_sites = 25;
  // Sites drawn in the per-site timeline plot.
  size_t plot_sites = 5;
  // Callers listed under each site's top frame.
  size_t caller_frames = 3;
  // Frames of the icicle graph; narrower ones are dropped first. Keeps a
  // report of a 100,000-stack profile openable.
  size_t max_flame_nodes = 3000;
  // Sites in the embedded JSON (JsonReportOptions::max_sites).
  size_t json_max_sites = 50;
};

// WriteHtmlReport writes the whole page to `out`; an error only if the
// stream fails or the embedded JSON cannot be rendered.
absl::Status WriteHtmlReport(const Analysis& analysis, std::ostream& out,
                             const HtmlReportOptions& options = {});

// HtmlEscape escapes &, <, >, " and ' : safe in text and in quoted
// attribute values (HTML and SVG alike).
std::string HtmlEscape(absl::string_view text);

// ScriptSafeJson rewrites <, > and & of a JSON text as \u003c, \u003e,
// \u0026 (they only occur inside JSON strings, where the escapes mean the
// same), and U+2028/U+2029 likewise, so that the text can sit inside a
// <script> element.
std::string ScriptSafeJson(absl::string_view json);

}  // namespace jleak

#endif  // JLEAK_HARNESS_REPORT_REPORT_HTML_H_
