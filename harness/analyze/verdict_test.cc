// File: verdict_test.cc
//
// The verdict's rules (verdict.h), each on series of the fake process of
// analyzer_testing.h analyzed whole, and on analyses built by hand.

#include "harness/analyze/verdict.h"

#include <cmath>
#include <random>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/analyze/analyzer_testing.h"

namespace jleak {
namespace {

using ::jleak::analyzer_testing::kInterp;
using ::jleak::analyzer_testing::kLeakSite;
using ::jleak::analyzer_testing::kMalloc;
using ::jleak::analyzer_testing::kOtherSite;
using ::jleak::analyzer_testing::RunAnalysis;
using ::jleak::analyzer_testing::Snap;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

TEST(AnalyzeTest, NoisyFlatSeriesIsClean) {
  std::mt19937 rng(3);
  std::normal_distribution<double> noise(0, 300e3);
  std::vector<SnapshotInput> snaps;
  for (int i = 0; i < 15; ++i) {
    snaps.push_back(Snap(i, 2.0 * i, 2e6 + noise(rng), 5e6 + noise(rng)));
  }
  Analysis a = RunAnalysis(snaps);
  EXPECT_EQ(a.verdict, Verdict::kClean) << a.reason;
  EXPECT_EQ(a.kind, GrowthKind::kNone);
  EXPECT_THAT(a.reason,
              StartsWith("clean: no site grows faster than 4.0 KiB/s"));
}

TEST(AnalyzeTest, GcDeferredSpikeIsNotALeak) {
  // Healthy direct-buffer churn: one snapshot caught 400 MB not yet freed.
  std::vector<SnapshotInput> snaps;
  for (int i = 0; i < 10; ++i) {
    snaps.push_back(Snap(i, 2.0 * i, i == 6 ? 400e6 : 25e6, 5e6));
  }
  Analysis a = RunAnalysis(snaps);
  EXPECT_EQ(a.verdict, Verdict::kClean) << a.reason;
}

TEST(AnalyzeTest, TooFewSnapshotsIsInconclusive) {
  std::vector<SnapshotInput> snaps;
  for (int i = 0; i < 4; ++i) snaps.push_back(Snap(i, i, 1e6 * (i + 1), 5e6));
  Analysis a = RunAnalysis(snaps);  // warm-up leaves 3
  EXPECT_EQ(a.verdict, Verdict::kInconclusive);
  EXPECT_THAT(a.reason, HasSubstr("too few snapshots"));
  EXPECT_THAT(a.reason, HasSubstr("3 of the 4 needed"));
}

TEST(AnalyzeTest, NoSamplesIsInconclusive) {
  std::vector<SnapshotInput> snaps(5);
  for (int i = 0; i < 5; ++i) snaps[i].time_seconds = i;
  Analysis a = RunAnalysis(snaps);
  EXPECT_EQ(a.verdict, Verdict::kInconclusive);
  EXPECT_THAT(a.reason, HasSubstr("profiling on"));
  EXPECT_EQ(RunAnalysis({}).verdict, Verdict::kInconclusive);
}

TEST(AnalyzeTest, RssGrowthWithFlatMallocIsOutsideMalloc) {
  std::vector<SnapshotInput> snaps;
  std::vector<TimelinePoint> timeline;
  for (int i = 0; i < 12; ++i) {
    snaps.push_back(Snap(i, 2.0 * i, 1e6, 5e6));
    TimelinePoint p;
    p.seq = i;
    p.time_seconds = 2.0 * i;
    p.rss_bytes = 200e6 + 2e6 * i;  // 1 MB/s
    p.jemalloc_allocated = 30e6;
    p.jemalloc_resident = 40e6;
    p.threads = 20 + 10 * i;
    // Native Memory Tracking sees the thread stacks; metaspace is flat.
    p.nmt_committed = {{"Thread", 1e6 + 1.9e6 * i},
                       {"Class", 5e6},
                       {"Total", 150e6 + 1.9e6 * i}};
    timeline.push_back(p);
  }
  Analysis a = RunAnalysis(snaps, timeline);
  EXPECT_EQ(a.verdict, Verdict::kLeak) << a.reason;
  EXPECT_EQ(a.kind, GrowthKind::kOutsideMalloc);
  EXPECT_THAT(a.reason, HasSubstr("growth outside malloc"));
  EXPECT_THAT(a.reason, HasSubstr("threads 50 -> 130"));
  EXPECT_THAT(a.reason,
              HasSubstr("; Native Memory Tracking: Thread +14.5 MiB"));
  EXPECT_THAT(a.reason, Not(HasSubstr("Class")));
  ASSERT_EQ(a.nmt_growth.size(), 3u);
  EXPECT_EQ(a.nmt_growth.back().first, "Class");
  for (const SiteSeries& s : a.sites) EXPECT_FALSE(s.over_budget);
  ASSERT_TRUE(a.rss_growth.has_value());
  EXPECT_NEAR(a.rss_growth->slope, 1e6, 1);
}

TEST(AnalyzeTest, SequenceTimeSourceUsesPerSnapshotRates) {
  std::vector<SnapshotInput> snaps;
  for (int i = 0; i < 10; ++i) snaps.push_back(Snap(i, i, 1e6 + 1e6 * i, 5e6));
  Analysis a = RunAnalysis(snaps, {}, {}, TimeSource::kSequence);
  EXPECT_EQ(a.verdict, Verdict::kLeak);
  EXPECT_THAT(a.reason, HasSubstr("/snapshot"));
  EXPECT_THAT(a.reason, HasSubstr("over 7 snapshots"));
  EXPECT_THAT(a.warnings.back(), HasSubstr("rates are per snapshot"));
}

TEST(AnalyzeTest, SmallMallocShareOfRssGrowthIsOutsideMalloc) {
  // A thread leak: each thread mallocs 7 KB of JVM structures (a site well
  // over the budget) while its stack grows RSS by 127 KB.
  std::vector<SnapshotInput> snaps;
  std::vector<TimelinePoint> timeline;
  for (int i = 0; i < 12; ++i) {
    const double threads = 20.0 * 2 * i;
    snaps.push_back(Snap(i, 2.0 * i, 1e6 + 7e3 * threads, 5e6));
    TimelinePoint p;
    p.time_seconds = 2.0 * i;
    p.rss_bytes = 200e6 + 127e3 * threads;
    p.jemalloc_allocated = 30e6 + 53e3 * threads;
    p.jemalloc_resident = 40e6 + 60e3 * threads;
    p.threads = 20 + threads;
    timeline.push_back(p);
  }
  Analysis a = RunAnalysis(snaps, timeline);
  EXPECT_EQ(a.verdict, Verdict::kLeak) << a.reason;
  EXPECT_EQ(a.kind, GrowthKind::kOutsideMalloc) << a.reason;
  EXPECT_THAT(a.reason, HasSubstr("malloc'd memory explains 6% of it"));
  // The malloc site is still reported, over its own budget.
  EXPECT_TRUE(a.sites[0].over_budget);
}

TEST(AnalyzeTest, MallocLeakWithMatchingRssIsMalloc) {
  std::vector<SnapshotInput> snaps;
  std::vector<TimelinePoint> timeline;
  for (int i = 0; i < 12; ++i) {
    snaps.push_back(Snap(i, 2.0 * i, 1e6 + 5e6 * i, 5e6));
    TimelinePoint p;
    p.time_seconds = 2.0 * i;
    p.rss_bytes = 200e6 + 5.2e6 * i;
    p.jemalloc_allocated = 30e6 + 5e6 * i;
    timeline.push_back(p);
  }
  Analysis a = RunAnalysis(snaps, timeline);
  EXPECT_EQ(a.kind, GrowthKind::kMalloc) << a.reason;
  EXPECT_EQ(a.sites[0].top_frame, "Java_X_leak");
}

TEST(AnalyzeTest, RssThatSettlesIsNotALeak) {
  // RSS rising fast then flattening (heap committing after warm-up).
  std::vector<SnapshotInput> snaps;
  std::vector<TimelinePoint> timeline;
  for (int i = 0; i < 12; ++i) {
    snaps.push_back(Snap(i, 2.0 * i, 1e6, 5e6));
    TimelinePoint p;
    p.time_seconds = 2.0 * i;
    p.rss_bytes = 200e6 + 40e6 * (1 - std::exp(-i / 2.0)) + 1e3 * i;
    p.jemalloc_allocated = 30e6;
    timeline.push_back(p);
  }
  Analysis a = RunAnalysis(snaps, timeline);
  EXPECT_EQ(a.verdict, Verdict::kClean) << a.reason;
}

// A slow JNI leak (17,476 B/s = 1 MiB/min in 65,521-byte blocks) as the
// default 512 KiB sampling sees it: the leak site holds 0, 1 or 2 sampled
// blocks, far too few for a confident site slope; jemalloc's exact
// allocated count in the timeline grows steadily under +-200 KB of JVM
// noise. `settle` adds a JVM-like rise that flattens after warm-up.
struct SlowLeakRun {
  std::vector<SnapshotInput> snaps;
  std::vector<TimelinePoint> timeline;
};
SlowLeakRun MakeSlowLeakRun(double leak_rate, uint32_t seed,
                            double settle = 0) {
  constexpr uint64_t kPeriod = 524288;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> jitter(-200e3, 200e3);
  SlowLeakRun run;
  for (int i = 0; i < 31; ++i) {
    const double t = 2.0 * i;
    SnapshotInput s;
    s.path = "snapshot-" + std::to_string(i) + ".heap";
    s.seq = i;
    s.time_seconds = t;
    s.profile.sample_period = kPeriod;
    // The JVM's steady allocations: many small sampled objects.
    s.profile.stacks.push_back(
        {{kMalloc, kOtherSite + 1}, {20, 20 * 4096}, {}});
    const int sampled_blocks = leak_rate > 0 ? (i < 12   ? 0
                                                : i < 24 ? 1
                                                         : 2)
                                             : 0;
    if (sampled_blocks > 0) {
      s.profile.stacks.push_back(
          {{kMalloc, kLeakSite + 1, kInterp + 1},
           {1.0 * sampled_blocks, 65521.0 * sampled_blocks},
           {}});
    }
    run.snaps.push_back(std::move(s));
    TimelinePoint p;
    p.seq = i;
    p.time_seconds = t;
    p.rss_bytes = 200e6;
    p.jemalloc_allocated =
        11.5e6 + leak_rate * t + jitter(rng) + settle * (1 - std::exp(-t / 4));
    run.timeline.push_back(p);
  }
  return run;
}

TEST(AnalyzeTest, SlowLeakIsCaughtByTheExactAllocatedCount) {
  SlowLeakRun run = MakeSlowLeakRun(17476, 1);
  Analysis a = RunAnalysis(run.snaps, run.timeline);
  EXPECT_EQ(a.verdict, Verdict::kLeak) << a.reason;
  EXPECT_EQ(a.kind, GrowthKind::kMalloc);
  // The sampled site alone is not enough...
  ASSERT_FALSE(a.sites.empty());
  EXPECT_EQ(a.sites[0].top_frame, "Java_X_leak");
  EXPECT_FALSE(a.sites[0].over_budget);
  // ...the exact count is, and the sentence names the likely site.
  ASSERT_TRUE(a.allocated_growth.has_value());
  EXPECT_NEAR(a.allocated_growth->slope, 17476, 4000);
  EXPECT_THAT(a.reason, StartsWith("leak: malloc'd memory grows "));
  EXPECT_THAT(a.reason, HasSubstr("by jemalloc's exact count"));
  EXPECT_THAT(a.reason, HasSubstr("most likely at Java_X_leak"));
  EXPECT_TRUE(a.sites[0].likely);
  for (size_t i = 1; i < a.sites.size(); ++i) EXPECT_FALSE(a.sites[i].likely);
}

TEST(AnalyzeTest, ExactCountLeakWithoutSampledSiteSaysToSampleFiner) {
  SlowLeakRun run = MakeSlowLeakRun(17476, 2);
  for (SnapshotInput& s : run.snaps) s.profile.stacks.resize(1);
  Analysis a = RunAnalysis(run.snaps, run.timeline);
  EXPECT_EQ(a.verdict, Verdict::kLeak) << a.reason;
  EXPECT_THAT(a.reason, HasSubstr("--sample-bytes 65536"));
  for (const SiteSeries& s : a.sites) EXPECT_FALSE(s.likely);
}

TEST(AnalyzeTest, ExactCountLeakNamesASiteSampledOnlyBeforeTheWindow) {
  // One sampled block, caught during the warm-up, none after: its fitted
  // slope is 0 like every other site's, yet it is the only one that grew.
  SlowLeakRun run = MakeSlowLeakRun(17476, 4);
  for (size_t i = 0; i < run.snaps.size(); ++i) {
    std::vector<StackSample>& stacks = run.snaps[i].profile.stacks;
    stacks.resize(1);
    if (i >= 5) {
      stacks.push_back({{kMalloc, kLeakSite + 1, kInterp + 1}, {1, 65521}, {}});
    }
  }
  Analysis a = RunAnalysis(run.snaps, run.timeline);
  EXPECT_EQ(a.verdict, Verdict::kLeak) << a.reason;
  ASSERT_FALSE(a.sites.empty());
  EXPECT_EQ(a.sites[0].top_frame, "Java_X_leak");
  EXPECT_EQ(a.sites[0].growth.growth, 0);
  EXPECT_THAT(a.reason, HasSubstr("most likely at Java_X_leak (sampled +"));
}

TEST(AnalyzeTest, SampledDriftThatTheExactCountRulesOutIsNotALeak) {
  // A native cache at capacity: its entries are replaced, so which of them
  // were sampled drifts, and the sampled site seems to grow 100 KB/s; the
  // exact allocated count stays flat.
  std::vector<SnapshotInput> snaps;
  std::vector<TimelinePoint> timeline;
  for (int i = 0; i < 16; ++i) {
    snaps.push_back(Snap(i, 2.0 * i, 60e6 + 200e3 * i, 5e6));
    TimelinePoint p;
    p.seq = i;
    p.time_seconds = 2.0 * i;
    p.rss_bytes = 200e6;
    p.jemalloc_allocated = 86e6 + (i % 3) * 1e3;
    timeline.push_back(p);
  }
  Analysis a = RunAnalysis(snaps, timeline);
  EXPECT_EQ(a.verdict, Verdict::kClean) << a.reason;
  EXPECT_FALSE(a.sites[0].over_budget);
  ASSERT_FALSE(a.warnings.empty());
  EXPECT_THAT(a.warnings.back(),
              HasSubstr("Java_X_leak (97.7 KiB/s) is not borne out by "
                        "jemalloc's exact count"));
  // The same sampled growth with the exact count growing too: a leak.
  for (int i = 0; i < 16; ++i) timeline[i].jemalloc_allocated = 86e6 + 2e5 * i;
  a = RunAnalysis(snaps, timeline);
  EXPECT_EQ(a.verdict, Verdict::kLeak) << a.reason;
  EXPECT_TRUE(a.sites[0].over_budget);
}

TEST(AnalyzeTest, NoisyFlatOrSettlingExactCountIsClean) {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    SlowLeakRun flat = MakeSlowLeakRun(0, seed);
    Analysis a = RunAnalysis(flat.snaps, flat.timeline);
    EXPECT_EQ(a.verdict, Verdict::kClean)
        << "seed " << seed << ": " << a.reason;
    // Settles by 2 MB, mostly inside the warm-up, still creeping after.
    SlowLeakRun settling = MakeSlowLeakRun(0, seed, 2e6);
    a = RunAnalysis(settling.snaps, settling.timeline);
    EXPECT_EQ(a.verdict, Verdict::kClean)
        << "seed " << seed << ": " << a.reason;
  }
}

TEST(AnalyzeTest, ExactCountLessSuppressedSitesOrDisabledIsClean) {
  const SlowLeakRun run = MakeSlowLeakRun(17476, 3);
  // The suppressed site's sampled slope (two blocks of 555 KB estimated
  // over the window) is taken off the exact one: nothing is left.
  AnalyzerOptions o;
  o.suppressions = *ParseSuppressions("function Java_X_leak\n", "s");
  Analysis a = RunAnalysis(run.snaps, run.timeline, o);
  EXPECT_EQ(a.verdict, Verdict::kClean) << a.reason;
  // Suppressing an unrelated function changes nothing.
  o.suppressions = *ParseSuppressions("function Java_Cache_fill\n", "s");
  EXPECT_EQ(RunAnalysis(run.snaps, run.timeline, o).verdict, Verdict::kLeak);
  AnalyzerOptions off;
  off.budgets.max_allocated_rate = 0;
  a = RunAnalysis(run.snaps, run.timeline, off);
  EXPECT_EQ(a.verdict, Verdict::kClean) << a.reason;
}

// Analyses built by hand: each rule on exactly the estimates it reads.

// Growing: a significant slope with a tight interval, over 20 s.
GrowthEstimate Growing(double slope) {
  GrowthEstimate g;
  g.points = 10;
  g.slope = slope;
  g.slope_low = 0.9 * slope;
  g.slope_high = 1.1 * slope;
  g.growth = 20 * slope;
  g.p_value = 1e-4;
  return g;
}

SiteSeries Site(const std::string& name, const GrowthEstimate& growth,
                std::vector<double> bytes = {}) {
  SiteSeries s;
  s.key = name;
  s.headline = name;
  s.top_frame = name;
  s.growth = growth;
  s.bytes = std::move(bytes);
  return s;
}

VerdictWindow Window(size_t analyzed) {
  VerdictWindow w;
  w.any_samples = true;
  w.analyzed = analyzed;
  w.last = analyzed - 1;
  w.span = 20;
  return w;
}

TEST(DecideVerdictTest, SiteOverBudgetIsTheLeakAndSuppressedSitesNeverAre) {
  Analysis a;
  a.time_source = TimeSource::kTimeline;
  a.sites = {Site("Cache::put", Growing(100e3)), Site("Steady", {}),
             Site("Pool::grow", Growing(1e6))};
  a.sites[2].suppressed = true;
  a.total = Growing(100e3);
  DecideVerdict(AnalyzerOptions(), Window(10), a);
  EXPECT_EQ(a.verdict, Verdict::kLeak);
  EXPECT_EQ(a.kind, GrowthKind::kMalloc);
  EXPECT_EQ(a.reason,
            "leak: Cache::put grows 97.7 KiB/s (95% CI 87.9 KiB/s to 107.4 "
            "KiB/s, p<0.001), 1.9 MiB over 20.0 s; budget 4.0 KiB/s per site");
  EXPECT_TRUE(a.sites[0].over_budget);
  EXPECT_FALSE(a.sites[1].over_budget);
  EXPECT_FALSE(a.sites[2].over_budget);
}

TEST(DecideVerdictTest, TooFewSnapshotsIsInconclusiveButSitesAreStillMarked) {
  Analysis a;
  a.sites = {Site("Cache::put", Growing(100e3))};
  a.total = Growing(100e3);
  DecideVerdict(AnalyzerOptions(), Window(3), a);
  EXPECT_EQ(a.verdict, Verdict::kInconclusive);
  EXPECT_THAT(a.reason, HasSubstr("3 of the 4 needed"));
  EXPECT_TRUE(a.sites[0].over_budget);  // the reports still show it
}

TEST(DecideVerdictTest, TotalOverBudgetWhenNoSingleSiteIs) {
  Analysis a;
  a.time_source = TimeSource::kTimeline;
  GrowthEstimate small = Growing(3e3);  // under 4 KiB/s each
  a.sites = {Site("a", small), Site("b", small)};
  a.total = Growing(40e3);  // over 32 KiB/s together
  DecideVerdict(AnalyzerOptions(), Window(10), a);
  EXPECT_EQ(a.verdict, Verdict::kLeak);
  EXPECT_FALSE(a.sites[0].over_budget);
  EXPECT_THAT(a.reason, StartsWith("leak: malloc'd memory grows 39.1 KiB/s"));
  EXPECT_THAT(a.reason, HasSubstr("though no single site exceeds its budget"));
}

TEST(DecideVerdictTest, ExactCountRulesOutSampledGrowthAsNoise) {
  Analysis a;
  a.time_source = TimeSource::kTimeline;
  a.sites = {Site("Cache::put", Growing(100e3))};
  a.total = Growing(100e3);
  GrowthEstimate exact;
  exact.points = 10;
  exact.slope_high = 1000;  // malloc'd memory grows at most 1000 B/s
  a.allocated_growth = exact;
  DecideVerdict(AnalyzerOptions(), Window(10), a);
  EXPECT_EQ(a.verdict, Verdict::kClean) << a.reason;
  EXPECT_FALSE(a.sites[0].over_budget);
  ASSERT_EQ(a.warnings.size(), 1u);
  EXPECT_EQ(a.warnings[0],
            "the sampled growth of Cache::put (97.7 KiB/s) is not borne out "
            "by jemalloc's exact count (malloc'd memory grows at most 1000 "
            "B/s): taken as sampling noise");
  EXPECT_EQ(a.reason,
            "clean: no site grows faster than 4.0 KiB/s with confidence; "
            "malloc'd total +1.9 MiB over 20.0 s");
}

TEST(SortSitesTest, GrowthFirstThenBytesGainedInTheWindowThenOverTheRun) {
  // Snapshot 0 is in the warm-up; the window is snapshots 1 to 3.
  std::vector<SiteSeries> sites = {
      Site("flat", {}, {0, 0, 0, 0}),
      Site("early", {}, {0, 10, 10, 10}),  // gained before the window
      Site("late", {}, {0, 0, 0, 5}),      // gained in it
      Site("suppressed", Growing(1e6), {0, 1, 2, 3}),
      Site("fitted", Growing(1), {0, 0, 0, 0}),
  };
  sites[3].suppressed = true;
  SortSites(1, 3, sites);
  std::vector<std::string> order;
  for (const SiteSeries& s : sites) order.push_back(s.key);
  EXPECT_EQ(order, (std::vector<std::string>{"fitted", "late", "early", "flat",
                                             "suppressed"}));
}

}  // namespace
}  // namespace jleak
