// File: attach_command.cc
//
// `jleak attach PID` and `jleak snapshot PID`: profile a JVM that is
// already running, without restarting it.
//
//   jleak attach [--duration S] [--interval S] [--out DIR] PID
//       Sampling on, a GC'd snapshot every --interval for --duration,
//       sampling off again, then the analysis of `jleak run` (same reports,
//       same exit codes: 0 clean, 1 leak, 2 inconclusive or trouble).
//   jleak snapshot --out DIR PID          one GC'd snapshot, appended to DIR
//   jleak snapshot --stop --out DIR PID   a last one, and sampling off
//       For collections over hours or days: the first snapshot turns
//       sampling on and it stays on; `jleak analyze DIR` at any time.
//
// The JVM must have been started with jleak's jemalloc preloaded and
// profiling compiled in (`jleak env`: prof:true,prof_active:false). The
// standby agent is loaded at start (JAVA_TOOL_OPTIONS) or, if it was not,
// through HotSpot's attach mechanism now (hotspot_attach.h). The agent
// does the work inside the JVM; this side talks to it through its control
// directory (agent_client.h), reaching the JVM's files through
// /proc/PID/root when it runs in another mount namespace (a container).
// Every failure is one line on stderr and exit 2, and leaves the JVM as it
// was: sampling off (the agent turns it off itself if this process dies),
// nothing left running.

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "agent/control_protocol.h"
#include "harness/analyze/timeline.h"
#include "harness/cli/analyze_command.h"
#include "harness/cli/build_ids.h"
#include "harness/cli/commands.h"
#include "harness/cli/subcommand.h"
#include "harness/io/file_io.h"
#include "harness/run/agent_client.h"
#include "harness/run/broker_protocol.h"
#include "harness/run/hotspot_attach.h"
#include "harness/run/launch_env.h"
#include "harness/run/manifest.h"
#include "harness/run/run_paths.h"
#include "harness/run/target_process.h"
#include "nlohmann/json.hpp"
#include "profile/elf_symbolizer.h"
#include "profile/heap_profile.h"

namespace jleak {
namespace {

using agent::ControlAction;
using agent::ControlRequest;

// How long the agent may take to notice a request (it polls every 0.5 s)
// and answer it, on a loaded machine.
constexpr double kAnswerTimeoutS = 15;
// Budget of one forced-GC snapshot, and of the final one.
constexpr double kSnapshotTimeoutS = 120;
// Time for HotSpot to open its attach socket (jcmd's default).
constexpr double kHotspotTimeoutS = 10;

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

class Command {
 public:
  explicit Command(std::string name) : name_(std::move(name)) {}
  void Say(const std::string& line) const {
    std::fprintf(stderr, "jleak %s: %s\n", name_.c_str(), line.c_str());
  }
  // Fail prints the one line and returns exit code 2.
  int Fail(const std::string& line) const {
    Say(line);
    return kExitTrouble;
  }
  int Fail(const absl::Status& st) const {
    return Fail(std::string(st.message()));
  }

 private:
  std::string name_;
};

// Connected: a JVM whose standby agent answers to us alone.
struct Connected {
  TargetProcess target;
  std::unique_ptr<AgentClient> client;
  std::string agent_loaded;  // "start" or "attach"
};

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

// AgentRefusal turns Agent_OnAttach's return code (agent.cc) into what the
// user can do about it.
std::string AgentRefusal(const TargetProcess& t, int code) {
  switch (code) {
    case 2:
      return absl::StrCat("process ", t.pid,
                          " has no jemalloc: restart it with `jleak env`'s "
                          "settings");
    case 3:
      return absl::StrCat(
          "the jemalloc in process ", t.pid, " (", t.jemalloc_path,
          ") was built without profiling: restart it with jleak's "
          "libjemalloc.so.2 (`jleak env`)");
    case 4:
      return absl::StrCat(
          "jemalloc's heap profiling is off in process ", t.pid,
          " (MALLOC_CONF without prof:true) and can only be turned on at "
          "start: restart it with `jleak env`'s settings");
    default:
      return absl::StrCat("the agent refused to load into process ", t.pid,
                          " (return code ", code,
                          "); the JVM's stderr says why");
  }
}

// Connect checks the target, takes the control lock, and loads the agent
// if the JVM was started without it.
absl::StatusOr<Connected> Connect(const AttachSettings& s, const Command& cmd) {
  absl::StatusOr<TargetProcess> t = InspectTarget(s.pid);
  if (!t.ok()) return t.status();
  if (!t->is_jvm) {
    return absl::FailedPreconditionError(
        absl::StrCat("process ", s.pid, " (", t->comm,
                     ") is not a JVM: no libjvm.so in its memory map"));
  }
  if (t->jemalloc_path.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "JVM ", s.pid,
        " was started without jemalloc (no libjemalloc in its memory map): "
        "there is no allocation sampling to switch on; restart it with "
        "`jleak env`'s settings, or under `jleak run`"));
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

// Text: the string at `key` of a JSON object the target wrote, or
// `fallback` when it is missing or not a string (never an exception),
// cut to one printable line.
std::string Text(const nlohmann::json& j, const char* key,
                 const std::string& fallback) {
  if (!j.is_object()) return fallback;
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return fallback;
  return PrintableLine(it->get<std::string>(), 300);
}

bool Flag(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return false;
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

// CheckAnswer turns an agent.json that is not "ok" into an error.
absl::Status CheckAnswer(const nlohmann::json& answer, int pid) {
  const std::string status = Text(answer, "status", "");
  if (status == "ok") return absl::OkStatus();
  std::string reason = Text(answer, "reason", "no reason given");
  if (status == "inconclusive") {
    return absl::FailedPreconditionError(
        absl::StrCat("the agent in JVM ", pid, " cannot profile: ", reason,
                     "; restart the JVM with `jleak env`'s settings"));
  }
  return absl::FailedPreconditionError(
      absl::StrCat("the agent in JVM ", pid, " refused: ", reason));
}

// ReadTimeline: DIR/timeline.jsonl's snapshots (timeline.h); none when
// there is no such file yet.
absl::StatusOr<std::vector<TimelineLine>> ReadTimeline(const std::string& dir) {
  const std::string path = dir + "/timeline.jsonl";
  return ParseTimeline(ReadFileToString(path).value_or(std::string()), path);
}

// BuildIds: the modules' build-ids (build_ids.h), read inside the
// target by its broker while it still runs.
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

// --------------------------------------------------------------- attach

// CheckRunDir: `dir` could become a run directory (absent or empty).
absl::Status CheckRunDir(const std::string& dir) {
  struct stat st;
  if (stat(dir.c_str(), &st) != 0) return absl::OkStatus();
  return CreateRunDir(dir);  // exists: an empty directory passes unchanged
}

int RunAttach(AttachSettings s, const AnalyzeFlags* analyze,
              const std::vector<std::string>& argv) {
  const Command cmd("attach");
  if (s.interval_s <= 0) s.interval_s = DefaultIntervalSeconds(s.duration_s);
  if (s.out_dir.empty()) {
    s.out_dir = absl::StrCat(
        "jleak-attach-", s.pid, "-",
        absl::FormatTime("%Y%m%d-%H%M%S", absl::Now(), absl::LocalTimeZone()));
  }
  s.out_dir = Absolute(s.out_dir);
  // Checked before the JVM is touched, made only once it can be profiled:
  // a failed attach leaves no empty directory behind.
  if (absl::Status st = CheckRunDir(s.out_dir); !st.ok()) return cmd.Fail(st);
  absl::StatusOr<Connected> c = Connect(s, cmd);
  if (!c.ok()) return cmd.Fail(c.status());
  if (absl::Status st = CreateRunDir(s.out_dir); !st.ok()) return cmd.Fail(st);
  AgentClient& client = *c->client;
  const TargetProcess& t = c->target;

  absl::StatusOr<ControlRequest> r = client.NewRequest(ControlAction::kSession);
  if (!r.ok()) return cmd.Fail(r.status());
  r->interval_seconds = s.interval_s;
  r->lg_sample = LgSampleForBytes(s.sample_bytes);
  r->force_gc = !s.no_gc;
  const int64_t start_ns = absl::ToUnixNanos(absl::Now());
  if (absl::Status st = client.Send(*r); !st.ok()) return cmd.Fail(st);
  absl::StatusOr<nlohmann::json> ack =
      client.WaitForAnswer(*r, /*finished=*/false, kAnswerTimeoutS);
  if (!ack.ok()) {
    client.Cleanup(*r);
    if (absl::IsDeadlineExceeded(ack.status())) {
      return cmd.Fail(absl::StrCat(
          ack.status().message(),
          ": is it in standby (`jleak env`'s JAVA_TOOL_OPTIONS)? A JVM under "
          "`jleak run` is profiled by that run already"));
    }
    if (absl::IsAborted(ack.status())) {
      return cmd.Fail(absl::StrCat("JVM ", s.pid, " exited before the attach"));
    }
    return cmd.Fail(ack.status());
  }
  if (absl::Status st = CheckAnswer(*ack, s.pid); !st.ok()) {
    client.Cleanup(*r);
    return cmd.Fail(st);
  }
  cmd.Say(absl::StrFormat(
      "sampling JVM %d (%s) every 2^%d bytes, a snapshot every %g s for %g "
      "s, into %s",
      s.pid, t.comm, r->lg_sample, s.interval_s, s.duration_s, s.out_dir));

  // Ctrl-C / SIGTERM end the session early but gracefully.
  sigset_t sigs;
  sigemptyset(&sigs);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&sigs, sig);
  sigset_t old;
  sigprocmask(SIG_BLOCK, &sigs, &old);
  const absl::Time deadline = absl::Now() + absl::Seconds(s.duration_s);
  bool exited = false;
  std::string ended_by = "duration";
  size_t logged = 0;
  auto log_progress = [&] {
    // A damaged timeline shows nothing new; `jleak analyze` says why.
    std::vector<TimelineLine> tl =
        ReadTimeline(s.out_dir).value_or(std::vector<TimelineLine>());
    for (; logged < tl.size(); ++logged) {
      const TimelineLine& e = tl[logged];
      cmd.Say(absl::StrFormat(
          "snapshot %d (%s) at %.1f s: rss %.1f MB, jemalloc allocated %.1f "
          "MB",
          e.point.seq, e.kind, e.elapsed_s,
          e.point.rss_bytes.value_or(-1) / 1e6,
          e.point.jemalloc_allocated.value_or(-1) / 1e6));
    }
  };
  while (absl::Now() < deadline) {
    const absl::Duration left = deadline - absl::Now();
    timespec wait = absl::ToTimespec(std::min(left, absl::Seconds(1)));
    const int sig = sigtimedwait(&sigs, nullptr, &wait);
    if (sig > 0) {
      ended_by = absl::StrCat("signal ", sig == SIGINT    ? "SIGINT"
                                         : sig == SIGTERM ? "SIGTERM"
                                                          : "SIGHUP");
      cmd.Say(absl::StrCat("stopping early (", ended_by, ")"));
      break;
    }
    client.CopyOut(*r, s.out_dir);
    log_progress();
    if (!StillRunning(t)) {
      exited = true;
      break;
    }
  }
  absl::StatusOr<nlohmann::json> done = absl::AbortedError("");
  if (!exited) {
    if (absl::Status st = client.RequestFinal(*r); st.ok()) {
      done = client.WaitForAnswer(*r, /*finished=*/true, kSnapshotTimeoutS);
      exited = absl::IsAborted(done.status());
    } else {
      done = st;
      exited = !StillRunning(t);
    }
  }
  const int snapshots = client.CopyOut(*r, s.out_dir);
  log_progress();
  sigprocmask(SIG_SETMASK, &old, nullptr);

  nlohmann::ordered_json m;
  m["tool"] = kToolVersion;
  m["mode"] = "attach";
  m["jleak_argv"] = argv;
  m["settings"] = {{"command", t.cmdline},
                   {"out_dir", s.out_dir},
                   {"interval_s", s.interval_s},
                   {"duration_s", s.duration_s},
                   {"sample_bytes", int64_t{1} << r->lg_sample},
                   {"force_gc", !s.no_gc}};
  m["target"] = TargetJson(*c);
  m["start_wall_ns"] = start_ns;
  m["end_wall_ns"] = absl::ToUnixNanos(absl::Now());
  m["ended_by"] = exited ? "exit" : ended_by;
  if (absl::StatusOr<std::string> a =
          ReadFileToString(s.out_dir + "/" + agent::kAgentReportName);
      a.ok()) {
    if (std::optional<nlohmann::json> aj = ParseAgentJson(*a)) m["agent"] = *aj;
  }
  if (!exited) m["build_ids"] = BuildIds(s.out_dir, client);
  std::string message;
  int code = kExitOk;
  if (exited) {
    code = kExitTrouble;
    message = absl::StrCat("JVM ", s.pid, " exited during the attach after ",
                           snapshots, " snapshot(s) (kept in ", s.out_dir,
                           "); no verdict");
  } else if (!done.ok()) {
    code = kExitTrouble;
    message = absl::StrCat("no final snapshot: ", done.status().message(), "; ",
                           snapshots, " snapshot(s) kept in ", s.out_dir);
  } else if (snapshots == 0) {
    code = kExitTrouble;
    message =
        absl::StrCat("no snapshot was written; see ", s.out_dir, "/agent.json");
  } else {
    message = absl::StrCat(snapshots, " snapshot(s) in ", s.out_dir,
                           "; sampling is off again in JVM ", s.pid);
  }
  m["outcome"] = code == kExitOk ? "collected" : exited ? "exited" : "no-data";
  m["message"] = message;
  if (absl::Status st = WriteJson(s.out_dir + "/manifest.json", m); !st.ok()) {
    cmd.Say(std::string(st.message()));
  }
  client.Cleanup(*r);
  if (exited) {
    // Nobody will attach to a process that is gone: leave nothing behind
    // in a /tmp that may be shared.
    client.Abandon();
  }
  client.broker().Unlock().IgnoreError();  // another jleak may attach now
  cmd.Say(message);
  if (code != kExitOk || analyze == nullptr) return code;
  AnalyzeFlags flags = *analyze;
  if (flags.json.empty()) flags.json = s.out_dir + "/report.json";
  if (flags.html.empty()) flags.html = s.out_dir + "/report.html";
  // The JVM's files as it sees them: its libraries, in its container.
  // As root, they are read by a helper that is the JVM's user in its root
  // (confined_symbolizer.h), never by root itself.
  if (flags.symbolizer.sysroot.empty() && StillRunning(t)) {
    if (geteuid() == 0) {
      flags.symbolizer.confine = &client.broker().handles();
    } else if (!t.SameMountNamespace()) {
      flags.symbolizer.sysroot = t.root;
    }
  }
  return AnalyzeAndReport({s.out_dir}, flags, std::cout);
}

// ------------------------------------------------------------- snapshot

// NextSeq: the sequence number the next snapshot of a folder gets.
int64_t NextSeq(const std::vector<TimelineLine>& timeline) {
  int64_t next = 0;
  for (const TimelineLine& e : timeline) {
    next = std::max(next, e.point.seq + 1);
  }
  return next;
}

int RunSnapshot(AttachSettings s, const std::vector<std::string>& argv) {
  const Command cmd("snapshot");
  if (s.out_dir.empty()) {
    return cmd.Fail(
        "--out DIR is required: the folder this collection grows "
        "in (the same one every time)");
  }
  s.out_dir = Absolute(s.out_dir);
  const std::string manifest_path = s.out_dir + "/manifest.json";
  const nlohmann::json old =
      ParseAgentJson(ReadFileToString(manifest_path).value_or("{}"))
          .value_or(nlohmann::json::object());
  // The collection's timeline so far: one that does not read (damaged or
  // planted) is not added to, as `jleak analyze` would refuse it.
  const std::string timeline_path = s.out_dir + "/timeline.jsonl";
  absl::StatusOr<std::vector<TimelineLine>> timeline = ReadTimeline(s.out_dir);
  if (!timeline.ok()) return cmd.Fail(timeline.status());
  absl::StatusOr<Connected> c = Connect(s, cmd);
  if (!c.ok()) return cmd.Fail(c.status());
  if (absl::Status st = CreateRunDir(s.out_dir, /*may_exist=*/true); !st.ok()) {
    return cmd.Fail(st);
  }
  const TargetProcess& t = c->target;
  if (old.is_object() && old.contains("target")) {
    const nlohmann::json& ot = old.at("target");
    auto number = [&ot](const char* key) -> int64_t {
      auto it = ot.find(key);
      return it != ot.end() && it->is_number_integer() ? it->get<int64_t>()
                                                       : -1;
    };
    if (!ot.is_object() || number("pid") != t.pid ||
        number("start_ticks") != static_cast<int64_t>(t.start_ticks)) {
      return cmd.Fail(absl::StrCat(
          s.out_dir,
          " holds snapshots of another process (or of an earlier run of "
          "this one); use a new --out for JVM ",
          t.pid));
    }
  }
  AgentClient& client = *c->client;
  absl::StatusOr<ControlRequest> r = client.NewRequest(
      s.stop ? ControlAction::kStop : ControlAction::kSnapshot);
  if (!r.ok()) return cmd.Fail(r.status());
  r->lg_sample = LgSampleForBytes(s.sample_bytes);
  r->force_gc = !s.no_gc;
  if (absl::Status st = client.Send(*r); !st.ok()) return cmd.Fail(st);
  absl::StatusOr<nlohmann::json> answer =
      client.WaitForAnswer(*r, /*finished=*/true, kSnapshotTimeoutS);
  if (!answer.ok()) {
    client.Cleanup(*r);
    if (absl::IsAborted(answer.status())) {
      return cmd.Fail(absl::StrCat("JVM ", s.pid, " exited"));
    }
    return cmd.Fail(answer.status());
  }
  if (absl::Status st = CheckAnswer(*answer, s.pid); !st.ok()) {
    client.Cleanup(*r);
    return cmd.Fail(st);
  }
  // The agent wrote snapshot-0.heap and one timeline line: they become
  // the folder's next snapshot.
  std::vector<std::string> lines = absl::StrSplit(
      client.ReadOutput(*r, "timeline.jsonl", 64 << 20).value_or(""), '\n',
      absl::SkipEmpty());
  if (lines.empty()) {
    client.Cleanup(*r);
    return cmd.Fail(absl::StrCat("the agent in JVM ", s.pid,
                                 " wrote no snapshot; see its stderr"));
  }
  std::optional<nlohmann::json> parsed = ParseAgentJson(lines.back());
  nlohmann::ordered_json line;
  if (parsed) line = nlohmann::ordered_json::parse(parsed->dump());
  const int64_t seq = NextSeq(*timeline);
  const std::string file = absl::StrCat("snapshot-", seq, ".heap");
  if (!parsed || !Flag(*parsed, "dumped")) {
    client.Cleanup(*r);
    return cmd.Fail(absl::StrCat(
        "the snapshot could not be written in JVM ", s.pid, ": ",
        parsed ? Text(*parsed, "error", "?") : "unreadable timeline line"));
  }
  absl::StatusOr<std::string> heap =
      client.ReadOutput(*r, Text(*parsed, "file", ""), uint64_t{2} << 30);
  if (!heap.ok()) {
    client.Cleanup(*r);
    return cmd.Fail(heap.status());
  }
  if (absl::Status st = WriteFileAtomically(s.out_dir + "/" + file, *heap);
      !st.ok()) {
    client.Cleanup(*r);
    return cmd.Fail(st);
  }
  line["seq"] = seq;
  line["file"] = file;
  std::string text = ReadFileToString(timeline_path).value_or("");
  text += line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
          "\n";
  if (absl::Status st = WriteFileAtomically(timeline_path, text); !st.ok()) {
    client.Cleanup(*r);
    return cmd.Fail(st);
  }
  // The maps name every frame seen so far; the latest replaces the last.
  for (const std::string& name :
       {std::string(agent::kAgentReportName), std::string("java-frames.map"),
        absl::StrCat("perf-", t.ns_pid, ".map")}) {
    if (absl::StatusOr<std::string> f = client.ReadOutput(*r, name, 256 << 20);
        f.ok()) {
      WriteFileAtomically(s.out_dir + "/" + name, *f).IgnoreError();
    }
  }
  const std::string kind = Text(*parsed, "kind", "");
  nlohmann::ordered_json m;
  m["tool"] = kToolVersion;
  m["mode"] = "snapshot";
  m["jleak_argv"] = argv;
  m["settings"] = {{"command", t.cmdline},
                   {"out_dir", s.out_dir},
                   {"sample_bytes", int64_t{1} << r->lg_sample},
                   {"force_gc", !s.no_gc}};
  m["target"] = TargetJson(*c);
  m["agent"] = *answer;
  m["build_ids"] = BuildIds(s.out_dir, client);
  m["state"] = kind == "final" ? "finished" : "collecting";
  if (absl::Status st = WriteJson(manifest_path, m); !st.ok()) {
    client.Cleanup(*r);
    return cmd.Fail(st);
  }
  client.Cleanup(*r);
  const int count = static_cast<int>(timeline->size()) + 1;
  if (kind == "final") {
    cmd.Say(absl::StrCat("snapshot ", seq, " (final) of JVM ", s.pid, " in ",
                         s.out_dir, "; sampling is off again. ", count,
                         " snapshot(s): `jleak analyze ", s.out_dir, "`"));
  } else {
    cmd.Say(absl::StrCat(
        "snapshot ", seq,
        kind == "baseline" ? " (baseline: sampling is on from now)" : "",
        " of JVM ", s.pid, " in ", s.out_dir, "; ", count,
        " snapshot(s) so far. Sampling stays on until `jleak snapshot --stop "
        "--out ",
        s.out_dir, " ", s.pid, "`; `jleak analyze ", s.out_dir,
        "` once there are 5 or more"));
  }
  return kExitOk;
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

}  // namespace

void AddAttachCommand(CLI::App& jleak, int* exit_code) {
  auto s = std::make_shared<AttachSettings>();
  auto no_analyze = std::make_shared<bool>(false);
  auto analyze = std::make_shared<AnalyzeFlags>();
  auto argv = std::make_shared<std::vector<std::string>>();
  CLI::App* attach = jleak.add_subcommand(
      "attach",
      "Profile a running JVM started with `jleak env`'s settings: sampling "
      "on, a GC'd snapshot every --interval for --duration, sampling off, "
      "then the analysis of `jleak run`.\n"
      "  jleak attach [options] PID\n"
      "Exit: 0 clean, 1 leak, 2 inconclusive, or it could not attach (one "
      "line says why; the JVM is left as it was).");
  AddTargetOptions(attach, s.get());
  attach
      ->add_option("--duration", s->duration_s,
                   "Seconds to sample (default 60)")
      ->check(CLI::Range(1.0, 31.0 * 86400));
  attach
      ->add_option("--interval", s->interval_s,
                   "Seconds between snapshots (default: --duration / 30, "
                   "within 2-10 s)")
      ->check(CLI::Range(0.05, 86400.0));
  attach->add_option("--out", s->out_dir,
                     "Where the snapshots and reports go, created mode 0700 "
                     "(default ./jleak-attach-PID-YYYYmmdd-HHMMSS); must not "
                     "exist or be empty");
  attach->add_flag("--no-analyze", *no_analyze,
                   "Only collect: do not analyze at the end");
  AddAnalyzeFlags(attach, analyze.get());
  attach->callback([s, no_analyze, analyze, exit_code, argv] {
    *argv = {"jleak", "attach", absl::StrCat(s->pid)};
    *exit_code = RunAttach(*s, *no_analyze ? nullptr : analyze.get(), *argv);
  });

  auto snap = std::make_shared<AttachSettings>();
  CLI::App* snapshot = jleak.add_subcommand(
      "snapshot",
      "Take one GC'd snapshot of a running JVM (started with `jleak env`'s "
      "settings) into a folder that grows over hours or days. The first "
      "turns sampling on, and it stays on until --stop.\n"
      "  jleak snapshot --out DIR PID\n"
      "  jleak snapshot --stop --out DIR PID\n"
      "  jleak analyze DIR\n"
      "Exit: 0 taken, 2 not (one line says why).");
  AddTargetOptions(snapshot, snap.get());
  snapshot->add_option("--out", snap->out_dir,
                       "The collection's folder (created if needed; the same "
                       "for every snapshot of one JVM)");
  snapshot->add_flag("--stop", snap->stop,
                     "Take a final snapshot and turn sampling off");
  snapshot->callback([snap, exit_code] {
    *exit_code =
        RunSnapshot(*snap, {"jleak", "snapshot", absl::StrCat(snap->pid)});
  });
}

}  // namespace jleak
