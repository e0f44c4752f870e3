// File: target_broker_test.cc
//
// The broker's helper as a real process: it acts as the target's user
// (files it makes belong to a target running as nobody, and a root-owned
// victim is out of its reach even through a planted link), every call
// returns when the helper is killed or stopped, and none outlives its
// broker.

#include "harness/run/target_broker.h"

#include <grp.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "harness/io/file_io.h"

namespace jleak {
namespace {

// A process of uid/gid 65534 that waits to be killed.
pid_t StartNobody() {
  const pid_t pid = fork();
  if (pid == 0) {
    if (setgroups(0, nullptr) != 0 || setresgid(65534, 65534, 65534) != 0 ||
        setresuid(65534, 65534, 65534) != 0) {
      _exit(3);
    }
    for (;;) pause();
  }
  return pid;
}

class TargetBrokerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root";
    // A directory every user can reach, as /tmp is.
    char tmpl[] = "/tmp/jleak-broker-test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ASSERT_EQ(chmod(dir_.c_str(), 01777), 0);
    victim_ = dir_ + "/victim";
    ASSERT_TRUE(WriteFileAtomically(victim_, "precious\n").ok());
    ASSERT_EQ(chmod(victim_.c_str(), 0644), 0);
    pid_ = StartNobody();
    absl::SleepFor(absl::Milliseconds(100));
    absl::StatusOr<TargetProcess> t = InspectTarget(pid_);
    ASSERT_TRUE(t.ok()) << t.status();
    ASSERT_EQ(t->uid, 65534u);
    target_ = *t;
  }
  void TearDown() override {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (!dir_.empty()) {
      (void)!system(absl::StrCat("rm -rf '", dir_, "'").c_str());
    }
  }

  std::string dir_, victim_;
  pid_t pid_ = -1;
  TargetProcess target_;
};

TEST_F(TargetBrokerTest, ActsAsTheTargetsUser) {
  absl::StatusOr<std::unique_ptr<TargetBroker>> b =
      TargetBroker::Start(target_);
  ASSERT_TRUE(b.ok()) << b.status();
  const std::string ctl = dir_ + "/jleak-1";
  ASSERT_TRUE((*b)->OpenControlDir(ctl).ok());
  ASSERT_TRUE((*b)->Lock().ok());
  ASSERT_TRUE((*b)->WriteFile("request", "id=1\n", 0600).ok());
  struct stat st;
  ASSERT_EQ(stat((ctl + "/request").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 65534u);
  EXPECT_EQ(st.st_gid, 65534u);
  ASSERT_EQ(stat(ctl.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 65534u);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  absl::StatusOr<std::string> back = (*b)->ReadFile("request", 100);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, "id=1\n");
}

TEST_F(TargetBrokerTest, RootsFilesAreOutOfReach) {
  absl::StatusOr<std::unique_ptr<TargetBroker>> b =
      TargetBroker::Start(target_);
  ASSERT_TRUE(b.ok()) << b.status();
  // The control directory is the root-owned one: refused (not the
  // target's), and the helper could not write in it anyway.
  absl::Status st = (*b)->OpenControlDir(dir_);
  EXPECT_FALSE(st.ok());
  // Build-ids of a file the target's user cannot read: none.
  ASSERT_EQ(chmod(victim_.c_str(), 0600), 0);
  EXPECT_TRUE((*b)->BuildIds({victim_}).empty());
  absl::StatusOr<std::string> text = ReadFileToString(victim_);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "precious\n");
}

TEST_F(TargetBrokerTest, CallsReturnWhenTheHelperIsStoppedOrKilled) {
  absl::StatusOr<std::unique_ptr<TargetBroker>> b =
      TargetBroker::Start(target_);
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_TRUE((*b)->OpenControlDir(dir_ + "/jleak-2").ok());
  // The target's user may kill the helper: jleak gets an error, no hang.
  // (Its pid is the newest child of this process other than the target.)
  FILE* f =
      popen(absl::StrCat("pgrep -P ", getpid(), " -u 65534 -n").c_str(), "r");
  int helper = 0;
  ASSERT_EQ(fscanf(f, "%d", &helper), 1);
  pclose(f);
  ASSERT_NE(helper, pid_);
  kill(helper, SIGKILL);
  absl::Status st = (*b)->WriteFile("request", "x", 0600);
  EXPECT_FALSE(st.ok());
  EXPECT_FALSE((*b)->Lock().ok());
}

TEST_F(TargetBrokerTest, RefusesAProcessThatIsGone) {
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
  absl::StatusOr<std::unique_ptr<TargetBroker>> b =
      TargetBroker::Start(target_);
  EXPECT_FALSE(b.ok());
}

}  // namespace
}  // namespace jleak
