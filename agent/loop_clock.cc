// File: loop_clock.cc
//
// The real LoopClock (see loop_clock.h).

#include "agent/loop_clock.h"

#include <chrono>

namespace jleak::agent {
namespace {

class SteadyLoopClock : public LoopClock {
 public:
  int64_t NowNanos() override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }

  void WaitUntil(std::unique_lock<std::mutex>& lock,
                 std::condition_variable& cv, int64_t deadline_ns) override {
    cv.wait_until(lock, std::chrono::steady_clock::time_point(
                            std::chrono::nanoseconds(deadline_ns)));
  }
};

}  // namespace

LoopClock* RealLoopClock() {
  static LoopClock* const clock = new SteadyLoopClock();
  return clock;
}

}  // namespace jleak::agent
