// File: agent_report.cc
//
// agent.json's fields and its atomic rewrite (see agent_report.h).

#include "agent/agent_report.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "agent/agent_options.h"
#include "agent/control_protocol.h"
#include "agent/java_stacks.h"
#include "nlohmann/json.hpp"

namespace jleak::agent {
namespace {

// JavaStacksReport is agent.json's "java_stacks": whether heap-profile
// stacks carry Java frames, and the hook's counts (see JavaStackStats).
nlohmann::ordered_json JavaStacksReport(const AgentState& s) {
  nlohmann::ordered_json j;
  j["enabled"] = s.java_stacks != nullptr;
  if (s.java_stacks == nullptr) {
    if (!s.options.java_stacks) {
      j["reason"] = "off (java_stacks=0)";
    } else if (s.mode != "jvm") {
      j["reason"] = "not a JVM";
    } else if (s.java_stacks_off.empty()) {
      j["reason"] = "not started yet (before VMInit)";
    } else {
      j["reason"] = s.java_stacks_off;
    }
    return j;
  }
  const JavaStackStats st = s.java_stacks->Stats();
  j["map"] = kJavaFramesMapName;
  j["sampled_allocations"] = st.calls;
  j["not_java_thread"] = st.not_java_thread;
  j["no_java_frames"] = st.no_java_frames;
  j["compiler_thread"] = st.compiler_thread;
  j["with_java_frames"] = st.with_java_frames;
  j["failed"] = st.failed;
  j["failures"] = st.failures;
  j["frames"] = st.frames;
  j["unknown_frames"] = st.unknown_frames;
  j["truncated"] = st.truncated;
  j["ids"] = st.ids;
  j["named"] = st.named;
  return j;
}

}  // namespace

void WriteAgentReport(AgentState& s, const Snapshotter& snap, bool finished,
                      const std::string& refusal) {
  nlohmann::ordered_json j;
  j["pid"] = getpid();
  j["mode"] = s.mode;
  if (!refusal.empty()) {
    j["status"] = "refused";
    j["reason"] = refusal;
  } else {
    j["status"] = s.inconclusive.empty() ? "ok" : "inconclusive";
    if (!s.inconclusive.empty()) j["reason"] = s.inconclusive;
  }
  j["options"] = FormatAgentOptions(snap.options());
  if (s.options.standby) {
    std::lock_guard<std::mutex> lock(s.mu);
    j["standby"] = {{"control", s.control_dir},
                    {"loaded", s.loaded_at_attach ? "attach" : "start"},
                    {"request",
                     {{"id", s.request.id},
                      {"action", ControlActionName(s.request.action)}}},
                    {"sampling", s.session_active || s.collecting},
                    {"collecting", s.collecting},
                    {"collecting_since_ns", s.collecting_since_ns}};
  }
  j["jemalloc"] = {{"version", s.jemalloc_info.version},
                   {"config_prof", s.jemalloc_info.config_prof},
                   {"opt_prof", s.jemalloc_info.opt_prof},
                   {"prof_active", s.jemalloc_info.prof_active},
                   {"lg_prof_sample", s.jemalloc_info.lg_prof_sample}};
  j["engine"] = s.engine != nullptr ? s.engine->Report()
                                    : nlohmann::ordered_json{{"name", ""}};
  if (!s.vm_info.empty()) j["vm"] = s.vm_info;
  j["perf_map"] = s.options.perf_map && s.mode == "jvm"
                      ? absl::StrCat("perf-", getpid(), ".map")
                      : "";
  j["java_stacks"] = JavaStacksReport(s);
  j["snapshots_written"] = snap.snapshots_written();
  j["finished"] = finished;
  const std::string path = snap.options().out_dir + "/" + kAgentReportName;
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "we");
  if (f == nullptr) {
    Say(absl::StrCat("cannot write ", tmp, ": ", std::strerror(errno)));
    return;
  }
  std::string text =
      j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::fwrite(text.data(), 1, text.size(), f);
  std::fclose(f);
  std::rename(tmp.c_str(), path.c_str());
}

}  // namespace jleak::agent
