// File: timeline_growth.h
//
// The growth of a run's timeline signals (step 3 of analyzer.h for the
// process as a whole): RSS, jemalloc's exact allocated and resident
// bytes, direct buffers, threads and each Native Memory Tracking category,
// fitted by EstimateGrowth (growth.h) over the analyzed window. The
// verdict (verdict.h) compares them with the budgets. Pure.

#ifndef JLEAK_HARNESS_ANALYZE_TIMELINE_GROWTH_H_
#define JLEAK_HARNESS_ANALYZE_TIMELINE_GROWTH_H_

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "harness/analyze/analysis.h"
#include "harness/analyze/growth.h"

namespace jleak {

// How a long timeline is thinned for its fits (ThinForFit, growth.h).
struct FitLimits {
  size_t max_points = 0;    // 0: never thin
  double edge_seconds = 0;  // kept whole at each end of the window
};

// FitSignal fits `field` of the points at or after time `from`; points
// where it is absent or negative (unknown) are left out. nullopt with
// fewer than 3 points.
std::optional<GrowthEstimate> FitSignal(
    const std::vector<TimelinePoint>& timeline, double from,
    const FitLimits& limits, std::optional<double> TimelinePoint::*field);

// FitValue: FitSignal of any value of a point (nullopt where absent; the
// memory classes and groups of memory_analysis.h).
std::optional<GrowthEstimate> FitValue(
    const std::vector<TimelinePoint>& timeline, double from,
    const FitLimits& limits,
    const std::function<std::optional<double>(const TimelinePoint&)>& value);

// FitLateHalf fits `field` over the second half of the analyzed window
// (from the middle of a.warmup_seconds and the last point). A JVM settles
// after warm-up (heap committed, metaspace and code cache filled, malloc'd
// structures built), fast at first and then slower: growth that is a leak
// still shows there.
std::optional<GrowthEstimate> FitLateHalf(
    const Analysis& a, const FitLimits& limits,
    std::optional<double> TimelinePoint::*field);

// NmtGrowth fits every Native Memory Tracking category of the timeline,
// by decreasing fitted growth.
std::vector<std::pair<std::string, GrowthEstimate>> NmtGrowth(
    const std::vector<TimelinePoint>& timeline, double from,
    const FitLimits& limits);

// FitTimelineSignals sets a's rss, allocated, resident, direct buffer,
// thread and NMT growth from a.timeline after the warm-up
// (a.warmup_seconds).
void FitTimelineSignals(const FitLimits& limits, Analysis& a);

}  // namespace jleak

#endif  // JLEAK_HARNESS_ANALYZE_TIMELINE_GROWTH_H_
