#include "harness/analyze/growth.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "gtest/gtest.h"

namespace jleak {
namespace {

std::vector<double> Times(int n, double step = 1) {
  std::vector<double> t;
  for (int i = 0; i < n; ++i) t.push_back(i * step);
  return t;
}

TEST(EstimateGrowthTest, ExactLineHasTightIntervalAndSignificance) {
  std::vector<double> t = Times(10, 2), y;
  for (double x : t) y.push_back(1000 + 50 * x);
  GrowthEstimate g = EstimateGrowth(t, y);
  EXPECT_EQ(g.points, 10);
  EXPECT_DOUBLE_EQ(g.slope, 50);
  EXPECT_DOUBLE_EQ(g.slope_low, 50);
  EXPECT_DOUBLE_EQ(g.slope_high, 50);
  EXPECT_DOUBLE_EQ(g.intercept, 1000);
  EXPECT_DOUBLE_EQ(g.growth, 50 * 18);
  EXPECT_DOUBLE_EQ(g.monotonicity, 1);
  EXPECT_LT(g.p_value, 0.001);
  EXPECT_NEAR(g.r_squared, 1, 1e-12);
  EXPECT_EQ(g.first, 1000);
  EXPECT_EQ(g.last, 1000 + 50 * 18);
}

TEST(EstimateGrowthTest, AllPointsAtOneTimeClaimNoRate) {
  // A crafted timeline can give every snapshot the same time: no pair has
  // a slope (this read past an empty vector before; found by fuzzing).
  GrowthEstimate g = EstimateGrowth({5, 5, 5, 5}, {1, 2, 3, 4});
  EXPECT_EQ(g.points, 4);
  EXPECT_TRUE(std::isinf(g.slope_low));
  EXPECT_TRUE(std::isinf(g.slope_high));
  GrowthEstimate backwards = EstimateGrowth({9, 8, 7}, {1, 2, 3});
  EXPECT_TRUE(std::isinf(backwards.slope_high));
}

TEST(EstimateGrowthTest, RobustToOneHugeOutlier) {
  // A flat series with one snapshot taken before a GC ran.
  std::vector<double> t = Times(10), y(10, 5e6);
  y[4] = 400e6;
  GrowthEstimate g = EstimateGrowth(t, y);
  EXPECT_EQ(g.slope, 0);
  EXPECT_LE(g.slope_low, 0);
  EXPECT_GT(g.p_value, 0.2);
  // Least squares would be swung by the outlier; Theil-Sen is not.
}

TEST(EstimateGrowthTest, FlatNoisySeriesIsNotSignificant) {
  std::mt19937 rng(42);
  std::normal_distribution<double> noise(0, 1e5);
  std::vector<double> t = Times(20), y;
  for (int i = 0; i < 20; ++i) y.push_back(1e7 + noise(rng));
  GrowthEstimate g = EstimateGrowth(t, y);
  EXPECT_LT(g.slope_low, 0);
  EXPECT_GT(g.slope_high, 0);
  EXPECT_GT(g.p_value, 0.05);
}

TEST(EstimateGrowthTest, NoisyLeakIsSignificantAndBracketsTheTruth) {
  std::mt19937 rng(7);
  std::normal_distribution<double> noise(0, 2e5);
  std::vector<double> t = Times(20, 3), y;
  for (double x : t) y.push_back(1e7 + 1e5 * x + noise(rng));
  GrowthEstimate g = EstimateGrowth(t, y);
  EXPECT_LT(g.slope_low, 1e5);
  EXPECT_GT(g.slope_high, 1e5);
  EXPECT_GT(g.slope_low, 0.5e5);
  EXPECT_LT(g.p_value, 1e-4);
}

TEST(EstimateGrowthTest, SamplingNoiseWidensTheInterval) {
  std::vector<double> t = Times(6), y;
  for (double x : t) y.push_back(1000 * x);
  GrowthEstimate exact = EstimateGrowth(t, y);
  GrowthEstimate noisy = EstimateGrowth(t, y, std::vector<double>(6, 2000));
  EXPECT_EQ(noisy.slope, exact.slope);
  EXPECT_LT(noisy.slope_low, exact.slope_low);
  EXPECT_GT(noisy.slope_high, exact.slope_high);
  // z * sqrt(2) * 2000 / 5 = 1109: the half-width in quadrature.
  EXPECT_NEAR(exact.slope - noisy.slope_low, 1.959964 * std::sqrt(2.0) * 400,
              1);
}

TEST(EstimateGrowthTest, TooFewPointsIsUnbounded) {
  GrowthEstimate g = EstimateGrowth({0, 1}, {0, 100});
  EXPECT_EQ(g.points, 2);
  EXPECT_TRUE(std::isinf(g.slope_low));
  EXPECT_TRUE(std::isinf(g.slope_high));
  EXPECT_EQ(g.p_value, 1);
}

TEST(EstimateGrowthTest, ShrinkingSeriesHasNegativeSlopeAndHighP) {
  std::vector<double> t = Times(8), y;
  for (double x : t) y.push_back(1e6 - 1e4 * x);
  GrowthEstimate g = EstimateGrowth(t, y);
  EXPECT_LT(g.slope, 0);
  EXPECT_GT(g.p_value, 0.99);
  EXPECT_DOUBLE_EQ(g.monotonicity, -1);
}

TEST(ThinForFitTest, ShortSeriesKeepsEveryPoint) {
  std::vector<double> t = Times(30);
  std::vector<size_t> all = ThinForFit(t, 256, 3600);
  ASSERT_EQ(all.size(), 30u);
  EXPECT_EQ(all.back(), 29u);
  EXPECT_EQ(ThinForFit(t, 0, 3600).size(), 30u);  // 0: never thin
}

TEST(ThinForFitTest, LongSeriesKeepsTheFirstAndLastHoursWhole) {
  // A snapshot every 5 minutes for 3.5 days.
  std::vector<double> t;
  for (int i = 0; i < 1000; ++i) t.push_back(300.0 * i);
  const std::vector<size_t> kept = ThinForFit(t, 256, 3600);
  EXPECT_LE(kept.size(), 256u);
  EXPECT_GT(kept.size(), 200u);
  ASSERT_TRUE(std::is_sorted(kept.begin(), kept.end()));
  EXPECT_EQ(std::adjacent_find(kept.begin(), kept.end()), kept.end());
  // Every point of the first and last hour (13 each, t = 0..3600 s).
  for (size_t i = 0; i <= 12; ++i) {
    EXPECT_EQ(kept[i], i);
    EXPECT_EQ(kept[kept.size() - 1 - i], 999 - i);
  }
  // Between them, about evenly: no gap of more than 4 snapshots.
  for (size_t j = 1; j < kept.size(); ++j) {
    EXPECT_LE(kept[j] - kept[j - 1], 5u) << j;
  }
}

TEST(ThinForFitTest, DenseEdgesAreThinnedTooAndSequenceHasNoEdges) {
  // A snapshot a second: the first hour alone is 3600 points.
  std::vector<double> t;
  for (int i = 0; i < 20000; ++i) t.push_back(i);
  std::vector<size_t> kept = ThinForFit(t, 256, 3600);
  EXPECT_LE(kept.size(), 256u);
  EXPECT_EQ(kept.front(), 0u);
  EXPECT_EQ(kept.back(), 19999u);
  kept = ThinForFit(t, 100, 0);  // sequence numbers: evenly throughout
  EXPECT_LE(kept.size(), 100u);
  EXPECT_EQ(kept.front(), 0u);
  EXPECT_EQ(kept.back(), 19999u);
}

TEST(EstimateGrowthTest, SelectionGivesTheSortedRanks) {
  // A series whose slopes have many ties and outliers: the order statistics
  // by selection are a full sort's (checked against a sort here).
  std::vector<double> t, y;
  for (int i = 0; i < 40; ++i) {
    t.push_back(i);
    y.push_back((i % 7) * 1000.0 + (i == 13 ? 1e7 : 0) + 10.0 * i);
  }
  GrowthEstimate g = EstimateGrowth(t, y);
  std::vector<double> slopes;
  for (int i = 0; i < 40; ++i) {
    for (int j = i + 1; j < 40; ++j) slopes.push_back((y[j] - y[i]) / (j - i));
  }
  std::sort(slopes.begin(), slopes.end());
  const size_t mid = slopes.size() / 2;
  EXPECT_EQ(g.slope, slopes.size() % 2 ? slopes[mid]
                                       : (slopes[mid - 1] + slopes[mid]) / 2);
  EXPECT_TRUE(std::binary_search(slopes.begin(), slopes.end(), g.slope_low));
  EXPECT_TRUE(std::binary_search(slopes.begin(), slopes.end(), g.slope_high));
}

}  // namespace
}  // namespace jleak
