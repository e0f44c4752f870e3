// File: memory_report_test.cc
//
// "Where RSS went" in the text and JSON reports: the table of classes and
// what grew inside them, read at a glance, and the `memory` object; for
// bare .heap files, the plain "nothing outside malloc was recorded".

#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/report/memory_json.h"
#include "harness/report/memory_text.h"
#include "harness/report/report_json.h"
#include "harness/report/report_text.h"
#include "harness/testing/html_report_fixture.h"
#include "nlohmann/json.hpp"

namespace jleak {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using Json = nlohmann::ordered_json;

std::string Text(const Analysis& a) {
  std::ostringstream out;
  WriteMemoryText(a, out);
  return out.str();
}

TEST(MemoryTextTest, BareHeapFilesSayNothingWasRecorded) {
  FixtureOptions options;
  options.timeline = false;
  const Analysis a = MakeFixtureAnalysis(options);
  EXPECT_EQ(Text(a),
            "\n  where RSS went: nothing outside malloc was recorded: heap "
            "profiles only (no run directory's timeline or memory-SEQ.json "
            "files)\n");
  // And in the whole summary, after the signals.
  std::ostringstream out;
  WriteTextSummary(a, TextSummaryOptions(), out);
  EXPECT_THAT(out.str(), HasSubstr("where RSS went: nothing outside malloc "
                                   "was recorded"));
  // An Analysis that never had its memory analyzed says it too.
  EXPECT_EQ(Text(Analysis()),
            "\n  where RSS went: nothing outside malloc was recorded\n");
}

TEST(MemoryTextTest, TableOfClassesThenWhatGrewInThem) {
  const std::string text = Text(MakeFixtureAnalysis());
  EXPECT_THAT(text, HasSubstr("  where RSS went (25 memory maps, 6.1 ms "
                              "each):\n"));
  EXPECT_THAT(text, HasSubstr("    class (resident)   after warm-up"));
  // One row per class; the one over budget marked '!', its interval.
  EXPECT_THAT(text,
              HasSubstr("\n  ! mapped files       5.1 MiB -> 20.8 MiB     "
                        "+15.6 MiB   +160.0 KiB/s (144.0 KiB..176.0 KiB)    "
                        "p<0.001\n"));
  EXPECT_THAT(text, HasSubstr("\n    malloc             50.6 MiB -> 63.6 "
                              "MiB    +13.0 MiB"));
  EXPECT_THAT(text, HasSubstr("\n    Java heap          64.0 MiB -> 64.0 MiB"));
  // The file pattern that grew, with its count and caller; the flat
  // thread group and loader are not listed.
  EXPECT_THAT(text,
              HasSubstr("    mapped files /tmp/</script><b>x</b>-*.idx: 60 "
                        "mappings (+0.5/s), 18.8 MiB resident (+160.0 "
                        "KiB/s), mapped from com.example.Index.open "
                        "(Index.java:33)\n"));
  EXPECT_THAT(text, Not(HasSubstr("threads pool-#-thread-#")));
  EXPECT_THAT(text, Not(HasSubstr("class loaders")));
  EXPECT_THAT(text, HasSubstr("    jemalloc: allocated 63.6 MiB, resident "
                              "71.6 MiB\n"));
}

TEST(MemoryJsonTest, NotRecordedHasOnlyTheReason) {
  FixtureOptions options;
  options.timeline = false;
  const Json j = MemoryJson(MakeFixtureAnalysis(options).memory);
  EXPECT_EQ(j.size(), 2u);
  EXPECT_EQ(j["recorded"], false);
  EXPECT_EQ(j["reason"],
            "nothing outside malloc was recorded: heap profiles only (no run "
            "directory's timeline or memory-SEQ.json files)");
}

TEST(MemoryJsonTest, SeriesAlignedWithTheTimelineAndGroupsNamed) {
  const Analysis a = MakeFixtureAnalysis();
  const Json report = Json::parse(*JsonReportString(a, {}));
  const Json& m = report["memory"];
  EXPECT_EQ(m["recorded"], true);
  EXPECT_EQ(report["budgets"]["max_outside_rate"], 131072.0);
  ASSERT_EQ(m["classes"].size(), 8u);
  const Json& files = m["classes"][5];
  EXPECT_EQ(files["name"], "file_mapped");
  EXPECT_EQ(files["label"], "mapped files");
  EXPECT_EQ(files["over_budget"], true);
  EXPECT_EQ(files["rss_bytes"].size(), report["timeline"].size());
  EXPECT_TRUE(files["rss_bytes"][1].is_null());  // no memory file there
  EXPECT_EQ(files["growth"]["rate"], 163840.0);
  EXPECT_EQ(m["classes"][4]["over_budget"], false);  // malloc
  EXPECT_EQ(m["files"][0]["pattern"], "/tmp/</script><b>x</b>-*.idx");
  EXPECT_EQ(m["files"][0]["mappings"], 60.0);
  // From the naming frame on; all frames beside.
  EXPECT_EQ(m["files"][0]["mapped_from"][0],
            "com.example.Index.open (Index.java:33)");
  EXPECT_EQ(m["files"][0]["mapped_from_frames"].size(), 2u);
  EXPECT_EQ(m["threads"][0]["pattern"], "pool-#-thread-#");
  EXPECT_EQ(m["threads"][0]["started_from"][0],
            "com.example.Handler.handle (Handler.java:22)");
  EXPECT_EQ(m["threads"][0]["parked_in_frame"],
            "java.util.concurrent.LinkedBlockingQueue.take");
  EXPECT_EQ(m["class_loaders"][0]["type"],
            "jdk.internal.loader.ClassLoaders$AppClassLoader");
  EXPECT_EQ(m["allocator"]["name"], "jemalloc");
  EXPECT_EQ(m["allocator"]["figures"]["resident"].size(),
            report["timeline"].size());
  EXPECT_EQ(m["allocator"]["finding_kind"], "");
  EXPECT_TRUE(m["mmap_sites"].empty());
}

}  // namespace
}  // namespace jleak
