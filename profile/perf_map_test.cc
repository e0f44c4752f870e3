// File: perf_map_test.cc
//
// Tests for ParsePerfMap / ReadPerfMap: both number styles, names with
// spaces, skipped bad lines, overlaps, lookup at the edges of entries.

#include "profile/perf_map.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jleak {
namespace {

using ::testing::HasSubstr;

// Lines from a real -XX:+DumpPerfMapAtExit file (OpenJDK 17.0.15).
constexpr char kJdk17Map[] =
    "0x00007f49f4ec71c0 0x0000000000000270 java.lang.Object "
    "jdk.internal.misc.Unsafe.getReferenceVolatile(java.lang.Object, long)\n"
    "0x00007f49f4ec7600 0x0000000000000078 long Hello.f(int)\n"
    "0x00007f49f4ec7900 0x00000000000002d8 void "
    "Hello.main(java.lang.String[])\n"
    "0x00007f49f4938080 0x0000000000000040 flush_icache_stub\n"
    "0x00007f49f4940b80 0x0000000000017de0 Interpreter\n";

TEST(PerfMapTest, ParsesJdk17PrefixedFormatSortedWithSpacesInNames) {
  absl::StatusOr<PerfMap> map = ParsePerfMap(kJdk17Map, "perf-1.map");
  ASSERT_TRUE(map.ok()) << map.status();
  ASSERT_EQ(map->entries().size(), 5);
  EXPECT_EQ(map->skipped_lines(), 0);
  // Sorted by start although the file is not.
  EXPECT_EQ(map->entries()[0].start, 0x7f49f4938080u);
  EXPECT_EQ(map->entries()[0].name, "flush_icache_stub");
  EXPECT_EQ(map->entries()[4].name, "void Hello.main(java.lang.String[])");
  EXPECT_EQ(map->entries()[4].size, 0x2d8u);

  const PerfMapEntry* e = map->Find(0x7f49f4ec7600 + 0x10);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->name, "long Hello.f(int)");
  EXPECT_EQ(map->Find(0x7f49f4ec71c0)->name,
            "java.lang.Object jdk.internal.misc.Unsafe.getReferenceVolatile("
            "java.lang.Object, long)");
}

TEST(PerfMapTest, ParsesBareHexFormat) {
  absl::StatusOr<PerfMap> map = ParsePerfMap(
      "7f0000001000 100 Lfoo/Bar;::baz\r\n"
      "7f0000002000 20 Interpreter\n",
      "perf-2.map");
  ASSERT_TRUE(map.ok()) << map.status();
  ASSERT_EQ(map->entries().size(), 2);
  EXPECT_EQ(map->entries()[0].start, 0x7f0000001000u);
  EXPECT_EQ(map->entries()[0].size, 0x100u);
  EXPECT_EQ(map->entries()[0].name, "Lfoo/Bar;::baz");  // no '\r'
  EXPECT_EQ(map->Find(0x7f0000002010)->name, "Interpreter");
}

TEST(PerfMapTest, FindRespectsHalfOpenRanges) {
  absl::StatusOr<PerfMap> map =
      ParsePerfMap("1000 10 a\n1010 10 b\n1040 10 c\n", "m");
  ASSERT_TRUE(map.ok());
  EXPECT_EQ(map->Find(0xfff), nullptr);
  EXPECT_EQ(map->Find(0x1000)->name, "a");
  EXPECT_EQ(map->Find(0x100f)->name, "a");
  EXPECT_EQ(map->Find(0x1010)->name, "b");
  EXPECT_EQ(map->Find(0x1020), nullptr);  // gap
  EXPECT_EQ(map->Find(0x104f)->name, "c");
  EXPECT_EQ(map->Find(0x1050), nullptr);
}

TEST(PerfMapTest, SkipsBadLinesWithCountAndFirstLocation) {
  absl::StatusOr<PerfMap> map = ParsePerfMap(
      "1000 10 good\n"
      "\n"
      "zz 10 bad_start\n"
      "2000 10\n"  // no name
      "3000 q1 bad_size\n"
      "4000 10 also good\n"
      "0x5000 0x",  // torn last line of a killed JVM
      "perf-9.map");
  ASSERT_TRUE(map.ok()) << map.status();
  EXPECT_EQ(map->entries().size(), 2);
  EXPECT_EQ(map->skipped_lines(), 4);
  EXPECT_EQ(map->first_error(),
            "perf-9.map:3: expected a hex start address, got 'zz'");
  EXPECT_EQ(map->Find(0x4001)->name, "also good");
}

TEST(PerfMapTest, RejectsTextWithNoValidLine) {
  absl::StatusOr<PerfMap> map =
      ParsePerfMap("heap_v2/524288\n  t*: 1: 2 [0: 0]\n", "x.heap");
  ASSERT_FALSE(map.ok());
  EXPECT_EQ(map.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(map.status().message(), HasSubstr("not a perf map"));
  EXPECT_THAT(map.status().message(), HasSubstr("x.heap:1:"));
}

TEST(PerfMapTest, EmptyTextIsAnEmptyMap) {
  absl::StatusOr<PerfMap> map = ParsePerfMap("", "empty.map");
  ASSERT_TRUE(map.ok());
  EXPECT_TRUE(map->entries().empty());
  EXPECT_EQ(map->Find(0), nullptr);
}

TEST(PerfMapTest, DropsZeroSizeEntries) {
  absl::StatusOr<PerfMap> map = ParsePerfMap("1000 0 empty\n2000 8 x\n", "m");
  ASSERT_TRUE(map.ok());
  ASSERT_EQ(map->entries().size(), 1);
  EXPECT_EQ(map->Find(0x1000), nullptr);
}

TEST(PerfMapTest, LaterLineWinsWhereEntriesOverlap) {
  // Code cache reuse: old method at 1000-1100, a newer one compiled into
  // 1040-1080, then an exact re-use of 2000.
  absl::StatusOr<PerfMap> map = ParsePerfMap(
      "1000 100 old\n"
      "1040 40 new\n"
      "2000 10 first\n"
      "2000 10 second\n"
      "3000 10 small\n"
      "2ff0 100 big\n",
      "m");
  ASSERT_TRUE(map.ok()) << map.status();
  EXPECT_EQ(map->Find(0x103f)->name, "old");
  EXPECT_EQ(map->Find(0x1040)->name, "new");
  EXPECT_EQ(map->Find(0x107f)->name, "new");
  EXPECT_EQ(map->Find(0x1080)->name, "old");
  EXPECT_EQ(map->Find(0x10ff)->name, "old");
  EXPECT_EQ(map->Find(0x2005)->name, "second");
  EXPECT_EQ(map->Find(0x3005)->name, "big");
  // Still sorted and non-overlapping.
  const auto& es = map->entries();
  for (size_t i = 1; i < es.size(); ++i) {
    EXPECT_LE(es[i - 1].limit(), es[i].start) << i;
  }
}

// A perf map beside a run's snapshots came with them: a FIFO must not make
// the reader wait, a link must not take it out of the directory.
TEST(PerfMapTest, ReadPerfMapRefusesFifosAndLinks) {
  const std::string dir = std::string(::testing::TempDir());
  const std::string fifo = dir + "/perf-fifo.map";
  std::remove(fifo.c_str());
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  absl::StatusOr<PerfMap> map = ReadPerfMap(fifo);
  ASSERT_FALSE(map.ok());
  EXPECT_THAT(map.status().message(), HasSubstr("is a FIFO"));
  const std::string link = dir + "/perf-link.map";
  std::remove(link.c_str());
  ASSERT_EQ(symlink("/etc/passwd", link.c_str()), 0);
  map = ReadPerfMap(link);
  ASSERT_FALSE(map.ok());
  EXPECT_THAT(map.status().message(), HasSubstr("is a symbolic link"));
}

TEST(PerfMapTest, ErrorsQuoteTheLineBoundedAndEscaped) {
  const std::string junk = std::string(1000, 'z') + "\x1b[2J";
  absl::StatusOr<PerfMap> map = ParsePerfMap(junk + " 10 name\n", "m");
  ASSERT_FALSE(map.ok());
  EXPECT_LT(map.status().message().size(), 200u) << map.status();
  EXPECT_EQ(map.status().message().find('\x1b'), std::string::npos);
}

TEST(PerfMapTest, ReadPerfMapReadsAFileAndReportsAMissingOne) {
  const std::string path =
      std::string(::testing::TempDir()) + "/perf-12345.map";
  {
    std::ofstream out(path);
    out << kJdk17Map;
  }
  absl::StatusOr<PerfMap> map = ReadPerfMap(path);
  ASSERT_TRUE(map.ok()) << map.status();
  EXPECT_EQ(map->entries().size(), 5);
  std::remove(path.c_str());

  absl::StatusOr<PerfMap> missing = ReadPerfMap(path);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr(path));
}

}  // namespace
}  // namespace jleak
