#include "profile/heap_profile.h"

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jleak {
namespace {

using ::testing::HasSubstr;

constexpr char kSmokeDir[] = "testdata/profiles/smoke/";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

constexpr char kMinimal[] =
    "heap_v2/524288\n"
    "  t*: 3: 1572864 [0: 0]\n"
    "  t0: 1: 524288 [0: 0]\n"
    "  t7: 2: 1048576 [0: 0]\n"
    "@ 0x7f0000001000 0x7f0000002000 0x400123\n"
    "  t*: 2: 1048576 [0: 0]\n"
    "  t7: 2: 1048576 [0: 0]\n"
    "@ 0x7f0000003000\n"
    "  t*: 1: 524288 [0: 0]\n"
    "  t0: 1: 524288 [0: 0]\n"
    "\n"
    "MAPPED_LIBRARIES:\n"
    "00400000-00401000 r-xp 00000000 fe:01 42   /usr/bin/prog\n"
    "7f0000000000-7f0000004000 r-xp 00001000 fe:01 43   /lib/libx.so\n"
    "7ffd00000000-7ffd00001000 rw-p 00000000 00:00 0   [stack]\n";

TEST(ParseHeapProfileTest, ParsesEverySection) {
  absl::StatusOr<HeapProfile> p = ParseHeapProfile(kMinimal, "minimal");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->sample_period, 524288u);
  EXPECT_EQ(p->total_sampled.objects, 3);
  EXPECT_EQ(p->total_sampled.bytes, 1572864);
  ASSERT_EQ(p->thread_totals.size(), 2u);
  EXPECT_EQ(p->thread_totals[1].thread, 7);
  ASSERT_EQ(p->stacks.size(), 2u);
  EXPECT_THAT(p->stacks[0].frames,
              ::testing::ElementsAre(0x7f0000001000, 0x7f0000002000, 0x400123));
  EXPECT_EQ(p->stacks[0].sampled.bytes, 1048576);
  ASSERT_EQ(p->stacks[0].threads.size(), 1u);
  EXPECT_EQ(p->stacks[0].threads[0].thread, 7);
  ASSERT_EQ(p->mappings.size(), 3u);
  EXPECT_EQ(p->mappings[1].path, "/lib/libx.so");
  EXPECT_EQ(p->mappings[1].offset, 0x1000u);
  EXPECT_EQ(p->mappings[2].path, "[stack]");
}

TEST(ParseHeapProfileTest, AcceptsCrlfAndNoMaps) {
  std::string text =
      "heap_v2/1\r\n  t*: 0: 0 [0: 0]\r\n\r\nMAPPED_LIBRARIES:\r\n";
  absl::StatusOr<HeapProfile> p = ParseHeapProfile(text, "crlf");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->stacks.empty());
  EXPECT_TRUE(p->mappings.empty());
}

struct BadInput {
  const char* name;
  std::string text;
  const char* message;  // a substring the error must contain
};

class BadInputTest : public ::testing::TestWithParam<BadInput> {};

TEST_P(BadInputTest, ClearErrorNamingFileAndLine) {
  absl::StatusOr<HeapProfile> p = ParseHeapProfile(GetParam().text, "in.heap");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(p.status().message()), HasSubstr("in.heap"));
  EXPECT_THAT(std::string(p.status().message()), HasSubstr(GetParam().message));
}

std::string Cut(const std::string& s, const std::string& at) {
  return s.substr(0, s.find(at));
}

INSTANTIATE_TEST_SUITE_P(
    Profiles, BadInputTest,
    ::testing::Values(
        BadInput{"empty", "", "empty file"},
        BadInput{"foreign", "hello world\n", "not a jemalloc heap profile"},
        BadInput{"gperftools",
                 "heap profile:    1:  8 [  1:  8] @ heapprofile\n",
                 "gperftools"},
        BadInput{"bad_period", "heap_v2/abc\n", "heap_v2/<sample period>"},
        BadInput{"truncated_in_stacks", Cut(kMinimal, "@ 0x7f0000003000"),
                 "truncated"},
        BadInput{"truncated_after_stack_line", Cut(kMinimal, "  t*: 1: 524288"),
                 "in.heap:9: expected the 't*:' line"},
        BadInput{"garbage_number", "heap_v2/1\n  t*: 1x: 8 [0: 0]\n",
                 "in.heap:2: expected 't<thread>"},
        BadInput{"negative", "heap_v2/1\n  t*: -1: 8 [0: 0]\n", "in.heap:2"},
        BadInput{"zero_objects_nonzero_bytes", "heap_v2/1\n  t*: 0: 8 [0: 0]\n",
                 "zero objects with non-zero"},
        BadInput{"bad_address", "heap_v2/1\n  t*: 0: 0 [0: 0]\n@ 0xzz\n",
                 "in.heap:3: bad address"},
        BadInput{"no_0x", "heap_v2/1\n  t*: 0: 0 [0: 0]\n@ 1234\n",
                 "0x-prefixed"},
        BadInput{"empty_stack", "heap_v2/1\n  t*: 0: 0 [0: 0]\n@\n",
                 "no addresses"},
        BadInput{"stray_line", "heap_v2/1\n  t*: 0: 0 [0: 0]\nfoo\n",
                 "in.heap:3: expected a stack"},
        BadInput{"bad_maps_line",
                 "heap_v2/1\n  t*: 0: 0 [0: 0]\nMAPPED_LIBRARIES:\nnot maps\n",
                 "in.heap:4: bad maps line"},
        BadInput{"maps_no_inode",
                 "heap_v2/1\n  t*: 0: 0 [0: 0]\nMAPPED_LIBRARIES:\n"
                 "00400000-00401000 r-xp 00000000 fe:01\n",
                 "inode"}),
    [](const ::testing::TestParamInfo<BadInput>& info) {
      return std::string(info.param.name);
    });

TEST(ParseHeapProfileTest, MapsLineWithoutPathIsAnonymous) {
  absl::StatusOr<HeapProfile> p = ParseHeapProfile(
      "heap_v2/1\n  t*: 0: 0 [0: 0]\nMAPPED_LIBRARIES:\n"
      "7f0000000000-7f0000004000 rwxp 00000000 00:00 0 \n",
      "anon");
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->mappings.size(), 1u);
  EXPECT_TRUE(p->mappings[0].path.empty());
  EXPECT_FALSE(p->mappings[0].is_file());
  EXPECT_TRUE(p->mappings[0].executable());
}

TEST(UnsampleTest, MatchesTheFormula) {
  // 10 objects of 1 KiB each sampled at a 512 KiB period.
  const Counts c = Unsample({10, 10240}, 524288);
  const double ratio = 1 / (1 - std::exp(-1024.0 / 524288));
  EXPECT_NEAR(c.objects, 10 * ratio, 1e-9 * c.objects);
  EXPECT_NEAR(c.bytes, 10240 * ratio, 1e-9 * c.bytes);
  EXPECT_GT(c.bytes, 500 * 10240);  // 1 KiB objects are rarely sampled
  // Allocations far larger than the period are sampled almost surely.
  const Counts big = Unsample({1, 64 << 20}, 524288);
  EXPECT_NEAR(big.bytes, 64 << 20, 1);
}

TEST(UnsampleTest, EdgeCasesUnchanged) {
  EXPECT_EQ(Unsample({0, 0}, 524288).bytes, 0);
  EXPECT_EQ(Unsample({3, 300}, 0).bytes, 300);  // period 0: all sampled
}

// The estimates must agree with jeprof's totals on the same real profiles
// (testdata/profiles/smoke/jeprof_totals.txt, written by jeprof --text).
TEST(UnsampleTest, TotalsAgreeWithJeprofOnRealProfiles) {
  std::istringstream totals(
      ReadFile(std::string(kSmokeDir) + "jeprof_totals.txt"));
  std::string name;
  double jeprof_total = 0;
  int checked = 0;
  while (totals >> name >> jeprof_total) {
    const std::string text = ReadFile(kSmokeDir + name);
    absl::StatusOr<HeapProfile> p = ParseHeapProfile(text, name);
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_GT(p->mappings.size(), 50u) << name;  // a JVM maps many files
    const double ours = TotalUnsampled(*p).bytes;
    EXPECT_NEAR(ours, jeprof_total, 0.005 * jeprof_total) << name;
    // Unsampling only ever scales up.
    double raw = 0;
    for (const StackSample& s : p->stacks) raw += s.sampled.bytes;
    EXPECT_GT(ours, raw) << name;
    ++checked;
  }
  EXPECT_EQ(checked, 4);
}

}  // namespace
}  // namespace jleak
