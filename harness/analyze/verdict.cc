// File: verdict.cc
//
// The verdict's rules, one function each (see verdict.h).

#include "harness/analyze/verdict.h"

#include <algorithm>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "harness/analyze/leak_groups.h"
#include "harness/analyze/memory_analysis.h"
#include "profile/profile_report.h"

namespace jleak {
namespace {

std::string Rate(double per_unit, TimeSource ts) {
  return absl::StrCat(FormatBytes(per_unit),
                      ts == TimeSource::kSequence ? "/snapshot" : "/s");
}

std::string PValue(double p) {
  return p < 0.001 ? "p<0.001" : absl::StrFormat("p=%.3f", p);
}

bool SignificantlyAbove(const GrowthEstimate& g, double budget, double alpha) {
  return g.points >= 3 && g.p_value < alpha && g.slope_low > budget;
}

// The sampled bytes a site gained over the analyzed window (snapshots
// `first` to `last`) and over the whole series: how SortSites breaks ties
// and what the likely site's sentence quotes.
struct BytesGained {
  double window = 0;
  double run = 0;
  bool operator!=(const BytesGained& o) const {
    return window != o.window || run != o.run;
  }
  bool operator>(const BytesGained& o) const {
    return window != o.window ? window > o.window : run > o.run;
  }
};
BytesGained Gained(const std::vector<double>& bytes, size_t first,
                   size_t last) {
  if (bytes.empty() || last >= bytes.size()) return {};
  return {bytes[last] - bytes[first], bytes.back() - bytes.front()};
}
BytesGained Gained(const SiteSeries& s, size_t first, size_t last) {
  return Gained(s.bytes, first, last);
}

// NmtSentence: "; NMT: Thread +35.2 MiB, Class +1.1 MiB" for the categories
// (not the total) that grew significantly, the largest two; "" if none.
std::string NmtSentence(const Analysis& a, double alpha) {
  std::vector<std::string> parts;
  for (const auto& [category, g] : a.nmt_growth) {
    if (category == "Total" || g.growth <= 0 || g.p_value >= alpha) continue;
    parts.push_back(absl::StrCat(category, " +", FormatBytes(g.growth)));
    if (parts.size() == 2) break;
  }
  if (parts.empty()) return "";
  return absl::StrCat("; Native Memory Tracking: ", absl::StrJoin(parts, ", "));
}

// WindowText: the analyzed window as the sentences say it ("21.0 s", or
// "7 snapshots").
std::string WindowText(const Analysis& a, const VerdictWindow& w) {
  return a.time_source == TimeSource::kSequence
             ? absl::StrFormat("%d snapshots", w.analyzed)
             : absl::StrFormat("%.1f s", w.span);
}

// MarkSitesOverBudget: each unsuppressed site, and each unsuppressed
// group (the verdict's unit), whose growth is significantly over
// max_site_rate, whatever the verdict.
void MarkSitesOverBudget(const AnalyzerOptions& options, Analysis& a) {
  for (SiteSeries& s : a.sites) {
    s.over_budget = !s.suppressed &&
                    SignificantlyAbove(s.growth, options.budgets.max_site_rate,
                                       options.alpha);
  }
  for (LeakGroup& g : a.groups) {
    g.over_budget = !g.suppressed &&
                    SignificantlyAbove(g.growth, options.budgets.max_site_rate,
                                       options.alpha);
  }
}

// AllocatorSentence: "; jemalloc allocated grows ..." when the memory
// files' allocator figures show what the profile cannot (retention, when
// `retention` is the verdict's kind; allocated bytes the profile does not
// hold otherwise); "" when they do not.
std::string AllocatorSentence(const Analysis& a, bool retention) {
  if (!a.memory.allocator.has_value()) return "";
  const MemoryAllocatorReport& r = *a.memory.allocator;
  if (r.finding.empty() || (r.finding_kind == "retention") != retention) {
    return "";
  }
  return absl::StrCat("; ", r.finding);
}

bool DecideInconclusive(const AnalyzerOptions& options, const VerdictWindow& w,
                        Analysis& a) {
  if (!w.any_samples) {
    a.verdict = Verdict::kInconclusive;
    a.reason =
        "no profile holds any allocation sample: was profiling on "
        "(MALLOC_CONF=prof:true) and the profiling jemalloc preloaded?";
    return true;
  }
  if (static_cast<int>(w.analyzed) >= options.min_snapshots) return false;
  a.verdict = Verdict::kInconclusive;
  a.reason = absl::StrFormat(
      "too few snapshots after the %.1f%s warm-up: %d of the %d needed; "
      "run longer or take snapshots more often",
      a.warmup_seconds,
      a.time_source == TimeSource::kSequence ? "-snapshot" : " s", w.analyzed,
      options.min_snapshots);
  return true;
}

// RssOverBudget: RSS grows significantly faster than max_rss_rate, and
// still does in the window's second half (RSS rises while a JVM settles).
bool RssOverBudget(const AnalyzerOptions& options, const VerdictWindow& w,
                   const Analysis& a) {
  if (!a.rss_growth.has_value()) return false;
  const double budget = options.budgets.max_rss_rate;
  const std::optional<GrowthEstimate> late =
      FitLateHalf(a, w.limits, &TimelinePoint::rss_bytes);
  return SignificantlyAbove(*a.rss_growth, budget, options.alpha) &&
         late.has_value() && late->slope > budget;
}

bool DecideOutsideMalloc(const AnalyzerOptions& options, const VerdictWindow& w,
                         const std::string& over, Analysis& a) {
  if (!RssOverBudget(options, w, a) ||
      !(a.total.slope < 0.5 * a.rss_growth->slope)) {
    return false;
  }
  const GrowthEstimate& rss = *a.rss_growth;
  const double allocated_slope =
      a.allocated_growth.has_value() ? a.allocated_growth->slope : 0;
  const bool retention =
      a.resident_growth.has_value() &&
      a.resident_growth->slope - allocated_slope >= 0.5 * rss.slope;
  a.verdict = Verdict::kLeak;
  a.kind =
      retention ? GrowthKind::kAllocatorRetention : GrowthKind::kOutsideMalloc;
  a.reason = absl::StrCat(
      "leak: RSS grows ", Rate(rss.slope, a.time_source), " (",
      FormatBytes(rss.growth), " over ", over, ", ", PValue(rss.p_value),
      ") and malloc'd memory explains ",
      absl::StrFormat("%.0f%%", 100 * std::max(0.0, a.total.slope) / rss.slope),
      " of it: ",
      retention ? "allocator retention (jemalloc resident grows)"
                : "growth outside malloc");
  // The memory files name the class and what in it grows.
  const std::optional<OutsideFinding> finding =
      retention ? std::nullopt : TopOutsideGrowth(a, options.alpha, false);
  if (finding.has_value()) absl::StrAppend(&a.reason, ": ", finding->sentence);
  absl::StrAppend(&a.reason, AllocatorSentence(a, retention));
  if ((!finding.has_value() || finding->class_name != "thread_stacks") &&
      a.thread_growth.has_value() &&
      a.thread_growth->last > a.thread_growth->first) {
    absl::StrAppend(&a.reason, absl::StrFormat("; threads %.0f -> %.0f",
                                               a.thread_growth->first,
                                               a.thread_growth->last));
  }
  absl::StrAppend(&a.reason, NmtSentence(a, options.alpha));
  return true;
}

// DecideOutsideBudget: one class of resident memory outside malloc grows
// past max_outside_rate (MarkOutsideOverBudget), even though RSS as a
// whole does not show it (the Java heap shrinking while files are mapped).
bool DecideOutsideBudget(const AnalyzerOptions& options,
                         const std::string& over, Analysis& a) {
  const std::optional<OutsideFinding> finding =
      TopOutsideGrowth(a, options.alpha, true);
  if (!finding.has_value()) return false;
  const MemoryClassReport* c = nullptr;
  for (const MemoryClassReport& k : a.memory.classes) {
    if (k.name == finding->class_name) c = &k;
  }
  const GrowthEstimate& g = *c->growth;
  // Memory files come with a timeline only: times are seconds.
  const TimeSource ts = TimeSource::kTimeline;
  a.verdict = Verdict::kLeak;
  a.kind = GrowthKind::kOutsideMalloc;
  a.reason = absl::StrCat(
      "leak: growth outside malloc: ", finding->sentence, " (", c->label,
      " 95% CI ", Rate(g.slope_low, ts), " to ", Rate(g.slope_high, ts), ", ",
      PValue(g.p_value), ", ", FormatBytes(g.growth), " over ", over,
      "); budget ", Rate(options.budgets.max_outside_rate, ts), " per class");
  absl::StrAppend(&a.reason, AllocatorSentence(a, false));
  return true;
}

// ExactCountRulesOut: jemalloc's exact count bounds what the sampled sites
// may claim: when the process's malloc'd memory provably grows slower than
// `rate`, a site or total that seems to grow faster (a cache at capacity
// whose sampled objects drift as its entries are replaced) is sampling
// noise.
bool ExactCountRulesOut(const AnalyzerOptions& options, const Analysis& a,
                        double rate) {
  return a.allocated_growth.has_value() &&
         a.allocated_growth->points >= options.min_snapshots &&
         a.allocated_growth->slope_high < rate;
}

// RuleOutSamplingNoise: sites over budget by their samples but not by the
// exact count are not over budget, each with a warning.
void RuleOutSamplingNoise(const AnalyzerOptions& options, Analysis& a) {
  if (!ExactCountRulesOut(options, a, options.budgets.max_site_rate)) return;
  for (SiteSeries& s : a.sites) s.over_budget = false;
  for (LeakGroup& g : a.groups) {
    if (!g.over_budget) continue;
    g.over_budget = false;
    a.warnings.push_back(absl::StrCat(
        "the sampled growth of ", GroupLabel(a, g), " (",
        Rate(g.growth.slope, a.time_source),
        ") is not borne out by jemalloc's exact count (malloc'd memory "
        "grows at most ",
        Rate(a.allocated_growth->slope_high, a.time_source),
        "): taken as sampling noise"));
  }
}

bool DecideSiteLeak(const AnalyzerOptions& options, const std::string& over,
                    Analysis& a) {
  auto top = std::find_if(a.groups.begin(), a.groups.end(),
                          [](const LeakGroup& g) { return g.over_budget; });
  if (top == a.groups.end()) return false;
  const GrowthEstimate& g = top->growth;
  const TimeSource ts = a.time_source;
  a.verdict = Verdict::kLeak;
  a.kind = GrowthKind::kMalloc;
  const std::string interval =
      absl::StrCat(" (95% CI ", Rate(g.slope_low, ts), " to ",
                   Rate(g.slope_high, ts), ", ", PValue(g.p_value), ")");
  if (top->app_frame.empty()) {
    a.reason = absl::StrCat(
        "leak: ", GroupLabel(a, *top), " grows ", Rate(g.slope, ts), interval,
        ", ", FormatBytes(g.growth), " over ", over, "; budget ",
        Rate(options.budgets.max_site_rate, ts), " per site");
    return true;
  }
  // The application method first: the line a person reads names the code
  // to fix.
  const size_t n = top->sites.size();
  a.reason = absl::StrCat(
      "leak: ", top->app_frame, From(*top), " leaks ", Rate(g.slope, ts),
      interval,
      top->through.empty() ? "" : absl::StrCat(" through ", top->through), " (",
      n, n == 1 ? " site" : " sites", "), ", FormatBytes(g.growth), " over ",
      over, "; budget ", Rate(options.budgets.max_site_rate, ts), " per group");
  return true;
}

bool DecideTotalLeak(const AnalyzerOptions& options, const VerdictWindow& w,
                     const std::string& over, Analysis& a) {
  const Budgets& b = options.budgets;
  const bool over_rate =
      SignificantlyAbove(a.total, b.max_total_rate, options.alpha) &&
      !ExactCountRulesOut(options, a, b.max_total_rate);
  const bool over_growth =
      b.max_total_growth > 0 && a.total.p_value < options.alpha &&
      a.total.growth > b.max_total_growth &&
      !ExactCountRulesOut(options, a,
                          b.max_total_growth / std::max(w.span, 1e-9));
  if (!over_rate && !over_growth) return false;
  a.verdict = Verdict::kLeak;
  a.kind = GrowthKind::kMalloc;
  a.reason = absl::StrCat(
      "leak: malloc'd memory grows ", Rate(a.total.slope, a.time_source), " (",
      FormatBytes(a.total.growth), " over ", over, ", ",
      PValue(a.total.p_value),
      ") though no single site exceeds its budget; the top sites share it");
  return true;
}

// ExactCountOverBudget: jemalloc's exact allocated count, less the
// suppressed sites' sampled slope, grows significantly past
// max_allocated_rate over the window and over its second half (a JVM's
// malloc'd memory settles after warm-up). Sets `suppressed_slope`.
bool ExactCountOverBudget(const AnalyzerOptions& options,
                          const VerdictWindow& w, const Analysis& a,
                          double* suppressed_slope) {
  const double budget = options.budgets.max_allocated_rate;
  if (budget <= 0 || !a.allocated_growth.has_value() || a.timeline.empty()) {
    return false;
  }
  *suppressed_slope = 0;
  for (const SiteSeries& s : a.sites) {
    if (s.suppressed) *suppressed_slope += std::max(0.0, s.growth.slope);
  }
  const GrowthEstimate& g = *a.allocated_growth;
  const std::optional<GrowthEstimate> late =
      FitLateHalf(a, w.limits, &TimelinePoint::jemalloc_allocated);
  return !(g.points < options.min_snapshots || g.p_value >= options.alpha ||
           g.slope_low - *suppressed_slope <= budget || !late.has_value() ||
           late->slope - *suppressed_slope <= budget);
}

// LikelySite: the group (and its top site) an exact-count leak most
// likely is, or "what to do" when no sampled site shows it. Groups are
// sorted like sites (SortSites): the first is the likeliest, if it is not
// suppressed and gained anything at all.
std::string LikelySite(const VerdictWindow& w, Analysis& a) {
  LeakGroup* likely = a.groups.empty() ? nullptr : &a.groups[0];
  const BytesGained gained =
      likely ? Gained(likely->bytes, w.first, w.last) : BytesGained();
  if (likely == nullptr || likely->suppressed ||
      (likely->growth.growth <= 0 && gained.window <= 0 && gained.run <= 0)) {
    return "; no sampled site shows it: sample finer "
           "(jleak run --sample-bytes 65536) to name the site";
  }
  likely->likely = true;
  if (!likely->sites.empty()) a.sites[likely->sites[0]].likely = true;
  return absl::StrCat(
      "; most likely at ", GroupLabel(a, *likely), " (sampled +",
      FormatBytes(gained.window > 0
                      ? gained.window
                      : std::max(gained.run, likely->growth.growth)),
      gained.window > 0 ? " over the window" : " since the first snapshot",
      ": too few samples to be sure)");
}

// DecideExactCountLeak: jemalloc counts allocated bytes exactly (the
// timeline's stats.allocated after each snapshot's forced GC), so a leak
// too slow for the sampled sites to show with confidence (a few sampled
// objects per window) still stands out there with a narrow interval; the
// sampled profile only names where it most likely is.
bool DecideExactCountLeak(const AnalyzerOptions& options,
                          const VerdictWindow& w, const std::string& over,
                          Analysis& a) {
  double suppressed_slope = 0;
  if (!ExactCountOverBudget(options, w, a, &suppressed_slope)) return false;
  // The timeline's times are always seconds.
  const TimeSource ts = TimeSource::kTimeline;
  const GrowthEstimate& g = *a.allocated_growth;
  std::string reason =
      absl::StrCat("leak: malloc'd memory grows ", Rate(g.slope, ts),
                   " by jemalloc's exact count (95% CI ", Rate(g.slope_low, ts),
                   " to ", Rate(g.slope_high, ts), ", ", PValue(g.p_value),
                   "), ", FormatBytes(g.growth), " over ", over, "; budget ",
                   Rate(options.budgets.max_allocated_rate, ts));
  if (suppressed_slope > 0) {
    absl::StrAppend(&reason, " after ", Rate(suppressed_slope, ts),
                    " of suppressed sites");
  }
  absl::StrAppend(&reason, LikelySite(w, a));
  a.verdict = Verdict::kLeak;
  a.kind = GrowthKind::kMalloc;
  a.reason = std::move(reason);
  return true;
}

void DecideClean(const AnalyzerOptions& options, const std::string& over,
                 Analysis& a) {
  a.verdict = Verdict::kClean;
  a.kind = GrowthKind::kNone;
  a.reason = absl::StrCat("clean: no site grows faster than ",
                          Rate(options.budgets.max_site_rate, a.time_source),
                          " with confidence; malloc'd total ",
                          a.total.growth >= 0 ? "+" : "",
                          FormatBytes(a.total.growth), " over ", over);
}

}  // namespace

void SortSites(size_t first, size_t last, std::vector<SiteSeries>& sites) {
  std::sort(sites.begin(), sites.end(),
            [&](const SiteSeries& x, const SiteSeries& y) {
              if (x.suppressed != y.suppressed) return !x.suppressed;
              if (x.growth.growth != y.growth.growth) {
                return x.growth.growth > y.growth.growth;
              }
              const BytesGained gx = Gained(x, first, last);
              const BytesGained gy = Gained(y, first, last);
              if (gx != gy) return gx > gy;
              return x.key < y.key;
            });
}

void DecideVerdict(const AnalyzerOptions& options, const VerdictWindow& window,
                   Analysis& a) {
  if (a.groups.empty() && !a.sites.empty()) GroupEachSiteAlone(a);
  MarkSitesOverBudget(options, a);
  MarkOutsideOverBudget(options.budgets.max_outside_rate, options.alpha,
                        window.limits, a);
  if (DecideInconclusive(options, window, a)) return;
  const std::string over = WindowText(a, window);
  if (DecideOutsideMalloc(options, window, over, a)) return;
  if (DecideOutsideBudget(options, over, a)) return;
  RuleOutSamplingNoise(options, a);
  if (DecideSiteLeak(options, over, a)) return;
  if (DecideTotalLeak(options, window, over, a)) return;
  if (DecideExactCountLeak(options, window, over, a)) return;
  DecideClean(options, over, a);
}

}  // namespace jleak
