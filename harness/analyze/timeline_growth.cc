// File: timeline_growth.cc
//
// Fits of the timeline's signals (see timeline_growth.h).

#include "harness/analyze/timeline_growth.h"

#include <algorithm>
#include <set>

namespace jleak {
namespace {

// Fit: FitSignal for any `value` of a point (nullopt where absent).
template <typename Value>
std::optional<GrowthEstimate> Fit(const std::vector<TimelinePoint>& timeline,
                                  double from, const FitLimits& limits,
                                  Value value) {
  std::vector<double> t, y;
  for (const TimelinePoint& p : timeline) {
    const std::optional<double> v = value(p);
    if (p.time_seconds >= from && v.has_value() && *v >= 0) {
      t.push_back(p.time_seconds);
      y.push_back(*v);
    }
  }
  if (t.size() < 3) return std::nullopt;
  if (limits.max_points != 0 && t.size() > limits.max_points) {
    std::vector<double> tt, yy;
    for (size_t i : ThinForFit(t, limits.max_points, limits.edge_seconds)) {
      tt.push_back(t[i]);
      yy.push_back(y[i]);
    }
    t.swap(tt);
    y.swap(yy);
  }
  return EstimateGrowth(t, y);
}

}  // namespace

std::optional<GrowthEstimate> FitSignal(
    const std::vector<TimelinePoint>& timeline, double from,
    const FitLimits& limits, std::optional<double> TimelinePoint::*field) {
  return Fit(timeline, from, limits,
             [field](const TimelinePoint& p) { return p.*field; });
}

std::optional<GrowthEstimate> FitValue(
    const std::vector<TimelinePoint>& timeline, double from,
    const FitLimits& limits,
    const std::function<std::optional<double>(const TimelinePoint&)>& value) {
  return Fit(timeline, from, limits, value);
}

std::optional<GrowthEstimate> FitLateHalf(
    const Analysis& a, const FitLimits& limits,
    std::optional<double> TimelinePoint::*field) {
  if (a.timeline.empty()) return std::nullopt;
  return FitSignal(a.timeline,
                   (a.warmup_seconds + a.timeline.back().time_seconds) / 2,
                   limits, field);
}

std::vector<std::pair<std::string, GrowthEstimate>> NmtGrowth(
    const std::vector<TimelinePoint>& timeline, double from,
    const FitLimits& limits) {
  std::set<std::string> categories;
  for (const TimelinePoint& p : timeline) {
    for (const auto& [category, bytes] : p.nmt_committed) {
      categories.insert(category);
    }
  }
  std::vector<std::pair<std::string, GrowthEstimate>> out;
  for (const std::string& category : categories) {
    std::optional<GrowthEstimate> g =
        Fit(timeline, from, limits,
            [&category](const TimelinePoint& p) -> std::optional<double> {
              auto it = p.nmt_committed.find(category);
              if (it == p.nmt_committed.end()) return std::nullopt;
              return it->second;
            });
    if (g.has_value()) out.emplace_back(category, *g);
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& x, const auto& y) {
    return x.second.growth > y.second.growth;
  });
  return out;
}

void FitTimelineSignals(const FitLimits& limits, Analysis& a) {
  const double from = a.warmup_seconds;
  a.rss_growth = FitSignal(a.timeline, from, limits, &TimelinePoint::rss_bytes);
  a.allocated_growth =
      FitSignal(a.timeline, from, limits, &TimelinePoint::jemalloc_allocated);
  a.resident_growth =
      FitSignal(a.timeline, from, limits, &TimelinePoint::jemalloc_resident);
  a.direct_buffer_growth =
      FitSignal(a.timeline, from, limits, &TimelinePoint::direct_buffer_bytes);
  a.thread_growth =
      FitSignal(a.timeline, from, limits, &TimelinePoint::threads);
  a.nmt_growth = NmtGrowth(a.timeline, from, limits);
}

}  // namespace jleak
