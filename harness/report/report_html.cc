// File: report_html.cc
//
// The self-contained HTML report of an Analysis (see report_html.h).
// Layout, plots and the icicle graph are computed here and written as
// static HTML + SVG, so that tests can check them without a browser; the
// inline script only adds zooming to the icicle graph and marks the page
// ready for the headless-Chromium check.
//
// Every string that comes from the analysis goes through E() (HtmlEscape).

#include "harness/report/report_html.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "harness/report/report_json.h"
#include "profiler/profile_report.h"

namespace jleak {
namespace {

std::string E(absl::string_view text) { return HtmlEscape(text); }

// ---------------------------------------------------------------------
// Numbers for people.

bool PerSnapshot(const Analysis& a) {
  return a.time_source == TimeSource::kSequence;
}

std::string RateSuffix(const Analysis& a) {
  return PerSnapshot(a) ? "/snapshot" : "/s";
}

std::string FormatRate(double rate, const std::string& suffix) {
  if (std::isnan(rate)) return "n/a";
  if (std::isinf(rate))
    return rate > 0 ? "+\xE2\x88\x9E" : "\xE2\x88\x92\xE2\x88\x9E";
  return FormatBytes(rate) + suffix;
}

std::string FormatCi(const GrowthEstimate& g, const std::string& suffix) {
  return absl::StrCat(FormatRate(g.slope_low, suffix), " to ",
                      FormatRate(g.slope_high, suffix));
}

std::string FormatP(double p) {
  if (!std::isfinite(p)) return "n/a";
  if (p < 0.001) return "< 0.001";
  return absl::StrFormat("%.3f", p);
}

std::string FormatSeconds(double s) {
  if (!std::isfinite(s)) return "n/a";
  const double a = std::fabs(s);
  if (a == 0) return "0 s";
  // Production profiles with lost mtimes can be microseconds apart.
  if (a < 1e-3) return absl::StrFormat("%.3g \xC2\xB5s", s * 1e6);
  if (a < 1) return absl::StrFormat("%.3g ms", s * 1e3);
  if (a >= 7200) return absl::StrFormat("%.1f h", s / 3600);
  if (a >= 120) return absl::StrFormat("%.1f min", s / 60);
  return absl::StrFormat("%.4g s", s);
}

// TimeUnit: the unit of a time axis reaching `max_seconds`, so tick
// labels read "0 20 40" rather than "0 2e-05 4e-05".
struct TimeUnit {
  double per_second;
  const char* title;
};
TimeUnit TimeAxisUnit(double max_seconds, bool per_snapshot) {
  if (per_snapshot) return {1, "snapshot"};
  const double a = std::fabs(max_seconds);
  if (a < 2e-3) return {1e6, "microseconds since the first snapshot"};
  if (a < 2) return {1e3, "milliseconds since the first snapshot"};
  if (a >= 4 * 3600) return {1 / 3600.0, "hours since the first snapshot"};
  if (a >= 600) return {1 / 60.0, "minutes since the first snapshot"};
  return {1, "seconds since the first snapshot"};
}

std::string FormatCount(double v) {
  if (!std::isfinite(v)) return "n/a";
  return absl::StrFormat("%.4g", v);
}

// Truncate: at most `max_chars` bytes of `s`, cut at a UTF-8 character
// boundary, with an ellipsis when cut.
std::string Truncate(absl::string_view s, size_t max_chars) {
  if (s.size() <= max_chars) return std::string(s);
  if (max_chars < 2) return "";
  size_t n = max_chars - 1;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return absl::StrCat(s.substr(0, n), "\xE2\x80\xA6");
}

std::string Basename(absl::string_view path) {
  const size_t slash = path.rfind('/');
  return std::string(slash == absl::string_view::npos ? path
                                                      : path.substr(slash + 1));
}

// FrameWhere: "file.cc:42 · libfoo.so", whatever of it is known.
std::string FrameWhere(const NamedFrame& f) {
  std::string out;
  if (!f.file.empty()) {
    out = f.line > 0 ? absl::StrCat(Basename(f.file), ":", f.line)
                     : Basename(f.file);
  }
  if (!f.module.empty()) {
    if (!out.empty()) out += " \xC2\xB7 ";
    out += Basename(f.module);
  }
  return out;
}

// ---------------------------------------------------------------------
// Line plots as inline SVG.

constexpr const char* kPalette[] = {"#4e79a7", "#e15759", "#f28e2b",
                                    "#59a14f", "#b07aa1", "#76b7b2",
                                    "#edc948", "#9c755f", "#ff9da7"};

struct PlotSeries {
  std::string name;
  std::string color;
  std::vector<std::pair<double, double>> points;  // (x, y), x increasing
  bool dashed = false;
};

struct Plot {
  std::string id;
  std::string title;
  std::string caption;
  bool bytes = true;  // y axis in bytes (else plain counts)
  bool wide = false;
  std::vector<PlotSeries> series;
};

Plot NewPlot(std::string id, std::string title, std::string caption,
             bool bytes) {
  Plot p;
  p.id = std::move(id);
  p.title = std::move(title);
  p.caption = std::move(caption);
  p.bytes = bytes;
  return p;
}

PlotSeries NewSeries(std::string name, std::string color) {
  PlotSeries s;
  s.name = std::move(name);
  s.color = std::move(color);
  return s;
}

// NiceStep: a step of 1, 2, 2.5 or 5 times a power of ten giving about
// `target` intervals over `span`.
double NiceStep(double span, int target) {
  if (!(span > 0)) return 1;
  const double raw = span / target;
  const double mag = std::pow(10, std::floor(std::log10(raw)));
  const double norm = raw / mag;
  double nice = 10;
  if (norm <= 1) {
    nice = 1;
  } else if (norm <= 2) {
    nice = 2;
  } else if (norm <= 2.5) {
    nice = 2.5;
  } else if (norm <= 5) {
    nice = 5;
  }
  return nice * mag;
}

struct Axis {
  double lo = 0, hi = 1, step = 1;
  double unit = 1;        // bytes per label unit
  std::string unit_name;  // "MiB"...
};

Axis MakeYAxis(double lo, double hi, bool bytes) {
  Axis axis;
  // Memory series start near zero or far above it; a baseline of zero
  // keeps small wobbles of a large RSS from looking like a leak, unless
  // the series sits high, where zero would squash it flat.
  if (lo >= 0 && lo < 0.35 * hi) lo = 0;
  const double mag = std::max(std::fabs(lo), std::fabs(hi));
  if (bytes) {
    const char* names[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int k = 0;
    while (k < 4 && mag >= 1024.0 * std::pow(1024.0, k)) ++k;
    axis.unit = std::pow(1024.0, k);
    axis.unit_name = names[k];
  }
  lo /= axis.unit;
  hi /= axis.unit;
  if (hi - lo < 1e-9) {
    const double pad = std::max(std::fabs(hi) * 0.1, 1.0);
    hi += pad;
    lo = lo - pad < 0 && lo >= 0 ? 0 : lo - pad;
  }
  axis.step = NiceStep(hi - lo, 4);
  axis.lo = std::floor(lo / axis.step + 1e-9) * axis.step;
  axis.hi = std::ceil(hi / axis.step - 1e-9) * axis.step;
  if (axis.hi <= axis.lo) axis.hi = axis.lo + axis.step;
  return axis;
}

std::string AxisLabel(double v, const Axis& axis) {
  if (std::fabs(v) < axis.step * 1e-6) v = 0;
  std::string s = absl::StrFormat("%.4g", v);
  if (!axis.unit_name.empty()) absl::StrAppend(&s, " ", axis.unit_name);
  return s;
}

std::string YValueText(double v, bool bytes) {
  return bytes ? FormatBytes(v) : FormatCount(v);
}

// PlotSvg draws `plot` with time on x; [x_min, warmup_end] is shaded.
std::string PlotSvg(const Plot& plot, double warmup_end, bool per_snapshot) {
  // Wide plots get a wider canvas, not a larger scale: text stays the
  // same size in every plot.
  const double kW = plot.wide ? 1200 : 600, kH = plot.wide ? 280 : 230;
  constexpr double kLeft = 64, kRight = 14, kTop = 12, kBottom = 36;
  const double pw = kW - kLeft - kRight, ph = kH - kTop - kBottom;

  double x_min = INFINITY, x_max = -INFINITY;
  double y_min = INFINITY, y_max = -INFINITY;
  size_t max_points = 0;
  for (const PlotSeries& s : plot.series) {
    max_points = std::max(max_points, s.points.size());
    for (const auto& [x, y] : s.points) {
      x_min = std::min(x_min, x);
      x_max = std::max(x_max, x);
      y_min = std::min(y_min, y);
      y_max = std::max(y_max, y);
    }
  }
  if (!std::isfinite(x_min)) return "";
  if (x_max <= x_min) x_max = x_min + 1;
  const Axis y = MakeYAxis(y_min, y_max, plot.bytes);
  const TimeUnit tu =
      TimeAxisUnit(std::max(std::fabs(x_min), std::fabs(x_max)), per_snapshot);
  const double x_step = NiceStep((x_max - x_min) * tu.per_second, 6);

  auto sx = [&](double x) {
    return kLeft + (x - x_min) / (x_max - x_min) * pw;
  };
  auto sy = [&](double v) {
    return kTop + ph - (v / y.unit - y.lo) / (y.hi - y.lo) * ph;
  };

  std::string o = absl::StrFormat(
      "<svg class=\"plot\" id=\"%s\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
      "aria-label=\"%s\">",
      E(plot.id), kW, kH, E(plot.title));
  // Warm-up window, behind everything else.
  if (warmup_end > x_min) {
    const double x1 = sx(std::min(warmup_end, x_max));
    absl::StrAppendFormat(&o,
                          "<rect class=\"warmup\" x=\"%.1f\" y=\"%.1f\" "
                          "width=\"%.1f\" height=\"%.1f\"/>"
                          "<text class=\"warmup-label\" x=\"%.1f\" "
                          "y=\"%.1f\">warm-up</text>",
                          kLeft, kTop, x1 - kLeft, ph, kLeft + 4, kTop + 12);
  }
  // Horizontal grid and y labels.
  for (double v = y.lo; v <= y.hi + y.step * 1e-6; v += y.step) {
    const double py = kTop + ph - (v - y.lo) / (y.hi - y.lo) * ph;
    absl::StrAppendFormat(&o,
                          "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" "
                          "y1=\"%.1f\" y2=\"%.1f\"/>"
                          "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" "
                          "text-anchor=\"end\">%s</text>",
                          kLeft, kLeft + pw, py, py, kLeft - 6, py + 4,
                          E(AxisLabel(v, y)));
  }
  // x ticks.
  const double u_min = x_min * tu.per_second, u_max = x_max * tu.per_second;
  for (double v = std::ceil(u_min / x_step - 1e-9) * x_step;
       v <= u_max + x_step * 1e-6; v += x_step) {
    const double px = sx(v / tu.per_second);
    absl::StrAppendFormat(
        &o,
        "<line class=\"axis\" x1=\"%.1f\" x2=\"%.1f\" "
        "y1=\"%.1f\" y2=\"%.1f\"/>"
        "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" "
        "text-anchor=\"middle\">%s</text>",
        px, px, kTop + ph, kTop + ph + 4, px, kTop + ph + 16,
        E(absl::StrFormat("%g", std::fabs(v) < x_step * 1e-6 ? 0 : v)));
  }
  absl::StrAppendFormat(
      &o,
      "<line class=\"axis\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>"
      "<text class=\"axis-title\" x=\"%.1f\" y=\"%.1f\" "
      "text-anchor=\"middle\">%s</text>",
      kLeft, kLeft + pw, kTop + ph, kTop + ph, kLeft + pw / 2, kH - 4,
      tu.title);
  // Series: a line, and points with a tooltip when there are few enough
  // to hover.
  const bool dots = max_points <= 80;
  for (const PlotSeries& s : plot.series) {
    std::string pts;
    for (const auto& [x, v] : s.points) {
      absl::StrAppendFormat(&pts, "%s%.1f,%.1f", pts.empty() ? "" : " ", sx(x),
                            sy(v));
    }
    absl::StrAppendFormat(&o,
                          "<g class=\"series\" data-name=\"%s\">"
                          "<polyline class=\"line%s\" stroke=\"%s\" "
                          "points=\"%s\"/>",
                          E(s.name), s.dashed ? " dashed" : "", s.color, pts);
    if (dots) {
      for (const auto& [x, v] : s.points) {
        absl::StrAppendFormat(
            &o,
            "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.6\" fill=\"%s\">"
            "<title>%s\n%s: %s</title></circle>",
            sx(x), sy(v), s.color, E(s.name),
            E(per_snapshot ? absl::StrFormat("snapshot %g", x)
                           : FormatSeconds(x)),
            E(YValueText(v, plot.bytes)));
      }
    }
    o += "</g>";
  }
  o += "</svg>";
  return o;
}

std::string PlotFigure(const Plot& plot, double warmup_end, bool per_snapshot) {
  const std::string svg = PlotSvg(plot, warmup_end, per_snapshot);
  if (svg.empty()) return "";
  std::string o =
      absl::StrFormat("<figure class=\"plot%s\"><figcaption><b>%s</b>",
                      plot.wide ? " wide" : "", E(plot.title));
  if (!plot.caption.empty()) {
    absl::StrAppend(&o, " <span class=\"muted\">", E(plot.caption), "</span>");
  }
  o += "</figcaption>";
  o += svg;
  if (plot.series.size() > 1) {
    o += "<ul class=\"legend\">";
    for (const PlotSeries& s : plot.series) {
      absl::StrAppendFormat(&o,
                            "<li title=\"%s\"><span class=\"swatch%s\" "
                            "style=\"background:%s\"></span>%s</li>",
                            E(s.name), s.dashed ? " dashed" : "", s.color,
                            E(Truncate(s.name, 70)));
    }
    o += "</ul>";
  }
  o += "</figure>";
  return o;
}

// TimelineSeries: the points of one optional timeline signal.
PlotSeries TimelineSeries(const Analysis& a, const std::string& name,
                          const std::string& color,
                          std::optional<double> TimelinePoint::*field) {
  PlotSeries s = NewSeries(name, color);
  for (const TimelinePoint& p : a.timeline) {
    const std::optional<double>& v = p.*field;
    if (v.has_value() && std::isfinite(*v) && std::isfinite(p.time_seconds)) {
      s.points.emplace_back(p.time_seconds, *v);
    }
  }
  return s;
}

void AddIfAny(Plot* plot, PlotSeries s) {
  if (!s.points.empty()) plot->series.push_back(std::move(s));
}

// SitesForPlot: the first `n` unsuppressed sites (the suppressed ones are
// in the table; a plot of what was ignored would mislead).
std::vector<size_t> SitesForPlot(const Analysis& a, size_t n) {
  std::vector<size_t> out;
  for (size_t i = 0; i < a.sites.size() && out.size() < n; ++i) {
    if (!a.sites[i].suppressed) out.push_back(i);
  }
  return out;
}

std::vector<Plot> MakePlots(const Analysis& a, const HtmlReportOptions& opt) {
  std::vector<Plot> plots;
  // The sites first: they name the leak.
  Plot sites =
      NewPlot("plot-sites", "Live bytes of the top growing sites", "", true);
  sites.wide = true;
  size_t color = 0;
  for (size_t i : SitesForPlot(a, opt.plot_sites)) {
    const SiteSeries& site = a.sites[i];
    PlotSeries s =
        NewSeries(absl::StrCat("#", i + 1, " ", site.top_frame),
                  kPalette[color++ % (sizeof(kPalette) / sizeof(kPalette[0]))]);
    for (size_t k = 0; k < site.bytes.size() && k < a.snapshots.size(); ++k) {
      if (std::isfinite(site.bytes[k]) &&
          std::isfinite(a.snapshots[k].time_seconds)) {
        s.points.emplace_back(a.snapshots[k].time_seconds, site.bytes[k]);
      }
    }
    AddIfAny(&sites, std::move(s));
  }
  plots.push_back(std::move(sites));

  PlotSeries heap_total = NewSeries("profiled heap", kPalette[3]);
  heap_total.dashed = true;
  for (const SnapshotInfo& s : a.snapshots) {
    if (std::isfinite(s.time_seconds) && std::isfinite(s.total_bytes)) {
      heap_total.points.emplace_back(s.time_seconds, s.total_bytes);
    }
  }

  Plot rss = NewPlot("plot-rss", "Resident set size (RSS)", "from /proc", true);
  AddIfAny(&rss,
           TimelineSeries(a, "RSS", kPalette[0], &TimelinePoint::rss_bytes));
  plots.push_back(std::move(rss));

  // jemalloc's own counters, and the profiles' unsampled total beside
  // them: the two should agree, and a gap means sampling noise or
  // allocations outside the profiled threads.
  Plot je = NewPlot("plot-jemalloc", "jemalloc",
                    "allocated, resident and the profiled heap", true);
  AddIfAny(&je, TimelineSeries(a, "allocated", kPalette[2],
                               &TimelinePoint::jemalloc_allocated));
  AddIfAny(&je, TimelineSeries(a, "resident", kPalette[4],
                               &TimelinePoint::jemalloc_resident));
  if (!je.series.empty()) {
    AddIfAny(&je, heap_total);
    plots.push_back(std::move(je));
  } else {
    // Profiles alone (no timeline): their total is the only process view.
    Plot heap = NewPlot("plot-heap", "Profiled heap",
                        "unsampled total of each snapshot", true);
    heap_total.dashed = false;
    AddIfAny(&heap, heap_total);
    plots.push_back(std::move(heap));
  }

  Plot direct = NewPlot("plot-direct", "Direct buffers",
                        "java.nio direct ByteBuffer bytes", true);
  AddIfAny(&direct, TimelineSeries(a, "direct buffers", kPalette[5],
                                   &TimelinePoint::direct_buffer_bytes));
  plots.push_back(std::move(direct));

  Plot threads = NewPlot("plot-threads", "Threads", "", false);
  AddIfAny(&threads,
           TimelineSeries(a, "threads", kPalette[7], &TimelinePoint::threads));
  plots.push_back(std::move(threads));

  // Keep only plots with data: a timeline without direct buffers (a
  // non-JVM program) simply has no such plot.
  plots.erase(std::remove_if(plots.begin(), plots.end(),
                             [](const Plot& p) { return p.series.empty(); }),
              plots.end());
  // Half-width plots go two by two; an odd one out takes the whole row
  // rather than leave a hole.
  size_t half = 0;
  for (const Plot& p : plots) half += p.wide ? 0 : 1;
  if (half % 2 == 1) {
    for (auto p = plots.rbegin(); p != plots.rend(); ++p) {
      if (!p->wide) {
        p->wide = true;
        break;
      }
    }
  }
  return plots;
}

// Sparkline: a site's bytes over the snapshots, 96 x 24.
std::string Sparkline(const SiteSeries& s, const char* color) {
  if (s.bytes.size() < 2) return "";
  double lo = INFINITY, hi = -INFINITY;
  for (double b : s.bytes) {
    if (!std::isfinite(b)) continue;
    lo = std::min(lo, b);
    hi = std::max(hi, b);
  }
  if (!std::isfinite(lo)) return "";
  // From zero: a flat 6 MiB site wobbling by 64 KiB must look flat, not
  // like a saw.
  lo = std::min(lo, 0.0);
  if (hi - lo < 1) hi = lo + 1;
  std::string pts;
  const double n = static_cast<double>(s.bytes.size() - 1);
  for (size_t i = 0; i < s.bytes.size(); ++i) {
    if (!std::isfinite(s.bytes[i])) continue;
    absl::StrAppendFormat(&pts, "%s%.1f,%.1f", pts.empty() ? "" : " ",
                          2 + i / n * 92,
                          22 - (s.bytes[i] - lo) / (hi - lo) * 20);
  }
  return absl::StrFormat(
      "<svg class=\"spark\" viewBox=\"0 0 96 24\" width=\"96\" height=\"24\">"
      "<polyline points=\"%s\" stroke=\"%s\"/></svg>",
      pts, color);
}

// ---------------------------------------------------------------------
// Icicle graph of the growth profile.

struct FlameNode {
  std::string name;
  std::string module;
  double bytes = 0;
  int depth = 0;
  std::map<std::string, size_t> children;  // by name: deterministic
};

constexpr double kFlameWidth = 1200;
constexpr double kFlameRow = 18;
constexpr double kFlameChar = 6.6;  // 11px monospace advance, about
constexpr double kFlamePad = 3;

std::string FlameLabel(absl::string_view name, double width_px) {
  const double chars = std::floor((width_px - 2 * kFlamePad) / kFlameChar);
  if (chars < 3) return "";
  return Truncate(name, static_cast<size_t>(chars));
}

// FlameColor: warm hues for native code, green for Java (JIT-compiled or
// named like a Java method), as flamegraph.pl's java palette; the shade
// comes from a hash of the name so it is stable across reports.
std::string FlameColor(const FlameNode& n) {
  uint32_t h = 2166136261u;  // FNV-1a
  for (unsigned char c : n.name) h = (h ^ c) * 16777619u;
  const double f = (h % 1000) / 1000.0;
  if (n.depth == 0) return "#d0d7de";
  const bool java = n.module == "[jit]" || n.module == "[interpreted]";
  if (java) {
    return absl::StrFormat("hsl(%.0f,%.0f%%,%.0f%%)", 95 + 40 * f, 45 + 15 * f,
                           52 + 10 * f);
  }
  return absl::StrFormat("hsl(%.0f,%.0f%%,%.0f%%)", 8 + 40 * f, 75 + 15 * f,
                         58 + 8 * f);
}

std::string FlameGraph(const Analysis& a, const HtmlReportOptions& opt) {
  std::vector<FlameNode> nodes(1);
  nodes[0].name = "all growth";
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
  if (!(total > 0)) {
    return "<p class=\"muted\">No stack grew between the first analyzed "
           "snapshot and the last.</p>";
  }

  // Keep the widest nodes: half a pixel at least, and at most
  // max_flame_nodes. A child is never wider than its parent, so the kept
  // set is a tree.
  std::vector<double> widths;
  widths.reserve(nodes.size());
  for (const FlameNode& n : nodes) widths.push_back(n.bytes);
  double min_bytes = total * 0.5 / kFlameWidth;
  if (opt.max_flame_nodes > 0 && widths.size() > opt.max_flame_nodes) {
    std::nth_element(widths.begin(), widths.begin() + opt.max_flame_nodes - 1,
                     widths.end(), std::greater<double>());
    min_bytes = std::max(min_bytes, widths[opt.max_flame_nodes - 1]);
  }

  struct Placed {
    size_t node;
    double x;  // fraction of the total
  };
  std::vector<Placed> placed;
  int max_depth = 0;
  // Depth-first, children widest first (then by name), left to right.
  std::vector<Placed> todo = {{0, 0}};
  while (!todo.empty()) {
    const Placed p = todo.back();
    todo.pop_back();
    placed.push_back(p);
    const FlameNode& n = nodes[p.node];
    max_depth = std::max(max_depth, n.depth);
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
    // Reverse onto the stack so the leftmost child is drawn first.
    for (auto it = row.rbegin(); it != row.rend(); ++it) todo.push_back(*it);
  }

  const double height = (max_depth + 1) * kFlameRow;
  std::string o = absl::StrFormat(
      "<svg class=\"flame\" id=\"flame\" viewBox=\"0 0 %.0f %.0f\" "
      "data-width=\"%.0f\" role=\"img\" aria-label=\"icicle graph of "
      "growth\">",
      kFlameWidth, height, kFlameWidth);
  for (const Placed& p : placed) {
    const FlameNode& n = nodes[p.node];
    const double w = n.bytes / total;
    const double px = p.x * kFlameWidth;
    const double pw = std::max(w * kFlameWidth - 1, 0.5);
    const double py = n.depth * kFlameRow;
    std::string tip = absl::StrFormat("%s\n%s (%.1f%% of the growth)", n.name,
                                      FormatBytes(n.bytes), 100 * w);
    if (!n.module.empty()) absl::StrAppend(&tip, "\n", n.module);
    absl::StrAppendFormat(
        &o,
        "<g class=\"fn\" data-x=\"%.6f\" data-w=\"%.6f\" data-d=\"%d\" "
        "data-n=\"%s\"><title>%s</title>"
        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
        "rx=\"2\" fill=\"%s\"/>"
        "<text x=\"%.1f\" y=\"%.1f\">%s</text></g>",
        p.x, w, n.depth, E(n.name), E(tip), px, py, pw, kFlameRow - 1,
        FlameColor(n), px + kFlamePad, py + 12.5,
        E(FlameLabel(n.name, w * kFlameWidth)));
  }
  o += "</svg>";
  return o;
}

// ---------------------------------------------------------------------
// Page sections.

const char* VerdictTitle(Verdict v) {
  switch (v) {
    case Verdict::kClean:
      return "Clean: no leak found";
    case Verdict::kLeak:
      return "Leak found";
    case Verdict::kInconclusive:
      return "Inconclusive";
  }
  return "Inconclusive";
}

std::string Card(const std::string& label, const std::string& value,
                 const std::string& sub) {
  return absl::StrFormat(
      "<div class=\"card\"><div class=\"label\">%s</div>"
      "<div class=\"value\">%s</div><div class=\"sub\">%s</div></div>",
      E(label), E(value), E(sub));
}

std::string Header(const Analysis& a) {
  std::string o = absl::StrFormat(
      "<header class=\"verdict %s\"><div class=\"wrap\">"
      "<span class=\"badge\">%s</span>"
      "<h1>%s</h1><p class=\"reason\">%s</p><p class=\"kind\">%s</p>",
      VerdictName(a.verdict), VerdictName(a.verdict), VerdictTitle(a.verdict),
      E(a.reason), E(GrowthKindSentence(a.kind)));
  if (!a.command.empty()) {
    absl::StrAppend(&o, "<p class=\"command\"><span>Command</span> <code>",
                    E(a.command), "</code></p>");
  }
  o += "</div></header>";
  return o;
}

std::string Summary(const Analysis& a) {
  const std::string rs = RateSuffix(a);
  size_t analyzed = 0;
  for (const SnapshotInfo& s : a.snapshots) analyzed += s.analyzed ? 1 : 0;
  std::string o = "<section class=\"cards\">";
  o += Card("Total growth (unsuppressed sites)", FormatBytes(a.total.growth),
            absl::StrCat(FormatRate(a.total.slope, rs), ", 95% CI ",
                         FormatCi(a.total, rs)));
  if (a.rss_growth) {
    o += Card("RSS growth", FormatBytes(a.rss_growth->growth),
              absl::StrCat(FormatRate(a.rss_growth->slope, rs), ", p ",
                           FormatP(a.rss_growth->p_value)));
  }
  if (a.allocated_growth) {
    o += Card("jemalloc allocated growth",
              FormatBytes(a.allocated_growth->growth),
              absl::StrCat(FormatRate(a.allocated_growth->slope, rs), ", p ",
                           FormatP(a.allocated_growth->p_value)));
  }
  o += Card("Snapshots analyzed",
            absl::StrCat(analyzed, " of ", a.snapshots.size()),
            absl::StrCat("warm-up ",
                         PerSnapshot(a)
                             ? absl::StrFormat("%g snapshots", a.warmup_seconds)
                             : FormatSeconds(a.warmup_seconds),
                         "; times from ", TimeSourceName(a.time_source)));
  o += Card(
      "Budgets", absl::StrCat("site ", FormatRate(a.budgets.max_site_rate, rs)),
      absl::StrCat(
          "total ", FormatRate(a.budgets.max_total_rate, rs), " and ",
          FormatBytes(a.budgets.max_total_growth),
          a.timeline.empty()
              ? ""
              : absl::StrCat("; exact malloc ",
                             FormatRate(a.budgets.max_allocated_rate, rs))));
  o += "</section>";
  if (PerSnapshot(a)) {
    o += "<p class=\"note\">Snapshot times are unknown (no timeline, no "
         "file times): rates are per snapshot, not per second.</p>";
  }
  return o;
}

std::string SitesTable(const Analysis& a, const HtmlReportOptions& opt) {
  const std::string rs = RateSuffix(a);
  const std::vector<size_t> shown = SitesToReport(a, opt.max_sites);
  size_t suppressed = 0;
  for (const SiteSeries& s : a.sites) suppressed += s.suppressed ? 1 : 0;
  std::string o = absl::StrFormat(
      "<section id=\"sites\"><h2>Top growing sites <span class=\"muted\">"
      "%d of %d</span></h2>",
      shown.size(), a.sites.size());
  if (a.sites.empty()) {
    return o + "<p class=\"muted\">No allocation sites.</p></section>";
  }
  if (suppressed > 0) {
    absl::StrAppendFormat(
        &o,
        "<p class=\"controls\"><label><input type=\"checkbox\" "
        "id=\"show-suppressed\" checked> show %d suppressed site%s</label>"
        "</p>",
        suppressed, suppressed == 1 ? "" : "s");
  }
  o += "<table class=\"sites\"><thead><tr><th>#</th><th>Site: allocating "
       "frame, then its callers</th><th class=\"num\">Growth</th>"
       "<th class=\"num\">Rate (95% CI)</th><th class=\"num\">p-value</th>"
       "<th class=\"num\">Trend &#x3C4;</th><th>Bytes over time</th>"
       "<th>Status</th></tr></thead><tbody>";
  for (size_t i : shown) {
    const SiteSeries& s = a.sites[i];
    std::string cls = "site";
    if (s.suppressed) cls += " suppressed";
    if (s.over_budget) cls += " over";
    absl::StrAppendFormat(&o, "<tr class=\"%s\"><td class=\"rank\">%d</td>",
                          cls, i + 1);
    o += "<td class=\"frames\">";
    absl::StrAppend(&o, "<div class=\"top mono\">", E(s.top_frame), "</div>");
    if (!s.frames.empty()) {
      const std::string where = FrameWhere(s.frames[0]);
      if (!where.empty()) {
        absl::StrAppend(&o, "<div class=\"where\">", E(where), "</div>");
      }
    }
    if (s.frames.size() > 1) {
      o += "<ol class=\"callers mono\">";
      const size_t last = std::min(s.frames.size(), opt.caller_frames + 1);
      for (size_t k = 1; k < last; ++k) {
        absl::StrAppend(&o, "<li title=\"", E(FrameWhere(s.frames[k])), "\">",
                        E(s.frames[k].function), "</li>");
      }
      if (s.frames.size() > last) {
        absl::StrAppendFormat(&o, "<li class=\"more\">%d more frames</li>",
                              s.frames.size() - last);
      }
      o += "</ol>";
    }
    o += "</td>";
    absl::StrAppend(&o, "<td class=\"num strong\">",
                    E(FormatBytes(s.growth.growth)), "</td>");
    absl::StrAppend(&o, "<td class=\"num\">", E(FormatRate(s.growth.slope, rs)),
                    "<div class=\"ci\">", E(FormatCi(s.growth, rs)),
                    "</div></td>");
    absl::StrAppend(&o, "<td class=\"num\">", E(FormatP(s.growth.p_value)),
                    "</td>");
    absl::StrAppend(&o, "<td class=\"num\">",
                    E(absl::StrFormat("%+.2f", s.growth.monotonicity)),
                    "</td>");
    const char* spark = s.suppressed    ? "#8c959f"
                        : s.over_budget ? "#cf222e"
                                        : "#4e79a7";
    absl::StrAppend(&o, "<td>", Sparkline(s, spark), "</td><td>");
    if (s.over_budget) o += "<span class=\"tag over\">over budget</span>";
    if (s.likely) {
      o += "<span class=\"tag likely\" title=\"jemalloc's exact count "
           "grows; this site gained the most sampled bytes\">likely "
           "site</span>";
    }
    if (s.suppressed) {
      absl::StrAppend(&o, "<span class=\"tag suppressed\">suppressed</span>",
                      "<div class=\"by mono\">", E(s.suppressed_by), "</div>");
    }
    o += "</td></tr>";
  }
  o += "</tbody></table>";
  if (shown.size() < a.sites.size()) {
    absl::StrAppendFormat(&o,
                          "<p class=\"muted\">%d more sites grew less; the "
                          "JSON report (--json) lists them.</p>",
                          a.sites.size() - shown.size());
  }
  o += "</section>";
  return o;
}

std::string SignalsTable(const Analysis& a) {
  const std::string rs = RateSuffix(a);
  struct Row {
    const char* name;
    const std::optional<GrowthEstimate>* g;
    bool bytes;
  };
  std::vector<Row> rows = {{"RSS", &a.rss_growth, true},
                           {"jemalloc allocated", &a.allocated_growth, true},
                           {"jemalloc resident", &a.resident_growth, true},
                           {"direct buffers", &a.direct_buffer_growth, true},
                           {"threads", &a.thread_growth, false}};
  // Native Memory Tracking: the categories that grew, largest first.
  std::vector<std::pair<std::string, std::optional<GrowthEstimate>>> nmt;
  for (const auto& [category, g] : a.nmt_growth) {
    if (g.growth > 0 && nmt.size() < 6) {
      nmt.emplace_back(absl::StrCat("NMT ", category), g);
    }
  }
  for (const auto& [name, g] : nmt) rows.push_back({name.c_str(), &g, true});
  std::string body;
  for (const Row& r : rows) {
    if (!r.g->has_value()) continue;
    const GrowthEstimate& g = **r.g;
    auto v = [&](double x) { return YValueText(x, r.bytes); };
    auto rate = [&](double x) {
      return r.bytes ? FormatRate(x, rs) : absl::StrCat(FormatCount(x), rs);
    };
    absl::StrAppend(&body, "<tr><td>", E(r.name), "</td><td class=\"num\">",
                    E(v(g.first)), "</td><td class=\"num\">", E(v(g.last)),
                    "</td><td class=\"num\">", E(v(g.growth)),
                    "</td><td class=\"num\">", E(rate(g.slope)),
                    "<div class=\"ci\">", E(rate(g.slope_low)), " to ",
                    E(rate(g.slope_high)), "</div></td><td class=\"num\">",
                    E(FormatP(g.p_value)), "</td></tr>");
  }
  if (body.empty()) return "";
  return absl::StrCat(
      "<table class=\"signals\"><thead><tr><th>Signal</th>"
      "<th class=\"num\">First</th><th class=\"num\">Last</th>"
      "<th class=\"num\">Fitted growth</th><th class=\"num\">Rate (95% CI)"
      "</th><th class=\"num\">p-value</th></tr></thead><tbody>",
      body, "</tbody></table>");
}

std::string Timeline(const Analysis& a, const HtmlReportOptions& opt) {
  std::string o =
      "<section id=\"timeline\"><h2>Timeline <span class=\"muted\">shaded: "
      "warm-up, not analyzed</span></h2>";
  if (a.timeline.empty()) {
    o += "<p class=\"note\" id=\"no-timeline\">No timeline: these profiles "
         "came without the jleak agent, so RSS, jemalloc counters and direct "
         "buffers are unavailable; the plots show the profiles alone.</p>";
  }
  const double first_time =
      a.snapshots.empty() ? 0 : a.snapshots.front().time_seconds;
  const double warmup_end = first_time + a.warmup_seconds;
  const std::vector<Plot> plots = MakePlots(a, opt);
  o += "<div class=\"plots\">";
  for (const Plot& p : plots) o += PlotFigure(p, warmup_end, PerSnapshot(a));
  o += "</div>";
  const std::string signals = SignalsTable(a);
  if (!signals.empty()) {
    o += "<h3>Process signals, fitted over the analyzed window</h3>" + signals;
  }
  o += "</section>";
  return o;
}

std::string Flame(const Analysis& a, const HtmlReportOptions& opt) {
  std::string span;
  const SnapshotInfo* first = nullptr;
  const SnapshotInfo* last = nullptr;
  for (const SnapshotInfo& s : a.snapshots) {
    if (!s.analyzed) continue;
    if (first == nullptr) first = &s;
    last = &s;
  }
  if (first != nullptr && last != first) {
    span = absl::StrCat(" between snapshot ", first->seq, " and ", last->seq);
  }
  return absl::StrCat(
      "<section id=\"flamegraph\"><h2>Where the memory grew <span "
      "class=\"muted\">live bytes gained",
      E(span),
      "; callers above callees; click a frame to zoom, the top bar to "
      "reset</span></h2>",
      FlameGraph(a, opt), "</section>");
}

std::string Warnings(const Analysis& a) {
  if (a.warnings.empty()) return "";
  std::string o =
      "<section id=\"warnings\"><h2>Warnings</h2><ul class=\"warn\">";
  for (const std::string& w : a.warnings)
    absl::StrAppend(&o, "<li>", E(w), "</li>");
  return o + "</ul></section>";
}

std::string Snapshots(const Analysis& a) {
  std::string o = absl::StrFormat(
      "<section id=\"snapshots\"><details><summary>Snapshots (%d)</summary>"
      "<table class=\"snaps\"><thead><tr><th>seq</th><th class=\"num\">"
      "time</th><th class=\"num\">profiled heap</th><th>analyzed</th>"
      "<th>file</th></tr></thead><tbody>",
      a.snapshots.size());
  for (const SnapshotInfo& s : a.snapshots) {
    absl::StrAppend(&o, "<tr", s.analyzed ? "" : " class=\"warm\"", "><td>",
                    s.seq, "</td><td class=\"num\">",
                    E(PerSnapshot(a) ? absl::StrFormat("#%g", s.time_seconds)
                                     : FormatSeconds(s.time_seconds)),
                    "</td><td class=\"num\">", E(FormatBytes(s.total_bytes)),
                    "</td><td>", s.analyzed ? "yes" : "warm-up",
                    "</td><td class=\"mono\">", E(s.path), "</td></tr>");
  }
  return o + "</tbody></table></details></section>";
}

constexpr char kCss[] = R"css(
:root{--fg:#1f2328;--muted:#656d76;--line:#d8dee4;--panel:#f6f8fa;
--red:#cf222e;--green:#1a7f37;--amber:#9a6700}
*{box-sizing:border-box}
body{margin:0;color:var(--fg);background:#fff;
font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",
"Liberation Sans","DejaVu Sans",Arial,sans-serif}
.wrap,main{max-width:1240px;margin:0 auto;padding:0 24px}
.mono,code{font-family:ui-monospace,"SFMono-Regular","DejaVu Sans Mono",
"Liberation Mono",Menlo,Consolas,monospace;font-size:12.5px}
.muted{color:var(--muted);font-weight:normal;font-size:13px}
header.verdict{border-top:6px solid;padding:20px 0 16px;margin-bottom:8px}
header.verdict h1{display:inline;font-size:26px;margin:0 0 0 12px;
vertical-align:middle}
header.verdict p{margin:8px 0 0;max-width:1000px}
header.verdict .reason{font-size:16px;font-weight:500}
header.verdict .kind{color:#3d444d}
header.verdict .command span{color:var(--muted);font-size:12px;
text-transform:uppercase;letter-spacing:.06em;margin-right:6px}
header.verdict .command code{background:rgba(255,255,255,.7);padding:2px 6px;
border-radius:4px;word-break:break-all}
header.leak{background:#ffebe9;border-color:var(--red)}
header.clean{background:#dafbe1;border-color:var(--green)}
header.inconclusive{background:#fff8c5;border-color:#d4a72c}
.badge{display:inline-block;vertical-align:middle;padding:3px 12px;
border-radius:999px;color:#fff;font-weight:700;font-size:13px;
letter-spacing:.08em;text-transform:uppercase}
.leak .badge{background:var(--red)}
.clean .badge{background:var(--green)}
.inconclusive .badge{background:var(--amber)}
h2{font-size:18px;margin:28px 0 10px;padding-bottom:6px;
border-bottom:1px solid var(--line)}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(210px,1fr));
gap:12px;margin:18px 0 4px}
.card{border:1px solid var(--line);border-radius:8px;padding:10px 14px;
background:var(--panel)}
.card .label{color:var(--muted);font-size:12px;text-transform:uppercase;
letter-spacing:.04em}
.card .value{font-size:22px;font-weight:600;margin:2px 0}
.card .sub{color:var(--muted);font-size:12.5px}
.note{background:#fff8c5;border:1px solid #eed888;border-radius:6px;
padding:8px 12px}
table{width:100%;border-collapse:collapse}
th{text-align:left;font-weight:600;color:var(--muted);font-size:12px;
border-bottom:2px solid var(--line);padding:6px 8px;white-space:nowrap}
td{border-bottom:1px solid var(--line);padding:8px;vertical-align:top}
.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
td.strong{font-weight:600}
.ci{color:var(--muted);font-size:12px}
td.rank{color:var(--muted);width:2em}
td.frames{max-width:620px}
.top{font-weight:600;word-break:break-all}
.where{color:var(--muted);font-size:12px}
.callers{list-style:none;margin:4px 0 0;padding:0;color:#57606a;
font-size:12px}
.callers li{word-break:break-all;padding-left:1.2em;text-indent:-1.2em}
.callers li:before{content:"\2190\00a0\00a0"}
.callers li.more{font-style:italic;font-family:inherit}
.callers li.more:before{content:"\00a0\00a0\00a0"}
tr.over td.rank{color:var(--red);font-weight:700}
tr.suppressed td{color:#8c959f;background:#fafbfc}
tr.suppressed .callers{color:#afb8c1}
body.hide-suppressed tr.suppressed{display:none}
.tag{display:inline-block;font-size:11.5px;font-weight:600;padding:1px 8px;
border-radius:999px;white-space:nowrap}
.tag.over{background:#ffebe9;color:var(--red);border:1px solid #ffcecb}
.tag.suppressed{background:#eaeef2;color:#57606a;border:1px solid #d0d7de}
.tag.likely{background:#fff8c5;color:#7d4e00;border:1px solid #eac54f}
.by{font-size:11px;margin-top:3px;word-break:break-all}
.spark polyline{fill:none;stroke-width:1.6}
.controls{margin:0 0 6px;color:var(--muted)}
table.signals{margin-bottom:14px}
h3{font-size:15px;margin:22px 0 6px}
.plots{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:14px}
figure.plot{margin:0;border:1px solid var(--line);border-radius:8px;
padding:10px 12px 6px}
figure.plot.wide{grid-column:1/-1}
figure.plot figcaption{margin-bottom:4px}
svg.plot{width:100%;height:auto;display:block}
svg .grid{stroke:#eaeef2;stroke-width:1}
svg .axis{stroke:#8c959f;stroke-width:1}
svg .tick{font-size:10.5px;fill:#57606a}
svg .axis-title{font-size:11px;fill:#656d76}
svg .warmup{fill:#eef1f5}
svg .warmup-label{font-size:10.5px;fill:#8c959f}
svg .line{fill:none;stroke-width:2;stroke-linejoin:round}
svg .line.dashed{stroke-dasharray:5 3}
.legend{list-style:none;margin:6px 0 2px;padding:0;display:flex;
flex-wrap:wrap;gap:4px 18px;font-size:12px}
.legend li{max-width:100%;overflow:hidden;text-overflow:ellipsis;
white-space:nowrap}
.swatch{display:inline-block;width:14px;height:4px;border-radius:2px;
margin-right:6px;vertical-align:middle}
svg.flame{width:100%;height:auto;display:block;border:1px solid var(--line);
border-radius:6px;background:#fff}
.flame g.fn{cursor:pointer}
.flame g.fn:hover rect{stroke:#1f2328;stroke-width:1}
.flame text{font:11px ui-monospace,"DejaVu Sans Mono","Liberation Mono",
monospace;fill:#1f2328;pointer-events:none}
ul.warn li{margin:4px 0}
details summary{cursor:pointer;font-weight:600;font-size:16px;margin:24px 0 8px}
tr.warm td{color:var(--muted)}
footer{margin:36px 0 24px;color:var(--muted);font-size:12px;
border-top:1px solid var(--line);padding-top:10px}
@media (max-width:800px){.plots{grid-template-columns:1fr}}
)css";

// The script only adds behaviour; the page is complete without it.
constexpr char kScript[] = R"js(
(function () {
  'use strict';
  var data;
  try {
    data = JSON.parse(document.getElementById('jleak-data').textContent);
  } catch (e) {
    console.error('jleak: the embedded report data is unreadable: ' + e);
    return;
  }
  var CHAR = 6.6, PAD = 3, EPS = 1e-9;
  function label(name, px) {
    var n = Math.floor((px - 2 * PAD) / CHAR);
    if (n < 3) return '';
    return name.length <= n ? name : name.slice(0, n - 1) + '\u2026';
  }
  var svg = document.getElementById('flame');
  if (svg) {
    var W = Number(svg.getAttribute('data-width'));
    var frames = Array.prototype.slice.call(svg.querySelectorAll('g.fn'));
    var zoom = function (x0, w0, d0) {
      frames.forEach(function (g) {
        var x = Number(g.dataset.x), w = Number(g.dataset.w);
        var d = Number(g.dataset.d), nx = -1, nw = 0;
        if (d < d0) {
          if (x <= x0 + EPS && x + w >= x0 + w0 - EPS) { nx = 0; nw = 1; }
        } else if (x >= x0 - EPS && x + w <= x0 + w0 + EPS) {
          nx = (x - x0) / w0; nw = w / w0;
        }
        if (nx < 0) { g.style.display = 'none'; return; }
        g.style.display = '';
        var r = g.querySelector('rect'), t = g.querySelector('text');
        r.setAttribute('x', (nx * W).toFixed(1));
        r.setAttribute('width', Math.max(nw * W - 1, 0.5).toFixed(1));
        r.style.opacity = d < d0 && d > 0 ? '0.6' : '';
        t.setAttribute('x', (nx * W + PAD).toFixed(1));
        t.textContent = label(g.dataset.n, nw * W);
      });
    };
    svg.addEventListener('click', function (ev) {
      var g = ev.target.closest ? ev.target.closest('g.fn') : null;
      if (!g) return;
      if (Number(g.dataset.d) === 0) { zoom(0, 1, 0); return; }
      zoom(Number(g.dataset.x), Number(g.dataset.w), Number(g.dataset.d));
    });
  }
  var box = document.getElementById('show-suppressed');
  if (box) {
    box.addEventListener('change', function () {
      document.body.classList.toggle('hide-suppressed', !box.checked);
    });
  }
  // #jleak-selftest (the headless-Chromium check, which cannot click):
  // zoom into the widest frame two levels down, check the layout, reset.
  if (svg && location.hash === '#jleak-selftest') {
    var click = function (g) {
      g.querySelector('rect').dispatchEvent(
          new MouseEvent('click', {bubbles: true}));
    };
    var pick = frames.filter(function (g) { return g.dataset.d === '2'; });
    var ok = pick.length > 0;
    if (ok) {
      click(pick[0]);
      var w = Number(pick[0].querySelector('rect').getAttribute('width'));
      var hidden = frames.filter(function (g) {
        return g.style.display === 'none';
      }).length;
      ok = Math.abs(w - (W - 1)) < 0.2 && (pick.length < 2 || hidden > 0);
      click(frames[0]);
      ok = ok && frames.every(function (g) { return g.style.display === ''; });
    }
    document.body.setAttribute('data-jleak-selftest', ok ? 'ok' : 'failed');
  }
  document.body.setAttribute('data-jleak-sites', String(data.sites.length));
  document.body.setAttribute('data-jleak-verdict', String(data.verdict));
  document.body.setAttribute('data-jleak-ready', '1');
})();
)js";

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

absl::Status WriteHtmlReport(const Analysis& analysis, std::ostream& out,
                             const HtmlReportOptions& options) {
  JsonReportOptions json_options;
  json_options.max_sites = options.json_max_sites;
  json_options.indent = -1;
  absl::StatusOr<std::string> json = JsonReportString(analysis, json_options);
  if (!json.ok()) return json.status();

  std::string page;
  try {
    page = absl::StrCat(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta "
        "charset=\"utf-8\">\n"
        // No request may leave the page: everything is inline.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src "
        "'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
        "img-src data:; base-uri 'none'; form-action 'none'\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, "
        "initial-scale=1\">\n<meta name=\"generator\" content=\"jleak\">\n"
        "<title>",
        E(options.title), ": ", VerdictName(analysis.verdict),
        "</title>\n<style>", kCss, "</style>\n</head>\n<body>\n",
        Header(analysis), "\n<main>\n", Summary(analysis), "\n",
        SitesTable(analysis, options), "\n", Timeline(analysis, options), "\n",
        Flame(analysis, options), "\n", Warnings(analysis), "\n",
        Snapshots(analysis),
        "\n<footer>Generated by jleak. Self-contained: no network access. "
        "The JSON report (schema ",
        kJsonReportSchemaVersion,
        ") is embedded as <code>#jleak-data</code>.</footer>\n</main>\n"
        "<script type=\"application/json\" id=\"jleak-data\">",
        ScriptSafeJson(*json), "</script>\n<script>", kScript,
        "</script>\n</body>\n</html>\n");
  } catch (const std::exception& e) {  // std::bad_alloc on a huge analysis
    return absl::ResourceExhaustedError(
        absl::StrCat("HTML report: ", e.what()));
  }
  out << page;
  out.flush();
  if (!out) return absl::DataLossError("HTML report: write failed");
  return absl::OkStatus();
}

}  // namespace jleak
