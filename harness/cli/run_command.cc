// File: run_command.cc
//
// `jleak run`: set up the run directory, start and supervise the workload,
// and write the manifest (see run_command.h).

#include "harness/cli/run_command.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "agent/control_protocol.h"
#include "agent/proc_stats.h"
#include "harness/analyze/timeline.h"
#include "harness/cli/analyze_command.h"
#include "harness/cli/build_ids.h"
#include "harness/cli/subcommand.h"
#include "harness/io/file_io.h"
#include "harness/run/launch_env.h"
#include "harness/run/manifest.h"
#include "harness/run/output_tee.h"
#include "harness/run/process.h"
#include "harness/run/run_paths.h"
#include "profile/elf_symbolizer.h"
#include "profile/heap_profile.h"

extern char** environ;

namespace jleak {
namespace {

// Set by the `run` callback from its analysis options; empty with
// --no-analyze.
std::function<int(const std::string&)> g_analyzer;

constexpr const char* kJemallocRel = kBundledJemalloc;
constexpr const char* kAgentRel = kBundledAgent;
constexpr char kWorkloadLog[] = "workload.log";
// Enough for hours of a chatty service's log; a runaway loop printing
// stack traces stops filling the run directory there.
constexpr int64_t kMaxWorkloadLogBytes = int64_t{256} << 20;

void Say(const std::string& line) {
  std::fprintf(stderr, "jleak run: %s\n", line.c_str());
}

// ReadTimeline: the snapshots the agent has listed so far. It appends to
// timeline.jsonl while the workload runs (a line it is still writing is
// left out, timeline.h); before its first snapshot the file does not
// exist, which reads as no snapshots.
absl::StatusOr<std::vector<TimelineLine>> ReadTimeline(const std::string& dir) {
  const std::string path = dir + "/timeline.jsonl";
  return ParseTimeline(ReadFileToString(path).value_or(std::string()), path);
}

// ReadTimelineSoFar: ReadTimeline for progress and waiting, where a damaged
// timeline shows as nothing new (the outcome says why, DecideRunOutcome).
std::vector<TimelineLine> ReadTimelineSoFar(const std::string& dir) {
  return ReadTimeline(dir).value_or(std::vector<TimelineLine>());
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

absl::Status WriteManifest(const RunRecord& r) {
  const std::string path = r.settings.out_dir + "/manifest.json";
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out << ManifestJson(r).dump(2, ' ', false,
                                nlohmann::json::error_handler_t::replace)
        << "\n";
    out.close();
    if (!out) {
      return absl::UnavailableError(
          absl::StrCat("cannot write ", path,
                       " (output directory removed, read-only "
                       "or full?)"));
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot write ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

int64_t WallNs() { return absl::ToUnixNanos(absl::Now()); }

// Progress shows the workload's state: a live line on a terminal, a log
// line per snapshot otherwise.
class Progress {
 public:
  Progress(std::string dir, pid_t pid)
      : dir_(std::move(dir)), pid_(pid), tty_(isatty(STDERR_FILENO)) {}

  void Tick(double elapsed) {
    std::vector<TimelineLine> t = ReadTimelineSoFar(dir_);
    if (tty_) {
      agent::ProcStats ps = agent::ReadProcStats(pid_);
      std::fprintf(stderr,
                   "\r\033[K[jleak] %6.1f s  rss %7.1f MB  snapshots %zu",
                   elapsed, ps.rss_bytes / 1e6, t.size());
      std::fflush(stderr);
      shown_ = true;
      return;
    }
    for (size_t i = logged_; i < t.size(); ++i) {
      const TimelineLine& e = t[i];
      Say(absl::StrFormat(
          "snapshot %d (%s) at %.1f s: %s, rss %.1f MB, jemalloc allocated "
          "%.1f MB",
          e.point.seq, e.kind, e.elapsed_s, e.dumped ? e.file : "NOT WRITTEN",
          e.point.rss_bytes.value_or(-1) / 1e6,
          e.point.jemalloc_allocated.value_or(-1) / 1e6));
    }
    logged_ = t.size();
  }

  void Done() {
    if (shown_) std::fprintf(stderr, "\n");
    shown_ = false;
  }

 private:
  std::string dir_;
  pid_t pid_;
  bool tty_;
  bool shown_ = false;
  size_t logged_ = 0;
};

// FinalRequestPath: the file whose appearance asks the agent for its
// final snapshot (it polls for it), as `jleak attach` asks a session's.
std::string FinalRequestPath(const std::string& dir) {
  return absl::StrCat(dir, "/", agent::kFinalRequestName);
}

// RequestFinalSnapshot asks the agent for its final snapshot and waits
// until the timeline has it, the child has exited, or `budget_s` passed.
void RequestFinalSnapshot(const std::string& dir, pid_t pid, double budget_s) {
  const std::string request = FinalRequestPath(dir);
  int fd = open(request.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return;  // directory gone: nothing to wait for
  close(fd);
  const absl::Time deadline = absl::Now() + absl::Seconds(budget_s);
  while (absl::Now() < deadline) {
    for (const TimelineLine& e : ReadTimelineSoFar(dir)) {
      if (e.kind == "final") return;
    }
    siginfo_t info = {};
    // WNOWAIT: only look; Supervise reaps.
    if (waitid(P_PID, pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
        info.si_pid == pid) {
      return;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
}

// CanonicalCommandLine is the `jleak run` command that reproduces `s`.
std::vector<std::string> CanonicalCommandLine(const LaunchSettings& s) {
  std::vector<std::string> argv = {
      "jleak",          "run",
      "--out",          s.out_dir,
      "--interval",     absl::StrCat(s.interval_s),
      "--sample-bytes", absl::StrCat(s.sample_bytes),
      "--mode",         s.mode,
      "--grace",        absl::StrCat(s.grace_s),
      "--jemalloc",     s.jemalloc_path,
      "--agent",        s.agent_path};
  if (s.duration_s > 0) {
    argv.insert(argv.end(), {"--duration", absl::StrCat(s.duration_s)});
  }
  if (s.timeout_s > 0) {
    argv.insert(argv.end(), {"--timeout", absl::StrCat(s.timeout_s)});
  }
  if (!s.force_gc) argv.push_back("--no-gc");
  if (s.nmt) argv.push_back("--nmt");
  if (!s.java_stacks) argv.push_back("--no-java-stacks");
  if (!s.keep_output) argv.push_back("--no-workload-log");
  if (s.engine != "jemalloc") argv.insert(argv.end(), {"--engine", s.engine});
  argv.push_back("--");
  argv.insert(argv.end(), s.command.begin(), s.command.end());
  return argv;
}

// NoDataWhy: why a run has no snapshot to analyze: the timeline does not
// read (`timeline_read`), or the agent's last error, if any.
std::string NoDataWhy(const RunRecord& r, const absl::Status& timeline_read) {
  if (!timeline_read.ok()) {
    return absl::StrCat("the timeline does not read (", timeline_read.message(),
                        ")");
  }
  std::string error;
  for (const TimelineLine& e : r.snapshots) {
    if (!e.error.empty()) error = e.error;
  }
  return absl::StrCat("no snapshot was written",
                      error.empty() ? "" : absl::StrCat(" (", error, ")"));
}

// DecideRunOutcome: how the collection went (manifest.json's outcome and
// message), not the verdict, which the analysis of the run directory gives
// after it. Returns the exit code: 0 only when snapshots were written, the
// agent could profile, and the workload ended on its own or by our
// --duration / a signal the user sent; 2 otherwise.
int DecideRunOutcome(RunRecord& r, int snapshots_dumped,
                     const absl::Status& timeline_read) {
  const SuperviseResult& w = *r.workload;
  const std::string& dir = r.settings.out_dir;
  const std::string kept =
      absl::StrCat(snapshots_dumped, " snapshot(s) kept in ", dir);
  if (r.agent.is_null()) {
    r.outcome = "agent-missing";
    r.message = absl::StrCat(
        "the agent never reported (workload ", DescribeExit(w.exit), "); ",
        r.plan.mode == "jvm"
            ? "check the JVM's error above and --agent; if the command does "
              "not start a JVM, use --mode=native"
            : "check that the command is a dynamically linked program "
              "(LD_PRELOAD has no effect on static binaries)");
    return kExitTrouble;
  }
  if (r.agent.value("status", "") != "ok") {
    r.outcome = "inconclusive";
    r.message = absl::StrCat("inconclusive: ", r.agent.value("reason", "?"),
                             "; check --jemalloc");
    return kExitTrouble;
  }
  if (w.ended_by == "timeout") {
    r.outcome = "timeout";
    r.message = absl::StrCat(
        "the workload was still running after --timeout ", r.settings.timeout_s,
        " s and was stopped", w.sent_sigkill ? " with SIGKILL" : "", "; ", kept,
        "; raise --timeout or use --duration for workloads that run "
        "forever");
    return kExitTrouble;
  }
  if (snapshots_dumped == 0) {
    r.outcome = "no-data";
    r.message = absl::StrCat(
        NoDataWhy(r, timeline_read), "; workload ", DescribeExit(w.exit),
        "; check that ", dir,
        " is writable with free space, and that the workload runs longer "
        "than --interval");
    return kExitTrouble;
  }
  bool has_final = false;
  for (const TimelineLine& e : r.snapshots) has_final |= e.kind == "final";
  // A VM that dies cleanly (even by System.exit(3)) takes a final
  // snapshot; one that ends without it crashed (a JVM aborting on SIGSEGV
  // may exit 1 rather than die of the signal).
  if (w.ended_by == "exit" &&
      (!w.exit.exited || (w.exit.code != 0 && !has_final))) {
    r.outcome = "crashed";
    r.message = absl::StrCat(
        "the workload crashed: ", DescribeExit(w.exit),
        w.exit.exited ? " without a final snapshot"
                      : " (a crash, the OOM killer or kill -9)",
        "; ", kept,
        "; fix the crash (see its hs_err file), or stop it earlier with "
        "--duration");
    return kExitTrouble;
  }
  r.outcome = "collected";
  r.message = absl::StrCat(kept, " (workload ", DescribeExit(w.exit),
                           ", ended by ", w.ended_by, ")");
  if (w.ended_by == "exit" && w.exit.code != 0) {
    absl::StrAppend(&r.message, "; note the workload's non-zero exit");
  }
  return kExitOk;
}

int RunWorkload(LaunchSettings settings) {
  RunRecord r;
  if (settings.out_dir.empty()) {
    settings.out_dir = absl::StrCat(
        "jleak-run-",
        absl::FormatTime("%Y%m%d-%H%M%S", absl::Now(), absl::LocalTimeZone()));
  }
  settings.out_dir = Absolute(settings.out_dir);
  for (auto [path, rel, flag] :
       {std::tuple<std::string*, const char*, const char*>{
            &settings.jemalloc_path, kJemallocRel, "--jemalloc"},
        {&settings.agent_path, kAgentRel, "--agent"}}) {
    if (path->empty()) *path = FindBundled(rel);
    if (path->empty()) {
      Say(absl::StrCat("cannot find ", rel, " next to jleak; pass ", flag,
                       " PATH"));
      return kExitTrouble;
    }
    char real[4096];
    if (realpath(path->c_str(), real) == nullptr) {
      Say(absl::StrCat(flag, " ", *path, ": ", std::strerror(errno)));
      return kExitTrouble;
    }
    *path = real;
  }
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
  absl::StatusOr<LaunchPlan> plan = BuildLaunchPlan(settings, env);
  if (!plan.ok()) {
    Say(std::string(plan.status().message()));
    return kExitTrouble;
  }
  if (absl::Status s = CreateRunDir(settings.out_dir); !s.ok()) {
    Say(std::string(s.message()));
    return kExitTrouble;
  }
  r.settings = settings;
  r.plan = *plan;
  r.jleak_argv = CanonicalCommandLine(settings);
  r.start_wall_ns = WallNs();
  if (absl::Status s = WriteManifest(r); !s.ok()) {
    Say(std::string(s.message()));
    return kExitTrouble;
  }
  Say(absl::StrCat("profiling `", absl::StrJoin(settings.command, " "), "` (",
                   plan->mode, ", snapshot every ", settings.interval_s,
                   " s, sampling 2^", plan->lg_prof_sample, " bytes) into ",
                   settings.out_dir));

  std::unique_ptr<OutputTee> tee;
  if (settings.keep_output) {
    absl::StatusOr<std::unique_ptr<OutputTee>> started = OutputTee::Start(
        settings.out_dir + "/" + kWorkloadLog, kMaxWorkloadLogBytes);
    if (started.ok()) {
      tee = *std::move(started);
      r.workload_log = kWorkloadLog;
    } else {
      Say(absl::StrCat("not keeping the workload's output: ",
                       started.status().message()));
    }
  }
  SpawnIo io;
  if (tee != nullptr) io = {tee->child_stdout(), tee->child_stderr()};
  absl::StatusOr<Child> child = Child::Spawn(plan->argv, plan->envp, io);
  if (tee != nullptr) tee->CloseChildEnds();
  if (!child.ok()) {
    r.state = "finished";
    r.end_wall_ns = WallNs();
    r.outcome = "not-started";
    r.message = absl::StrCat(child.status().message(),
                             "; check the command path and PATH");
    WriteManifest(r).IgnoreError();
    Say(r.message);
    return kExitTrouble;
  }
  Progress progress(settings.out_dir, child->pid());
  SuperviseOptions so;
  so.duration_s = settings.duration_s;
  so.timeout_s = settings.timeout_s;
  so.grace_s = settings.grace_s;
  so.tick_s = isatty(STDERR_FILENO) ? 0.5 : 1.0;
  so.on_tick = [&](double elapsed) { progress.Tick(elapsed); };
  const std::string dir = settings.out_dir;
  const pid_t pid = child->pid();
  so.before_stop = [&](double budget) {
    RequestFinalSnapshot(dir, pid, budget);
  };
  so.log = [&](const std::string& line) {
    progress.Done();
    Say(line);
  };
  r.workload = Supervise(*child, so);
  progress.Tick(r.workload->elapsed_s);
  progress.Done();
  if (tee != nullptr) {
    // The workload and whatever it left behind are gone: the pipes end now
    // unless something escaped us, which the deadline covers.
    absl::Status logged = tee->Finish(/*drain_s=*/2);
    if (!logged.ok()) {
      r.workload_log_note = std::string(logged.message());
      Say(absl::StrCat(kWorkloadLog, " is incomplete: ", logged.message()));
    } else if (tee->truncated()) {
      r.workload_log_note = absl::StrCat("cut at ", kMaxWorkloadLogBytes,
                                         " bytes; the terminal got the rest");
    }
  }
  r.end_wall_ns = WallNs();
  r.state = "finished";

  absl::StatusOr<std::string> agent_text =
      ReadFileToString(absl::StrCat(dir, "/", agent::kAgentReportName));
  r.agent = agent_text.ok() ? nlohmann::json::parse(*agent_text, nullptr, false)
                            : nlohmann::json();
  if (r.agent.is_discarded()) r.agent = nullptr;
  absl::StatusOr<std::vector<TimelineLine>> timeline = ReadTimeline(dir);
  r.snapshots = timeline.value_or(std::vector<TimelineLine>());
  r.build_ids = ModuleBuildIds(dir, r.snapshots, LocalBuildIds);
  int dumped = 0;
  for (const TimelineLine& e : r.snapshots) {
    if (e.dumped && Exists(dir + "/" + e.file)) ++dumped;
  }
  int code = DecideRunOutcome(r, dumped, timeline.status());
  unlink(FinalRequestPath(dir).c_str());
  if (absl::Status s = WriteManifest(r); !s.ok()) {
    Say(absl::StrCat(s.message(), "; ", r.message));
    return kExitTrouble;
  }
  Say(r.message);
  if (code == kExitOk && g_analyzer) return g_analyzer(dir);
  return code;
}

}  // namespace

void AddRunCommand(CLI::App& jleak, int* exit_code) {
  auto settings = std::make_shared<LaunchSettings>();
  auto replay = std::make_shared<std::string>();
  auto no_gc = std::make_shared<bool>(false);
  auto no_java_stacks = std::make_shared<bool>(false);
  auto no_analyze = std::make_shared<bool>(false);
  auto no_workload_log = std::make_shared<bool>(false);
  auto analyze = std::make_shared<AnalyzeFlags>();
  CLI::App* run = jleak.add_subcommand(
      "run",
      "Run a JVM (or any program) under the profiling jemalloc, with a "
      "heap snapshot after a forced GC every --interval seconds.\n"
      "  jleak run [options] -- <command> [args...]\n"
      "  jleak run --replay DIR [--out NEW_DIR]\n"
      "At the end the run directory is analyzed (as `jleak analyze DIR`; "
      "reports in DIR/report.html and DIR/report.json).\n"
      "Exit: 0 clean, 1 leak, 2 inconclusive or could not run or collect "
      "(with --no-analyze: 0 data collected).");
  run->add_option("--out", settings->out_dir,
                  "Run directory, created mode 0700 (default: "
                  "./jleak-run-YYYYmmdd-HHMMSS); must not exist or be empty");
  CLI::Option* interval =
      run->add_option("--interval", settings->interval_s,
                      "Seconds between snapshots (default: --duration / 30, "
                      "within 2-10 s, so a 60 s run takes 31; 10 without "
                      "--duration)")
          ->check(CLI::Range(0.05, 86400.0));
  run->add_option("--sample-bytes", settings->sample_bytes,
                  "Mean bytes between sampled allocations, rounded to a "
                  "power of two (lg_prof_sample); 524288 costs ~11% over "
                  "plain jemalloc on an allocation-bound workload")
      ->default_val(kDefaultSampleBytes)
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
  run->add_option("--duration", settings->duration_s,
                  "Stop the workload after S seconds: final snapshot, "
                  "SIGTERM, SIGKILL after --grace (0: run until it exits)")
      ->check(CLI::NonNegativeNumber);
  run->add_option("--timeout", settings->timeout_s,
                  "Give up on a workload still running after S seconds "
                  "(exit 2; what was collected is kept)")
      ->check(CLI::NonNegativeNumber);
  run->add_option("--grace", settings->grace_s,
                  "Seconds between SIGTERM and SIGKILL")
      ->default_val(10.0)
      ->check(CLI::NonNegativeNumber);
  run->add_option("--mode", settings->mode,
                  "auto: JVM agent if the command is `java`, else native "
                  "(LD_PRELOAD agent); jvm: JVM agent via JDK_JAVA_OPTIONS "
                  "for scripts that start java")
      ->default_val("auto")
      ->check(CLI::IsMember({"auto", "jvm", "native"}));
  run->add_option("--engine", settings->engine,
                  "jemalloc: the profiling jemalloc preloaded (exact "
                  "allocated bytes); sampling (JVMs): the JVM keeps its own "
                  "malloc (glibc's) and the agent samples it from start-up, "
                  "as `jleak attach` does on a plain JVM")
      ->default_val("jemalloc")
      ->check(CLI::IsMember({"jemalloc", "sampling"}));
  run->add_flag("--no-gc", *no_gc,
                "Do not force a GC before snapshots (for comparison only: "
                "memory waiting for the GC then looks like a leak)");
  run->add_flag(
      "--no-workload-log", *no_workload_log,
      "Do not copy the workload's stdout and stderr into DIR/workload.log "
      "(they then reach the terminal directly, as a TTY)");
  run->add_flag(
      "--nmt", settings->nmt,
      "Also run the JVM with -XX:NativeMemoryTracking=summary and record "
      "its committed bytes per category at each snapshot: growth "
      "outside malloc is then named (Thread, Class, Code, ...)");
  run->add_flag("--no-java-stacks", *no_java_stacks,
                "Do not record the Java frames of sampled allocations (the "
                "agent's AsyncGetCallTrace walk): sites keep only native and "
                "JIT-compiled frames, as jemalloc alone sees them");
  run->add_option("--jemalloc", settings->jemalloc_path,
                  "Profiling libjemalloc.so.2 (default: the one built with "
                  "jleak, next to the binary)");
  run->add_option("--agent", settings->agent_path,
                  "libjleak_agent.so (default: next to the binary)");
  run->add_option("--replay", *replay,
                  "Re-run the command of a previous run directory with its "
                  "settings");
  run->add_flag("--no-analyze", *no_analyze,
                "Only collect: do not analyze the run directory at the end");
  AddAnalyzeFlags(run, analyze.get());
  run->add_option("command", settings->command,
                  "The workload and its arguments, after --");
  run->callback([settings, replay, no_gc, no_java_stacks, no_analyze,
                 no_workload_log, analyze, exit_code, interval] {
    if (*no_analyze) {
      g_analyzer = nullptr;
    } else {
      g_analyzer = [analyze](const std::string& dir) {
        AnalyzeFlags flags = *analyze;
        if (flags.json.empty()) flags.json = dir + "/report.json";
        if (flags.html.empty()) flags.html = dir + "/report.html";
        return AnalyzeAndReport({dir}, flags, std::cout);
      };
    }
    LaunchSettings s = *settings;
    s.force_gc = !*no_gc;
    s.java_stacks = !*no_java_stacks;
    s.keep_output = !*no_workload_log;
    if (interval->count() == 0) {
      s.interval_s = DefaultIntervalSeconds(s.duration_s);
    }
    if (!replay->empty()) {
      absl::StatusOr<std::string> text =
          ReadFileToString(*replay + "/manifest.json");
      if (!text.ok()) {
        Say(absl::StrCat("--replay: ", text.status().message()));
        *exit_code = kExitTrouble;
        return;
      }
      absl::StatusOr<LaunchSettings> old = SettingsFromManifest(*text);
      if (!old.ok()) {
        Say(absl::StrCat("--replay ", *replay, ": ", old.status().message()));
        *exit_code = kExitTrouble;
        return;
      }
      std::string out = s.out_dir;
      s = *old;
      s.out_dir = out;  // a new directory: never overwrite the old run
      for (std::string* p : {&s.jemalloc_path, &s.agent_path}) {
        if (!Exists(*p)) p->clear();  // rebuilt elsewhere: use defaults
      }
    } else if (s.command.empty()) {
      Say("no command given; usage: jleak run [options] -- <command> "
          "[args...]");
      *exit_code = kExitTrouble;
      return;
    }
    *exit_code = RunWorkload(s);
  });
}

}  // namespace jleak
