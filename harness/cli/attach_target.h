// File: attach_target.h
//
// What `jleak attach` (attach_command.cc) and `jleak snapshot`
// (snapshot_command.cc) share: reaching a JVM that is already running
// through its standby agent, loading the agent first if the JVM was
// started without it, reading the agent's answers, and the files both
// write into a run directory.
//
//   absl::StatusOr<Connected> c = Connect(settings, cmd);
//   if (!c.ok()) return cmd.Fail(c.status());
//   ... c->client->NewRequest(...), Send, WaitForAnswer ...
//
// Any JVM that allows HotSpot's attach: a JVM started with jleak's
// jemalloc (`jleak env`: prof:true,prof_active:false) is sampled by
// jemalloc; any other (plain `java`, glibc's malloc) by the agent's own
// sampling engine, for the session only, which cannot see memory allocated
// before the attach: the manifest ("engine", EngineJson) and the report say
// which ran. The agent does the work inside the JVM; this side talks to it
// through its control directory (agent_client.h), reaching the JVM's files
// through /proc/PID/root when it runs in another mount namespace (a
// container).

#ifndef JLEAK_HARNESS_CLI_ATTACH_TARGET_H_
#define JLEAK_HARNESS_CLI_ATTACH_TARGET_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "harness/analyze/timeline.h"
#include "harness/run/agent_client.h"
#include "harness/run/launch_env.h"
#include "harness/run/target_process.h"
#include "nlohmann/json.hpp"

namespace jleak {

// How long the agent may take to notice a request (it polls every 0.5 s)
// and answer it, on a loaded machine.
inline constexpr double kAnswerTimeoutS = 15;
// Budget of one forced-GC snapshot, and of the final one.
inline constexpr double kSnapshotTimeoutS = 120;

// The options of `attach` and `snapshot` (AddTargetOptions, and each
// command's own).
struct AttachSettings {
  int pid = 0;
  std::string out_dir;
  double duration_s = 60;
  double interval_s = 0;  // 0: DefaultIntervalSeconds(duration)
  int64_t sample_bytes = kDefaultSampleBytes;
  bool no_gc = false;
  std::string control_dir;  // as the JVM sees it; empty: /tmp/jleak-<nspid>
  std::string agent_path;   // empty: the one built with jleak
  bool stop = false;        // snapshot --stop
};

// AddTargetOptions registers the options both commands take: the PID,
// --sample-bytes, --no-gc, --control-dir and --agent.
void AddTargetOptions(CLI::App* app, AttachSettings* s);

// Command: how a command speaks: one line on stderr after its name, and
// exit code 2 on failure.
class Command {
 public:
  explicit Command(std::string name) : name_(std::move(name)) {}
  void Say(const std::string& line) const;
  // Fail prints the one line and returns exit code 2.
  int Fail(const std::string& line) const;
  int Fail(const absl::Status& st) const;

 private:
  std::string name_;
};

// Connected: a JVM whose standby agent answers to us alone.
struct Connected {
  TargetProcess target;
  std::unique_ptr<AgentClient> client;
  std::string agent_loaded;  // "start" or "attach"
};

// Connect checks the target (a JVM), takes the control lock, and loads the
// agent through HotSpot's attach mechanism if the JVM was started without
// it (saying so through `cmd`).
absl::StatusOr<Connected> Connect(const AttachSettings& s, const Command& cmd);

// JsonText: the string at `key` of a JSON object the target wrote, or
// `fallback` when it is missing or not a string (never an exception), cut
// to one printable line.
std::string JsonText(const nlohmann::json& j, const char* key,
                     const std::string& fallback);
// JsonFlag: the boolean at `key`, false when missing or not a boolean.
bool JsonFlag(const nlohmann::json& j, const char* key);

// AnswerEngine: which capture engine the agent's answer (agent.json) says
// runs: "jemalloc", "sampling", or "" from an agent that does not say.
std::string AnswerEngine(const nlohmann::json& answer);

// EngineJson: manifest.json's "engine": its name and, for the sampling
// engine, the limit every report repeats (agent::kSamplingEngineLimit,
// jleak's own words, not the agent's).
nlohmann::ordered_json EngineJson(const std::string& engine);

// CheckAnswer turns an agent.json that is not "ok" into an error.
absl::Status CheckAnswer(const nlohmann::json& answer, int pid);

// ReadTimeline: DIR/timeline.jsonl's snapshots (timeline.h); none when
// there is no such file yet.
absl::StatusOr<std::vector<TimelineLine>> ReadTimeline(const std::string& dir);

// BuildIds: the build-ids of the modules DIR's last snapshot maps
// (build_ids.h), read inside the target by its broker while it still runs.
std::map<std::string, std::string> BuildIds(const std::string& dir,
                                            AgentClient& client);

// TargetJson: manifest.json's "target": which process, as which user, in
// which root, and how its agent was loaded.
nlohmann::ordered_json TargetJson(const Connected& c);

// WriteJson writes `j` to `path` atomically, indented.
absl::Status WriteJson(const std::string& path,
                       const nlohmann::ordered_json& j);

}  // namespace jleak

#endif  // JLEAK_HARNESS_CLI_ATTACH_TARGET_H_
