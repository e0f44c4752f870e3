// File: suppressions_test.cc
//
// Suppressions files, --suppress regexes, and which frames they match.

#include "harness/analyze/suppressions.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jleak {
namespace {

using ::testing::HasSubstr;

NamedFrame Frame(const std::string& function) {
  NamedFrame f;
  f.function = function;
  return f;
}

TEST(ParseSuppressionsTest, FunctionsAndFramesCommentsAndBlankLines) {
  absl::StatusOr<std::vector<Suppression>> s = ParseSuppressions(
      "# a comment\n\n  function Java_X_leak  \nframe\t^libfoo::Pool::\n",
      "s.txt");
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->size(), 2u);
  EXPECT_EQ((*s)[0].kind, Suppression::Kind::kFunction);
  EXPECT_EQ((*s)[0].text, "Java_X_leak");
  EXPECT_EQ((*s)[1].kind, Suppression::Kind::kFrameRegex);
  EXPECT_EQ((*s)[1].text, "^libfoo::Pool::");
  ASSERT_NE((*s)[1].regex, nullptr);
}

TEST(ParseSuppressionsTest, ErrorsNameTheLine) {
  EXPECT_THAT(std::string(ParseSuppressions("function a\nbogus x\n", "s.txt")
                              .status()
                              .message()),
              HasSubstr("s.txt:2: unknown rule kind 'bogus'"));
  EXPECT_THAT(
      std::string(ParseSuppressions("frame (\n", "s.txt").status().message()),
      HasSubstr("s.txt:1: bad regular expression"));
  EXPECT_THAT(
      std::string(ParseSuppressions("function\n", "s.txt").status().message()),
      HasSubstr("s.txt:1: expected"));
}

TEST(ParseRulesFileTest, AppLinesAreRulesNotSuppressions) {
  absl::StatusOr<RulesFile> f = ParseRulesFile(
      "frame ^libfoo::\napp com.example\n# c\napp  lib/*.jar \n", "r.txt");
  ASSERT_TRUE(f.ok()) << f.status();
  ASSERT_EQ(f->suppressions.size(), 1u);
  EXPECT_EQ(f->suppressions[0].text, "^libfoo::");
  EXPECT_EQ(f->app_rules,
            (std::vector<std::string>{"com.example", "lib/*.jar"}));
  // ParseSuppressions takes the same file and leaves the app rules out.
  absl::StatusOr<std::vector<Suppression>> s =
      ParseSuppressions("app com.example\nfunction f\n", "r.txt");
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->size(), 1u);
  EXPECT_EQ((*s)[0].text, "f");
}

TEST(ParseRulesFileTest, BadAppRuleNamesTheLine) {
  absl::StatusOr<RulesFile> f =
      ParseRulesFile("function f\napp com..example\n", "r.txt");
  ASSERT_FALSE(f.ok());
  EXPECT_THAT(std::string(f.status().message()), HasSubstr("r.txt:2: "));
  EXPECT_THAT(std::string(f.status().message()), HasSubstr("com..example"));
}

TEST(CompileFrameRegexTest, BadRegexIsInvalidArgumentQuotingIt) {
  absl::StatusOr<std::shared_ptr<const RE2>> re = CompileFrameRegex("a(b");
  ASSERT_FALSE(re.ok());
  EXPECT_EQ(re.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(re.status().message()),
              HasSubstr("bad regular expression 'a(b': "));
  EXPECT_THAT(std::string(re.status().message()), HasSubstr("(RE2 syntax)"));
}

TEST(MatchSuppressionTest, FunctionMatchesExactlyFrameAnywhereInTheName) {
  const std::vector<NamedFrame> frames = {Frame("Java_X_leak_more"),
                                          Frame("libfoo::Pool::grow(int)")};
  std::vector<Suppression> list =
      *ParseSuppressions("function Java_X_leak\n", "s");
  EXPECT_EQ(MatchSuppression(list, frames), nullptr);  // not a prefix match
  list.push_back(*MakeFrameSuppression("Pool::grow"));
  list.push_back(*MakeFrameSuppression("leak"));
  const Suppression* hit = MatchSuppression(list, frames);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->text, "Pool::grow");  // the first of the list that matches
  EXPECT_EQ(MatchSuppression(list, {}), nullptr);
}

}  // namespace
}  // namespace jleak
