// File: manifest_test.cc
//
// Tests of manifest.json rendering (its snapshots from a live timeline),
// and the settings round trip that --replay relies on.

#include "harness/run/manifest.h"

#include <csignal>

#include "gtest/gtest.h"

namespace jleak {
namespace {

// The run's timeline as `jleak run` reads it when the workload ends: the
// agent may still be writing a record (left out), and a failed snapshot
// keeps its error.
std::vector<TimelineLine> LiveTimeline() {
  absl::StatusOr<std::vector<TimelineLine>> t = ParseTimeline(
      "{\"seq\":0,\"kind\":\"baseline\",\"file\":\"snapshot-0.heap\","
      "\"dumped\":true,\"wall_time_ns\":1700000000000000000,"
      "\"elapsed_s\":0.1,\"jemalloc\":{\"allocated\":10}}\n"
      "{\"seq\":2,\"kind\":\"final\",\"file\":\"snapshot-2.heap\","
      "\"dumped\":false,\"error\":\"disk full\"}\n"
      "{\"seq\":3,\"kind\":\"int",  // still being written
      "run/timeline.jsonl");
  EXPECT_TRUE(t.ok()) << t.status();
  return t.value_or(std::vector<TimelineLine>());
}

RunRecord SampleRecord() {
  RunRecord r;
  r.jleak_argv = {"jleak", "run", "--", "java", "Main"};
  r.settings.command = {"java", "Main"};
  r.settings.out_dir = "/runs/r";
  r.settings.interval_s = 5;
  r.settings.duration_s = 30;
  r.settings.mode = "jvm";
  r.settings.jemalloc_path = "/jl/libjemalloc.so.2";
  r.settings.agent_path = "/jl/libjleak_agent.so";
  r.plan.argv = {"java", "-agentpath:/jl/libjleak_agent.so=out=/runs/r",
                 "Main"};
  r.plan.env_changes = {{"LD_PRELOAD", "/jl/libjemalloc.so.2"}};
  r.plan.mode = "jvm";
  r.start_wall_ns = 1700000000000000000;
  return r;
}

TEST(ManifestJson, RunningThenFinished) {
  RunRecord r = SampleRecord();
  nlohmann::ordered_json j = ManifestJson(r);
  EXPECT_EQ(j["tool"], kToolVersion);
  EXPECT_EQ(j["state"], "running");
  EXPECT_TRUE(j["workload"].is_null());
  EXPECT_EQ(j["start_time"], "2023-11-14T22:13:20+00:00");
  EXPECT_EQ(j["launch"]["env_changes"]["LD_PRELOAD"], "/jl/libjemalloc.so.2");

  r.state = "finished";
  SuperviseResult w;
  w.exit.signal = SIGSEGV;
  w.exit.core_dumped = false;
  w.ended_by = "exit";
  r.workload = w;
  r.outcome = "crashed";
  r.snapshots = LiveTimeline();
  j = ManifestJson(r);
  EXPECT_EQ(j["workload"]["signal_name"], "SIGSEGV");
  EXPECT_EQ(j["workload"]["status"], "signal 11 (SIGSEGV)");
  EXPECT_FALSE(j["workload"].contains("exit_code"));
  EXPECT_EQ(j["outcome"], "crashed");
  ASSERT_EQ(j["snapshots"].size(), 2u);
  const nlohmann::ordered_json& first = j["snapshots"][0];
  EXPECT_EQ(first["seq"], 0);
  EXPECT_EQ(first["kind"], "baseline");
  EXPECT_EQ(first["file"], "snapshot-0.heap");
  EXPECT_EQ(first["dumped"], true);
  EXPECT_EQ(first["time"], "2023-11-14T22:13:20+00:00");
  EXPECT_EQ(first["elapsed_s"], 0.1);
  EXPECT_FALSE(first.contains("error"));
  EXPECT_EQ(j["snapshots"][1]["kind"], "final");
  EXPECT_EQ(j["snapshots"][1]["dumped"], false);
  EXPECT_EQ(j["snapshots"][1]["error"], "disk full");
}

TEST(SettingsFromManifest, RoundTrip) {
  RunRecord r = SampleRecord();
  absl::StatusOr<LaunchSettings> s =
      SettingsFromManifest(ManifestJson(r).dump());
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->command, r.settings.command);
  EXPECT_DOUBLE_EQ(s->interval_s, 5);
  EXPECT_DOUBLE_EQ(s->duration_s, 30);
  EXPECT_EQ(s->mode, "jvm");
  EXPECT_EQ(s->jemalloc_path, "/jl/libjemalloc.so.2");
  EXPECT_EQ(s->engine, "jemalloc");
  // The default engine writes no top-level "engine" (saved runs unchanged).
  EXPECT_FALSE(ManifestJson(r).contains("engine"));
}

TEST(SettingsFromManifest, SamplingEngineRoundTripsAndIsNamed) {
  RunRecord r = SampleRecord();
  r.settings.engine = "sampling";
  const nlohmann::ordered_json j = ManifestJson(r);
  ASSERT_TRUE(j.contains("engine"));
  EXPECT_EQ(j["engine"]["name"], "sampling");
  EXPECT_EQ(j["engine"]["limit"], kRunSamplingEngineLimit);
  absl::StatusOr<LaunchSettings> s = SettingsFromManifest(j.dump());
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->engine, "sampling");
}

TEST(SettingsFromManifest, Refusals) {
  EXPECT_FALSE(SettingsFromManifest("not json").ok());
  EXPECT_FALSE(SettingsFromManifest("{}").ok());
  EXPECT_FALSE(SettingsFromManifest("{\"settings\":{\"command\":[]}}").ok());
  EXPECT_FALSE(SettingsFromManifest("{\"settings\":{\"command\":3}}").ok());
}

}  // namespace
}  // namespace jleak

namespace jleak {
namespace {

TEST(ComparableJson, JvmFlagsWithoutClassPathAndAgentVersions) {
  RunRecord r = SampleRecord();
  r.settings.command = {"java",
                        "-Xmx256m",
                        "-cp",
                        "/ws1/a.jar:/ws1/b.jar",
                        "-XX:MaxDirectMemorySize=1g",
                        "app.Main",
                        "-v"};
  r.agent = nlohmann::json::parse(
      R"({"vm": {"java.vm.version": "17.0.15+6"},
          "jemalloc": {"version": "5.3.0", "lg_prof_sample": 19}})");
  const nlohmann::ordered_json j = ManifestJson(r)["comparable"];
  EXPECT_EQ(
      j["jvm_flags"].get<std::vector<std::string>>(),
      std::vector<std::string>({"-Xmx256m", "-XX:MaxDirectMemorySize=1g"}));
  EXPECT_EQ(j["java_vm_version"], "17.0.15+6");
  EXPECT_EQ(j["jemalloc_version"], "5.3.0");
  EXPECT_EQ(j["lg_prof_sample"], 19);
  EXPECT_EQ(j["interval_s"], 5);
  EXPECT_EQ(j["duration_s"], 30);
  // No agent (it failed, or a native run): versions are null.
  r.agent = nullptr;
  EXPECT_TRUE(ComparableJson(r)["java_vm_version"].is_null());
}

}  // namespace
}  // namespace jleak
