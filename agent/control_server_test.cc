// File: control_server_test.cc
//
// Tests of the standby agent's control server with a fake JVM, a fake
// capture engine and virtual time: a session runs from request to final
// snapshot with sampling on only meanwhile, and ends when its jleak goes
// away; `jleak snapshot` leaves sampling on until `--stop`; requests it
// will not serve are refused in agent.json; malformed requests and
// requests in a directory others could have planted them in are not
// obeyed.

#include "agent/control_server.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "agent/agent_state.h"
#include "agent/control_protocol.h"
#include "agent/jvm_hooks.h"
#include "agent/snapshotter.h"
#include "agent/test_fakes.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace jleak::agent {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr int64_t kSecond = 1000000000;

// FakeJvm records the control server's calls: "jit on <dir>", "jit off",
// "frames <n>" after a snapshotter's n-th written snapshot.
class FakeJvm : public JvmHooks {
 public:
  VmProbe* Probe() override { return &probe; }
  void AfterSnapshot(Snapshotter& snap) override {
    calls.push_back("frames " + std::to_string(snap.snapshots_written()));
  }
  void SetJitEvents(bool on, const std::string& dir) override {
    calls.push_back(on ? "jit on " + dir : "jit off");
  }

  FakeVmProbe probe;
  std::vector<std::string> calls;
};

class ControlServerTest : public ::testing::Test {
 protected:
  ControlServerTest() {
    // Under /tmp, not TEST_TMPDIR: a control directory has at most
    // kMaxControlDirLength bytes. mkdtemp makes it 0700, as jleak does.
    char dir[] = "/tmp/jleak-cst-XXXXXX";
    EXPECT_NE(mkdtemp(dir), nullptr);
    control_ = dir;
    auto je = std::make_unique<FakeEngine>();
    je_ = je.get();
    s_.engine = std::move(je);
    s_.mode = "jvm";
    s_.options.standby = true;
    s_.control_dir = control_;
    s_.clock = &clock_;
    clock_.stop = &s_.stop;
    jvm_.probe.clock = &clock_;
  }

  ~ControlServerTest() override {
    if (lock_fd_ >= 0) close(lock_fd_);
    std::filesystem::remove_all(control_);
  }

  // HoldLock: what the driving jleak holds while it drives the agent.
  void HoldLock() {
    lock_fd_ = open((control_ + "/" + kControlLockName).c_str(),
                    O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    ASSERT_GE(lock_fd_, 0);
    ASSERT_EQ(flock(lock_fd_, LOCK_EX | LOCK_NB), 0);
  }
  void DropLock() {
    close(lock_fd_);
    lock_fd_ = -1;
  }

  // Ask writes a request as jleak does, its output directory made; returns
  // that directory.
  std::string Ask(ControlAction action, const std::string& id,
                  int lg_sample = 19) {
    ControlRequest r;
    r.id = id;
    r.action = action;
    r.out_dir = control_ + "/s-" + id;
    r.interval_seconds = 1;
    r.lg_sample = lg_sample;
    mkdir(r.out_dir.c_str(), 0700);
    Plant(FormatControlRequest(r));
    return r.out_dir;
  }
  void Plant(const std::string& text) {
    std::ofstream(control_ + "/" + kControlRequestName) << text;
  }
  bool RequestPending() const {
    struct stat st;
    return stat((control_ + "/" + kControlRequestName).c_str(), &st) == 0;
  }

  // ExpectNotObeyed: the pending request, whose output directory is
  // `out`, is neither served nor even taken.
  void ExpectNotObeyed(const std::string& out) {
    EXPECT_FALSE(ServeNextRequest(s_, jvm_));
    EXPECT_TRUE(RequestPending());
    EXPECT_THAT(je_->calls, IsEmpty());
    EXPECT_THAT(jvm_.calls, IsEmpty());
    EXPECT_TRUE(ReadAgentJson(out).is_null());
  }

  // ExpectRefused: the request of `out` was answered with a refusal that
  // says `why`, and no snapshot was taken.
  static void ExpectRefused(const std::string& out, const std::string& why) {
    nlohmann::json report = ReadAgentJson(out);
    ASSERT_FALSE(report.is_null());
    EXPECT_EQ(report["status"], "refused");
    EXPECT_EQ(report["finished"], true);
    EXPECT_THAT(report["reason"].get<std::string>(), HasSubstr(why));
    EXPECT_THAT(TimelineKinds(out), IsEmpty());
  }

  std::string control_;
  int lock_fd_ = -1;
  FakeLoopClock clock_;
  FakeEngine* je_;
  FakeJvm jvm_;
  AgentState s_;
};

TEST_F(ControlServerTest, ServesASessionToItsEnd) {
  HoldLock();
  const std::string out = Ask(ControlAction::kSession, "a1", /*lg_sample=*/17);
  clock_.on_wait = [&](int64_t now) {
    if (now >= 2 * kSecond + kSecond / 2) Touch(out + "/" + kFinalRequestName);
  };
  ASSERT_TRUE(ServeNextRequest(s_, jvm_));

  EXPECT_FALSE(RequestPending());  // taken
  // Sampling on from an empty profile, off again at the end.
  EXPECT_THAT(je_->calls,
              ElementsAre("reset 17", "active on", "dump snapshot-0.heap",
                          "dump snapshot-1.heap", "dump snapshot-2.heap",
                          "dump snapshot-3.heap", "active off"));
  EXPECT_FALSE(je_->active);
  EXPECT_THAT(jvm_.calls, ElementsAre("jit on " + out, "frames 1", "frames 2",
                                      "frames 3", "frames 4", "jit off"));
  EXPECT_THAT(jvm_.probe.times_ns, ElementsAre(0, 1 * kSecond, 2 * kSecond,
                                               2 * kSecond + kSecond * 6 / 10));
  EXPECT_THAT(TimelineKinds(out),
              ElementsAre("baseline", "interval", "interval", "final"));
  EXPECT_FALSE(s_.session_active);

  nlohmann::json report = ReadAgentJson(out);
  ASSERT_FALSE(report.is_null());
  EXPECT_EQ(report["status"], "ok");
  EXPECT_EQ(report["finished"], true);
  EXPECT_EQ(report["snapshots_written"], 4);
  EXPECT_EQ(report["standby"]["request"]["id"], "a1");
  EXPECT_EQ(report["standby"]["request"]["action"], "session");
  EXPECT_EQ(report["standby"]["sampling"], false);
}

// kill -9 of the jleak that attached: its flock goes with it, and the
// session ends with sampling off and no final snapshot.
TEST_F(ControlServerTest, EndsASessionWhoseJleakWentAway) {
  HoldLock();
  const std::string out = Ask(ControlAction::kSession, "a2");
  clock_.on_wait = [&](int64_t now) {
    if (now >= kSecond + kSecond / 2 && lock_fd_ >= 0) DropLock();
  };
  ASSERT_TRUE(ServeNextRequest(s_, jvm_));
  EXPECT_EQ(je_->calls.back(), "active off");
  EXPECT_EQ(jvm_.calls.back(), "jit off");
  EXPECT_THAT(TimelineKinds(out), ElementsAre("baseline", "interval"));
  nlohmann::json report = ReadAgentJson(out);
  ASSERT_FALSE(report.is_null());
  EXPECT_EQ(report["finished"], true);
  EXPECT_EQ(report["standby"]["sampling"], false);
}

TEST_F(ControlServerTest, ASnapshotLeavesSamplingOnUntilStop) {
  const std::string first = Ask(ControlAction::kSnapshot, "b1");
  ASSERT_TRUE(ServeNextRequest(s_, jvm_));
  EXPECT_THAT(je_->calls,
              ElementsAre("reset 19", "active on", "dump snapshot-0.heap"));
  EXPECT_TRUE(je_->active);
  EXPECT_TRUE(s_.collecting);
  EXPECT_THAT(TimelineKinds(first), ElementsAre("baseline"));
  nlohmann::json report = ReadAgentJson(first);
  ASSERT_FALSE(report.is_null());
  EXPECT_EQ(report["standby"]["collecting"], true);
  EXPECT_EQ(report["standby"]["sampling"], true);

  // A second snapshot of the same collection does not reset the profile.
  const std::string second = Ask(ControlAction::kSnapshot, "b2");
  ASSERT_TRUE(ServeNextRequest(s_, jvm_));
  EXPECT_THAT(TimelineKinds(second), ElementsAre("interval"));
  EXPECT_THAT(je_->calls,
              ElementsAre("reset 19", "active on", "dump snapshot-0.heap",
                          "dump snapshot-0.heap"));

  je_->calls.clear();
  const std::string last = Ask(ControlAction::kStop, "b3");
  ASSERT_TRUE(ServeNextRequest(s_, jvm_));
  EXPECT_THAT(je_->calls, ElementsAre("dump snapshot-0.heap", "active off"));
  EXPECT_FALSE(s_.collecting);
  EXPECT_THAT(TimelineKinds(last), ElementsAre("final"));
  report = ReadAgentJson(last);
  ASSERT_FALSE(report.is_null());
  EXPECT_EQ(report["status"], "ok");
  EXPECT_EQ(report["standby"]["collecting"], false);
  EXPECT_EQ(report["standby"]["sampling"], false);
}

TEST_F(ControlServerTest, RefusesAStopWithoutACollection) {
  const std::string out = Ask(ControlAction::kStop, "c1");
  ASSERT_TRUE(ServeNextRequest(s_, jvm_));
  ExpectRefused(out, "no collection to stop");
  EXPECT_THAT(je_->calls, IsEmpty());
}

TEST_F(ControlServerTest, RefusesASessionDuringACollection) {
  Ask(ControlAction::kSnapshot, "d1");
  ASSERT_TRUE(ServeNextRequest(s_, jvm_));
  HoldLock();
  const std::string out = Ask(ControlAction::kSession, "d2");
  ASSERT_TRUE(ServeNextRequest(s_, jvm_));
  ExpectRefused(out, "jleak snapshot --stop");
  EXPECT_TRUE(je_->active);  // the collection goes on
}

TEST_F(ControlServerTest, SamplingThatCannotStartIsRefusedAndLeftOff) {
  je_->reset_error = "prof.reset: EFAULT";
  HoldLock();
  const std::string out = Ask(ControlAction::kSession, "e1");
  ASSERT_TRUE(ServeNextRequest(s_, jvm_));
  EXPECT_THAT(je_->calls, ElementsAre("reset 19", "active off"));
  ExpectRefused(out, "cannot start sampling: prof.reset: EFAULT");
  EXPECT_THAT(jvm_.calls, IsEmpty());
}

TEST_F(ControlServerTest, IgnoresAndRemovesAMalformedRequest) {
  for (const std::string& text :
       {std::string("id=f1\naction=dance\nout=/tmp/x\n"),
        std::string("id=f2\naction=session\nout=relative/dir\n"),
        std::string("action=session\nout=/tmp/x\n"), std::string("")}) {
    Plant(text);
    EXPECT_FALSE(ServeNextRequest(s_, jvm_)) << text;
    EXPECT_FALSE(RequestPending()) << text;
  }
  EXPECT_THAT(je_->calls, IsEmpty());
  EXPECT_THAT(jvm_.calls, IsEmpty());
}

// A control directory others may write to could hold a request planted by
// another user, naming where the agent writes: not obeyed, not even read.
TEST_F(ControlServerTest, IgnoresARequestInADirectoryOthersMayWrite) {
  const std::string out = Ask(ControlAction::kSnapshot, "g1");
  ASSERT_EQ(chmod(control_.c_str(), 0777), 0);
  ExpectNotObeyed(out);
}

TEST_F(ControlServerTest, IgnoresAControlDirectoryThatIsASymlink) {
  const std::string out = Ask(ControlAction::kSnapshot, "h1");
  const std::string link = control_ + "-link";
  ASSERT_EQ(symlink(control_.c_str(), link.c_str()), 0);
  s_.control_dir = link;
  ExpectNotObeyed(out);
  unlink(link.c_str());
}

TEST_F(ControlServerTest, NoRequestNothingDone) {
  EXPECT_FALSE(ServeNextRequest(s_, jvm_));
  EXPECT_THAT(je_->calls, IsEmpty());
}

TEST_F(ControlServerTest, ControlLoopServesRequestsUntilTheAgentStops) {
  const std::string out = Ask(ControlAction::kSnapshot, "i1");
  clock_.on_wait = [&](int64_t now) {
    if (now >= 2 * kSecond) s_.stop = true;  // mu is held
  };
  ControlLoop(s_, jvm_);
  EXPECT_FALSE(RequestPending());
  EXPECT_THAT(TimelineKinds(out), ElementsAre("baseline"));
  // Served at the first poll, not at once.
  EXPECT_THAT(jvm_.probe.times_ns,
              ElementsAre(int64_t{kStandbyPollMs} * 1000000));
}

}  // namespace
}  // namespace jleak::agent
