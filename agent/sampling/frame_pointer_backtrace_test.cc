// File: frame_pointer_backtrace_test.cc
//
// The frame-pointer walk on made-up stacks (every way a chain can go bad
// stops it) and on the real stack of nested calls, on the main thread and
// on another thread. No timing here: see backtrace_benchmark.cc.

#include "agent/sampling/frame_pointer_backtrace.h"

#include <cstdint>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace jleak::agent::sampling {
namespace {

// A made-up stack: 64 words; frame i at word 8 * i holds (next, pc).
struct FakeStack {
  alignas(16) uintptr_t words[64] = {};
  uintptr_t at(int word) const {
    return reinterpret_cast<uintptr_t>(&words[word]);
  }
  uintptr_t lo() const { return at(0); }
  uintptr_t hi() const { return at(64); }
  void Frame(int word, uintptr_t next, uintptr_t pc) {
    words[word] = next;
    words[word + 1] = pc;
  }
};

std::vector<uintptr_t> Walk(const FakeStack& s, uintptr_t fp,
                            unsigned max_len = 32) {
  void* vec[32];
  const unsigned n = WalkFramePointers(fp, s.lo(), s.hi(), vec, max_len);
  std::vector<uintptr_t> out;
  for (unsigned i = 0; i < n; ++i)
    out.push_back(reinterpret_cast<uintptr_t>(vec[i]));
  return out;
}

TEST(WalkFramePointers, FollowsAGoodChain) {
  FakeStack s;
  s.Frame(0, s.at(8), 0x1001);
  s.Frame(8, s.at(20), 0x2002);
  s.Frame(20, 0, 0x3003);  // the outermost frame: next 0 ends the chain
  EXPECT_EQ(Walk(s, s.at(0)), (std::vector<uintptr_t>{0x1001, 0x2002, 0x3003}));
  EXPECT_EQ(Walk(s, s.at(0), 2), (std::vector<uintptr_t>{0x1001, 0x2002}));
}

TEST(WalkFramePointers, StopsAtEveryBadLink) {
  FakeStack s;
  // A link that goes down the stack, or loops.
  s.Frame(0, s.at(8), 0x1001);
  s.Frame(8, s.at(4), 0x2002);
  EXPECT_EQ(Walk(s, s.at(0)), (std::vector<uintptr_t>{0x1001, 0x2002}));
  s.Frame(8, s.at(8), 0x2002);
  EXPECT_EQ(Walk(s, s.at(0)), (std::vector<uintptr_t>{0x1001, 0x2002}));
  // Misaligned, out of the stack, or too close to its end to hold a frame.
  s.Frame(8, s.at(10) + 4, 0x2002);
  EXPECT_EQ(Walk(s, s.at(0)).size(), 2u);
  s.Frame(8, s.hi() + 64, 0x2002);
  EXPECT_EQ(Walk(s, s.at(0)).size(), 2u);
  s.Frame(8, s.at(63), 0x2002);
  EXPECT_EQ(Walk(s, s.at(0)).size(), 2u);
  s.Frame(8, 0xffffffffffff0000, 0x2002);
  EXPECT_EQ(Walk(s, s.at(0)).size(), 2u);
  // A return address in the first page (garbage, or a zeroed frame).
  s.Frame(8, s.at(20), 0x10);
  EXPECT_EQ(Walk(s, s.at(0)), (std::vector<uintptr_t>{0x1001}));
  // A start outside the stack, and an empty range.
  EXPECT_TRUE(Walk(s, s.lo() - 16).empty());
  void* vec[4];
  EXPECT_EQ(WalkFramePointers(s.at(0), s.at(0), s.at(1), vec, 4), 0u);
}

// Three nested calls; each records its own return address.
uintptr_t g_ret[3];
void* g_vec[64];
unsigned g_len;

__attribute__((noinline)) void Level3() {
  g_ret[2] = reinterpret_cast<uintptr_t>(__builtin_return_address(0));
  FramePointerBacktrace(g_vec, &g_len, 64);
  asm volatile("" ::: "memory");  // no tail call
}
__attribute__((noinline)) void Level2() {
  g_ret[1] = reinterpret_cast<uintptr_t>(__builtin_return_address(0));
  Level3();
  asm volatile("" ::: "memory");
}
__attribute__((noinline)) void Level1() {
  g_ret[0] = reinterpret_cast<uintptr_t>(__builtin_return_address(0));
  Level2();
  asm volatile("" ::: "memory");
}

void ExpectNestedFrames() {
  g_len = 0;
  Level1();
  // vec[0] is in Level3 (FramePointerBacktrace's return address), then the
  // return addresses of Level3, Level2 and Level1, in that order.
  ASSERT_GE(g_len, 4u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(g_vec[1]), g_ret[2]);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(g_vec[2]), g_ret[1]);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(g_vec[3]), g_ret[0]);
}

TEST(FramePointerBacktrace, NestedCallsOnTheMainThread) {
  ExpectNestedFrames();
}

TEST(FramePointerBacktrace, NestedCallsOnAnotherThread) {
  std::thread t([] { ExpectNestedFrames(); });
  t.join();
}

TEST(FramePointerBacktrace, RespectsMaxLen) {
  void* vec[2];
  unsigned len = 99;
  FramePointerBacktrace(vec, &len, 2);
  EXPECT_EQ(len, 2u);
  FramePointerBacktrace(vec, &len, 0);
  EXPECT_EQ(len, 0u);
}

TEST(CurrentThreadStackBounds, ContainTheCurrentFrame) {
  uintptr_t lo = 0, hi = 0;
  ASSERT_TRUE(CurrentThreadStackBounds(&lo, &hi));
  int local = 0;
  const uintptr_t here = reinterpret_cast<uintptr_t>(&local);
  EXPECT_LE(lo, here);
  EXPECT_LT(here, hi);
}

}  // namespace
}  // namespace jleak::agent::sampling
