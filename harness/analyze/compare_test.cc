#include "harness/analyze/compare.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jleak {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

GrowthEstimate Growth(double slope, double half_width, double growth) {
  GrowthEstimate g;
  g.points = 10;
  g.slope = slope;
  g.slope_low = slope - half_width;
  g.slope_high = slope + half_width;
  g.growth = growth;
  g.p_value = growth > 0 ? 0.001 : 0.5;
  return g;
}

SiteSeries Site(const std::string& key, GrowthEstimate g) {
  SiteSeries s;
  s.key = key;
  s.top_frame = key;
  s.headline = key + " (headline)";
  s.growth = g;
  return s;
}

Analysis MakeRun(std::vector<SiteSeries> sites, GrowthEstimate allocated) {
  Analysis a;
  a.verdict = Verdict::kClean;
  a.time_source = TimeSource::kTimeline;
  a.sites = std::move(sites);
  a.allocated_growth = allocated;
  a.total = allocated;
  return a;
}

TEST(CompareRatesTest, DifferenceIntervalAddsStandardErrorsInQuadrature) {
  // se = 1.96 / 1.96 = 1 each; difference 10 - 4 = 6, se sqrt(2).
  RateComparison r =
      CompareRates(Growth(4, 1.96, 40), Growth(10, 1.96, 100), 3, 0.95);
  EXPECT_DOUBLE_EQ(r.difference, 6);
  EXPECT_NEAR(r.difference_low, 6 - 1.96 * std::sqrt(2.0), 1e-9);
  EXPECT_NEAR(r.difference_high, 6 + 1.96 * std::sqrt(2.0), 1e-9);
  EXPECT_TRUE(r.regression);  // 3.23 > 3
  EXPECT_FALSE(
      CompareRates(Growth(4, 1.96, 40), Growth(10, 1.96, 100), 3.5, 0.95)
          .regression);
  // A site absent from the base grows at exactly 0 there.
  RateComparison added =
      CompareRates(std::nullopt, Growth(10, 1.96, 100), 0, 0.95);
  EXPECT_NEAR(added.difference_low, 8.04, 1e-9);
}

TEST(CompareTest, ExtraLeakInTheCandidateIsARegression) {
  const GrowthEstimate flat = Growth(0, 300, 0);
  Analysis base = MakeRun({Site("Java_X_leak", Growth(5e6, 2e4, 1e8)),
                           Site("ChunkPool::allocate", flat)},
                          Growth(5e6, 3e3, 1e8));
  Analysis candidate =
      MakeRun({Site("Java_X_leak", Growth(5e6, 2e4, 1e8)),
               Site("ChunkPool::allocate", flat),
               Site("Java_X_extra", Growth(64 * 1024, 4e3, 1.3e6))},
              Growth(5e6 + 64 * 1024, 3e3, 1.01e8));
  Comparison c = Compare(base, candidate, CompareOptions());
  EXPECT_EQ(c.verdict, CompareVerdict::kRegression) << c.reason;
  EXPECT_THAT(c.reason,
              StartsWith("regression: Java_X_extra (headline) (a new site) "
                         "grows +64.0 KiB/s"));
  ASSERT_EQ(c.sites.size(), 2u);  // the flat site is only counted
  EXPECT_EQ(c.flat_sites, 1u);
  EXPECT_EQ(c.sites[0].presence, SiteComparison::Presence::kNew);
  EXPECT_EQ(c.sites[1].key, "Java_X_leak");
  EXPECT_FALSE(c.sites[1].rate.regression);
  EXPECT_TRUE(c.total.regression);
  EXPECT_EQ(c.total_signal, "jemalloc allocated (exact)");
}

TEST(CompareTest, SameGrowthWithinNoiseIsSame) {
  Analysis base = MakeRun({Site("Java_X_leak", Growth(5e6, 5e4, 1e8))},
                          Growth(5e6, 4e3, 1e8));
  Analysis candidate = MakeRun({Site("Java_X_leak", Growth(5.03e6, 5e4, 1e8))},
                               Growth(5.002e6, 4e3, 1e8));
  Comparison c = Compare(base, candidate, CompareOptions());
  EXPECT_EQ(c.verdict, CompareVerdict::kSame) << c.reason;
  EXPECT_THAT(c.reason, StartsWith("same: "));
}

TEST(CompareTest, TotalAloneCanShowTheRegression) {
  // Too few samples at any site, but the exact count differs.
  Analysis base = MakeRun({}, Growth(1000, 800, 1e4));
  Analysis candidate = MakeRun({}, Growth(40000, 800, 4e5));
  Comparison c = Compare(base, candidate, CompareOptions());
  EXPECT_EQ(c.verdict, CompareVerdict::kRegression);
  EXPECT_THAT(c.reason, HasSubstr("no single site shows it"));
}

TEST(CompareTest, VanishedSitesAreListedNotJudged) {
  Analysis base = MakeRun({Site("Old::leak", Growth(1e5, 1e3, 1e6))},
                          Growth(1e5, 1e3, 1e6));
  Analysis candidate = MakeRun({}, Growth(0, 1e3, 0));
  Comparison c = Compare(base, candidate, CompareOptions());
  EXPECT_EQ(c.verdict, CompareVerdict::kSame) << c.reason;
  ASSERT_EQ(c.sites.size(), 1u);
  EXPECT_EQ(c.sites[0].presence, SiteComparison::Presence::kVanished);
  EXPECT_LT(c.sites[0].rate.difference, 0);
}

TEST(CompareTest, InconclusiveRunMakesAnInconclusiveComparison) {
  Analysis base = MakeRun({}, Growth(0, 1, 0));
  Analysis candidate = MakeRun({}, Growth(0, 1, 0));
  candidate.verdict = Verdict::kInconclusive;
  candidate.reason = "2 snapshots after the warm-up; need 4";
  Comparison c = Compare(base, candidate, CompareOptions());
  EXPECT_EQ(c.verdict, CompareVerdict::kInconclusive);
  EXPECT_THAT(c.reason, HasSubstr("candidate run cannot be analyzed (2 "
                                  "snapshots"));
}

}  // namespace
}  // namespace jleak
