// File: agent_client.cc
//
// The client of a standby agent's control directory (see agent_client.h).

#include "harness/run/agent_client.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "harness/io/file_io.h"
#include "harness/run/agent_json.h"

extern char** environ;

namespace jleak {
namespace {

using agent::ControlAction;
using agent::ControlRequest;

// Bounds of what is read back from the target.
constexpr uint64_t kMaxAnswerBytes = 16 << 20;       // agent.json
constexpr uint64_t kMaxOutputFileBytes = 256 << 20;  // timeline, maps
constexpr uint64_t kMaxSnapshotBytes = uint64_t{2} << 30;

std::string NewId() {
  return absl::StrCat(getpid(), "-",
                      absl::ToUnixMillis(absl::Now()) % 100000000);
}

}  // namespace

absl::StatusOr<std::unique_ptr<AgentClient>> AgentClient::Connect(
    const TargetProcess& target, const std::string& control_dir) {
  absl::StatusOr<std::unique_ptr<TargetBroker>> broker =
      TargetBroker::Start(target);
  if (!broker.ok()) return broker.status();
  if (absl::Status st = (*broker)->OpenControlDir(control_dir); !st.ok()) {
    return st;
  }
  if (absl::Status st = (*broker)->Lock(); !st.ok()) {
    if (absl::IsAborted(st)) {
      return absl::FailedPreconditionError(
          absl::StrCat("another jleak is attached to process ", target.pid,
                       " (", control_dir, "/", agent::kControlLockName,
                       " is locked); wait until it ends"));
    }
    return st;
  }
  // Holding the lock, any output directory here is a leftover of a jleak
  // that was killed: nobody will copy it out.
  (*broker)->RemoveStale().IgnoreError();
  return std::unique_ptr<AgentClient>(
      new AgentClient(target, control_dir, *std::move(broker)));
}

AgentClient::~AgentClient() = default;

std::string AgentClient::Rel(const ControlRequest& request) {
  return absl::StrCat("s-", request.id);
}

absl::StatusOr<ControlRequest> AgentClient::NewRequest(ControlAction action) {
  ControlRequest r;
  r.id = NewId();
  r.action = action;
  r.out_dir = absl::StrCat(control_dir_, "/", Rel(r));
  if (absl::Status st = broker_->MakeDir(Rel(r), 0700); !st.ok()) return st;
  return r;
}

absl::Status AgentClient::Send(const ControlRequest& request) {
  return broker_->WriteFile(agent::kControlRequestName,
                            agent::FormatControlRequest(request), 0600);
}

absl::StatusOr<std::optional<nlohmann::json>> AgentClient::ReadAnswer(
    const ControlRequest& request, bool finished) const {
  absl::StatusOr<std::string> text = broker_->ReadFile(
      absl::StrCat(Rel(request), "/", agent::kAgentReportName),
      kMaxAnswerBytes);
  if (!text.ok()) {
    // Not there yet; anything else (a link, a FIFO, a file too large, the
    // broker gone) will not get better by waiting.
    if (absl::IsNotFound(text.status())) return std::nullopt;
    return text.status();
  }
  // The agent writes agent.json whole (rename): what does not parse was
  // made by someone else.
  std::optional<nlohmann::json> j = ParseAgentJson(*text);
  if (!j) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the answer of the agent in process ", target_.pid, " (",
        agent::kAgentReportName, ") is not a JSON object nested at most ",
        kMaxAgentJsonDepth, " levels deep"));
  }
  auto standby = j->find("standby");
  if (standby == j->end() || !standby->is_object()) return std::nullopt;
  auto req = standby->find("request");
  if (req == standby->end() || !req->is_object()) return std::nullopt;
  auto id = req->find("id");
  if (id == req->end() || !id->is_string() ||
      id->get<std::string>() != request.id) {
    return std::nullopt;
  }
  if (finished) {
    auto f = j->find("finished");
    if (f == j->end() || !f->is_boolean() || !f->get<bool>()) {
      return std::nullopt;
    }
  }
  return j;
}

std::optional<nlohmann::json> AgentClient::Answer(const ControlRequest& request,
                                                  bool finished) const {
  absl::StatusOr<std::optional<nlohmann::json>> a =
      ReadAnswer(request, finished);
  return a.ok() ? *std::move(a) : std::nullopt;
}

absl::StatusOr<nlohmann::json> AgentClient::WaitForAnswer(
    const ControlRequest& request, bool finished, double timeout_s) {
  const absl::Time deadline = absl::Now() + absl::Seconds(timeout_s);
  for (;;) {
    absl::StatusOr<std::optional<nlohmann::json>> a =
        ReadAnswer(request, finished);
    if (!a.ok()) return a.status();
    if (*a) return **a;
    if (!StillRunning(target_)) {
      return absl::AbortedError(
          absl::StrCat("process ", target_.pid, " exited"));
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("the jleak agent in process ", target_.pid,
                       " did not answer within ", timeout_s, " s"));
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
}

absl::Status AgentClient::RequestFinal(const ControlRequest& request) {
  return broker_->CreateFile(
      absl::StrCat(Rel(request), "/", agent::kFinalRequestName));
}

absl::StatusOr<std::string> AgentClient::ReadOutput(
    const ControlRequest& request, const std::string& name,
    uint64_t max_bytes) {
  if (!IsRunFileName(name)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "refusing to read '", absl::CHexEscape(name.substr(0, 100)),
        "' from the agent's output: not a file name the agent writes"));
  }
  return broker_->ReadFile(absl::StrCat(Rel(request), "/", name), max_bytes);
}

int AgentClient::CopyOut(const ControlRequest& request,
                         const std::string& local_dir) {
  absl::StatusOr<std::vector<std::string>> names = broker_->List(Rel(request));
  if (!names.ok()) return HeapFilesCopied();
  std::optional<std::string> timeline;
  for (const std::string& name : *names) {
    if (!IsRunFileName(name)) continue;
    // memory-N.json, written just before its timeline line, too.
    const bool snapshot =
        absl::EndsWith(name, ".heap") || absl::StartsWith(name, "memory-");
    if (snapshot && copied_.count(name)) continue;
    if (snapshot) {
      // A .heap file is whole only once the timeline lists it.
      if (!timeline) {
        timeline = ReadOutput(request, "timeline.jsonl", kMaxOutputFileBytes)
                       .value_or(std::string());
      }
      if (!absl::StrContains(*timeline, absl::StrCat("\"", name, "\""))) {
        continue;
      }
    }
    absl::StatusOr<std::string> data = ReadOutput(
        request, name, snapshot ? kMaxSnapshotBytes : kMaxOutputFileBytes);
    if (!data.ok()) continue;
    if (WriteFileAtomically(local_dir + "/" + name, *data).ok() && snapshot) {
      copied_.insert(name);
    }
  }
  return HeapFilesCopied();
}

int AgentClient::HeapFilesCopied() const {
  int n = 0;
  for (const std::string& name : copied_) n += absl::EndsWith(name, ".heap");
  return n;
}

void AgentClient::Cleanup(const ControlRequest& request) {
  broker_->RemoveDir(Rel(request)).IgnoreError();
  // A request the agent never took (no agent, or it was busy) must not be
  // served later by surprise.
  absl::StatusOr<std::string> text =
      broker_->ReadFile(agent::kControlRequestName, 1 << 16);
  if (text.ok() && absl::StrContains(*text, "id=" + request.id + "\n")) {
    broker_->Remove(agent::kControlRequestName).IgnoreError();
  }
}

void AgentClient::Abandon() { broker_->RemoveControlDir().IgnoreError(); }

absl::StatusOr<std::string> AgentClient::PrepareAgentCopy(
    const std::string& agent) {
  if (absl::Status st = broker_->MakeDir("lib", 0755); !st.ok()) return st;
  // The agent and its libraries are jleak's own files on this machine:
  // read here, written there by the broker.
  absl::StatusOr<std::string> bytes = ReadFileToString(agent);
  if (!bytes.ok()) return bytes.status();
  if (absl::Status st =
          broker_->WriteFile("lib/libjleak_agent.so", *bytes, 0755);
      !st.ok()) {
    return st;
  }
  // Found beside the agent through its RUNPATH ($ORIGIN); libunwind, which
  // the agent opens itself, is looked for beside it too.
  std::vector<std::pair<std::string, std::string>> libs =
      SharedLibraryDeps(agent);
  for (auto& dep : AgentRuntimeLibraries(agent)) libs.push_back(dep);
  for (const auto& [soname, path] : libs) {
    if (broker_->Exists(path)) continue;
    if (soname.find('/') != std::string::npos || soname.empty()) continue;
    absl::StatusOr<std::string> lib = ReadFileToString(path);
    if (!lib.ok()) return lib.status();
    if (absl::Status st = broker_->WriteFile("lib/" + soname, *lib, 0755);
        !st.ok()) {
      return st;
    }
  }
  return control_dir_ + "/lib/libjleak_agent.so";
}

std::vector<std::pair<std::string, std::string>> AgentRuntimeLibraries(
    const std::string& agent) {
  constexpr char kUnwinder[] = "libunwind.so.8";
  std::string path;
  const size_t slash = agent.rfind('/');
  const std::string beside =
      (slash == std::string::npos ? std::string(".") : agent.substr(0, slash)) +
      "/" + kUnwinder;
  if (access(beside.c_str(), R_OK) == 0) {
    path = beside;
  } else if (void* handle = dlopen(kUnwinder, RTLD_LAZY | RTLD_LOCAL)) {
    // Where this machine's loader finds it (kept open: it is ours to read).
    link_map* map = nullptr;
    if (dlinfo(handle, RTLD_DI_LINKMAP, &map) == 0 && map != nullptr &&
        map->l_name != nullptr && map->l_name[0] == '/') {
      path = map->l_name;
    }
  } else {
    dlerror();
  }
  if (path.empty()) return {};
  std::vector<std::pair<std::string, std::string>> libs = {{kUnwinder, path}};
  for (auto& dep : SharedLibraryDeps(path)) libs.push_back(std::move(dep));
  return libs;
}

std::vector<std::pair<std::string, std::string>> SharedLibraryDeps(
    const std::string& file) {
  std::vector<std::pair<std::string, std::string>> deps;
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return deps;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null",
                                   O_WRONLY, 0);
  const char* argv[] = {"ldd", file.c_str(), nullptr};
  pid_t pid = 0;
  const int err = posix_spawnp(&pid, "ldd", &actions, nullptr,
                               const_cast<char* const*>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  std::string out;
  if (err == 0) {
    char buf[4096];
    ssize_t n;
    while ((n = read(pipe_fds[0], buf, sizeof buf)) > 0) out.append(buf, n);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  close(pipe_fds[0]);
  // "\tlibabsl_hash.so.20220623 => /lib/x86_64-linux-gnu/libabsl_... (0x...)"
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    size_t arrow = line.find(" => ");
    if (arrow == absl::string_view::npos) continue;
    absl::string_view soname = line.substr(0, arrow);
    absl::string_view path = line.substr(arrow + 4);
    path = path.substr(0, path.find(" ("));
    if (path.empty() || path[0] != '/') continue;
    deps.emplace_back(std::string(soname), std::string(path));
  }
  return deps;
}

}  // namespace jleak
