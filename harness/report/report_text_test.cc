#include "harness/report/report_text.h"

#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jleak {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

SiteSeries Site(const std::string& top, std::vector<double> bytes,
                double growth, bool over_budget) {
  SiteSeries s;
  s.key = top;
  s.top_frame = top;
  s.frames = {{top, "", 0, "/tmp/libx.so"}, {"X.leak()", "", 0, "[jit]"}};
  s.bytes = std::move(bytes);
  s.growth.growth = growth;
  s.growth.slope = growth / 10;
  s.growth.slope_low = growth / 20;
  s.growth.slope_high = growth / 5;
  s.growth.p_value = 0.0001;
  s.over_budget = over_budget;
  return s;
}

std::string Summary(const Analysis& a) {
  std::ostringstream out;
  WriteTextSummary(a, TextSummaryOptions(), out);
  return out.str();
}

TEST(WriteTextSummaryTest, SiteOverBudgetIsMarkedWithItsFrames) {
  Analysis a;
  a.verdict = Verdict::kLeak;
  a.kind = GrowthKind::kMalloc;
  a.reason = "leak: Java_X_leak grows 1.0 MiB/s";
  a.time_source = TimeSource::kTimeline;
  a.sites = {Site("Java_X_leak", {0, 10 << 20}, 10 << 20, true),
             Site("ChunkPool::allocate", {5, 5}, 0, false)};
  const std::string s = Summary(a);
  EXPECT_THAT(s,
              StartsWith("jleak: LEAK: leak: Java_X_leak grows 1.0 MiB/s\n"));
  EXPECT_THAT(s, HasSubstr("! +10.0 MiB"));
  EXPECT_THAT(s, HasSubstr("Java_X_leak\n"));
  EXPECT_THAT(s, HasSubstr("<- X.leak()"));
  // A flat site is not listed.
  EXPECT_THAT(s, Not(HasSubstr("ChunkPool")));
}

TEST(WriteTextSummaryTest, ExactCountLeakShowsTheLikelySite) {
  // Found by jemalloc's exact count: the first site gained one sampled
  // object and fits no growth, yet it is the one to look at.
  Analysis a;
  a.verdict = Verdict::kLeak;
  a.kind = GrowthKind::kMalloc;
  a.reason = "leak: malloc'd memory grows 20.0 KiB/s by jemalloc's exact count";
  a.sites = {Site("Java_X_leak", {0, 557778}, 0, false),
             Site("ChunkPool::allocate", {5, 5}, 0, false)};
  a.sites[0].likely = true;
  const std::string s = Summary(a);
  EXPECT_THAT(s, HasSubstr("? +0 B"));
  EXPECT_THAT(s, HasSubstr("Java_X_leak"));
  EXPECT_THAT(s, Not(HasSubstr("no allocation site grew")));
  EXPECT_THAT(s, Not(HasSubstr("ChunkPool")));
}

TEST(WriteTextSummaryTest, CleanRunWithoutGrowthSaysSo) {
  Analysis a;
  a.verdict = Verdict::kClean;
  a.reason = "clean: no site grows faster than 4.0 KiB/s with confidence";
  a.sites = {Site("Java_X_leak", {0, 557778}, 0, false)};
  const std::string s = Summary(a);
  EXPECT_THAT(s, StartsWith("jleak: CLEAN: clean: "));
  EXPECT_THAT(s, HasSubstr("no allocation site grew after the warm-up"));
  EXPECT_THAT(s, Not(HasSubstr("?")));
}

}  // namespace
}  // namespace jleak
