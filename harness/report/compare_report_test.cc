#include "harness/report/compare_report.h"

#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace jleak {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

GrowthEstimate Growth(double slope) {
  GrowthEstimate g;
  g.points = 10;
  g.slope = slope;
  g.slope_low = slope - 1000;
  g.slope_high = slope + 1000;
  g.growth = slope * 10;
  return g;
}

Comparison Regression() {
  Comparison c;
  c.verdict = CompareVerdict::kRegression;
  c.reason = "regression: Java_X_extra grows +64.0 KiB/s faster";
  c.time_source = TimeSource::kTimeline;
  c.base_verdict = Verdict::kLeak;
  c.candidate_verdict = Verdict::kLeak;
  c.total_signal = "jemalloc allocated (exact)";
  c.total = CompareRates(Growth(5e6), Growth(5e6 + 65536), 8192, 0.95);
  SiteComparison extra;
  extra.key = "Java_X_extra";
  extra.headline = "Java_X_extra <script>";
  extra.top_frame = "Java_X_extra";
  extra.presence = SiteComparison::Presence::kNew;
  extra.rate = CompareRates(std::nullopt, Growth(65536), 4096, 0.95);
  SiteComparison leak;
  leak.key = "Java_X_leak";
  leak.headline = "Java_X_leak";
  leak.top_frame = "Java_X_leak";
  leak.rate = CompareRates(Growth(5e6), Growth(5e6), 4096, 0.95);
  c.sites = {extra, leak};
  c.flat_sites = 3;
  c.warnings = {"the JVM differs: base 17.0.15, candidate 17.0.16"};
  return c;
}

TEST(CompareReportTest, TextNamesTheRegressionAndTheNewSite) {
  std::ostringstream out;
  WriteCompareText(Regression(), {"base/", "cand/"}, out);
  const std::string s = out.str();
  EXPECT_THAT(s, StartsWith("jleak compare: REGRESSION: regression: "));
  EXPECT_THAT(s, HasSubstr("base:      base/ (leak)"));
  EXPECT_THAT(s, HasSubstr("absent       +64.0 KiB/s  [new] Java_X_extra"));
  EXPECT_THAT(s, HasSubstr("\n! +64.0 KiB/s"));
  EXPECT_THAT(s, HasSubstr("(3 sites flat in both runs not listed)"));
  EXPECT_THAT(s, HasSubstr("warning: the JVM differs"));
}

TEST(CompareReportTest, JsonCarriesBothRatesAndTheDifference) {
  absl::StatusOr<std::string> text =
      CompareJsonString(Regression(), {"b", "c"});
  ASSERT_TRUE(text.ok()) << text.status();
  const nlohmann::json j = nlohmann::json::parse(*text);
  EXPECT_EQ(j["verdict"], "regression");
  EXPECT_EQ(j["kind"], "comparison");
  EXPECT_EQ(j["sites"][0]["presence"], "new");
  EXPECT_TRUE(j["sites"][0]["base"].is_null());
  EXPECT_EQ(j["sites"][0]["candidate"]["rate"], 65536);
  EXPECT_EQ(j["sites"][0]["regression"], true);
  EXPECT_EQ(j["sites"][1]["difference"], 0);
  EXPECT_EQ(j["total"]["signal"], "jemalloc allocated (exact)");
  EXPECT_EQ(j["flat_sites"], 3);
  EXPECT_EQ(j["base"]["input"], "b");
}

TEST(CompareReportTest, HtmlEscapesNamesAndShowsTheVerdict) {
  std::ostringstream out;
  ASSERT_TRUE(WriteCompareHtml(Regression(), {"b", "c"}, out).ok());
  const std::string s = out.str();
  EXPECT_THAT(s, HasSubstr("<h1>REGRESSION</h1>"));
  EXPECT_THAT(s, HasSubstr("Java_X_extra &lt;script&gt;"));
  EXPECT_THAT(s, Not(HasSubstr("<script>")));
  EXPECT_THAT(s, HasSubstr("<tr class=\"regression\">"));
}

}  // namespace
}  // namespace jleak
