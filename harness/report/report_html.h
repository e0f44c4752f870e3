// File: report_html.h
//
// The report for people (`jleak analyze --html FILE`): one self-contained
// HTML file that opens offline (no network, no CDN, no web fonts; a
// Content-Security-Policy forbids any fetch) and answers at a glance "is it
// leaking, where, how sure?":
//
//   - a header with the verdict (green clean, red leak, amber
//     inconclusive), its reason, the kind of growth and the command;
//   - summary figures (total growth and rate, analyzed snapshots, budgets);
//   - the growing sites: top frame and its first callers, growth, rate
//     with its confidence interval, p-value, trend, a sparkline;
//     suppressed sites greyed; the sites that did not grow folded into one
//     line;
//   - timeline plots: RSS, jemalloc allocated/resident, direct buffers
//     when the timeline has them, the profiled heap total, and the live
//     bytes of the top sites, each with the warm-up window shaded;
//   - where RSS went (when the run recorded memory-SEQ.json files): the
//     classes of resident memory as a stacked area over time and tables of
//     the classes and of the file patterns, thread groups, class loader
//     types and mmap sites that grew; for bare .heap files, a note that
//     nothing outside malloc was recorded;
//   - an icicle graph (a flame graph, root on top) of the growth between
//     the first analyzed snapshot and the last (Analysis.growth_profile,
//     stacks that grew); click a frame to zoom;
//   - warnings and the snapshot list.
//
// The page itself is files in the tree, harness/report/html/: report.html
// (the frame, with placeholders), report.css and the script, one job a
// file (dom.js, format.js, summary.js, sites.js, timeline.js, memory.js,
// flame.js and report.js, the driver, whose header lists them), embedded at
// build time (cc_embed_files, //bazel:embed.bzl). This code only supplies data,
// as two JSON texts in the page:
//
//   - <script type="application/json" id="jleak-data">: the JSON report
//     (report_json.h, schema in report_schema.md), for the script and for
//     any script that reads the page;
//   - <script type="application/json" id="jleak-page">: the page model,
//     what the JSON report does not carry: which sites are rows of the
//     table and which are folded, the plots' series reduced to points, the
//     icicle graph's frames merged, pruned to max_flame_nodes and laid out.
//
// The script draws everything from them, inserting every string from the
// analysis with textContent/setAttribute, never as markup. Both JSON texts
// have their <, > and & written as \u003c, \u003e, \u0026 so that no
// "</script>" can close them. The output is deterministic: no clock, no
// random ids, so a fixed Analysis always gives the same bytes.
//
// Checked in headless Chromium by //harness/report:report_html_browser_test.

#ifndef JLEAK_HARNESS_REPORT_REPORT_HTML_H_
#define JLEAK_HARNESS_REPORT_REPORT_HTML_H_

#include <cstddef>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "harness/analyze/analysis.h"

namespace jleak {

struct HtmlReportOptions {
  std::string title = "jleak report";
  // Rows of the sites table (0: all); over-budget and likely sites are
  // always shown. Those of them that did not grow are folded into one line.
  size_t max_sites = 25;
  // Sites drawn in the per-site timeline plot.
  size_t plot_sites = 5;
  // Callers listed under each site's top frame.
  size_t caller_frames = 3;
  // Frames of the icicle graph; narrower ones are dropped first. Keeps a
  // report of a 100,000-stack profile openable.
  size_t max_flame_nodes = 3000;
  // Sites in the embedded JSON (JsonReportOptions::max_sites, 0: all). The
  // table is drawn from it, so it holds at least the table's max_sites.
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

// FillHtmlTemplate replaces each "{{name}}" of `text` by the value of
// `name` in `values`, in one pass (a value is never searched for
// placeholders, so data cannot inject one). An error if `text` holds a
// "{{" that is not a known placeholder, or if a value is never used: a
// page and its code out of step fail loudly rather than ship a hole.
absl::StatusOr<std::string> FillHtmlTemplate(
    absl::string_view text,
    const std::vector<std::pair<absl::string_view, absl::string_view>>& values);

}  // namespace jleak

#endif  // JLEAK_HARNESS_REPORT_REPORT_HTML_H_
