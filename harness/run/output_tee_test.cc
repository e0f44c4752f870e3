#include "harness/run/output_tee.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/io/file_io.h"
#include "harness/run/process.h"

namespace jleak {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/" + name;
}

// The file's contents, or "" when it cannot be read.
std::string Slurp(const std::string& path) {
  return ReadFileToString(path).value_or(std::string());
}

// Files standing in for jleak's terminal.
struct Terminal {
  explicit Terminal(const std::string& name)
      : out_path(TempPath(name + ".out")), err_path(TempPath(name + ".err")) {
    out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  }
  ~Terminal() {
    close(out);
    close(err);
  }
  std::string out_path, err_path;
  int out = -1, err = -1;
};

absl::Status RunShell(OutputTee& tee, const std::string& script) {
  absl::StatusOr<Child> child =
      Child::Spawn({"/bin/sh", "-c", script}, {"PATH=/usr/bin:/bin"},
                   {tee.child_stdout(), tee.child_stderr()});
  if (!child.ok()) return child.status();
  tee.CloseChildEnds();
  SuperviseResult r = Supervise(*child, {});
  EXPECT_TRUE(r.exit.exited);
  return tee.Finish(5);
}

TEST(OutputTeeTest, WorkloadOutputReachesTheTerminalAndTheLog) {
  Terminal term("both");
  const std::string log = TempPath("both.log");
  absl::StatusOr<std::unique_ptr<OutputTee>> tee =
      OutputTee::Start(log, 1 << 20, term.out, term.err);
  ASSERT_TRUE(tee.ok()) << tee.status();
  ASSERT_TRUE(RunShell(**tee, "echo to-out; echo to-err >&2").ok());
  EXPECT_EQ(Slurp(term.out_path), "to-out\n");
  EXPECT_EQ(Slurp(term.err_path), "to-err\n");
  const std::string logged = Slurp(log);
  EXPECT_THAT(logged, HasSubstr("to-out\n"));
  EXPECT_THAT(logged, HasSubstr("to-err\n"));
  EXPECT_EQ((*tee)->logged_bytes(), 14);
  EXPECT_FALSE((*tee)->truncated());
}

TEST(OutputTeeTest, LogStopsAtItsLimitTerminalGetsEverything) {
  Terminal term("limit");
  const std::string log = TempPath("limit.log");
  auto tee = OutputTee::Start(log, 10, term.out, term.err);
  ASSERT_TRUE(tee.ok());
  ASSERT_TRUE(RunShell(**tee, "printf '0123456789abcdefghij'").ok());
  EXPECT_EQ(Slurp(term.out_path), "0123456789abcdefghij");
  EXPECT_THAT(Slurp(log),
              StartsWith("0123456789\n[jleak: workload.log stops here, at its "
                         "limit of 10 bytes"));
  EXPECT_TRUE((*tee)->truncated());
}

TEST(OutputTeeTest, FullDiskStopsTheLogNotTheOutput) {
  Terminal term("full");
  auto tee = OutputTee::Start("/dev/full", 1 << 20, term.out, term.err);
  ASSERT_TRUE(tee.ok());
  absl::Status s = RunShell(**tee, "echo still-shown");
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("/dev/full: No space left on device"));
  EXPECT_EQ(Slurp(term.out_path), "still-shown\n");
}

TEST(OutputTeeTest, PipeHeldOpenElsewhereDoesNotHangFinish) {
  // A leftover process keeping the pipe open: Finish drains what was
  // written and returns after its deadline.
  Terminal term("held");
  const std::string log = TempPath("held.log");
  auto tee = OutputTee::Start(log, 1 << 20, term.out, term.err);
  ASSERT_TRUE(tee.ok());
  const int held = dup((*tee)->child_stdout());
  (*tee)->CloseChildEnds();
  ASSERT_EQ(write(held, "late\n", 5), 5);
  EXPECT_TRUE((*tee)->Finish(0.2).ok());
  close(held);
  EXPECT_EQ(Slurp(log), "late\n");
  EXPECT_EQ(Slurp(term.out_path), "late\n");
}

TEST(OutputTeeTest, UnwritableLogIsAnErrorNamingIt) {
  auto tee = OutputTee::Start("/nonexistent-dir/workload.log", 1 << 20);
  ASSERT_FALSE(tee.ok());
  EXPECT_THAT(std::string(tee.status().message()),
              HasSubstr("cannot create /nonexistent-dir/workload.log: No "
                        "such file or directory"));
}

// SigBlk of every thread of this process but the calling one.
std::vector<uint64_t> OtherThreadsBlockedSignals() {
  std::vector<uint64_t> masks;
  const std::string self = std::to_string(gettid());
  DIR* tasks = opendir("/proc/self/task");
  while (dirent* e = tasks ? readdir(tasks) : nullptr) {
    const std::string tid = e->d_name;
    if (tid == "." || tid == ".." || tid == self) continue;
    std::istringstream status(Slurp("/proc/self/task/" + tid + "/status"));
    for (std::string line; std::getline(status, line);) {
      if (line.rfind("SigBlk:", 0) == 0) {
        masks.push_back(std::stoull(line.substr(7), nullptr, 16));
      }
    }
  }
  if (tasks) closedir(tasks);
  return masks;
}

TEST(OutputTeeTest, PumpThreadNeverTakesTheSupervisorsSignals) {
  // A process-directed SIGINT or SIGTERM goes to any thread that does not
  // block it; if the pump thread were one, Ctrl-C would kill jleak.
  // Start from a caller that blocks none of them (whatever the test
  // runner's mask), as jleak's main thread does before it spawns.
  sigset_t supervised, old;
  sigemptyset(&supervised);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGCHLD, SIGPIPE}) {
    sigaddset(&supervised, sig);
  }
  pthread_sigmask(SIG_UNBLOCK, &supervised, &old);
  Terminal term("mask");
  auto tee =
      OutputTee::Start(TempPath("mask.log"), 1 << 20, term.out, term.err);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  ASSERT_TRUE(tee.ok());
  // A new thread runs with everything blocked until it starts: wait until
  // the pump has copied something, so that its own mask is the one read.
  ASSERT_EQ(write((*tee)->child_stdout(), "x", 1), 1);
  for (int i = 0; i < 500 && Slurp(term.out_path).empty(); ++i) {
    usleep(10 * 1000);
  }
  ASSERT_EQ(Slurp(term.out_path), "x");
  const std::vector<uint64_t> masks = OtherThreadsBlockedSignals();
  ASSERT_EQ(masks.size(), 1u);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGCHLD, SIGPIPE}) {
    EXPECT_TRUE(masks[0] & (uint64_t{1} << (sig - 1))) << "signal " << sig;
  }
  ASSERT_TRUE((*tee)->Finish(0).ok());
}

TEST(OutputTeeTest, ClosedTerminalDoesNotKillJleak) {
  // jleak's stdout piped into a reader that went away: EPIPE, no SIGPIPE.
  int dead[2];
  ASSERT_EQ(pipe(dead), 0);
  close(dead[0]);
  const std::string log = TempPath("epipe.log");
  auto tee = OutputTee::Start(log, 1 << 20, dead[1], dead[1]);
  ASSERT_TRUE(tee.ok());
  ASSERT_TRUE(RunShell(**tee, "echo into-the-void").ok());
  close(dead[1]);
  EXPECT_EQ(Slurp(log), "into-the-void\n");
}

}  // namespace
}  // namespace jleak
