// File: analyzer.h
//
// Analyze: a series of heap snapshots (and, when the run had the agent, its
// timeline) -> an Analysis with a verdict. Pure: no file I/O (reading run
// directories and .heap files is harness/load/series_loader.h's), so it
// is tested on data without a JVM.
//
// Steps:
// 1. Warm-up: snapshots earlier than the warm-up window (default: the
//    first 25% of the series' time span) are shown but not fitted.
// 2. Sites: every snapshot is symbolized, trimmed, classified and
//    unsampled (NameProfile); stacks are grouped into sites by their key
//    frames (SiteKeyFrames): the leading native frames of mapped files (at
//    most `site_frames`), and always through the first frame of the user's
//    code and the first user Java frame recorded by the agent, so that two
//    callers of one std:: or JVM function are two sites. JIT ("[jit]") and
//    interpreter frames never count: JIT compilation replaces interpreted
//    frames mid-run, which would cut one leak into two sites that each look
//    flat; the agent's Java frames are the same either way.
//    Each site's Java frames get their origin (jdk, application, library:
//    site_origins.h, from options.code_origins and options.app_rules);
//    sites of jleak's own agent go to Analysis::jleak_footprint, out of
//    everything below; native frames at addresses no file or perf map
//    names become "[JIT-compiled Java code: no perf map]", with a warning
//    saying how to have them named.
// 3. Growth: per site, for the process total of all sites, and for the
//    timeline signals (timeline_growth.h), EstimateGrowth (growth.h). A
//    site's sampling noise at a snapshot, from its unsampled objects N and
//    bytes B with mean size S = B/N and p = 1 - exp(-S/period), is
//    sd = S * sqrt(N(1-p)/p) (binomial sampling of N objects with
//    probability p).
//    Then leak groups (leak_groups.h): the sites that share their first
//    application frame and library entry, fitted on their summed series.
// 4. Verdict (verdict.h), on the groups: inconclusive with too few
//    snapshots after the warm-up or no samples at all; a leak outside
//    malloc (or allocator retention) when RSS grows past its budget and
//    the sites do not explain it; a malloc leak when a group, or all
//    sites together, grow
//    significantly past their budgets, unless jemalloc's exact allocated
//    count rules that growth out as sampling noise; a malloc leak too when
//    that exact count itself grows past its budget (the site with the most
//    sampled growth named as the likely one); clean otherwise. Suppressed
//    sites (suppressions.h) are reported but never judged.
//    Rates are per second, or per snapshot when only sequence numbers
//    order the series.
// Long series: a fit costs O(n^2) in its points (every pair's slope), so a
// series of more than max_fit_points snapshots (or timeline points) is
// thinned for the fits (ThinForFit, growth.h), keeping every point of the
// first and last edge_seconds of the window. Reports still show every
// snapshot.

#ifndef JLEAK_HARNESS_ANALYZE_ANALYZER_H_
#define JLEAK_HARNESS_ANALYZE_ANALYZER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "harness/analyze/analysis.h"
#include "harness/analyze/suppressions.h"
#include "profile/code_origin.h"
#include "profile/frame_filter.h"
#include "profile/heap_profile.h"
#include "profile/symbolizer.h"

namespace jleak {

struct AnalyzerOptions {
  // Warm-up: `warmup_seconds` if >= 0, else `warmup_fraction` of the span.
  double warmup_seconds = -1;
  double warmup_fraction = 0.25;
  int site_frames = 6;
  int min_snapshots = 4;
  double alpha = 0.05;
  Budgets budgets = DefaultBudgets();
  std::vector<Suppression> suppressions;
  // Whose code each Java frame is (profile/code_origin.h): the user's
  // --app rules and the run's java-classes.map (none: the rules alone).
  AppRules app_rules;
  CodeOrigins code_origins;
  // Whether to build Analysis::growth_profile (the HTML flame graph's and
  // --pprof's input): for a profile of 100,000 stacks it is the largest
  // thing an analysis holds (every stack's frames, with their strings).
  bool growth_profile = true;
  // Thinning of long series for the fits (see above); 0: never thin.
  size_t max_fit_points = 256;
  double edge_seconds = 3600;  // per second time sources only

  static Budgets DefaultBudgets() {
    Budgets b;
    b.max_site_rate = 4 * 1024;             // 4 KiB/s = 240 KiB/min
    b.max_total_rate = 32 * 1024;           // 32 KiB/s
    b.max_total_growth = 64 * 1024 * 1024;  // 64 MiB
    b.max_rss_rate = 256 * 1024;            // 256 KiB/s
    b.max_allocated_rate = 8 * 1024;        // 8 KiB/s = 480 KiB/min
    b.max_outside_rate = 128 * 1024;        // 128 KiB/s per class
    return b;
  }
};

struct SnapshotInput {
  std::string path;
  int64_t seq = 0;
  double time_seconds = 0;  // by `time_source`
  HeapProfile profile;
};

// The order and time of one snapshot, known before it is read.
struct SnapshotMeta {
  std::string path;
  int64_t seq = 0;
  double time_seconds = 0;  // by the series' TimeSource
  // Whether a symbolic link at `path` is followed: only for files the user
  // named, never for those a run directory lists
  // (harness/load/series_loader.h).
  bool follow_symlinks = false;
};

// SeriesAccumulator: Analyze, one snapshot at a time, so that a series of
// thousands of snapshots is never held in memory (see step 2 above):
//
//   SeriesAccumulator acc(metas, symbolizer, filter, options);
//   for (size_t i = 0; i < acc.snapshots().size(); ++i)
//     acc.Add(i, ParseHeapProfile(...read acc.snapshots()[i].path...));
//   Analysis a = std::move(acc).Finish(time_source, timeline);
//
// Memory: per site, three numbers per snapshot; per distinct stack of the
// series, its addresses and a pointer per frame; two whole profiles.
class SeriesAccumulator {
 public:
  // `snapshots` need not be sorted; snapshots() has them ordered by time,
  // then sequence number. The symbolizer should know the mappings of the
  // process (e.g. built from the last snapshot's).
  SeriesAccumulator(std::vector<SnapshotMeta> snapshots, Symbolizer& symbolizer,
                    const FrameFilter& filter, const AnalyzerOptions& options);
  ~SeriesAccumulator();
  SeriesAccumulator(const SeriesAccumulator&) = delete;
  SeriesAccumulator& operator=(const SeriesAccumulator&) = delete;

  // The snapshots in the order Add takes them.
  const std::vector<SnapshotMeta>& snapshots() const;

  // Add takes the profile of snapshots()[index]; call it for every index
  // in turn, 0 first.
  void Add(size_t index, const HeapProfile& profile);

  // Finish: the analysis of everything added. `timeline` may be empty;
  // its times are on the snapshots' time base.
  Analysis Finish(TimeSource time_source,
                  std::vector<TimelinePoint> timeline) &&;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Analyze: a whole series in memory (tests, small inputs), through a
// SeriesAccumulator. `snapshots` need not be sorted; they are ordered by
// time. `timeline` may be empty.
Analysis Analyze(std::vector<SnapshotInput> snapshots, TimeSource time_source,
                 std::vector<TimelinePoint> timeline, Symbolizer& symbolizer,
                 const FrameFilter& filter, const AnalyzerOptions& options);

// SiteKeyFrames: how many leading frames of `frames` identify its site:
// the leading native frames (at most `site_frames`, counting an address's
// inlined frames with it), and always through the first user frame
// (UserFrameIndex) and the first user Java frame (JavaFrameIndex), so that
// the runtime or JVM frames before them never merge two callers into one
// site. A site's key is the names of those frames that are not inlined
// (SiteKey), taken from frames named without source detail.
// `app_frame`, when not -1, is the index of the application's first Java
// frame (site_origins.h): the key then goes through it too.
size_t SiteKeyFrames(const std::vector<NamedFrame>& frames, int site_frames,
                     int app_frame = -1);
std::string SiteKey(const std::vector<NamedFrame>& frames, int site_frames,
                    int app_frame = -1);

}  // namespace jleak

#endif  // JLEAK_HARNESS_ANALYZE_ANALYZER_H_
