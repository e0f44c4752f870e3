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
#include "agent/class_source_recorder.h"
#include "agent/control_protocol.h"
#include "agent/java_stacks.h"
#include "nlohmann/json.hpp"
#include "profile/java_classes_map.h"

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
  j["no_java_code"] = st.no_java_code;
  j["before_vminit"] = st.before_vminit;
  j["code_cache_known"] = st.code_cache_known;
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

// JavaClassesReport is agent.json's "java_classes": whether
// java-classes.map is written, and what recording it cost.
nlohmann::ordered_json JavaClassesReport(const AgentState& s) {
  nlohmann::ordered_json j;
  const ClassSourceRecorder* r = s.class_sources.load();
  j["enabled"] = r != nullptr;
  if (r == nullptr) {
    j["reason"] = s.mode != "jvm"               ? "not a JVM"
                  : !s.java_classes_off.empty() ? s.java_classes_off
                                                : "not started yet";
    return j;
  }
  const ClassSourceStats st = r->Stats();
  j["map"] = kJavaClassesMapName;
  j["main"] = st.main;
  j["classes"] = st.sources.classes;
  j["sources"] = st.sources.sources;
  j["prepared"] = st.prepared;
  j["boot"] = st.boot;
  j["jvmti_calls"] = st.jvmti_calls;
  j["jni_calls"] = st.jni_calls;
  j["native_calls"] = st.native_calls;
  j["cache_misses"] = st.cache_misses;
  j["failures"] = st.failures;
  j["dropped"] = st.sources.dropped;
  j["ambiguous"] = st.sources.ambiguous;
  j["record_ms"] = static_cast<double>(st.record_ns) / 1e6;
  j["sweep_ms"] = static_cast<double>(st.sweep_ns) / 1e6;
  j["sweep_classes"] = st.sweep_classes;
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
  j["java_classes"] = JavaClassesReport(s);
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
