// File: report_html.cc
//
// The self-contained HTML report of an Analysis (see report_html.h): the
// page (html/report.html, report.css and the script, html/*.js, embedded
// at build time) filled with the JSON report and a page model. Only data
// is computed here; everything shown, and how, is the script's job.
//
// The page model (#jleak-page), schema for the script:
//
//   {
//     "caller_frames": int,          // callers listed under a top frame
//     "sites": {
//       "rows": [rank, ...],         // growing sites of the table, in order
//       "not_grown": [rank, ...],    // shown, but did not grow: folded
//       "not_grown_count": int,      // all sites that did not grow
//       "more_growing": int          // growing sites beyond max_sites
//     },
//     "plots": [{                    // only plots with data, in this order
//       "id": "plot-sites" | "plot-rss" | "plot-jemalloc" | "plot-heap" |
//             "plot-direct" | "plot-threads",
//       "unit": "bytes" | "count",
//       "series": [{"key": "site" | "rss" | "allocated" | "resident" |
//                          "heap" | "direct" | "threads",
//                   "rank": int, "name": string,   // "site" only
//                   "points": [[seconds, value], ...]}]}],
//     "flame": {
//       "total": B,                  // bytes of the root
//       "nodes": [{"name", "module", "depth": int, "x": fraction,
//                  "w": fraction, "bytes": B}]  // depth-first, root first
//     }
//   }
//
// A rank is an index into Analysis.sites, the "rank" of the JSON report's
// sites; every rank of "sites" is among the JSON report's sites. Times are
// seconds since the first snapshot (snapshots for rate_unit
// "per_snapshot"); non-finite points are left out.

#include "harness/report/report_html.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "harness/report/report_html_assets.h"
#include "harness/report/report_json.h"
#include "nlohmann/json.hpp"

namespace jleak {
namespace {

using Json = nlohmann::ordered_json;

// Bytes: as the JSON report writes byte counts, integers; the fraction of
// an unsampled estimate means nothing and costs bytes in a long series.
Json Bytes(double v) {
  const double r = std::round(v);
  if (std::fabs(r) < 9007199254740992.0) return static_cast<int64_t>(r);
  return r;
}

// Fraction: icicle-graph positions to a millionth of the width, far below
// a pixel even when zoomed 100 times.
double Fraction(double v) { return std::round(v * 1e6) / 1e6; }

// Grew: whether a site is a row of the table rather than folded. Over
// budget and likely sites are evidence even when their fitted growth is
// not positive.
bool Grew(const SiteSeries& s) {
  return s.growth.growth > 0 || s.over_budget || s.likely;
}

Json SitesModel(const Analysis& a, const HtmlReportOptions& opt) {
  Json rows = Json::array(), not_grown = Json::array();
  const std::vector<size_t> shown = SitesToReport(a, opt.max_sites);
  for (size_t i : shown) (Grew(a.sites[i]) ? rows : not_grown).push_back(i);
  size_t grown = 0;
  for (const SiteSeries& s : a.sites) grown += Grew(s) ? 1 : 0;
  Json j = Json::object();
  j["rows"] = rows;
  j["not_grown"] = not_grown;
  j["not_grown_count"] = a.sites.size() - grown;
  j["more_growing"] = grown - rows.size();
  return j;
}

// ---------------------------------------------------------------------
// Timeline plots: which exist and their series, as points.

Json Series(const char* key) {
  Json s = Json::object();
  s["key"] = key;
  s["points"] = Json::array();
  return s;
}

void AddPoint(Json* series, double x, double y, bool bytes) {
  if (!std::isfinite(x) || !std::isfinite(y)) return;
  (*series)["points"].push_back(Json::array({x, bytes ? Bytes(y) : Json(y)}));
}

// TimelineSeries: the points of one optional timeline signal.
Json TimelineSeries(const Analysis& a, const char* key,
                    std::optional<double> TimelinePoint::*field, bool bytes) {
  Json s = Series(key);
  for (const TimelinePoint& p : a.timeline) {
    const std::optional<double>& v = p.*field;
    if (v.has_value()) AddPoint(&s, p.time_seconds, *v, bytes);
  }
  return s;
}

struct Plot {
  const char* id;
  bool bytes;
  std::vector<Json> series;
};

void AddIfAny(Plot* plot, Json series) {
  if (!series["points"].empty()) plot->series.push_back(std::move(series));
}

// SitesForPlot: the first `n` unsuppressed sites, those that grew first
// (the plot is of growth; a flat one after them gives the scale). The
// suppressed ones are in the table; a plot of what was ignored would
// mislead.
std::vector<size_t> SitesForPlot(const Analysis& a, size_t n) {
  std::vector<size_t> out;
  for (bool grew : {true, false}) {
    for (size_t i = 0; i < a.sites.size() && out.size() < n; ++i) {
      if (!a.sites[i].suppressed && Grew(a.sites[i]) == grew) out.push_back(i);
    }
  }
  return out;
}

Json PlotsModel(const Analysis& a, const HtmlReportOptions& opt) {
  std::vector<Plot> plots;
  // The sites first: they name the leak.
  Plot sites{"plot-sites", true, {}};
  for (size_t i : SitesForPlot(a, opt.plot_sites)) {
    const SiteSeries& site = a.sites[i];
    Json s = Series("site");
    s["rank"] = i;
    s["name"] = site.top_frame;
    for (size_t k = 0; k < site.bytes.size() && k < a.snapshots.size(); ++k) {
      AddPoint(&s, a.snapshots[k].time_seconds, site.bytes[k], true);
    }
    AddIfAny(&sites, std::move(s));
  }
  plots.push_back(std::move(sites));

  Json heap_total = Series("heap");
  for (const SnapshotInfo& s : a.snapshots) {
    AddPoint(&heap_total, s.time_seconds, s.total_bytes, true);
  }

  Plot rss{"plot-rss", true, {}};
  AddIfAny(&rss, TimelineSeries(a, "rss", &TimelinePoint::rss_bytes, true));
  plots.push_back(std::move(rss));

  // jemalloc's own counters, and the profiles' unsampled total beside
  // them: the two should agree, and a gap means sampling noise or
  // allocations outside the profiled threads.
  Plot je{"plot-jemalloc", true, {}};
  AddIfAny(&je, TimelineSeries(a, "allocated",
                               &TimelinePoint::jemalloc_allocated, true));
  AddIfAny(&je, TimelineSeries(a, "resident", &TimelinePoint::jemalloc_resident,
                               true));
  if (!je.series.empty()) {
    AddIfAny(&je, std::move(heap_total));
    plots.push_back(std::move(je));
  } else {
    // Profiles alone (no timeline): their total is the only process view.
    Plot heap{"plot-heap", true, {}};
    AddIfAny(&heap, std::move(heap_total));
    plots.push_back(std::move(heap));
  }

  Plot direct{"plot-direct", true, {}};
  AddIfAny(&direct, TimelineSeries(a, "direct",
                                   &TimelinePoint::direct_buffer_bytes, true));
  plots.push_back(std::move(direct));

  Plot threads{"plot-threads", false, {}};
  AddIfAny(&threads,
           TimelineSeries(a, "threads", &TimelinePoint::threads, false));
  plots.push_back(std::move(threads));

  // Only plots with data: a timeline without direct buffers (a non-JVM
  // program) simply has no such plot.
  Json out = Json::array();
  for (Plot& p : plots) {
    if (p.series.empty()) continue;
    Json j = Json::object();
    j["id"] = p.id;
    j["unit"] = p.bytes ? "bytes" : "count";
    j["series"] = std::move(p.series);
    out.push_back(std::move(j));
  }
  return out;
}

// ---------------------------------------------------------------------
// Icicle graph of the growth profile: stacks merged into a tree, pruned,
// laid out as fractions of the total width.

struct FlameNode {
  std::string name;
  std::string module;
  double bytes = 0;
  int depth = 0;
  std::map<std::string, size_t> children;  // by name: deterministic
};

// The narrowest frame kept, as a fraction of the whole: half a pixel of a
// 1200-pixel graph (html/flame.js draws it 1200 wide).
constexpr double kFlameMinFraction = 0.5 / 1200;

Json FlameModel(const Analysis& a, const HtmlReportOptions& opt) {
  std::vector<FlameNode> nodes(1);
  for (const NamedStack& s : a.growth_profile.stacks) {
    if (!(s.counts.bytes > 0) || !std::isfinite(s.counts.bytes) ||
        s.frames.empty()) {
      continue;
    }
    size_t cur = 0;
    nodes[0].bytes += s.counts.bytes;
    // Frames are innermost first: the root of the graph is the last one.
    for (auto f = s.frames.rbegin(); f != s.frames.rend(); ++f) {
      auto it = nodes[cur].children.find(f->function);
      size_t next;
      if (it == nodes[cur].children.end()) {
        next = nodes.size();
        nodes[cur].children.emplace(f->function, next);
        FlameNode child;
        child.name = f->function;
        child.module = f->module;
        child.depth = nodes[cur].depth + 1;
        nodes.push_back(std::move(child));
      } else {
        next = it->second;
      }
      nodes[next].bytes += s.counts.bytes;
      cur = next;
    }
  }
  const double total = nodes[0].bytes;
  Json j = Json::object();
  j["total"] = Bytes(total);
  j["nodes"] = Json::array();
  if (!(total > 0)) return j;

  // Keep the widest nodes: half a pixel at least, and at most
  // max_flame_nodes. A child is never wider than its parent, so the kept
  // set is a tree.
  std::vector<double> widths;
  widths.reserve(nodes.size());
  for (const FlameNode& n : nodes) widths.push_back(n.bytes);
  double min_bytes = total * kFlameMinFraction;
  if (opt.max_flame_nodes > 0 && widths.size() > opt.max_flame_nodes) {
    std::nth_element(widths.begin(), widths.begin() + opt.max_flame_nodes - 1,
                     widths.end(), std::greater<double>());
    min_bytes = std::max(min_bytes, widths[opt.max_flame_nodes - 1]);
  }

  struct Placed {
    size_t node;
    double x;  // fraction of the total
  };
  // Depth-first, children widest first (then by name), left to right.
  std::vector<Placed> todo = {{0, 0}};
  while (!todo.empty()) {
    const Placed p = todo.back();
    todo.pop_back();
    const FlameNode& n = nodes[p.node];
    Json node = Json::object();
    node["name"] = n.name;
    node["module"] = n.module;
    node["depth"] = n.depth;
    node["x"] = Fraction(p.x);
    node["w"] = Fraction(n.bytes / total);
    node["bytes"] = Bytes(n.bytes);
    j["nodes"].push_back(std::move(node));

    std::vector<size_t> kids;
    for (const auto& [name, idx] : n.children) {
      if (nodes[idx].bytes >= min_bytes) kids.push_back(idx);
    }
    std::stable_sort(kids.begin(), kids.end(), [&](size_t l, size_t r) {
      return nodes[l].bytes > nodes[r].bytes;
    });
    double x = p.x;
    std::vector<Placed> row;
    for (size_t k : kids) {
      row.push_back({k, x});
      x += nodes[k].bytes / total;
    }
    // Reverse onto the stack so the leftmost child comes out first.
    for (auto it = row.rbegin(); it != row.rend(); ++it) todo.push_back(*it);
  }
  return j;
}

Json PageModel(const Analysis& a, const HtmlReportOptions& opt) {
  Json j = Json::object();
  j["caller_frames"] = opt.caller_frames;
  j["sites"] = SitesModel(a, opt);
  j["plots"] = PlotsModel(a, opt);
  j["flame"] = FlameModel(a, opt);
  return j;
}

// JsonMaxSites: the embedded JSON report's site limit, raised to hold
// every row of the table (html/sites.js draws the rows from it).
size_t JsonMaxSites(const HtmlReportOptions& opt) {
  if (opt.max_sites == 0 || opt.json_max_sites == 0) return 0;
  return std::max(opt.max_sites, opt.json_max_sites);
}

// Asset: an embedded file as an absl::string_view (Debian's abseil is
// built with its own string_view, not an alias of std::string_view).
absl::string_view Asset(std::string_view bytes) {
  return absl::string_view(bytes.data(), bytes.size());
}

bool IsPlaceholderChar(char c) { return (c >= 'a' && c <= 'z') || c == '_'; }

}  // namespace

std::string HtmlEscape(absl::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string ScriptSafeJson(absl::string_view json) {
  std::string out;
  out.reserve(json.size() + 16);
  for (size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else if (c == '\xE2' && i + 2 < json.size() && json[i + 1] == '\x80' &&
               (json[i + 2] == '\xA8' || json[i + 2] == '\xA9')) {
      // U+2028/U+2029: legal in JSON strings, line terminators in old JS.
      out += json[i + 2] == '\xA8' ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

absl::StatusOr<std::string> FillHtmlTemplate(
    absl::string_view text,
    const std::vector<std::pair<absl::string_view, absl::string_view>>&
        values) {
  std::vector<bool> used(values.size(), false);
  std::string out;
  size_t size = text.size();
  for (const auto& [name, value] : values) size += value.size();
  out.reserve(size);
  size_t from = 0;
  for (size_t at = text.find("{{"); at != absl::string_view::npos;
       at = text.find("{{", from)) {
    size_t end = at + 2;
    while (end < text.size() && IsPlaceholderChar(text[end])) ++end;
    const absl::string_view name = text.substr(at + 2, end - at - 2);
    if (text.substr(end, 2) != "}}") {
      return absl::InvalidArgumentError(absl::StrCat(
          "HTML template: \"{{\" without a placeholder at byte ", at));
    }
    size_t k = 0;
    while (k < values.size() && values[k].first != name) ++k;
    if (k == values.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("HTML template: unknown placeholder {{", name, "}}"));
    }
    used[k] = true;
    absl::StrAppend(&out, text.substr(from, at - from), values[k].second);
    from = end + 2;
  }
  absl::StrAppend(&out, text.substr(from));
  for (size_t k = 0; k < values.size(); ++k) {
    if (!used[k]) {
      return absl::InvalidArgumentError(absl::StrCat(
          "HTML template: no placeholder {{", values[k].first, "}}"));
    }
  }
  return out;
}

absl::Status WriteHtmlReport(const Analysis& analysis, std::ostream& out,
                             const HtmlReportOptions& options) {
  JsonReportOptions json_options;
  json_options.max_sites = JsonMaxSites(options);
  json_options.indent = -1;
  absl::StatusOr<std::string> json = JsonReportString(analysis, json_options);
  if (!json.ok()) return json.status();

  absl::StatusOr<std::string> page;
  try {
    // As the JSON report: invalid UTF-8 in a symbol name is replaced, not
    // thrown.
    const std::string model = PageModel(analysis, options)
                                  .dump(-1, ' ', /*ensure_ascii=*/false,
                                        Json::error_handler_t::replace);
    const std::string title = HtmlEscape(
        absl::StrCat(options.title, ": ", VerdictName(analysis.verdict)));
    const std::string data = ScriptSafeJson(*json);
    const std::string page_model = ScriptSafeJson(model);
    // The script: one <script> a file, in the order report.html runs them.
    page = FillHtmlTemplate(Asset(report_assets::kReportHtml),
                            {{"title", title},
                             {"css", Asset(report_assets::kReportCss)},
                             {"data", data},
                             {"page", page_model},
                             {"dom_js", Asset(report_assets::kDomJs)},
                             {"format_js", Asset(report_assets::kFormatJs)},
                             {"summary_js", Asset(report_assets::kSummaryJs)},
                             {"sites_js", Asset(report_assets::kSitesJs)},
                             {"timeline_js", Asset(report_assets::kTimelineJs)},
                             {"memory_js", Asset(report_assets::kMemoryJs)},
                             {"flame_js", Asset(report_assets::kFlameJs)},
                             {"report_js", Asset(report_assets::kReportJs)}});
  } catch (const std::exception& e) {  // std::bad_alloc on a huge analysis
    return absl::ResourceExhaustedError(
        absl::StrCat("HTML report: ", e.what()));
  }
  if (!page.ok()) return absl::InternalError(page.status().message());
  out << *page;
  out.flush();
  if (!out) return absl::DataLossError("HTML report: write failed");
  return absl::OkStatus();
}

}  // namespace jleak
