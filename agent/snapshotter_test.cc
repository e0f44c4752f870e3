// File: snapshotter_test.cc
//
// Tests of the snapshot sequence with a fake capture engine and a fake VM:
// file names, timeline lines, GC-before-dump order, failures kept on
// record.

#include "agent/snapshotter.h"

#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "agent/test_fakes.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace jleak::agent {
namespace {

TEST(Snapshotter, GcThenDumpThenTimeline) {
  std::vector<std::string> events;
  FakeEngine je;
  je.log = &events;
  FakeVmProbe vm;
  vm.log = &events;
  AgentOptions o;
  o.out_dir = FreshTestDir("seq");
  Snapshotter s(o, &je, [&] { events.push_back("flush"); });
  EXPECT_TRUE(s.Take("baseline", &vm));
  EXPECT_TRUE(s.Take("interval", &vm));
  EXPECT_TRUE(s.Take("final", &vm));
  EXPECT_FALSE(s.Take("interval", &vm));  // nothing after final
  EXPECT_EQ(s.snapshots_written(), 3);
  EXPECT_TRUE(s.final_taken());
  EXPECT_EQ(events,
            (std::vector<std::string>{"gc", "flush", "dump snapshot-0.heap",  //
                                      "gc", "flush", "dump snapshot-1.heap",  //
                                      "gc", "flush", "dump snapshot-2.heap"}));
  std::vector<nlohmann::json> t = ReadTimeline(o.out_dir);
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0]["kind"], "baseline");
  EXPECT_EQ(t[2]["kind"], "final");
  EXPECT_EQ(t[2]["seq"], 2);
  EXPECT_EQ(t[2]["file"], "snapshot-2.heap");
  EXPECT_EQ(t[1]["jemalloc"]["allocated"], 200);
  EXPECT_EQ(t[1]["java"]["heap_used_bytes"], 7);
  EXPECT_EQ(t[1]["pid"], getpid());
  EXPECT_LE(t[0]["mono_ns"], t[1]["mono_ns"]);
  struct stat st;
  EXPECT_EQ(stat((o.out_dir + "/snapshot-1.heap").c_str(), &st), 0);
}

TEST(Snapshotter, FailedDumpIsRecordedNotFatal) {
  FakeEngine je;
  je.dump_error = "disk full";
  AgentOptions o;
  o.out_dir = FreshTestDir("fail");
  Snapshotter s(o, &je, nullptr);
  EXPECT_FALSE(s.Take("interval", nullptr));
  EXPECT_FALSE(s.Take("interval", nullptr));
  EXPECT_EQ(s.snapshots_written(), 0);
  std::vector<nlohmann::json> t = ReadTimeline(o.out_dir);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0]["dumped"], false);
  EXPECT_EQ(t[0]["error"], "disk full");
  EXPECT_FALSE(t[0].contains("java"));
}

TEST(Snapshotter, WithoutJemallocStillTracksRss) {
  AgentOptions o;
  o.out_dir = FreshTestDir("nojemalloc");
  Snapshotter s(o, nullptr, nullptr);
  EXPECT_FALSE(s.Take("baseline", nullptr));
  std::vector<nlohmann::json> t = ReadTimeline(o.out_dir);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0]["file"], "");
  EXPECT_GT(t[0]["rss_bytes"], 0);
}

TEST(Snapshotter, MissingDirectoryDoesNotCrash) {
  AgentOptions o;
  o.out_dir = "/nonexistent-jleak-dir";
  Snapshotter s(o, nullptr, nullptr);
  EXPECT_FALSE(s.Take("interval", nullptr));
}

}  // namespace
}  // namespace jleak::agent
