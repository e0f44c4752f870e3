// File: agent_client.h
//
// jleak's side of the standby agent's control directory
// (agent/control_protocol.h): `jleak attach` and `jleak snapshot`
// open it, hold its lock, send one request at a time and copy the
// agent's output out of the target's file system.
//
//   absl::StatusOr<std::unique_ptr<AgentClient>> c =
//       AgentClient::Connect(target, "/tmp/jleak-1");
//   agent::ControlRequest r = (*c)->NewRequest(agent::ControlAction::kSession);
//   (*c)->Send(r);  (*c)->WaitForAnswer(r, 10, false);
//   ... (*c)->CopyOut(r, "/local/dir") ... (*c)->RequestFinal(r) ...
//
// Paths inside the target are as the target sees them. The client never
// opens them itself: a TargetBroker (target_broker.h), a helper process
// standing in the target's root as the target's user, does, so what it
// creates there is the target user's own, mode 0700, and nothing planted
// there can make jleak act with more than that user's rights. What comes
// back is bounded bytes; names are checked to be bare before they name a
// local file.

#ifndef JLEAK_HARNESS_RUN_AGENT_CLIENT_H_
#define JLEAK_HARNESS_RUN_AGENT_CLIENT_H_

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/control_protocol.h"
#include "harness/run/agent_json.h"
#include "harness/run/target_broker.h"
#include "harness/run/target_process.h"
#include "nlohmann/json.hpp"

namespace jleak {

class AgentClient {
 public:
  // Connect starts the broker, makes the control directory if needed (or
  // checks the one there: a directory, not a link, owned by the target's
  // user, mode 0700) and takes its lock. FailedPrecondition when another
  // jleak holds it (the message names the lock).
  static absl::StatusOr<std::unique_ptr<AgentClient>> Connect(
      const TargetProcess& target, const std::string& control_dir);
  ~AgentClient();  // drops the lock (the agent ends a session it sees go)
  AgentClient(const AgentClient&) = delete;
  AgentClient& operator=(const AgentClient&) = delete;

  const std::string& control_dir() const { return control_dir_; }

  // NewRequest: a request with a fresh id and its output directory
  // (<control>/s-<id>), made empty and owned by the target's user.
  absl::StatusOr<agent::ControlRequest> NewRequest(agent::ControlAction action);

  // Send writes the request file (atomically). Only one at a time.
  absl::Status Send(const agent::ControlRequest& request);

  // Answer: the agent's agent.json for `request`, once it has written one
  // (with `finished` true when `finished` is asked).
  std::optional<nlohmann::json> Answer(const agent::ControlRequest& request,
                                       bool finished) const;

  // ReadAnswer: the same, or an error that waiting will not cure: an
  // agent.json that is a link, a FIFO, too large, not JSON or nested too
  // deep (a hostile target), or the broker gone.
  absl::StatusOr<std::optional<nlohmann::json>> ReadAnswer(
      const agent::ControlRequest& request, bool finished) const;

  // WaitForAnswer polls ReadAnswer until `timeout_s`, giving up early when
  // the target is gone or the answer is bad. DeadlineExceeded / Aborted
  // (the process exited) / ReadAnswer's errors.
  absl::StatusOr<nlohmann::json> WaitForAnswer(
      const agent::ControlRequest& request, bool finished, double timeout_s);

  // RequestFinal asks for the session's final snapshot.
  absl::Status RequestFinal(const agent::ControlRequest& request);

  // CopyOut copies the request's output into `local_dir`: snapshot files
  // not copied yet (they never change once listed in timeline.jsonl), and
  // the small files (timeline, agent.json, maps) again each time; a
  // snapshot's memory-N.json like its heap file. Returns how many heap
  // snapshot files were copied in all.
  int CopyOut(const agent::ControlRequest& request,
              const std::string& local_dir);

  // Cleanup removes the request's output directory and any request file
  // the agent did not take.
  void Cleanup(const agent::ControlRequest& request);

  // Abandon removes the control directory (lock, agent copy and all) and
  // drops the lock: for a JVM in which no agent can ever answer (it
  // refused to load) or that has exited. The client is unusable after.
  void Abandon();

  // ReadOutput: one file of the request's output directory (a bare name),
  // at most `max_bytes`.
  absl::StatusOr<std::string> ReadOutput(const agent::ControlRequest& request,
                                         const std::string& name,
                                         uint64_t max_bytes);

  // BuildIds: the build-ids of `paths` (as the target sees them).
  std::map<std::string, std::string> BuildIds(
      const std::vector<std::string>& paths) {
    return broker_->BuildIds(paths);
  }

  // The broker, for HotSpot's attach (hotspot_attach.h) and the confined
  // symbolizer.
  TargetBroker& broker() { return *broker_; }

  // PrepareAgentCopy puts libjleak_agent.so and the shared libraries it
  // needs (AgentRuntimeLibraries too) that the target's root does not have
  // into <control>/lib, for a
  // JVM in another mount namespace; returns the agent's path as the
  // target sees it.
  absl::StatusOr<std::string> PrepareAgentCopy(const std::string& agent);

 private:
  AgentClient(TargetProcess target, std::string control_dir,
              std::unique_ptr<TargetBroker> broker)
      : target_(std::move(target)),
        control_dir_(std::move(control_dir)),
        broker_(std::move(broker)) {}
  // Rel: the request's output directory, relative to the control one.
  static std::string Rel(const agent::ControlRequest& request);

  TargetProcess target_;
  std::string control_dir_;
  std::unique_ptr<TargetBroker> broker_;
  int HeapFilesCopied() const;
  std::set<std::string> copied_;  // snapshot files copied so far
};

// AgentRuntimeLibraries: (soname, path) of what the agent opens at run
// time, beyond its DT_NEEDED: libunwind.so.8 (the sampling engine's
// walker), beside `agent` or where this machine's loader finds it, and
// what it needs in turn (ldd). Empty when this machine has none.
std::vector<std::pair<std::string, std::string>> AgentRuntimeLibraries(
    const std::string& agent);

// SharedLibraryDeps: (soname, path) of the libraries `file` needs, as the
// dynamic loader of this machine resolves them (ldd).
std::vector<std::pair<std::string, std::string>> SharedLibraryDeps(
    const std::string& file);

}  // namespace jleak

#endif  // JLEAK_HARNESS_RUN_AGENT_CLIENT_H_
