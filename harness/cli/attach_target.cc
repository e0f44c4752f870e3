// File: attach_target.cc
//
// Reaching a running JVM's standby agent, for `attach` and `snapshot`
// (see attach_target.h).

#include "harness/cli/attach_target.h"

#include <cstdio>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent/control_protocol.h"
#include "harness/cli/build_ids.h"
#include "harness/cli/subcommand.h"
#include "harness/io/file_io.h"
#include "harness/run/hotspot_attach.h"
#include "harness/run/run_paths.h"

namespace jleak {
namespace {

// Time for HotSpot to open its attach socket (jcmd's default).
constexpr double kHotspotTimeoutS = 10;

bool DisablesAttach(const TargetProcess& t) {
  auto has = [](const std::string& s) {
    return absl::StrContains(s, "+DisableAttachMechanism");
  };
  for (const std::string& a : t.cmdline) {
    if (has(a)) return true;
  }
  for (const char* v :
       {"JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS"}) {
    auto it = t.environ.find(v);
    if (it != t.environ.end() && has(it->second)) return true;
  }
  return false;
}

// AgentRefusal turns Agent_OnAttach's return code (jvmti_agent.cc) into
// what the user can do about it. (An agent older than the sampling engine
// refused JVMs without a profiling jemalloc with 2, 3 and 4.)
std::string AgentRefusal(const TargetProcess& t, int code) {
  if (code >= 2 && code <= 4) {
    return absl::StrCat("the agent refused JVM ", t.pid,
                        " for want of a profiling jemalloc: it is older than "
                        "this jleak; use the agent built with it (--agent)");
  }
  return absl::StrCat("the agent refused to load into process ", t.pid,
                      " (return code ", code, "); the JVM's stderr says why");
}

}  // namespace

void Command::Say(const std::string& line) const {
  std::fprintf(stderr, "jleak %s: %s\n", name_.c_str(), line.c_str());
}

int Command::Fail(const std::string& line) const {
  Say(line);
  return kExitTrouble;
}

int Command::Fail(const absl::Status& st) const {
  return Fail(std::string(st.message()));
}

absl::StatusOr<Connected> Connect(const AttachSettings& s, const Command& cmd) {
  absl::StatusOr<TargetProcess> t = InspectTarget(s.pid);
  if (!t.ok()) return t.status();
  if (!t->is_jvm) {
    return absl::FailedPreconditionError(
        absl::StrCat("process ", s.pid, " (", t->comm,
                     ") is not a JVM: no libjvm.so in its memory map"));
  }
  const std::string control = s.control_dir.empty()
                                  ? agent::DefaultControlDir(t->ns_pid)
                                  : s.control_dir;
  if (absl::Status st = agent::ValidateControlDir(control); !st.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--control-dir: ", st.message()));
  }
  absl::StatusOr<std::unique_ptr<AgentClient>> client =
      AgentClient::Connect(*t, control);
  if (!client.ok()) return client.status();
  Connected c{*t, *std::move(client), "start"};
  if (!t->agent_path.empty()) return c;

  // No agent: load one now, if HotSpot lets us.
  if (DisablesAttach(*t)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "JVM ", s.pid,
        " has no jleak agent and was started with "
        "-XX:+DisableAttachMechanism, so none can be loaded now; restart it "
        "with `jleak env`'s settings"));
  }
  std::string agent = s.agent_path.empty() ? FindBundled(kBundledAgent)
                                           : Absolute(s.agent_path);
  if (agent.empty()) {
    return absl::FailedPreconditionError(
        "cannot find libjleak_agent.so next to jleak; pass --agent PATH");
  }
  std::string in_target = agent;
  if (!t->SameMountNamespace()) {
    absl::StatusOr<std::string> copy = c.client->PrepareAgentCopy(agent);
    if (!copy.ok()) return copy.status();
    in_target = *copy;
  }
  std::string options = "standby";
  if (!s.control_dir.empty()) absl::StrAppend(&options, ",control=", control);
  absl::StatusOr<int> code =
      LoadAgent(c.client->broker(), *t, in_target, options, kHotspotTimeoutS);
  if (!code.ok() || *code != 0) {
    // No agent will ever read this control directory: leave nothing.
    c.client->Abandon();
    if (!code.ok()) {
      return absl::Status(code.status().code(),
                          absl::StrCat("cannot load the agent into JVM ", s.pid,
                                       ": ", code.status().message()));
    }
    return absl::FailedPreconditionError(AgentRefusal(*t, *code));
  }
  cmd.Say(absl::StrCat("JVM ", s.pid,
                       " had no jleak agent: loaded it through HotSpot's "
                       "attach mechanism (it stays, in standby)"));
  c.agent_loaded = "attach";
  return c;
}

std::string JsonText(const nlohmann::json& j, const char* key,
                     const std::string& fallback) {
  if (!j.is_object()) return fallback;
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return fallback;
  return PrintableLine(it->get<std::string>(), 300);
}

bool JsonFlag(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return false;
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

std::string AnswerEngine(const nlohmann::json& answer) {
  if (!answer.is_object()) return "";
  auto it = answer.find("engine");
  return it == answer.end() ? "" : JsonText(*it, "name", "");
}

nlohmann::ordered_json EngineJson(const std::string& engine) {
  nlohmann::ordered_json j = {{"name", engine}};
  if (engine == agent::kEngineSampling) {
    j["limit"] = agent::kSamplingEngineLimit;
  }
  return j;
}

absl::Status CheckAnswer(const nlohmann::json& answer, int pid) {
  const std::string status = JsonText(answer, "status", "");
  if (status == "ok") return absl::OkStatus();
  std::string reason = JsonText(answer, "reason", "no reason given");
  if (status == "inconclusive") {
    return absl::FailedPreconditionError(
        absl::StrCat("the agent in JVM ", pid, " cannot profile: ", reason,
                     "; restart the JVM with `jleak env`'s settings"));
  }
  return absl::FailedPreconditionError(
      absl::StrCat("the agent in JVM ", pid, " refused: ", reason));
}

absl::StatusOr<std::vector<TimelineLine>> ReadTimeline(const std::string& dir) {
  const std::string path = dir + "/timeline.jsonl";
  return ParseTimeline(ReadFileToString(path).value_or(std::string()), path);
}

std::map<std::string, std::string> BuildIds(const std::string& dir,
                                            AgentClient& client) {
  return ModuleBuildIds(dir,
                        ReadTimeline(dir).value_or(std::vector<TimelineLine>()),
                        [&client](const std::vector<std::string>& paths) {
                          return client.BuildIds(paths);
                        });
}

nlohmann::ordered_json TargetJson(const Connected& c) {
  const TargetProcess& t = c.target;
  return {{"pid", t.pid},
          {"ns_pid", t.ns_pid},
          {"uid", t.uid},
          {"start_ticks", t.start_ticks},
          {"root", t.root},
          {"jemalloc", t.jemalloc_path},
          {"agent_loaded", c.agent_loaded},
          {"control_dir", c.client->control_dir()}};
}

absl::Status WriteJson(const std::string& path,
                       const nlohmann::ordered_json& j) {
  return WriteFileAtomically(
      path,
      j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

void AddTargetOptions(CLI::App* app, AttachSettings* s) {
  app->add_option("pid", s->pid,
                  "The JVM's process ID (as seen from here: a JVM in a "
                  "container is reached through /proc/PID/root)")
      ->required()
      ->check(CLI::PositiveNumber);
  app->add_option("--sample-bytes", s->sample_bytes,
                  "Mean bytes between sampled allocations while sampling is "
                  "on (rounded to a power of two)")
      ->default_val(kDefaultSampleBytes)
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
  app->add_flag("--no-gc", s->no_gc,
                "Do not force a GC before snapshots (for comparison only)");
  app->add_option("--control-dir", s->control_dir,
                  "The agent's control directory, as the JVM sees it, if it "
                  "was started with control=DIR (default /tmp/jleak-<pid>)");
  app->add_option("--agent", s->agent_path,
                  "libjleak_agent.so to load into a JVM started without it "
                  "(default: next to jleak)");
}

}  // namespace jleak
