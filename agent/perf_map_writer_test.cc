// File: perf_map_writer_test.cc
//
// Tests of perf map line formatting and of the writer.

#include "agent/perf_map_writer.h"

#include <fstream>
#include <sstream>

#include "gtest/gtest.h"

namespace jleak::agent {
namespace {

TEST(JavaClassName, Signatures) {
  EXPECT_EQ(JavaClassName("Ljava/lang/String;"), "java.lang.String");
  EXPECT_EQ(JavaClassName("LSmoke;"), "Smoke");
  EXPECT_EQ(JavaClassName("[I"), "[I");
}

TEST(FormatPerfMapLine, HexAndOneLine) {
  EXPECT_EQ(FormatPerfMapLine(0x7f00c0001000, 0x1a0, "a.B.c(I)J"),
            "7f00c0001000 1a0 a.B.c(I)J\n");
  EXPECT_EQ(FormatPerfMapLine(1, 2, "x\ny"), "1 2 x y\n");
}

TEST(PerfMapWriter, WritesEntries) {
  std::string path = std::string(getenv("TEST_TMPDIR")) + "/perf-1.map";
  {
    PerfMapWriter map;
    ASSERT_TRUE(map.Open(path).ok());
    map.Add(0x1000, 0x10, "first");
    map.Add(0x2000, 0x20, "second");
    map.Flush();
  }
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), "1000 10 first\n2000 20 second\n");
}

TEST(PerfMapWriter, OpenFailsInMissingDirectory) {
  PerfMapWriter map;
  EXPECT_FALSE(map.Open("/nonexistent-dir/perf-1.map").ok());
  map.Add(1, 2, "ignored");  // must not crash
}

// A standby agent writes one map per attach session: reopening moves the
// entries to the new file, and after Close nothing is written anywhere.
TEST(PerfMapWriter, ReopenAndClose) {
  const std::string dir = std::string(getenv("TEST_TMPDIR"));
  PerfMapWriter map;
  ASSERT_TRUE(map.Open(dir + "/a.map").ok());
  map.Add(0x1000, 0x10, "in_a");
  ASSERT_TRUE(map.Open(dir + "/b.map").ok());
  map.Add(0x2000, 0x10, "in_b");
  map.Close();
  map.Add(0x3000, 0x10, "nowhere");
  map.Flush();
  auto read = [](const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  };
  EXPECT_EQ(read(dir + "/a.map"), "1000 10 in_a\n");
  EXPECT_EQ(read(dir + "/b.map"), "2000 10 in_b\n");
}

}  // namespace
}  // namespace jleak::agent
