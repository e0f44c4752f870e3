// File: test_fakes.h
//
// Fakes for the tests of the snapshot loop, the control server and the
// snapshotter: a clock that jumps to each deadline (virtual time, so a
// test checks when snapshots are taken without sleeping or timing), a
// capture engine and a VM probe that record what they are asked, and helpers
// that read what the agent wrote.

#ifndef JLEAK_AGENT_TEST_FAKES_H_
#define JLEAK_AGENT_TEST_FAKES_H_

#include <sys/stat.h>

#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "agent/capture_engine.h"
#include "agent/loop_clock.h"
#include "agent/snapshotter.h"
#include "agent/timeline.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace jleak::agent {

// FakeLoopClock starts at 0 and moves only when waited on.
class FakeLoopClock : public LoopClock {
 public:
  int64_t NowNanos() override { return now_ns; }
  // WaitUntil jumps to the deadline at once, then runs `on_wait` with the
  // waiter's lock (AgentState::mu) held: a test changes the world there
  // (plants final.request, sets AgentState::stop). A loop still waiting
  // after an hour of virtual time, or waiting without time passing, would
  // never end: the test fails and `*stop` (AgentState::stop) ends it.
  void WaitUntil(std::unique_lock<std::mutex>&, std::condition_variable&,
                 int64_t deadline_ns) override {
    if (deadline_ns <= now_ns || now_ns > kLimitNs) {
      ADD_FAILURE() << "a loop waits forever (at " << now_ns << " ns, until "
                    << deadline_ns << " ns)";
      if (stop != nullptr) *stop = true;
      return;
    }
    now_ns = deadline_ns;
    if (on_wait) on_wait(now_ns);
  }

  static constexpr int64_t kLimitNs = int64_t{3600} * 1000000000;
  int64_t now_ns = 0;
  std::function<void(int64_t now_ns)> on_wait;
  bool* stop = nullptr;
};

// FakeEngine, a capture engine, appends what it is asked to `*log` ("dump
// snapshot-0.heap", "reset 19", "active on", "active off"); Dump writes a
// one-line profile.
class FakeEngine : public CaptureEngine {
 public:
  const char* name() const override { return "fake"; }
  absl::Status Dump(const std::string& path) override {
    log->push_back("dump " + path.substr(path.rfind('/') + 1));
    if (!dump_error.empty()) return absl::UnavailableError(dump_error);
    std::ofstream(path) << "heap_v2/524288\n";
    return absl::OkStatus();
  }
  JemallocStats AllocatorStats() override {
    JemallocStats s;
    s.allocated = allocated += 100;
    return s;
  }
  absl::Status Activate() override {
    log->push_back("active on");
    active = true;
    return absl::OkStatus();
  }
  absl::Status Deactivate() override {
    log->push_back("active off");
    active = false;
    return absl::OkStatus();
  }
  absl::Status Reset(int lg_sample) override {
    log->push_back(absl::StrCat("reset ", lg_sample));
    if (!reset_error.empty()) return absl::InternalError(reset_error);
    return absl::OkStatus();
  }
  nlohmann::ordered_json Report() override { return {{"name", "fake"}}; }

  std::vector<std::string> calls;
  std::vector<std::string>* log = &calls;
  std::string dump_error;   // not empty: Dump fails with it
  std::string reset_error;  // not empty: Reset fails with it
  bool active = false;
  int64_t allocated = 0;
};

// FakeVmProbe records the clock's time at each snapshot (when `clock` is
// set) and "gc" or "no-gc" in `*log` (when set).
class FakeVmProbe : public VmProbe {
 public:
  JavaStats CollectAfterGc(bool force_gc, int) override {
    if (clock != nullptr) times_ns.push_back(clock->NowNanos());
    if (log != nullptr) log->push_back(force_gc ? "gc" : "no-gc");
    JavaStats s;
    s.gc_forced = force_gc;
    s.heap_used_bytes = 7;
    return s;
  }

  LoopClock* clock = nullptr;
  std::vector<std::string>* log = nullptr;
  std::vector<int64_t> times_ns;
};

// FreshTestDir makes TEST_TMPDIR/name.
inline std::string FreshTestDir(const std::string& name) {
  std::string dir = std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
  mkdir(dir.c_str(), 0700);
  return dir;
}

// ReadTimeline: the records of dir/timeline.jsonl, in order.
inline std::vector<nlohmann::json> ReadTimeline(const std::string& dir) {
  std::vector<nlohmann::json> lines;
  std::ifstream in(dir + "/timeline.jsonl");
  for (std::string line; std::getline(in, line);) {
    lines.push_back(nlohmann::json::parse(line));
  }
  return lines;
}

// TimelineKinds: the "kind" of each record of dir/timeline.jsonl.
inline std::vector<std::string> TimelineKinds(const std::string& dir) {
  std::vector<std::string> kinds;
  for (const nlohmann::json& r : ReadTimeline(dir)) kinds.push_back(r["kind"]);
  return kinds;
}

// ReadAgentJson: dir/agent.json, or null when there is none.
inline nlohmann::json ReadAgentJson(const std::string& dir) {
  std::ifstream in(dir + "/agent.json");
  if (!in) return nullptr;
  return nlohmann::json::parse(in);
}

// Touch creates an empty file.
inline void Touch(const std::string& path) { std::ofstream(path).flush(); }

}  // namespace jleak::agent

#endif  // JLEAK_AGENT_TEST_FAKES_H_
