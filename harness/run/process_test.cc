// File: process_test.cc
//
// Tests of workload supervision with /bin/sh workloads: exit codes,
// signals, --duration, --timeout with a SIGTERM-proof workload, bad paths,
// and that nothing the workload started survives.

#include "harness/run/process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace jleak {
namespace {

std::vector<std::string> Env() { return {"PATH=/usr/bin:/bin"}; }

SuperviseResult RunScript(const std::string& script, SuperviseOptions o = {}) {
  absl::StatusOr<Child> c = Child::Spawn({"sh", "-c", script}, Env());
  EXPECT_TRUE(c.ok()) << c.status();
  return Supervise(*c, o);
}

bool Alive(pid_t pid) { return kill(pid, 0) == 0 || errno != ESRCH; }

pid_t ReadPid(const std::string& path) {
  std::ifstream in(path);
  pid_t pid = 0;
  in >> pid;
  return pid;
}

TEST(Supervise, ExitCode) {
  SuperviseResult r = RunScript("exit 3");
  EXPECT_TRUE(r.exit.exited);
  EXPECT_EQ(r.exit.code, 3);
  EXPECT_EQ(r.ended_by, "exit");
  EXPECT_EQ(DescribeExit(r.exit), "exit 3");
}

TEST(Supervise, CrashSignal) {
  SuperviseResult r = RunScript("kill -SEGV $$");
  EXPECT_FALSE(r.exit.exited);
  EXPECT_EQ(r.exit.signal, SIGSEGV);
  EXPECT_EQ(SignalName(SIGSEGV), "SIGSEGV");
}

TEST(Supervise, DurationStopsGracefully) {
  SuperviseOptions o;
  o.duration_s = 0.3;
  bool asked = false;
  o.before_stop = [&](double) { asked = true; };
  SuperviseResult r = RunScript("sleep 30", o);
  EXPECT_EQ(r.ended_by, "duration");
  EXPECT_TRUE(asked);
  EXPECT_EQ(r.exit.signal, SIGTERM);
  EXPECT_FALSE(r.sent_sigkill);
  EXPECT_LT(r.elapsed_s, 5);
}

TEST(Supervise, TimeoutKillsWorkloadThatIgnoresSigterm) {
  SuperviseOptions o;
  o.timeout_s = 0.3;
  o.grace_s = 0.3;
  SuperviseResult r = RunScript("trap '' TERM; while :; do sleep 0.1; done", o);
  EXPECT_EQ(r.ended_by, "timeout");
  EXPECT_TRUE(r.sent_sigkill);
  EXPECT_EQ(r.exit.signal, SIGKILL);
  EXPECT_LT(r.elapsed_s, 5);
}

TEST(Supervise, ForwardsSigintUnlessStartedWithItIgnored) {
  // Sent while the workload runs (from a thread: Supervise is waiting).
  auto run_with_sigint = [] {
    std::thread sender([] {
      // Blocked here, so that the signal goes to Supervise's sigtimedwait.
      sigset_t set;
      sigemptyset(&set);
      sigaddset(&set, SIGINT);
      pthread_sigmask(SIG_BLOCK, &set, nullptr);
      usleep(300 * 1000);
      kill(getpid(), SIGINT);
    });
    SuperviseResult r = RunScript("sleep 1.5");
    sender.join();
    return r;
  };
  SuperviseResult r = run_with_sigint();
  EXPECT_EQ(r.ended_by, "signal SIGINT");
  EXPECT_EQ(r.exit.signal, SIGINT);
  // As a script's background job: SIGINT ignored, by jleak and the workload.
  struct sigaction ignore = {}, old = {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGINT, &ignore, &old);
  r = run_with_sigint();
  sigaction(SIGINT, &old, nullptr);
  EXPECT_EQ(r.ended_by, "exit");
  EXPECT_TRUE(r.exit.exited);
  EXPECT_FALSE(r.sent_sigkill);
}

TEST(Supervise, NoOrphans) {
  const std::string dir = getenv("TEST_TMPDIR");
  // One grandchild stays in the group, one escapes it with setsid; the
  // workload itself exits at once.
  SuperviseResult r = RunScript("sleep 60 & echo $! >" + dir +
                                "/in_group; setsid sleep 60 & echo $! >" + dir +
                                "/escaped; sleep 0.2; exit 0");
  EXPECT_EQ(r.exit.code, 0);
  pid_t in_group = ReadPid(dir + "/in_group");
  pid_t escaped = ReadPid(dir + "/escaped");
  ASSERT_GT(in_group, 0);
  ASSERT_GT(escaped, 0);
  // SIGKILL is asynchronous and this process, the subreaper, reaps the
  // adopted zombies: allow up to 5 s on a loaded machine.
  for (int i = 0; i < 50 && (Alive(in_group) || Alive(escaped)); ++i) {
    while (waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    usleep(100 * 1000);
  }
  EXPECT_FALSE(Alive(in_group));
  EXPECT_FALSE(Alive(escaped));
}

TEST(Spawn, BadPaths) {
  absl::StatusOr<Child> missing = Child::Spawn({"/nonexistent/java"}, Env());
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/java"),
            std::string::npos);
  absl::StatusOr<Child> not_in_path =
      Child::Spawn({"no-such-program-jleak"}, Env());
  EXPECT_FALSE(not_in_path.ok());
  // Exists but is not executable as a program.
  absl::StatusOr<Child> not_exec = Child::Spawn({"/etc/passwd"}, Env());
  EXPECT_FALSE(not_exec.ok());
}

TEST(Spawn, PathSearchUsesChildEnvironment) {
  absl::StatusOr<Child> c = Child::Spawn({"true"}, Env());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(Supervise(*c, {}).exit.code, 0);
}

}  // namespace
}  // namespace jleak
