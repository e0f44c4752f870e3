// File: report_json_test.cc
//
// The JSON report: documented keys and order, sites in analysis order and
// limited, non-finite numbers as null, robustness to bad UTF-8, and a
// golden file of the fixture (report_json_test.golden.json).
//
// To update the golden file after an intended change:
//   bazel run //harness/testing:html_report_fixture --
//     --format=json --out=$PWD/harness/report/report_json_test.golden.json
// (one command line).

#include "harness/report/report_json.h"

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "harness/testing/html_report_fixture.h"
#include "nlohmann/json.hpp"

namespace jleak {
namespace {

using Json = nlohmann::json;

Json Render(const Analysis& a, const JsonReportOptions& options = {}) {
  std::ostringstream out;
  const absl::Status status = WriteJsonReport(a, out, options);
  EXPECT_TRUE(status.ok()) << status;
  // Throws (and fails the test) if the output is not JSON.
  return Json::parse(out.str());
}

TEST(ReportJsonTest, TopLevelKeysInDocumentedOrder) {
  std::ostringstream out;
  ASSERT_TRUE(WriteJsonReport(MakeFixtureAnalysis(), out).ok());
  const Json j = Json::parse(out.str());
  EXPECT_EQ(j["schema_version"], kJsonReportSchemaVersion);
  EXPECT_EQ(j["verdict"], "leak");
  EXPECT_EQ(j["kind"], "malloc");
  EXPECT_EQ(j["time_source"], "timeline");
  EXPECT_EQ(j["rate_unit"], "per_second");
  EXPECT_EQ(j["warmup_seconds"], 20.0);
  EXPECT_EQ(j["budgets"]["max_site_rate"], 16384.0);
  EXPECT_EQ(j["budgets"]["max_total_growth"], 64 * 1024 * 1024);
  EXPECT_NE(j["reason"].get<std::string>().find("JniMalloc"),
            std::string::npos);

  // ordered_json keeps the documented order: verdict near the top.
  const std::string text = out.str();
  const char* keys[] = {"schema_version", "verdict",   "reason",   "kind",
                        "budgets",        "snapshots", "timeline", "total",
                        "signals",        "sites",     "warnings"};
  size_t last = 0;
  for (const char* key : keys) {
    // Top-level keys: indented by 2.
    const size_t at = text.find(absl::StrCat("\n  \"", key, "\": "));
    ASSERT_NE(at, std::string::npos) << key;
    EXPECT_GT(at, last) << key << " out of order";
    last = at;
  }
}

TEST(ReportJsonTest, SnapshotsAndTimeline) {
  const Json j = Render(MakeFixtureAnalysis());
  ASSERT_EQ(j["snapshots"].size(), 13u);
  EXPECT_EQ(j["snapshots"][0]["analyzed"], false);
  EXPECT_EQ(j["snapshots"][2]["analyzed"], true);
  EXPECT_EQ(j["snapshots"][2]["time_seconds"], 20.0);
  EXPECT_TRUE(j["snapshots"][2]["total_bytes"].is_number_integer());
  ASSERT_EQ(j["timeline"].size(), 25u);
  EXPECT_TRUE(j["timeline"][0]["rss_bytes"].is_number_integer());
  EXPECT_EQ(j["timeline"][0]["threads"], 21.0);
  for (const char* s : {"rss", "jemalloc_allocated", "jemalloc_resident",
                        "direct_buffers", "threads"}) {
    EXPECT_TRUE(j["signals"].contains(s)) << s;
  }
  EXPECT_EQ(j["total"]["points"], 11);
}

TEST(ReportJsonTest, TimelineHasOnlyPresentValues) {
  Analysis a;
  TimelinePoint p;
  p.seq = 3;
  p.time_seconds = 1.5;
  p.rss_bytes = 1000;
  a.timeline.push_back(p);
  const Json j = Render(a);
  ASSERT_EQ(j["timeline"].size(), 1u);
  const Json& t = j["timeline"][0];
  EXPECT_EQ(t.size(), 3u) << t.dump();
  EXPECT_EQ(t["rss_bytes"], 1000);
  EXPECT_FALSE(t.contains("threads"));
  EXPECT_FALSE(t.contains("direct_buffer_bytes"));
  EXPECT_TRUE(j["signals"].empty());
}

TEST(ReportJsonTest, SitesInAnalysisOrderWithFrames) {
  const Analysis a = MakeFixtureAnalysis();
  const Json j = Render(a);
  ASSERT_EQ(j["sites"].size(), a.sites.size());
  EXPECT_EQ(j["site_count"], a.sites.size());
  EXPECT_EQ(j["sites_omitted"], 0);
  for (size_t i = 0; i < a.sites.size(); ++i) {
    const Json& s = j["sites"][i];
    EXPECT_EQ(s["rank"], i);
    EXPECT_EQ(s["top_frame"], a.sites[i].top_frame);
    EXPECT_EQ(s["frames"].size(), a.sites[i].frames.size());
    EXPECT_EQ(s["bytes"].size(), a.sites[i].bytes.size());
  }
  const Json& top = j["sites"][0];
  EXPECT_EQ(top["top_frame"], "Java_jleak_leakers_JniMalloc_allocate");
  EXPECT_EQ(top["frames"][0]["function"], top["top_frame"]);
  EXPECT_EQ(top["frames"][0]["file"], "leakers/jni/jni_malloc.cc");
  EXPECT_EQ(top["frames"][0]["line"], 42);
  EXPECT_EQ(top["frames"][0]["module"],
            "/build/bazel-bin/leakers/jni/libjnimalloc.so");
  EXPECT_EQ(top["frames"][1]["module"], "[jit]");
  EXPECT_EQ(top["bytes_per_second"], 100.0 * 1024);
  EXPECT_TRUE(top["growth_bytes"].is_number_integer());
  EXPECT_EQ(top["over_budget"], true);
  EXPECT_EQ(top["suppressed"], false);
  EXPECT_LT(top["p_value"].get<double>(), 0.001);
  EXPECT_TRUE(top["bytes_per_second_low"].is_number());

  const Json& suppressed = j["sites"][2];
  EXPECT_EQ(suppressed["suppressed"], true);
  EXPECT_EQ(suppressed["suppressed_by"], "libjvm.so:CodeCache::.*");

  // The hostile name survives as data, unchanged.
  EXPECT_EQ(j["sites"][3]["top_frame"], "<script>alert(1)</script>");

  // A site with the agent's Java frames is named by the user's Java
  // method; the JDK and JVM frames it went through are "via".
  const Json& direct = j["sites"][6];
  EXPECT_EQ(direct["top_frame"], "com.example.cache.Cache.put");
  EXPECT_EQ(direct["user_frame"], 4);
  EXPECT_EQ(direct["java_frame"], 4);
  EXPECT_EQ(direct["java_method"],
            "com.example.cache.Cache.put (Cache.java:42)");
  EXPECT_EQ(direct["via"],
            "java.nio.ByteBuffer.allocateDirect → Unsafe_AllocateMemory0");
  EXPECT_EQ(direct["headline"],
            "com.example.cache.Cache.put (Cache.java:42) via "
            "java.nio.ByteBuffer.allocateDirect → Unsafe_AllocateMemory0");
  EXPECT_EQ(direct["frames"][0]["kind"], "jvm");
  EXPECT_EQ(direct["frames"][3]["kind"], "jvm");
  EXPECT_EQ(direct["frames"][4]["kind"], "user");
  // A C++ site through std::vector is named by the user's function.
  const Json& graph = j["sites"][1];
  EXPECT_EQ(graph["frames"][0]["kind"], "runtime");
  EXPECT_EQ(graph["top_frame"],
            "graph::Node<std::map<int, double>>::AddEdge(graph::Node<std::"
            "map<int, double>>*, double const&)");
  EXPECT_EQ(graph["via"],
            "std::vector<std::pair<int, std::basic_string<char>>>::_M_realloc_"
            "insert");
}

TEST(ReportJsonTest, MaxSitesKeepsOverBudgetSites) {
  FixtureOptions fo;
  fo.extra_sites = 60;
  Analysis a = MakeFixtureAnalysis(fo);
  a.sites[40].over_budget = true;  // a late over-budget site
  JsonReportOptions options;
  options.max_sites = 3;
  const Json j = Render(a, options);
  ASSERT_EQ(j["sites"].size(), 4u);
  EXPECT_EQ(j["sites"][2]["rank"], 2);
  EXPECT_EQ(j["sites"][3]["rank"], 40);
  EXPECT_EQ(j["site_count"], 67);
  EXPECT_EQ(j["sites_omitted"], 63);

  // The default limit, 50, plus a site beyond it that is over budget.
  a.sites[60].over_budget = true;
  const Json all = Render(a);
  ASSERT_EQ(all["sites"].size(), 51u);
  EXPECT_EQ(all["sites"][50]["rank"], 60);

  options.max_sites = 0;  // no limit
  EXPECT_EQ(Render(a, options)["sites"].size(), 67u);
}

TEST(ReportJsonTest, NonFiniteNumbersAreNull) {
  Analysis a;
  SiteSeries s;
  s.top_frame = "f";
  s.frames.push_back({});
  s.frames[0].function = "f";
  s.bytes = {1, std::numeric_limits<double>::quiet_NaN(), 3};
  s.growth.points = 2;
  s.growth.slope_low = -std::numeric_limits<double>::infinity();
  s.growth.slope_high = std::numeric_limits<double>::infinity();
  a.sites.push_back(s);
  a.total = s.growth;
  a.rss_growth = s.growth;
  a.budgets.max_site_rate = std::numeric_limits<double>::infinity();
  std::ostringstream out;
  ASSERT_TRUE(WriteJsonReport(a, out).ok());
  const std::string text = out.str();
  EXPECT_EQ(text.find("Infinity"), std::string::npos) << text;
  EXPECT_EQ(text.find("NaN"), std::string::npos) << text;
  EXPECT_EQ(text.find("inf"), std::string::npos) << text;
  const Json j = Json::parse(text);
  EXPECT_TRUE(j["sites"][0]["bytes_per_second_low"].is_null());
  EXPECT_TRUE(j["sites"][0]["bytes_per_second_high"].is_null());
  EXPECT_TRUE(j["sites"][0]["bytes"][1].is_null());
  EXPECT_EQ(j["sites"][0]["bytes"][2], 3);
  EXPECT_TRUE(j["total"]["rate_high"].is_null());
  EXPECT_TRUE(j["signals"]["rss"]["rate_low"].is_null());
  EXPECT_TRUE(j["budgets"]["max_site_rate"].is_null());
}

TEST(ReportJsonTest, SequenceTimesAreRatesPerSnapshot) {
  Analysis a;
  a.time_source = TimeSource::kSequence;
  EXPECT_EQ(Render(a)["rate_unit"], "per_snapshot");
}

TEST(ReportJsonTest, InvalidUtf8IsReplacedNotThrown) {
  Analysis a;
  a.reason = "bad \xFF\xFE bytes";
  a.warnings.push_back("\xC3");  // truncated sequence
  std::ostringstream out;
  const absl::Status status = WriteJsonReport(a, out);
  ASSERT_TRUE(status.ok()) << status;
  const Json j = Json::parse(out.str());
  EXPECT_EQ(j["reason"], "bad \xEF\xBF\xBD\xEF\xBF\xBD bytes");
}

TEST(ReportJsonTest, StreamFailureIsAnError) {
  std::ostringstream out;
  out.setstate(std::ios::badbit);
  EXPECT_FALSE(WriteJsonReport(MakeFixtureAnalysis(), out).ok());
}

TEST(ReportJsonTest, GroupsOriginsAndJleaksFootprint) {
  Analysis a;
  a.time_source = TimeSource::kTimeline;
  SiteSeries init, buffer;
  init.key = "init";
  init.frames = {{"ZSTD_createCStream", "", 0, "/usr/lib/libzstd.so.1"},
                 {"com.example.Store.save", "Store.java", 18, "[java]"}};
  init.origins = {"", "application"};
  init.group = 0;
  buffer = init;
  buffer.key = "buffer";
  init.bytes = {0, 100};
  buffer.bytes = {0, 50};
  a.sites = {init, buffer};
  LeakGroup g;
  g.key = "app:com.example.Store.save through:ZstdOutputStream";
  g.app_frame = "com.example.Store.save (Store.java:18)";
  g.app_method = "com.example.Store.save";
  g.through = "ZstdOutputStream → libzstd";
  g.headline = "com.example.Store.save (Store.java:18) leaks ...";
  g.sites = {0, 1};
  g.bytes = {0, 150};
  g.growth.slope = 75;
  g.over_budget = true;
  a.groups = {g};
  a.jleak_footprint.sites = 3;
  a.jleak_footprint.bytes = 4096;
  a.jleak_footprint.growth.slope = 12;
  const Json j = Render(a);
  ASSERT_EQ(j["groups"].size(), 1u);
  const Json& group = j["groups"][0];
  EXPECT_EQ(group["rank"], 0);
  EXPECT_EQ(group["app_method"], "com.example.Store.save");
  EXPECT_EQ(group["app_frame"], "com.example.Store.save (Store.java:18)");
  EXPECT_EQ(group["through"], "ZstdOutputStream → libzstd");
  EXPECT_EQ(group["sites"], Json::array({0, 1}));
  EXPECT_EQ(group["bytes"], Json::array({0, 150}));
  EXPECT_EQ(group["bytes_per_second"], 75.0);
  EXPECT_EQ(group["over_budget"], true);
  EXPECT_EQ(group["jleak_own"], false);
  EXPECT_EQ(j["sites"][1]["group"], 0);
  EXPECT_EQ(j["sites"][0]["frames"][0]["origin"], "");
  EXPECT_EQ(j["sites"][0]["frames"][1]["origin"], "application");
  EXPECT_EQ(j["jleak_footprint"]["sites"], 3);
  EXPECT_EQ(j["jleak_footprint"]["bytes"], 4096);
  EXPECT_EQ(j["jleak_footprint"]["bytes_per_second"], 12.0);
  // Members of a group over budget are reported even beyond max_sites.
  JsonReportOptions one;
  one.max_sites = 1;
  EXPECT_EQ(Render(a, one)["sites"].size(), 2u);
}

TEST(ReportJsonTest, EmptyAnalysis) {
  const Json j = Render(Analysis());
  EXPECT_EQ(j["verdict"], "inconclusive");
  EXPECT_TRUE(j["sites"].empty());
  EXPECT_TRUE(j["snapshots"].empty());
  EXPECT_TRUE(j["warnings"].empty());
}

TEST(ReportJsonTest, MatchesGoldenFile) {
  std::ifstream golden_file("harness/report/report_json_test.golden.json");
  ASSERT_TRUE(golden_file)
      << "missing harness/report/report_json_test.golden.json";
  std::stringstream golden;
  golden << golden_file.rdbuf();
  std::ostringstream out;
  ASSERT_TRUE(WriteJsonReport(MakeFixtureAnalysis(), out).ok());
  EXPECT_TRUE(out.str() == golden.str())
      << "the JSON report of the fixture differs from "
         "harness/report/report_json_test.golden.json; if intended, update "
         "it:\n"
         "  bazel run //harness/testing:html_report_fixture -- --format=json "
         "--out=$PWD/harness/report/report_json_test.golden.json";
}

}  // namespace
}  // namespace jleak
