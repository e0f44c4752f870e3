// File: json_read_test.cc
//
// Tests for ParseBoundedJson: depth counted outside strings, deep input
// refused before it is built (100k levels return at once), bad JSON an
// error, never an exception.

#include "harness/io/json_read.h"

#include <string>

#include "gtest/gtest.h"

namespace jleak {
namespace {

TEST(JsonReadTest, ParsesShallowJson) {
  absl::StatusOr<nlohmann::json> j =
      ParseBoundedJson(R"({"a": [1, {"b": "x[[[{{{"}], "c": "\"]]"})");
  ASSERT_TRUE(j.ok()) << j.status();
  EXPECT_EQ((*j)["a"][1]["b"], "x[[[{{{");
}

TEST(JsonReadTest, DepthIsCountedOutsideStrings) {
  EXPECT_TRUE(JsonDepthWithin("[[1]]", 2));
  EXPECT_FALSE(JsonDepthWithin("[[1]]", 1));
  EXPECT_TRUE(JsonDepthWithin(R"(["[[[[", "\"[[["])", 1));
  EXPECT_TRUE(JsonDepthWithin("[][][][]", 1));
}

TEST(JsonReadTest, DeepNestingIsRefusedBeforeParsing) {
  const int n = 100000;
  const std::string deep = R"({"settings":{"command":)" + std::string(n, '[') +
                           std::string(n, ']') + "}}";
  absl::StatusOr<nlohmann::json> j = ParseBoundedJson(deep);
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(j.status().message(), "nested deeper than 64 levels");
  const std::string at_limit = std::string(64, '[') + std::string(64, ']');
  EXPECT_TRUE(ParseBoundedJson(at_limit).ok());
  EXPECT_FALSE(ParseBoundedJson("[" + at_limit + "]").ok());
}

TEST(JsonReadTest, InvalidJsonIsAnError) {
  for (const char* text :
       {"", "{", "}}}}", "[1,]", "\xff", "{\"a\":1e99999}"}) {
    absl::StatusOr<nlohmann::json> j = ParseBoundedJson(text);
    if (j.ok()) continue;  // nlohmann may read 1e99999 as a number
    EXPECT_EQ(j.status().code(), absl::StatusCode::kInvalidArgument) << text;
  }
  EXPECT_FALSE(ParseBoundedJson("{").ok());
}

}  // namespace
}  // namespace jleak
