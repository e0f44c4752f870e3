#include "harness/analyze/growth.h"

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

}  // namespace
}  // namespace jleak
