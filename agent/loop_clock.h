// File: loop_clock.h
//
// The clock the agent's loops read and wait on (snapshot_loop.h,
// control_server.h). An interface so that tests drive a loop in virtual
// time: a fake clock jumps to each deadline instead of sleeping, and a
// test checks when snapshots are taken without timing anything.

#ifndef JLEAK_AGENT_LOOP_CLOCK_H_
#define JLEAK_AGENT_LOOP_CLOCK_H_

#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace jleak::agent {

class LoopClock {
 public:
  virtual ~LoopClock() = default;
  // NowNanos: monotonic time, in nanoseconds.
  virtual int64_t NowNanos() = 0;
  // WaitUntil waits on `cv`, with `lock` released meanwhile, until
  // NowNanos() reaches `deadline_ns` or `cv` is notified (or wakes
  // spuriously): the caller checks again what it waits for.
  virtual void WaitUntil(std::unique_lock<std::mutex>& lock,
                         std::condition_variable& cv, int64_t deadline_ns) = 0;
};

// RealLoopClock: std::chrono::steady_clock (CLOCK_MONOTONIC). One for the
// process, never freed.
LoopClock* RealLoopClock();

}  // namespace jleak::agent

#endif  // JLEAK_AGENT_LOOP_CLOCK_H_
