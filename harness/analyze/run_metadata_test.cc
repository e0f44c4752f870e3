// File: run_metadata_test.cc
//
// timeline.jsonl and manifest.json readers: values, absent and ill-typed
// fields, torn lines, errors that name the line.

#include "harness/analyze/run_metadata.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jleak {
namespace {

using ::testing::HasSubstr;

TEST(ParseTimelineTest, ReadsEveryField) {
  absl::StatusOr<std::vector<TimelineLine>> lines = ParseTimeline(
      R"({"seq":3,"file":"snapshot-3.heap","dumped":true,"mono_ns":2500000000,)"
      R"("rss_bytes":100,"os_threads":12,"jemalloc":{"allocated":7},)"
      R"("java":{"heap_used_bytes":5,"direct_buffers":{"bytes":9,"count":1},)"
      R"("nmt_committed":{"Thread":4096}}})"
      "\n",
      "t.jsonl");
  ASSERT_TRUE(lines.ok()) << lines.status();
  ASSERT_EQ(lines->size(), 1u);
  const TimelineLine& l = (*lines)[0];
  EXPECT_EQ(l.file, "snapshot-3.heap");
  EXPECT_TRUE(l.dumped);
  EXPECT_EQ(l.point.seq, 3);
  EXPECT_DOUBLE_EQ(l.mono_seconds, 2.5);
  EXPECT_EQ(l.point.rss_bytes, 100);
  EXPECT_EQ(l.point.threads, 12);
  EXPECT_EQ(l.point.jemalloc_allocated, 7);
  EXPECT_FALSE(l.point.jemalloc_resident.has_value());
  EXPECT_EQ(l.point.direct_buffer_bytes, 9);
  EXPECT_EQ(l.point.nmt_committed.at("Thread"), 4096);
}

TEST(ParseTimelineTest, WrongTypesAndNegativesReadAsAbsent) {
  absl::StatusOr<std::vector<TimelineLine>> lines = ParseTimeline(
      R"({"seq":"x","file":7,"dumped":"yes","rss_bytes":-1,"jemalloc":[1]})"
      "\n",
      "t.jsonl");
  ASSERT_TRUE(lines.ok()) << lines.status();
  EXPECT_EQ((*lines)[0].point.seq, -1);
  EXPECT_EQ((*lines)[0].file, "");
  EXPECT_FALSE((*lines)[0].dumped);
  EXPECT_FALSE((*lines)[0].point.rss_bytes.has_value());
}

TEST(ParseTimelineTest, TornLastLineIsSkippedOtherBadLinesAreErrors) {
  absl::StatusOr<std::vector<TimelineLine>> torn =
      ParseTimeline("{\"seq\":0}\n{\"seq\":1,\"fi", "t.jsonl");
  ASSERT_TRUE(torn.ok()) << torn.status();
  EXPECT_EQ(torn->size(), 1u);
  absl::StatusOr<std::vector<TimelineLine>> bad =
      ParseTimeline("{\"seq\":0}\n[1,2]\n", "run/t.jsonl");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("run/t.jsonl:2:"));
}

TEST(ParseManifestTest, CommandAndBuildIds) {
  absl::StatusOr<ManifestInfo> m =
      ParseManifest(R"({"settings":{"command":["java","-jar","x.jar"]},)"
                    R"("build_ids":{"/lib/libz.so.1":"abcd","/x":3}})",
                    "m.json");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->command, "java -jar x.jar");
  EXPECT_EQ(m->build_ids.size(), 1u);
  EXPECT_EQ(m->build_ids.at("/lib/libz.so.1"), "abcd");
  EXPECT_EQ(ParseManifest(R"({"settings":{"command":"a b"}})", "m")->command,
            "a b");
}

// `jleak attach` names the capture engine and its limit; ill-typed reads
// as unsaid.
TEST(ParseManifestTest, Engine) {
  absl::StatusOr<ManifestInfo> m = ParseManifest(
      R"({"engine":{"name":"sampling","limit":"not before the attach"}})", "m");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->engine, "sampling");
  EXPECT_EQ(m->engine_limit, "not before the attach");
  m = ParseManifest(R"({"engine":{"name":7,"limit":[]}})", "m");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->engine, "");
  EXPECT_EQ(m->engine_limit, "");
  EXPECT_EQ(ParseManifest(R"({"engine":"jemalloc"})", "m")->engine, "");
}

TEST(ParseManifestTest, NotJsonIsAnError) {
  absl::StatusOr<ManifestInfo> m =
      ParseManifest("{not json", "d/manifest.json");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().message(), "d/manifest.json: not valid JSON; ignored");
  EXPECT_FALSE(ParseManifest("[]", "m").ok());
}

}  // namespace
}  // namespace jleak
