// File: manifest.cc
//
// manifest.json rendering and reading (see manifest.h).

#include "harness/run/manifest.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace jleak {
namespace {

std::string Rfc3339(int64_t wall_ns) {
  if (wall_ns == 0) return "";
  return absl::FormatTime(absl::RFC3339_full, absl::FromUnixNanos(wall_ns),
                          absl::UTCTimeZone());
}

nlohmann::ordered_json SettingsJson(const LaunchSettings& s) {
  nlohmann::ordered_json j = {
      {"command", s.command},         {"out_dir", s.out_dir},
      {"interval_s", s.interval_s},   {"sample_bytes", s.sample_bytes},
      {"duration_s", s.duration_s},   {"timeout_s", s.timeout_s},
      {"grace_s", s.grace_s},         {"mode", s.mode},
      {"force_gc", s.force_gc},       {"nmt", s.nmt},
      {"java_stacks", s.java_stacks}, {"keep_output", s.keep_output},
      {"jemalloc", s.jemalloc_path},  {"agent", s.agent_path}};
  // Only when not the default: manifests of jemalloc runs stay as they were.
  if (s.engine != "jemalloc") j["engine"] = s.engine;
  return j;
}

}  // namespace

nlohmann::ordered_json ComparableJson(const RunRecord& r) {
  // JVM flags: the options before the main class or -jar, without the
  // class path (build outputs move between checkouts; the code is what
  // differs on purpose).
  std::vector<std::string> jvm_flags;
  const std::vector<std::string>& argv = r.settings.command;
  for (size_t i = 1; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "-cp" || a == "-classpath" || a == "--class-path") {
      ++i;
      continue;
    }
    if (a.empty() || a[0] != '-' || a == "-jar") break;
    jvm_flags.push_back(a);
  }
  auto agent = [&](const char* section, const char* key) -> nlohmann::json {
    if (!r.agent.is_object() || !r.agent.contains(section) ||
        !r.agent[section].is_object() || !r.agent[section].contains(key)) {
      return nullptr;
    }
    return r.agent[section][key];
  };
  nlohmann::ordered_json j;
  j["command"] = argv;
  j["jvm_flags"] = jvm_flags;
  j["java_vm_version"] = agent("vm", "java.vm.version");
  j["jemalloc_version"] = agent("jemalloc", "version");
  j["lg_prof_sample"] = agent("jemalloc", "lg_prof_sample");
  j["sample_bytes"] = r.settings.sample_bytes;
  j["interval_s"] = r.settings.interval_s;
  j["duration_s"] = r.settings.duration_s;
  return j;
}

nlohmann::ordered_json ManifestJson(const RunRecord& r) {
  nlohmann::ordered_json j;
  j["tool"] = kToolVersion;
  j["jleak_argv"] = r.jleak_argv;
  j["settings"] = SettingsJson(r.settings);
  // As `jleak attach` writes it: the reports name a non-default engine
  // and its limit (harness/analyze/run_metadata.cc).
  if (r.settings.engine == "sampling") {
    j["engine"] = {{"name", "sampling"}, {"limit", kRunSamplingEngineLimit}};
  }
  nlohmann::ordered_json env = nlohmann::ordered_json::object();
  for (const auto& [k, v] : r.plan.env_changes) env[k] = v;
  j["launch"] = {{"argv", r.plan.argv},
                 {"env_changes", env},
                 {"mode", r.plan.mode},
                 {"injection", r.plan.injection},
                 {"injected_jvm_flags", r.plan.injected_jvm_flags},
                 {"agent_options", r.plan.agent_options},
                 {"lg_prof_sample", r.plan.lg_prof_sample}};
  j["state"] = r.state;
  j["start_time"] = Rfc3339(r.start_wall_ns);
  j["start_wall_ns"] = r.start_wall_ns;
  j["end_time"] = Rfc3339(r.end_wall_ns);
  j["end_wall_ns"] = r.end_wall_ns;
  if (r.workload.has_value()) {
    const SuperviseResult& w = *r.workload;
    nlohmann::ordered_json wj;
    wj["ended_by"] = w.ended_by;
    wj["exited"] = w.exit.exited;
    if (w.exit.exited) {
      wj["exit_code"] = w.exit.code;
    } else {
      wj["signal"] = w.exit.signal;
      wj["signal_name"] = SignalName(w.exit.signal);
      wj["core_dumped"] = w.exit.core_dumped;
    }
    wj["status"] = DescribeExit(w.exit);
    wj["sent_sigkill"] = w.sent_sigkill;
    wj["elapsed_s"] = w.elapsed_s;
    wj["leftover_processes_killed"] = w.leftover_processes_killed;
    j["workload"] = wj;
  } else {
    j["workload"] = nullptr;
  }
  if (!r.workload_log.empty()) {
    j["workload_log"] = r.workload_log;
    if (!r.workload_log_note.empty()) {
      j["workload_log_note"] = r.workload_log_note;
    }
  }
  if (!r.build_ids.empty()) j["build_ids"] = r.build_ids;
  j["outcome"] = r.outcome;
  j["message"] = r.message;
  j["agent"] = r.agent;
  j["comparable"] = ComparableJson(r);
  nlohmann::ordered_json snaps = nlohmann::ordered_json::array();
  for (const TimelineLine& e : r.snapshots) {
    nlohmann::ordered_json s = {{"seq", e.point.seq},
                                {"kind", e.kind},
                                {"file", e.file},
                                {"dumped", e.dumped},
                                {"time", Rfc3339(e.wall_time_ns)},
                                {"wall_time_ns", e.wall_time_ns},
                                {"elapsed_s", e.elapsed_s}};
    if (!e.error.empty()) s["error"] = e.error;
    snaps.push_back(s);
  }
  j["snapshots"] = snaps;
  return j;
}

absl::StatusOr<LaunchSettings> SettingsFromManifest(absl::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("settings") ||
      !j["settings"].is_object()) {
    return absl::InvalidArgumentError(
        "not a jleak manifest (no \"settings\" object)");
  }
  const nlohmann::json& s = j["settings"];
  LaunchSettings out;
  try {
    out.command = s.at("command").get<std::vector<std::string>>();
    out.out_dir = s.value("out_dir", "");
    out.interval_s = s.value("interval_s", kDefaultIntervalSeconds);
    out.sample_bytes = s.value("sample_bytes", kDefaultSampleBytes);
    out.duration_s = s.value("duration_s", 0.0);
    out.timeout_s = s.value("timeout_s", 0.0);
    out.grace_s = s.value("grace_s", 10.0);
    out.mode = s.value("mode", "auto");
    out.force_gc = s.value("force_gc", true);
    out.nmt = s.value("nmt", false);
    out.java_stacks = s.value("java_stacks", true);
    out.keep_output = s.value("keep_output", true);
    out.jemalloc_path = s.value("jemalloc", "");
    out.agent_path = s.value("agent", "");
    out.engine = s.value("engine", "jemalloc");
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("manifest settings: ", e.what()));
  }
  if (out.command.empty()) {
    return absl::InvalidArgumentError("manifest has an empty command");
  }
  return out;
}

}  // namespace jleak
