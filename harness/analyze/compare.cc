// File: compare.cc
//
// Base vs candidate (see compare.h).

#include "harness/analyze/compare.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "harness/analyze/leak_groups.h"
#include "profile/profile_report.h"

namespace jleak {
namespace {

// Two-sided normal quantile for the usual confidences (no inverse-normal
// in the standard library; these are the ones anyone asks for).
double ZFor(double confidence) {
  if (confidence >= 0.99) return 2.5758;
  if (confidence >= 0.95) return 1.9600;
  if (confidence >= 0.90) return 1.6449;
  return 1.2816;  // 80%
}

bool Finite(const GrowthEstimate& g) {
  return g.points >= 3 && std::isfinite(g.slope_low) &&
         std::isfinite(g.slope_high);
}

std::string Rate(double v, TimeSource ts) {
  return absl::StrCat(v >= 0 ? "+" : "", FormatBytes(v),
                      ts == TimeSource::kSequence ? "/snapshot" : "/s");
}

bool Grew(const std::optional<GrowthEstimate>& g) {
  return g.has_value() && g->growth > 0;
}

}  // namespace

const char* CompareVerdictName(CompareVerdict v) {
  switch (v) {
    case CompareVerdict::kSame:
      return "same";
    case CompareVerdict::kRegression:
      return "regression";
    case CompareVerdict::kInconclusive:
      return "inconclusive";
  }
  return "inconclusive";
}

const char* PresenceName(SiteComparison::Presence p) {
  switch (p) {
    case SiteComparison::Presence::kBoth:
      return "both";
    case SiteComparison::Presence::kNew:
      return "new";
    case SiteComparison::Presence::kVanished:
      return "vanished";
  }
  return "both";
}

RateComparison CompareRates(const std::optional<GrowthEstimate>& base,
                            const std::optional<GrowthEstimate>& candidate,
                            double budget, double confidence) {
  RateComparison r;
  r.base = base;
  r.candidate = candidate;
  const double z = ZFor(confidence);
  double diff = 0, var = 0;
  bool fitted = true;
  auto add = [&](const std::optional<GrowthEstimate>& g, double sign) {
    if (!g.has_value()) return;  // exactly 0
    if (!Finite(*g)) {
      fitted = false;
      return;
    }
    diff += sign * g->slope;
    const double se = (g->slope_high - g->slope_low) / (2 * z);
    var += se * se;
  };
  add(candidate, 1);
  add(base, -1);
  r.difference = diff;
  if (!fitted) {
    r.difference_low = -INFINITY;
    r.difference_high = INFINITY;
    return r;
  }
  r.difference_low = diff - z * std::sqrt(var);
  r.difference_high = diff + z * std::sqrt(var);
  r.regression = r.difference_low > budget;
  return r;
}

namespace {

// What a comparison matches across runs: a leak group, or a site of an
// analysis that was never grouped.
struct Unit {
  std::string key;
  std::string headline;
  std::string top_frame;
  std::vector<std::string> members;  // its sites' headlines, in rank order
  GrowthEstimate growth;
  bool suppressed = false;
};

std::vector<Unit> Units(const Analysis& a) {
  std::vector<Unit> out;
  if (a.groups.empty()) {
    for (const SiteSeries& s : a.sites) {
      Unit u;
      u.key = s.key;
      u.headline = s.headline.empty() ? s.top_frame : s.headline;
      u.top_frame = s.top_frame;
      u.members = {u.headline};
      u.growth = s.growth;
      u.suppressed = s.suppressed;
      out.push_back(std::move(u));
    }
    return out;
  }
  for (const LeakGroup& g : a.groups) {
    if (g.sites.empty()) continue;
    const SiteSeries& top = a.sites[g.sites.front()];
    Unit u;
    // A group of one site without an application frame is the site, under
    // its site key: comparable with analyses made before groups.
    u.key = g.app_frame.empty() ? top.key : g.key;
    u.headline = g.app_frame.empty()
                     ? (top.headline.empty() ? top.top_frame : top.headline)
                     : GroupLabel(a, g);
    u.top_frame = g.app_frame.empty() ? top.top_frame : g.app_method;
    for (size_t i : g.sites) {
      const SiteSeries& s = a.sites[i];
      u.members.push_back(s.headline.empty() ? s.top_frame : s.headline);
    }
    u.growth = g.growth;
    u.suppressed = g.suppressed;
    out.push_back(std::move(u));
  }
  return out;
}

}  // namespace

Comparison Compare(const Analysis& base, const Analysis& candidate,
                   const CompareOptions& options) {
  Comparison c;
  c.options = options;
  c.base_verdict = base.verdict;
  c.candidate_verdict = candidate.verdict;
  c.time_source = base.time_source == TimeSource::kSequence ||
                          candidate.time_source == TimeSource::kSequence
                      ? TimeSource::kSequence
                      : base.time_source;
  if (base.time_source != candidate.time_source) {
    c.warnings.push_back(absl::StrCat(
        "the runs' times come from different sources (base ",
        TimeSourceName(base.time_source), ", candidate ",
        TimeSourceName(candidate.time_source), "): rates may not compare"));
  }

  // Leak groups (leak_groups.h: the sites one application frame makes;
  // a site without one is its own group), matched by key; suppressed ones
  // are not judged.
  const std::vector<Unit> base_units = Units(base);
  const std::vector<Unit> candidate_units = Units(candidate);
  absl::flat_hash_map<std::string, const Unit*> in_base;
  for (const Unit& u : base_units) {
    if (!u.suppressed) in_base.emplace(u.key, &u);
  }
  absl::flat_hash_map<std::string, bool> seen;
  auto add = [&](const Unit* b, const Unit* k) {
    const Unit& named = k != nullptr ? *k : *b;
    std::optional<GrowthEstimate> gb, gk;
    if (b != nullptr) gb = b->growth;
    if (k != nullptr) gk = k->growth;
    if (!Grew(gb) && !Grew(gk)) {
      ++c.flat_sites;
      return;
    }
    SiteComparison sc;
    sc.key = named.key;
    sc.headline = named.headline;
    sc.top_frame = named.top_frame;
    sc.members = named.members;
    sc.presence = b == nullptr   ? SiteComparison::Presence::kNew
                  : k == nullptr ? SiteComparison::Presence::kVanished
                                 : SiteComparison::Presence::kBoth;
    sc.rate =
        CompareRates(gb, gk, options.max_site_increase, options.confidence);
    c.sites.push_back(std::move(sc));
  };
  for (const Unit& u : candidate_units) {
    if (u.suppressed) continue;
    auto it = in_base.find(u.key);
    add(it == in_base.end() ? nullptr : it->second, &u);
    seen[u.key] = true;
  }
  for (const Unit& u : base_units) {
    if (!u.suppressed && !seen.contains(u.key)) add(&u, nullptr);
  }
  std::stable_sort(c.sites.begin(), c.sites.end(),
                   [](const SiteComparison& x, const SiteComparison& y) {
                     return x.rate.difference > y.rate.difference;
                   });

  // The total: exact when both runs counted it.
  if (base.allocated_growth.has_value() &&
      candidate.allocated_growth.has_value()) {
    c.total_signal = "jemalloc allocated (exact)";
    c.total = CompareRates(base.allocated_growth, candidate.allocated_growth,
                           options.max_total_increase, options.confidence);
  } else {
    c.total_signal = "sampled sites";
    c.total = CompareRates(base.total, candidate.total,
                           options.max_total_increase, options.confidence);
  }

  const TimeSource ts = c.time_source;
  if (base.verdict == Verdict::kInconclusive ||
      candidate.verdict == Verdict::kInconclusive) {
    c.verdict = CompareVerdict::kInconclusive;
    c.reason = absl::StrCat(
        "inconclusive: the ",
        base.verdict == Verdict::kInconclusive ? "base" : "candidate",
        " run cannot be analyzed (",
        base.verdict == Verdict::kInconclusive ? base.reason : candidate.reason,
        ")");
    return c;
  }
  if (!std::isfinite(c.total.difference_low)) {
    c.verdict = CompareVerdict::kInconclusive;
    c.reason = "inconclusive: too few snapshots to fit the total growth";
    return c;
  }
  const SiteComparison* worst = nullptr;
  for (const SiteComparison& s : c.sites) {
    if (s.rate.regression) {
      worst = &s;
      break;
    }
  }
  auto interval = [&](const RateComparison& r) {
    return absl::StrCat(Rate(r.difference, ts), " (95% CI ",
                        Rate(r.difference_low, ts), " to ",
                        Rate(r.difference_high, ts), ")");
  };
  auto rate_of = [&](const std::optional<GrowthEstimate>& g) {
    return g.has_value() ? Rate(g->slope, ts) : std::string("absent");
  };
  if (worst != nullptr) {
    c.verdict = CompareVerdict::kRegression;
    c.reason = absl::StrCat(
        "regression: ", worst->headline,
        worst->presence == SiteComparison::Presence::kNew ? " (a new site)"
                                                          : "",
        " grows ", interval(worst->rate), " faster than in the base (",
        rate_of(worst->rate.base), " -> ", rate_of(worst->rate.candidate),
        "); budget ", Rate(options.max_site_increase, ts), " per site");
    return c;
  }
  if (c.total.regression) {
    c.verdict = CompareVerdict::kRegression;
    c.reason = absl::StrCat("regression: malloc'd memory (", c.total_signal,
                            ") grows ", interval(c.total),
                            " faster than in the base (", rate_of(c.total.base),
                            " -> ", rate_of(c.total.candidate), "); budget ",
                            Rate(options.max_total_increase, ts),
                            "; no single site shows it with confidence");
    return c;
  }
  c.verdict = CompareVerdict::kSame;
  c.reason =
      absl::StrCat("same: no site grows faster than in the base by more than ",
                   Rate(options.max_site_increase, ts),
                   " with confidence; malloc'd memory (", c.total_signal, ") ",
                   interval(c.total));
  return c;
}

}  // namespace jleak
