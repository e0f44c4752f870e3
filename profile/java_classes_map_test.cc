// File: java_classes_map_test.cc
//
// The java-classes.map format: escaping, package compaction, the writer's
// output read back, and the parser's refusals (each with its line).

#include "profile/java_classes_map.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jleak {
namespace {

using ::testing::HasSubstr;

TEST(EscapeMapField, EveryByteRoundTripsAndNoControlCharacterIsLeft) {
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  const std::string escaped = EscapeMapField(all);
  for (const char c : escaped) {
    EXPECT_FALSE(static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
        << static_cast<int>(c);
  }
  std::string back;
  ASSERT_TRUE(UnescapeMapField(escaped, &back));
  EXPECT_EQ(back, all);
  EXPECT_EQ(EscapeMapField("a\nb\\c d"), "a\\x0ab\\\\c d");
  EXPECT_EQ(EscapedSize(all), escaped.size());
  EXPECT_EQ(EscapedSize("a\nb\\c d"), EscapeMapField("a\nb\\c d").size());
}

TEST(EscapeMapField, UnescapeRefusesBadEscapesAndRawControlCharacters) {
  std::string out;
  EXPECT_FALSE(UnescapeMapField("a\\n", &out));
  EXPECT_FALSE(UnescapeMapField("a\\x4", &out));
  EXPECT_FALSE(UnescapeMapField("a\\xzz", &out));
  EXPECT_FALSE(UnescapeMapField("trailing\\", &out));
  EXPECT_FALSE(UnescapeMapField("cr\r", &out));
  EXPECT_FALSE(UnescapeMapField("tab\there", &out));
  EXPECT_TRUE(UnescapeMapField("\\x41\\\\", &out));
  EXPECT_EQ(out, "A\\");
}

TEST(CompactClasses, OnePackageLinePerSingleSourcePackage) {
  JavaClassesMap map;
  CompactClasses({{"a.b.C", 0},
                  {"a.b.c.D", 2},  // a subpackage
                  {"a.b.d", 0},
                  {"split.X", 1},
                  {"split.Y", 2},
                  {"Default", 1}},
                 &map);
  // The order of the input does not matter.
  JavaClassesMap reversed;
  CompactClasses({{"Default", 1},
                  {"split.Y", 2},
                  {"split.X", 1},
                  {"a.b.d", 0},
                  {"a.b.c.D", 2},
                  {"a.b.C", 0}},
                 &reversed);
  EXPECT_EQ(reversed.packages, map.packages);
  EXPECT_EQ(reversed.classes, map.classes);
  EXPECT_EQ(map.packages,
            (std::map<std::string, uint32_t>{{"a.b", 0}, {"a.b.c", 2}}));
  EXPECT_EQ(map.classes, (std::map<std::string, uint32_t>{
                             {"Default", 1}, {"split.X", 1}, {"split.Y", 2}}));
  EXPECT_EQ(PackageOf("a.b.C$D"), "a.b");
  EXPECT_EQ(PackageOf("C"), "");
}

JavaClassesMap Sample() {
  JavaClassesMap map;
  map.main = "jleak.testdata.RunFaults";
  map.sources = {{CodeSourceKind::kJdk, "jrt:/java.base"},
                 {CodeSourceKind::kMain, "file:/work/app/run faults.jar"},
                 {CodeSourceKind::kOther, "file:/tmp/evil\nsource 9 jdk x"},
                 {CodeSourceKind::kOther, kNoCodeSource}};
  map.packages = {{"java.lang", 0}, {"jleak.testdata", 1}};
  map.classes = {{"Evil\\Name\x01", 2}, {"NoLocation", 3}};
  return map;
}

TEST(FormatJavaClassesMap, ReadsBackAsWritten) {
  const JavaClassesMap map = Sample();
  const std::string text = FormatJavaClassesMap(map);
  EXPECT_EQ(text.rfind("java-classes 1\n", 0), 0u) << text;
  EXPECT_THAT(text, HasSubstr("\nmain jleak.testdata.RunFaults\n"));
  EXPECT_THAT(text,
              HasSubstr("\nsource 1 main file:/work/app/run faults.jar\n"));
  // A name from the target cannot start a line of its own.
  EXPECT_THAT(text, HasSubstr("\nsource 2 other file:/tmp/evil\\x0asource 9"));
  EXPECT_THAT(text, HasSubstr("\npackage 0 java.lang\n"));
  EXPECT_THAT(text, HasSubstr("\nclass 2 Evil\\\\Name\\x01\n"));
  absl::StatusOr<JavaClassesMap> back = ParseJavaClassesMap(text, "m");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->main, map.main);
  EXPECT_EQ(back->sources, map.sources);
  EXPECT_EQ(back->packages, map.packages);
  EXPECT_EQ(back->classes, map.classes);
}

TEST(ParseJavaClassesMap, AnEmptyMapAndCommentsAreFine) {
  absl::StatusOr<JavaClassesMap> m =
      ParseJavaClassesMap("# hello\n\njava-classes 1\n# no classes yet\n", "m");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_TRUE(m->sources.empty());
  EXPECT_TRUE(m->main.empty());
}

// The error for `body` (after the magic line), which must name `line`.
std::string ErrorOf(const std::string& body) {
  absl::StatusOr<JavaClassesMap> m =
      ParseJavaClassesMap(absl::StrCat("java-classes 1\n", body), "x.map");
  return m.ok() ? "parsed" : std::string(m.status().message());
}

TEST(ParseJavaClassesMap, RefusesHostileInputWithTheLine) {
  EXPECT_THAT(std::string(ParseJavaClassesMap("", "x.map").status().message()),
              HasSubstr("empty"));
  EXPECT_THAT(
      std::string(
          ParseJavaClassesMap("java-classes 2\n", "x.map").status().message()),
      HasSubstr("x.map:1: not a class map"));
  EXPECT_THAT(ErrorOf("source 1 jdk jrt:/java.base\n"),
              HasSubstr("x.map:2: source 1 out of order (expected 0)"));
  EXPECT_THAT(ErrorOf("source 0 weird x\n"),
              HasSubstr("x.map:2: unknown source kind 'weird'"));
  EXPECT_THAT(ErrorOf("source 0 jdk\n"), HasSubstr("x.map:2: no location"));
  EXPECT_THAT(ErrorOf("source -0 jdk x\n"), HasSubstr("bad source id '-0'"));
  EXPECT_THAT(ErrorOf("source 99999999999 jdk x\n"),
              HasSubstr("bad source id"));
  EXPECT_THAT(ErrorOf("source 0 main a\nsource 1 main b\n"),
              HasSubstr("x.map:3: a second 'main' source"));
  EXPECT_THAT(ErrorOf("main A\nmain B\n"),
              HasSubstr("x.map:3: a second 'main'"));
  EXPECT_THAT(ErrorOf("class 0 a.B\n"),
              HasSubstr("x.map:2: source 0 is not defined above"));
  EXPECT_THAT(ErrorOf("source 0 jdk x\nclass 0 a.B\nclass 0 a.B\n"),
              HasSubstr("x.map:4: class 'a.B' listed twice"));
  EXPECT_THAT(ErrorOf("source 0 jdk x\npackage 0 a\\q\n"),
              HasSubstr("x.map:3: package name has a control character or a "
                        "bad escape"));
  EXPECT_THAT(ErrorOf("source 0 jdk x\r\n"),
              HasSubstr("x.map:2: location has a control character"));
  EXPECT_THAT(ErrorOf("\x01oops\n"),
              HasSubstr("x.map:2: unknown line '\\x01oops'"));
  EXPECT_THAT(ErrorOf(absl::StrCat(
                  "source 0 jdk ",
                  std::string(kMaxJavaClassesMapField + 1, 'a'), "\n")),
              HasSubstr("x.map:2: location longer than 4096 bytes"));
  EXPECT_THAT(
      std::string(ParseJavaClassesMap(
                      std::string(kMaxJavaClassesMapBytes + 1, '#'), "x.map")
                      .status()
                      .message()),
      HasSubstr("more than"));
}

}  // namespace
}  // namespace jleak
