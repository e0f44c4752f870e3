// File: proc_stats_test.cc
//
// Tests of the /proc parsers on captured text, and a live read of self.

#include "agent/proc_stats.h"

#include "gtest/gtest.h"

namespace jleak::agent {
namespace {

constexpr char kSmapsRollup[] =
    "55d0c0a00000-7ffd5a1f2000 ---p 00000000 00:00 0    [rollup]\n"
    "Rss:              205340 kB\n"
    "Pss:              198765 kB\n"
    "Pss_Anon:         180000 kB\n"
    "Anonymous:        181024 kB\n"
    "Swap:                  0 kB\n";

TEST(ParseSmapsRollup, RssAndAnonymous) {
  ProcStats s;
  ASSERT_TRUE(ParseSmapsRollup(kSmapsRollup, &s));
  EXPECT_EQ(s.rss_bytes, 205340 * 1024);
  EXPECT_EQ(s.anon_rss_bytes, 181024 * 1024);
  EXPECT_EQ(s.rss_source, "smaps_rollup");
}

TEST(ParseSmapsRollup, MissingRssFails) {
  ProcStats s;
  EXPECT_FALSE(ParseSmapsRollup("", &s));
  EXPECT_EQ(s.rss_bytes, -1);
}

TEST(ParseStatm, PagesToBytes) {
  ProcStats s;
  ASSERT_TRUE(ParseStatm("1000 300 100 1 0 500 0\n", 4096, &s));
  EXPECT_EQ(s.rss_bytes, 300 * 4096);
  EXPECT_EQ(s.anon_rss_bytes, 200 * 4096);
  EXPECT_FALSE(ParseStatm("garbage", 4096, &s));
}

TEST(ParseStatusThreads, FindsCount) {
  EXPECT_EQ(ParseStatusThreads("Name:\tjava\nThreads:\t23\nVmRSS:\t1 kB\n"),
            23);
  EXPECT_EQ(ParseStatusThreads("Name:\tjava\n"), -1);
}

TEST(ReadProcStats, Self) {
  ProcStats s = ReadProcStats();
  EXPECT_GT(s.rss_bytes, 0);
  EXPECT_GE(s.os_threads, 1);
}

}  // namespace
}  // namespace jleak::agent
