// File: compare.h
//
// Compare: two analyzed runs of one workload, a base (e.g. the merge base)
// and a candidate (the change), -> did the change make native memory grow
// where it did not before? The CI use of jleak: an absolute budget catches
// gross leaks, a comparison catches "this change leaks 64 KiB/s more".
//
// Leak groups (leak_groups.h: the sites one application frame makes) are
// matched by their key; a group of one site without an application frame
// by its site's key (the same key `jleak analyze` uses, see analyzer.h). Per
// site, the growth rate in each run with its confidence interval, and the
// difference candidate - base with its own interval: the two estimates are
// independent, so with each run's standard error taken from its interval, se =
// (high - low) / (2 z), the difference's is sqrt(se_base^2 + se_candidate^2)
// and its interval diff -/+ z se. A site in one run only counts as growing at
// exactly 0 in the other.
//
// The process total is compared the same way: jemalloc's exact allocated
// count when both runs have a timeline (the sensitive signal), else the
// sum of the sampled sites.
//
// Verdict:
// - inconclusive: either run's analysis is inconclusive (too few
//   snapshots, no samples) or the total cannot be fitted;
// - regression: a site's, or the total's, difference has its lower bound
//   above the budget (max_site_increase, max_total_increase): the
//   candidate grows faster by more than the budget, with confidence;
// - same otherwise (no such increase shown; sites that only shrank or
//   vanished are listed, not judged).

#ifndef JLEAK_HARNESS_ANALYZE_COMPARE_H_
#define JLEAK_HARNESS_ANALYZE_COMPARE_H_

#include <optional>
#include <string>
#include <vector>

#include "harness/analyze/analysis.h"

namespace jleak {

enum class CompareVerdict {
  kSame,          // exit 0
  kRegression,    // exit 1
  kInconclusive,  // exit 2
};
const char* CompareVerdictName(CompareVerdict v);  // "same", ...

// The growth of one signal in both runs and their difference.
struct RateComparison {
  std::optional<GrowthEstimate> base;       // absent: not in the base run
  std::optional<GrowthEstimate> candidate;  // absent: not in the candidate
  double difference = 0;                    // candidate rate - base rate
  double difference_low = 0;                // its confidence interval
  double difference_high = 0;
  bool regression = false;  // difference_low > the budget
};

// One leak group (or site) compared; "site" for what it was before groups.
struct SiteComparison {
  std::string key;                   // LeakGroup::key, or the site's key
  std::string headline;              // GroupLabel, or SiteSeries::headline
  std::string top_frame;             // the app method, or SiteSeries::top_frame
  std::vector<std::string> members;  // its sites' headlines
  enum class Presence { kBoth, kNew, kVanished };
  Presence presence = Presence::kBoth;
  RateComparison rate;
};
const char* PresenceName(SiteComparison::Presence p);  // "both", "new", ...

struct CompareOptions {
  // Bytes per second (per snapshot when either run has only sequence
  // numbers) by which the candidate may outgrow the base.
  double max_site_increase = 4 * 1024;
  double max_total_increase = 8 * 1024;
  double confidence = 0.95;
};

struct Comparison {
  CompareVerdict verdict = CompareVerdict::kInconclusive;
  std::string reason;  // one sentence
  TimeSource time_source = TimeSource::kSequence;
  CompareOptions options;
  // Sites of either run that grew in either, by decreasing difference;
  // sites flat in both are counted in `flat_sites`, not listed.
  std::vector<SiteComparison> sites;
  size_t flat_sites = 0;
  RateComparison total;
  std::string total_signal;  // "jemalloc allocated (exact)" or "sampled sites"
  Verdict base_verdict = Verdict::kInconclusive;
  Verdict candidate_verdict = Verdict::kInconclusive;
  // Comparability and input notes, e.g. "the JVM differs: ...".
  std::vector<std::string> warnings;
};

// CompareRates: the difference of two growth estimates (either may be
// absent: a rate of exactly 0).
RateComparison CompareRates(const std::optional<GrowthEstimate>& base,
                            const std::optional<GrowthEstimate>& candidate,
                            double budget, double confidence);

// Compare two analyses made with the same analyzer options.
Comparison Compare(const Analysis& base, const Analysis& candidate,
                   const CompareOptions& options);

}  // namespace jleak

#endif  // JLEAK_HARNESS_ANALYZE_COMPARE_H_
