// File: timeline_test.cc
//
// timeline.jsonl as every reader sees it: each field, absent and
// ill-typed values, the last line still being written (a live run), and
// the damaged or crafted lines that are errors naming the line.

#include "harness/analyze/timeline.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jleak {
namespace {

using ::testing::HasSubstr;

TEST(ParseTimelineTest, ReadsEveryField) {
  absl::StatusOr<std::vector<TimelineLine>> lines = ParseTimeline(
      R"({"seq":3,"kind":"interval","file":"snapshot-3.heap","dumped":true,)"
      R"("error":"e","wall_time_ns":1700000000123456789,"mono_ns":2500000000,)"
      R"("elapsed_s":15.5,"rss_bytes":100,"os_threads":12,)"
      R"("jemalloc":{"allocated":7},)"
      R"("java":{"heap_used_bytes":5,"direct_buffers":{"bytes":9,"count":1},)"
      R"("nmt_committed":{"Thread":4096}}})"
      "\n",
      "t.jsonl");
  ASSERT_TRUE(lines.ok()) << lines.status();
  ASSERT_EQ(lines->size(), 1u);
  const TimelineLine& l = (*lines)[0];
  EXPECT_EQ(l.kind, "interval");
  EXPECT_EQ(l.file, "snapshot-3.heap");
  EXPECT_TRUE(l.dumped);
  EXPECT_EQ(l.error, "e");
  EXPECT_EQ(l.wall_time_ns, 1700000000123456789);  // exact, not a double
  EXPECT_DOUBLE_EQ(l.mono_seconds, 2.5);
  EXPECT_DOUBLE_EQ(l.elapsed_s, 15.5);
  EXPECT_EQ(l.point.seq, 3);
  EXPECT_EQ(l.point.rss_bytes, 100);
  EXPECT_EQ(l.point.threads, 12);
  EXPECT_EQ(l.point.jemalloc_allocated, 7);
  EXPECT_FALSE(l.point.jemalloc_resident.has_value());
  EXPECT_EQ(l.point.direct_buffer_bytes, 9);
  EXPECT_EQ(l.point.nmt_committed.at("Thread"), 4096);
}

TEST(ParseTimelineTest, WrongTypesAndNegativesReadAsAbsent) {
  absl::StatusOr<std::vector<TimelineLine>> lines = ParseTimeline(
      R"({"seq":"x","kind":1,"file":7,"dumped":"yes","rss_bytes":-1,)"
      R"("wall_time_ns":1.5,"error":null,"jemalloc":[1]})"
      "\n",
      "t.jsonl");
  ASSERT_TRUE(lines.ok()) << lines.status();
  const TimelineLine& l = (*lines)[0];
  EXPECT_EQ(l.point.seq, -1);
  EXPECT_EQ(l.kind, "");
  EXPECT_EQ(l.file, "");
  EXPECT_FALSE(l.dumped);
  EXPECT_EQ(l.error, "");
  EXPECT_EQ(l.wall_time_ns, 0);
  EXPECT_FALSE(l.point.rss_bytes.has_value());
  EXPECT_FALSE(l.point.jemalloc_allocated.has_value());
}

TEST(ParseTimelineTest, LastLineStillBeingWrittenIsLeftOut) {
  // A reader racing the agent's write, even of the first record.
  for (const char* text : {"{\"seq\":0}\n{\"seq\":1,\"fi", "{\"seq\":0,\"fi",
                           "{\"seq\":0}\n[1,"}) {
    absl::StatusOr<std::vector<TimelineLine>> lines =
        ParseTimeline(text, "t.jsonl");
    ASSERT_TRUE(lines.ok()) << text << ": " << lines.status();
    EXPECT_LE(lines->size(), 1u) << text;
  }
  // Once whole, the last record counts even before its newline.
  absl::StatusOr<std::vector<TimelineLine>> whole =
      ParseTimeline("{\"seq\":0}\n\n{\"seq\":1}", "t.jsonl");
  ASSERT_TRUE(whole.ok()) << whole.status();
  ASSERT_EQ(whole->size(), 2u);
  EXPECT_EQ((*whole)[1].point.seq, 1);
  EXPECT_TRUE(ParseTimeline("", "t.jsonl")->empty());
}

TEST(ParseTimelineTest, DamagedLineIsAnErrorNamingIt) {
  // A full disk cut record 1 and the agent's next write joined it.
  absl::StatusOr<std::vector<TimelineLine>> joined = ParseTimeline(
      "{\"seq\":0}\n{\"seq\":1,\"ki{\"seq\":2}\n{\"seq\":3}\n", "run/t.jsonl");
  ASSERT_FALSE(joined.ok());
  EXPECT_EQ(joined.status().message(),
            "run/t.jsonl:2: not a JSON object (timeline.jsonl)");
  // Valid JSON that is not an object: the same, wherever it is.
  EXPECT_FALSE(ParseTimeline("[1,2]\n{\"seq\":1}", "t.jsonl").ok());
}

TEST(ParseTimelineTest, CraftedLinesAreErrorsNamingThem) {
  absl::StatusOr<std::vector<TimelineLine>> dotdot = ParseTimeline(
      "{\"seq\":0}\n{\"seq\":1,\"file\":\"../secret.heap\"}\n", "d/t.jsonl");
  ASSERT_FALSE(dotdot.ok());
  EXPECT_EQ(dotdot.status().message(),
            "d/t.jsonl:2: snapshot file name '../secret.heap' is not a bare "
            "file name in the run directory");
  const std::string deep =
      "{\"x\":" + std::string(100, '[') + std::string(100, ']') + "}\n";
  absl::StatusOr<std::vector<TimelineLine>> nested =
      ParseTimeline("{}\n{}\n" + deep, "d/t.jsonl");
  ASSERT_FALSE(nested.ok());
  EXPECT_THAT(nested.status().message(),
              HasSubstr("d/t.jsonl:3: nested deeper than 64 levels"));
}

}  // namespace
}  // namespace jleak
