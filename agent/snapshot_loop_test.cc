// File: snapshot_loop_test.cc
//
// Tests of the snapshot loop in virtual time (FakeLoopClock): snapshots at
// the interval, in order, until final.request appears; a stop ends it
// without a final snapshot; a failed dump stays on record and the loop
// goes on; agent.json says how it ended.

#include "agent/snapshot_loop.h"

#include <cstdint>
#include <string>
#include <vector>

#include "agent/agent_state.h"
#include "agent/control_protocol.h"
#include "agent/snapshotter.h"
#include "agent/test_fakes.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace jleak::agent {
namespace {

using ::testing::ElementsAre;

constexpr int64_t kSecond = 1000000000;

class SnapshotLoopTest : public ::testing::Test {
 protected:
  SnapshotLoopTest() {
    s_.mode = "native";
    s_.clock = &clock_;
    clock_.stop = &s_.stop;
    s_.options.out_dir = FreshTestDir(
        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    s_.options.interval_seconds = 1;
    vm_.clock = &clock_;
  }

  const std::string& out() const { return s_.options.out_dir; }

  // FinalRequestAt plants out/final.request once virtual time reaches
  // `at_ns`, as the launcher does to stop a run.
  void FinalRequestAt(int64_t at_ns) {
    clock_.on_wait = [this, at_ns](int64_t now) {
      if (now >= at_ns) Touch(out() + "/" + kFinalRequestName);
    };
  }

  FakeLoopClock clock_;
  FakeEngine je_;
  FakeVmProbe vm_;
  AgentState s_;
};

TEST_F(SnapshotLoopTest, SnapshotsAtTheIntervalUntilTheFinalRequest) {
  Snapshotter snap(s_.options, &je_, nullptr);
  FinalRequestAt(3 * kSecond + kSecond / 2);
  std::vector<size_t> dumps_at_after_snapshot;
  const Wake wake = SnapshotLoop(s_, snap, &vm_, [&] {
    dumps_at_after_snapshot.push_back(je_.calls.size());
  });

  EXPECT_EQ(wake, Wake::kFinal);
  // Baseline at once, one a second, and the final one at the first look
  // for final.request after it appeared.
  ASSERT_EQ(vm_.times_ns.size(), 5u);
  EXPECT_EQ(vm_.times_ns[0], 0);
  EXPECT_EQ(vm_.times_ns[1], 1 * kSecond);
  EXPECT_EQ(vm_.times_ns[2], 2 * kSecond);
  EXPECT_EQ(vm_.times_ns[3], 3 * kSecond);
  EXPECT_GT(vm_.times_ns[4], 3 * kSecond + kSecond / 2);
  EXPECT_LE(vm_.times_ns[4],
            3 * kSecond + kSecond / 2 + int64_t{kPollMs} * 1000000);
  // after_snapshot runs once after each dump.
  EXPECT_THAT(dumps_at_after_snapshot, ElementsAre(1, 2, 3, 4, 5));

  std::vector<nlohmann::json> t = ReadTimeline(out());
  ASSERT_EQ(t.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(t[i]["seq"], i);
    EXPECT_EQ(t[i]["file"], "snapshot-" + std::to_string(i) + ".heap");
    EXPECT_EQ(t[i]["dumped"], true);
  }
  EXPECT_THAT(
      TimelineKinds(out()),
      ElementsAre("baseline", "interval", "interval", "interval", "final"));
  nlohmann::json report = ReadAgentJson(out());
  ASSERT_FALSE(report.is_null());
  EXPECT_EQ(report["status"], "ok");
  EXPECT_EQ(report["finished"], true);
  EXPECT_EQ(report["snapshots_written"], 5);
  EXPECT_FALSE(report.contains("standby"));
}

TEST_F(SnapshotLoopTest, AFinalRequestAlreadyThereEndsTheRunAtOnce) {
  Touch(out() + "/" + kFinalRequestName);
  Snapshotter snap(s_.options, &je_, nullptr);
  EXPECT_EQ(SnapshotLoop(s_, snap, &vm_), Wake::kFinal);
  EXPECT_THAT(vm_.times_ns, ElementsAre(0, 0));
  EXPECT_THAT(TimelineKinds(out()), ElementsAre("baseline", "final"));
}

TEST_F(SnapshotLoopTest, WithoutABaselineTheFirstSnapshotWaitsAnInterval) {
  s_.options.baseline = false;
  s_.options.interval_seconds = 2.5;
  Snapshotter snap(s_.options, &je_, nullptr);
  FinalRequestAt(6 * kSecond);
  EXPECT_EQ(SnapshotLoop(s_, snap, &vm_), Wake::kFinal);
  ASSERT_EQ(vm_.times_ns.size(), 3u);
  EXPECT_EQ(vm_.times_ns[0], 2 * kSecond + kSecond / 2);
  EXPECT_EQ(vm_.times_ns[1], 5 * kSecond);
  EXPECT_THAT(TimelineKinds(out()),
              ElementsAre("interval", "interval", "final"));
}

// At VM death or exit the agent sets `stop` and takes the final snapshot
// itself: the loop must leave it alone.
TEST_F(SnapshotLoopTest, AStopEndsTheLoopWithoutAFinalSnapshot) {
  Snapshotter snap(s_.options, &je_, nullptr);
  clock_.on_wait = [this](int64_t now) {
    if (now >= 2 * kSecond + kSecond / 2) s_.stop = true;  // mu is held
  };
  EXPECT_EQ(SnapshotLoop(s_, snap, &vm_), Wake::kStop);
  EXPECT_THAT(TimelineKinds(out()),
              ElementsAre("baseline", "interval", "interval"));
  EXPECT_FALSE(snap.final_taken());
  nlohmann::json report = ReadAgentJson(out());
  ASSERT_FALSE(report.is_null());
  EXPECT_EQ(report["finished"], false);
}

TEST_F(SnapshotLoopTest, FailedDumpsAreOnRecordAndTheLoopGoesOn) {
  je_.dump_error = "No space left on device";
  Snapshotter snap(s_.options, &je_, nullptr);
  FinalRequestAt(kSecond + kSecond / 2);
  EXPECT_EQ(SnapshotLoop(s_, snap, &vm_), Wake::kFinal);
  std::vector<nlohmann::json> t = ReadTimeline(out());
  ASSERT_EQ(t.size(), 3u);
  for (const nlohmann::json& r : t) {
    EXPECT_EQ(r["dumped"], false);
    EXPECT_EQ(r["error"], "No space left on device");
  }
  nlohmann::json report = ReadAgentJson(out());
  ASSERT_FALSE(report.is_null());
  EXPECT_EQ(report["snapshots_written"], 0);
  EXPECT_EQ(report["finished"], true);
}

// Without jemalloc the run is inconclusive, but the loop still records
// RSS at every snapshot and says why in agent.json.
TEST_F(SnapshotLoopTest, WithoutJemallocTheReportSaysInconclusive) {
  s_.inconclusive = "no mallctl: jemalloc is not loaded";
  Snapshotter snap(s_.options, nullptr, nullptr);
  FinalRequestAt(kSecond / 2);
  EXPECT_EQ(SnapshotLoop(s_, snap, nullptr), Wake::kFinal);
  EXPECT_THAT(TimelineKinds(out()), ElementsAre("baseline", "final"));
  nlohmann::json report = ReadAgentJson(out());
  ASSERT_FALSE(report.is_null());
  EXPECT_EQ(report["status"], "inconclusive");
  EXPECT_EQ(report["reason"], "no mallctl: jemalloc is not loaded");
}

}  // namespace
}  // namespace jleak::agent
