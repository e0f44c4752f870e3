// File: timeline_growth_test.cc
//
// Fits of the timeline's signals: which points count, the late half, the
// NMT categories.

#include "harness/analyze/timeline_growth.h"

#include <vector>

#include "gtest/gtest.h"

namespace jleak {
namespace {

// Points at t = 0..n-1 s with RSS `rss(t)`.
template <typename Rss>
std::vector<TimelinePoint> Timeline(int n, Rss rss) {
  std::vector<TimelinePoint> out;
  for (int i = 0; i < n; ++i) {
    TimelinePoint p;
    p.time_seconds = i;
    p.rss_bytes = rss(i);
    out.push_back(p);
  }
  return out;
}

TEST(FitSignalTest, LeavesOutAbsentUnknownAndEarlyPoints) {
  std::vector<TimelinePoint> t = Timeline(8, [](int i) { return 100.0 * i; });
  t[1].rss_bytes.reset();  // absent
  t[2].rss_bytes = -1;     // unknown
  std::optional<GrowthEstimate> all =
      FitSignal(t, 0, FitLimits(), &TimelinePoint::rss_bytes);
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(all->points, 6);
  EXPECT_DOUBLE_EQ(all->slope, 100);
  std::optional<GrowthEstimate> late =
      FitSignal(t, 5, FitLimits(), &TimelinePoint::rss_bytes);
  ASSERT_TRUE(late.has_value());
  EXPECT_EQ(late->points, 3);
  EXPECT_FALSE(FitSignal(t, 6, FitLimits(), &TimelinePoint::rss_bytes));
  EXPECT_FALSE(FitSignal(t, 0, FitLimits(), &TimelinePoint::threads));
}

TEST(FitLateHalfTest, FitsTheSecondHalfOfTheWindowOnly) {
  // Rises until t = 5, flat after: the whole window grows, its late half
  // (from (warm-up 0 + last 10) / 2 = 5 s) does not.
  Analysis a;
  a.timeline = Timeline(11, [](int i) { return 1e3 * std::min(i, 5); });
  std::optional<GrowthEstimate> late =
      FitLateHalf(a, FitLimits(), &TimelinePoint::rss_bytes);
  ASSERT_TRUE(late.has_value());
  EXPECT_EQ(late->points, 6);
  EXPECT_EQ(late->slope, 0);
  FitTimelineSignals(FitLimits(), a);
  ASSERT_TRUE(a.rss_growth.has_value());
  EXPECT_GT(a.rss_growth->slope, 0);
  EXPECT_FALSE(a.allocated_growth.has_value());
  EXPECT_FALSE(FitLateHalf(Analysis(), FitLimits(), &TimelinePoint::rss_bytes));
}

TEST(NmtGrowthTest, EveryCategoryByDecreasingGrowth) {
  std::vector<TimelinePoint> t = Timeline(6, [](int) { return 0.0; });
  for (int i = 0; i < 6; ++i) {
    t[i].nmt_committed["Class"] = 5e6;
    t[i].nmt_committed["Thread"] = 1e6 * i;
    if (i != 3) t[i].nmt_committed["Code"] = 1e3 * i;  // one point missing
  }
  const std::vector<std::pair<std::string, GrowthEstimate>> nmt =
      NmtGrowth(t, 0, FitLimits());
  ASSERT_EQ(nmt.size(), 3u);
  EXPECT_EQ(nmt[0].first, "Thread");
  EXPECT_EQ(nmt[1].first, "Code");
  EXPECT_EQ(nmt[1].second.points, 5);
  EXPECT_EQ(nmt[2].first, "Class");
}

}  // namespace
}  // namespace jleak
