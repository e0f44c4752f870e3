// File: verdict.h
//
// The verdict (step 4 of analyzer.h): from the fitted growth of the sites,
// their total and the timeline's signals to clean, leak (of which kind) or
// inconclusive, and the one sentence that says why. Pure: it reads and
// marks an Analysis whose growth estimates are already fitted.
//
// Each rule is one function below, tried in this order; the first that
// decides gives the verdict:
//   1. DecideInconclusive: no profile had a sample, or too few snapshots
//      after the warm-up.
//   2. DecideOutsideMalloc: RSS grows past max_rss_rate, still in the
//      window's second half, and the sampled sites explain less than half
//      of it: growth outside malloc, or allocator retention when jemalloc's
//      resident bytes grow. It comes first because a thread leak also grows
//      malloc by a fraction of its stacks, and naming that site would
//      mislead. When the run recorded memory files (memory_analysis.h),
//      the reason names the class outside malloc that grows and its
//      specifics (file pattern, thread group, class loader type, mmap
//      site), and what the allocator's own figures show.
//   2b. DecideOutsideBudget: one class outside malloc grows past
//      max_outside_rate, in the whole window and its second half.
//   3. (RuleOutSamplingNoise, no verdict: sites and totals whose growth
//      jemalloc's exact count rules out are not over budget.)
//   4. DecideSiteLeak: the first unsuppressed leak group (leak_groups.h:
//      the sites one application frame makes) over max_site_rate; the
//      reason names its application frame first.
//   5. DecideTotalLeak: all sites together over max_total_rate or
//      max_total_growth.
//   6. DecideExactCountLeak: jemalloc's exact allocated count grows past
//      max_allocated_rate (less the suppressed sites), in the whole window
//      and in its second half; the likeliest group is named.
//   7. Clean.

#ifndef JLEAK_HARNESS_ANALYZE_VERDICT_H_
#define JLEAK_HARNESS_ANALYZE_VERDICT_H_

#include <cstddef>
#include <vector>

#include "harness/analyze/analysis.h"
#include "harness/analyze/analyzer.h"
#include "harness/analyze/timeline_growth.h"

namespace jleak {

// What the verdict needs to know of the analyzed window beyond `Analysis`.
struct VerdictWindow {
  bool any_samples = false;  // whether any profile held a sample
  size_t analyzed = 0;       // snapshots after the warm-up
  // The first and last analyzed snapshot (indices into a.snapshots).
  size_t first = 0;
  size_t last = 0;
  // From the first to the last fitted snapshot: seconds, or snapshots for
  // TimeSource::kSequence.
  double span = 0;
  FitLimits limits;  // how the window's fits thin a long timeline
};

// SortSites orders sites as the reports list them and the verdict reads
// them: unsuppressed first, then by decreasing fitted growth; ties (most
// often 0: one sampled object fits a zero Theil-Sen slope) go to the site
// that gained the most sampled bytes over the window (snapshots `first`
// to `last`), then over the whole series, then by key. So the first site
// is the likeliest one even when sampling saw little of it.
void SortSites(size_t first, size_t last, std::vector<SiteSeries>& sites);

// DecideVerdict sets a.verdict, a.kind and a.reason by the rules above,
// marks the sites and groups over budget (::over_budget) and the likely
// one (::likely), and adds a warning for each group it takes as sampling
// noise. `a` has its sites sorted (SortSites) and its growth fitted, and
// its groups built (BuildLeakGroups); without groups each site is one
// (GroupEachSiteAlone).
void DecideVerdict(const AnalyzerOptions& options, const VerdictWindow& window,
                   Analysis& a);

}  // namespace jleak

#endif  // JLEAK_HARNESS_ANALYZE_VERDICT_H_
