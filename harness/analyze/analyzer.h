// File: analyzer.h
//
// Analyze: a series of heap snapshots (and, when the run had the agent, its
// timeline) -> an Analysis with a verdict. Pure: no file I/O (see
// series_loader.h for reading run directories and .heap files), so it is
// tested on data without a JVM.
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
// 3. Growth: per site, for the process total of all sites, and for the
//    timeline signals, EstimateGrowth (growth.h). A site's sampling noise
//    at a snapshot, from its unsampled objects N and bytes B with mean
//    size S = B/N and p = 1 - exp(-S/period), is sd = S * sqrt(N(1-p)/p)
//    (binomial sampling of N objects with probability p).
// 4. Verdict:
//    - inconclusive: fewer than `min_snapshots` snapshots after warm-up,
//      or no profile had any sample (profiling off);
//    - leak, kind malloc: an unsuppressed site whose trend is significant
//      (Mann-Kendall p < alpha) and whose slope's lower confidence bound
//      exceeds max_site_rate; or the total of all sites likewise over
//      max_total_rate, or its fitted growth over max_total_growth;
//    - leak, kind outside malloc / allocator retention: timeline RSS grows
//      significantly faster than max_rss_rate while jemalloc allocated does
//      not grow past max_total_rate (retention when jemalloc resident does);
//    - but not from sampled sites or totals that jemalloc's exact count
//      rules out: when the timeline's allocated bytes grow, at the upper
//      bound of their interval, slower than the budget, such growth is
//      sampling noise (said in a warning);
//    - leak, kind malloc, from the timeline: jemalloc's exact allocated
//      count (not sampled) grows significantly, its lower bound less the
//      suppressed sites' slope exceeds max_allocated_rate, and so does the
//      slope of the window's second half; the site with the most sampled
//      growth is named as the likely one. This is what catches leaks of
//      about 1 MiB/min at the default 512 KiB sampling, where a site holds
//      one or two sampled objects;
//    - clean otherwise.
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

#include "absl/status/statusor.h"
#include "harness/analyze/analysis.h"
#include "profile/frame_filter.h"
#include "profile/heap_profile.h"
#include "profile/symbolizer.h"
#include "re2/re2.h"

namespace jleak {

// One suppression: a site is ignored when any of its frames' function
// names matches (`function`: exactly; `frame`: an RE2 regex found anywhere
// in the name). RE2 runs in time linear in the name, without recursion, so
// that no pattern and no frame name from a profile can hang or crash it.
struct Suppression {
  enum class Kind { kFunction, kFrameRegex };
  Kind kind = Kind::kFunction;
  std::string text;                  // as written, for reports
  std::shared_ptr<const RE2> regex;  // kFrameRegex only
};

// ParseSuppressions reads a suppressions file:
//   # comment
//   function Java_com_example_Cache_fill
//   frame ^libfoo::Pool::
// Errors name the line.
absl::StatusOr<std::vector<Suppression>> ParseSuppressions(
    absl::string_view text, absl::string_view source_name);

// MakeFrameSuppression builds a `frame` suppression from a regex (the
// --suppress flag); InvalidArgument for a bad regex.
absl::StatusOr<Suppression> MakeFrameSuppression(const std::string& regex);

// CompileFrameRegex compiles a regex matched against frame names (RE2
// syntax: no backreferences or lookaround; linear time in the name).
// InvalidArgument, quoting the pattern, when it does not compile.
absl::StatusOr<std::shared_ptr<const RE2>> CompileFrameRegex(
    const std::string& regex);

struct AnalyzerOptions {
  // Warm-up: `warmup_seconds` if >= 0, else `warmup_fraction` of the span.
  double warmup_seconds = -1;
  double warmup_fraction = 0.25;
  int site_frames = 6;
  int min_snapshots = 4;
  double alpha = 0.05;
  Budgets budgets = DefaultBudgets();
  std::vector<Suppression> suppressions;
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
  // named, never for those a run directory lists (series_loader.h).
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
size_t SiteKeyFrames(const std::vector<NamedFrame>& frames, int site_frames);
std::string SiteKey(const std::vector<NamedFrame>& frames, int site_frames);

}  // namespace jleak

#endif  // JLEAK_HARNESS_ANALYZE_ANALYZER_H_
