// File: analyze_command_test.cc
//
// Tests for `jleak analyze`'s expectations (--expect, --expect-site, ...).

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
  EXPECT_EQ(CheckExpectation(Leak("x"), Expect("leak", "(")),
            "--expect-site: bad regular expression '(': missing ): ( "
            "(RE2 syntax)");
}

// RE2, not std::regex: patterns that backtrack exponentially (or recurse
// once per character) end at once on a 100 KB frame name from a profile.
TEST(CheckExpectationTest, BacktrackingPatternsOnLongNamesEndAtOnce) {
  const std::string name(100000, 'a');
  AnalyzeFlags f = Expect("leak", "(((a|b)*)*)*c");
  f.expect_clean_sites = {"(a*)*b"};
  EXPECT_EQ(CheckExpectation(Leak(name), f).substr(0, 60),
            "expected the leak at a site matching /(((a|b)*)*)*c/, found ");
  f = Expect("leak", "(a*)*$");
  EXPECT_EQ(CheckExpectation(Leak(name), f), "");
}

}  // namespace
}  // namespace jleak

namespace jleak {
namespace {

// Two Java callers of allocateDirect: the retaining one leaks, the
// churning one is the healthy twin.
Analysis TwoCallers(bool churn_over_budget) {
  Analysis a;
  a.verdict = Verdict::kLeak;
  a.kind = GrowthKind::kMalloc;
  for (const char* caller : {"app.Two.retain", "app.Two.churn"}) {
    SiteSeries s;
    s.frames.push_back({"Unsafe_AllocateMemory0", "", 0, "/lib/libjvm.so", 0, 0,
                        false, FrameKind::kJvm});
    s.frames.push_back({"java.nio.ByteBuffer.allocateDirect", "ByteBuffer.java",
                        332, "[java]", 0, 0, false, FrameKind::kJvm});
    s.frames.push_back(
        {caller, "Two.java", 12, "[java]", 0, 0, false, FrameKind::kUser});
    s.user_frame = 2;
    s.java_frame = 2;
    s.top_frame = caller;
    s.headline = SiteHeadline(s);
    a.sites.push_back(s);
  }
  a.sites[0].over_budget = true;
  a.sites[1].over_budget = churn_over_budget;
  return a;
}

TEST(CheckExpectationTest, JavaFrameAndCleanSites) {
  AnalyzeFlags f = Expect("leak", "^app\\.Two\\.retain$");
  f.expect_java_frame = "^app\\.Two\\.retain$";
  f.expect_clean_sites = {"^app\\.Two\\.churn$"};
  EXPECT_EQ(CheckExpectation(TwoCallers(false), f), "");
  EXPECT_EQ(CheckExpectation(TwoCallers(true), f),
            "expected the site matching /^app\\.Two\\.churn$/ to be clean, "
            "but app.Two.churn (Two.java:12) via "
            "java.nio.ByteBuffer.allocateDirect → Unsafe_AllocateMemory0 is "
            "over its budget");
  f.expect_java_frame = "^app\\.Other\\.";
  EXPECT_EQ(CheckExpectation(TwoCallers(false), f),
            "expected the leak site's Java method to match /^app\\.Other\\./, "
            "found app.Two.retain (Two.java:12)");
  f.expect_java_frame = "";
  f.expect_clean_sites = {"^app\\.Missing$"};
  EXPECT_EQ(CheckExpectation(TwoCallers(false), f),
            "expected a clean site matching /^app\\.Missing$/, but no site "
            "matches it");
}

TEST(CheckExpectationTest, TheLeakGroupOverBudgetIsChecked) {
  // Sites 0 and 1 are one group under budget, site 2 alone is over: the
  // leak is site 2's, whatever the order of the sites.
  Analysis a = Leak("Flat::grow");
  a.sites.push_back(Leak("Java_X_member").sites[0]);
  a.sites.push_back(Leak("Java_X_leak").sites[0]);
  LeakGroup together, alone;
  together.sites = {0, 1};
  alone.sites = {2};
  alone.over_budget = true;
  a.groups = {together, alone};
  a.sites[0].group = a.sites[1].group = 0;
  a.sites[2].group = 1;
  EXPECT_EQ(CheckExpectation(a, Expect("leak", "^Java_X_leak$")), "");
  // A site under budget in a group over budget is not clean.
  a.groups[0].over_budget = true;
  a.groups[1].over_budget = false;
  a.sites[1].headline = "Java_X_member";
  AnalyzeFlags f = Expect("leak", "^Flat::grow$");
  f.expect_clean_sites = {"^Java_X_member$"};
  EXPECT_EQ(CheckExpectation(a, f),
            "expected the site matching /^Java_X_member$/ to be clean, but "
            "Java_X_member is in a leak group over budget");
}

TEST(CheckExpectationTest, JavaFrameExpectedButNotRecorded) {
  AnalyzeFlags f = Expect("leak", "^Java_X_leak$");
  f.expect_java_frame = "^X\\.leak$";
  EXPECT_NE(CheckExpectation(Leak("Java_X_leak"), f)
                .find("its stack has no Java frame of the user's code"),
            std::string::npos);
}

}  // namespace
}  // namespace jleak
