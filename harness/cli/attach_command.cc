// File: attach_command.cc
//
// `jleak attach PID`: profile a JVM that is already running, without
// restarting it.
//
//   jleak attach [--duration S] [--interval S] [--out DIR] PID
//       Sampling on, a GC'd snapshot every --interval for --duration,
//       sampling off again, then the analysis of `jleak run` (same reports,
//       same exit codes: 0 clean, 1 leak, 2 inconclusive or trouble).
//
// The JVM is reached through its standby agent (attach_target.h), loaded
// at start (JAVA_TOOL_OPTIONS) or, if it was not, through HotSpot's attach
// mechanism now; any JVM, with or without jleak's jemalloc (the agent's
// sampling engine then, which does not see what was allocated before). Every
// failure is one line on stderr and exit 2, and leaves the JVM as it was:
// sampling off (the agent turns it off itself if this process dies), nothing
// left running. For collections over hours or days, see `jleak snapshot`
// (snapshot_command.cc).

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "agent/control_protocol.h"
#include "harness/analyze/timeline.h"
#include "harness/cli/analyze_command.h"
#include "harness/cli/attach_target.h"
#include "harness/cli/commands.h"
#include "harness/cli/subcommand.h"
#include "harness/io/file_io.h"
#include "harness/run/agent_client.h"
#include "harness/run/agent_json.h"
#include "harness/run/launch_env.h"
#include "harness/run/manifest.h"
#include "harness/run/run_paths.h"
#include "harness/run/target_process.h"
#include "nlohmann/json.hpp"

namespace jleak {
namespace {

using agent::ControlAction;
using agent::ControlRequest;

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
  const std::string engine = AnswerEngine(*ack);
  cmd.Say(absl::StrFormat(
      "sampling JVM %d (%s) every 2^%d bytes%s, a snapshot every %g s for %g "
      "s, into %s",
      s.pid, t.comm, r->lg_sample,
      engine.empty() ? "" : absl::StrCat(" (", engine, " engine)"),
      s.interval_s, s.duration_s, s.out_dir));
  if (engine == agent::kEngineSampling) {
    cmd.Say(absl::StrCat("JVM ", s.pid,
                         " has no profiling jemalloc: the agent samples "
                         "malloc itself; ",
                         agent::kSamplingEngineLimit));
  }

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
      cmd.Say(absl::StrCat(
          absl::StrFormat("snapshot %d (%s) at %.1f s: rss %.1f MB",
                          e.point.seq, e.kind, e.elapsed_s,
                          e.point.rss_bytes.value_or(-1) / 1e6),
          e.point.jemalloc_allocated.has_value()
              ? absl::StrFormat(", jemalloc allocated %.1f MB",
                                *e.point.jemalloc_allocated / 1e6)
              : ""));
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
  m["engine"] = EngineJson(engine);
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

}  // namespace

void AddAttachCommand(CLI::App& jleak, int* exit_code) {
  auto s = std::make_shared<AttachSettings>();
  auto no_analyze = std::make_shared<bool>(false);
  auto analyze = std::make_shared<AnalyzeFlags>();
  auto argv = std::make_shared<std::vector<std::string>>();
  CLI::App* attach = jleak.add_subcommand(
      "attach",
      "Profile a running JVM: sampling on, a GC'd snapshot every --interval "
      "for --duration, sampling off, then the analysis of `jleak run`. A JVM "
      "started without `jleak env`'s settings is sampled by the agent's own "
      "engine, which sees only what is allocated after the attach.\n"
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
}

}  // namespace jleak
