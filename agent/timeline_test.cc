// File: timeline_test.cc
//
// Tests that a timeline record renders as one parseable JSON line with
// the field names the analyzer reads.

#include "agent/timeline.h"

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace jleak::agent {
namespace {

TEST(FormatTimelineLine, NativeRecord) {
  TimelineRecord r;
  r.seq = 2;
  r.kind = "interval";
  r.file = "snapshot-2.heap";
  r.dumped = true;
  r.pid = 42;
  r.wall_time_ns = 1700000000000000000;
  r.mono_ns = 123;
  r.elapsed_s = 10.5;
  r.proc.rss_bytes = 1000;
  r.jemalloc.allocated = 77;
  std::string line = FormatTimelineLine(r);
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);  // exactly one line
  nlohmann::json j = nlohmann::json::parse(line);
  EXPECT_EQ(j["seq"], 2);
  EXPECT_EQ(j["kind"], "interval");
  EXPECT_EQ(j["file"], "snapshot-2.heap");
  EXPECT_EQ(j["wall_time_ns"], 1700000000000000000);
  EXPECT_EQ(j["rss_bytes"], 1000);
  EXPECT_EQ(j["anon_rss_bytes"], -1);
  EXPECT_EQ(j["jemalloc"]["allocated"], 77);
  EXPECT_EQ(j["jemalloc"]["retained"], -1);
  EXPECT_FALSE(j.contains("java"));
  EXPECT_FALSE(j.contains("error"));
}

TEST(FormatTimelineLine, JavaRecordAndError) {
  TimelineRecord r;
  r.kind = "final";
  r.error = "mallctl prof.dump: bad \xff byte";
  JavaStats js;
  js.gc_forced = true;
  js.heap_used_bytes = 5;
  js.direct_buffer_count = 3;
  js.direct_buffer_bytes = 300;
  js.java_threads = 9;
  r.java = js;
  nlohmann::json j = nlohmann::json::parse(FormatTimelineLine(r));
  EXPECT_FALSE(j["java"].contains("nmt_committed"));  // not collected
  js.nmt_committed = {{"Thread", 4096}, {"Total", 8192}};
  r.java = js;
  j = nlohmann::json::parse(FormatTimelineLine(r));
  EXPECT_EQ(j["java"]["nmt_committed"]["Thread"], 4096);
  EXPECT_EQ(j["java"]["gc_forced"], true);
  EXPECT_EQ(j["java"]["heap_used_bytes"], 5);
  EXPECT_EQ(j["java"]["direct_buffers"]["count"], 3);
  EXPECT_EQ(j["java"]["direct_buffers"]["bytes"], 300);
  EXPECT_EQ(j["java"]["threads"], 9);
  EXPECT_TRUE(j.contains("error"));
}

}  // namespace
}  // namespace jleak::agent
