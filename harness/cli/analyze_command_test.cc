#include "harness/cli/analyze_command.h"

#include "gtest/gtest.h"
#include "harness/analyze/analysis.h"

namespace jleak {
namespace {

Analysis Leak(const std::string& top, GrowthKind kind = GrowthKind::kMalloc,
              std::vector<std::string> callers = {}) {
  Analysis a;
  a.verdict = Verdict::kLeak;
  a.kind = kind;
  SiteSeries s;
  s.top_frame = top;
  s.frames.push_back({top, "", 0, "/lib/libx.so", 0, 0, false});
  for (const std::string& c : callers) {
    s.frames.push_back(
        {c, "", 0, c == "X.run()" ? "[jit]" : "/lib/liby.so", 0, 0, false});
  }
  a.sites.push_back(s);
  return a;
}

AnalyzeFlags Expect(const std::string& verdict, const std::string& site = "",
                    const std::string& kind = "") {
  AnalyzeFlags f;
  f.expect = verdict;
  f.expect_site = site;
  f.expect_kind = kind;
  return f;
}

TEST(CheckExpectationTest, LeakAtTheExpectedSiteIsMet) {
  EXPECT_EQ(CheckExpectation(Leak("Java_X_leak"), Expect("leak", "^Java_X_")),
            "");
}

TEST(CheckExpectationTest, LeakAtAnotherSiteFails) {
  EXPECT_EQ(CheckExpectation(Leak("os::malloc"), Expect("leak", "^Java_X_")),
            "expected the leak at a site matching /^Java_X_/, found it at "
            "os::malloc");
}

TEST(CheckExpectationTest, SiteMayBeNamedByANativeCallerOfAStrippedFrame) {
  Analysis a = Leak("liblcms2.so.2+0x44031", GrowthKind::kMalloc,
                    {"liblcms2.so.2+0x1234", "Java_LCMS_createTransform",
                     "X.run()", "Java_Elsewhere"});
  EXPECT_EQ(CheckExpectation(a, Expect("leak", "LCMS_createTransform")), "");
  // Only the site's native frames count, not callers past a Java frame.
  EXPECT_EQ(CheckExpectation(a, Expect("leak", "Elsewhere")),
            "expected the leak at a site matching /Elsewhere/, found it at "
            "liblcms2.so.2+0x44031 <- liblcms2.so.2+0x1234 <- "
            "Java_LCMS_createTransform");
}

TEST(CheckExpectationTest, VerdictMismatchesSayWhatWasFound) {
  Analysis clean;
  clean.verdict = Verdict::kClean;
  EXPECT_EQ(CheckExpectation(clean, Expect("leak", "x")),
            "expected a leak, found clean");
  EXPECT_EQ(CheckExpectation(Leak("deflateInit2_"), Expect("clean")),
            "expected clean, found a leak at deflateInit2_");
  EXPECT_EQ(
      CheckExpectation(Leak("", GrowthKind::kOutsideMalloc), Expect("clean")),
      "expected clean, found a leak (outside_malloc)");
  EXPECT_EQ(CheckExpectation(clean, Expect("clean")), "");
}

TEST(CheckExpectationTest, KindMustMatchWhenGiven) {
  EXPECT_EQ(CheckExpectation(Leak("JVM_StartThread"),
                             Expect("leak", "", "outside_malloc")),
            "expected growth of kind outside_malloc, found malloc");
  EXPECT_EQ(CheckExpectation(Leak("", GrowthKind::kOutsideMalloc),
                             Expect("leak", "", "outside_malloc")),
            "");
}

TEST(CheckExpectationTest, BadRegexIsReported) {
  EXPECT_NE(
      CheckExpectation(Leak("x"), Expect("leak", "(")).find("not a valid"),
      std::string::npos);
}

}  // namespace
}  // namespace jleak
