// File: libunwind_backtrace_test.cc
//
// LibunwindBacktrace against a call chain built without frame pointers
// (testdata/no_frame_pointer_chain): every caller found, where the
// frame-pointer walk stops at the first frame that uses %rbp for data.

#include "agent/sampling/libunwind_backtrace.h"

#include <algorithm>
#include <string>
#include <vector>

#include "agent/sampling/frame_pointer_backtrace.h"
#include "agent/sampling/testdata/no_frame_pointer_chain.h"
#include "gtest/gtest.h"

namespace jleak::agent::sampling {
namespace {

using testing::CallThroughNoFramePointers;
using testing::ChainReturns;

struct Walk {
  BacktraceFn walker;
  ChainReturns returns;
  std::vector<void*> frames;
};

__attribute__((noinline)) int WalkHere(void* arg) {
  auto* w = static_cast<Walk*>(arg);
  w->returns.into_middle = __builtin_return_address(0);
  void* vec[128];
  unsigned len = 0;
  w->walker(vec, &len, 128);
  w->frames.assign(vec, vec + len);
  asm volatile("" ::: "memory");
  return 1;
}

Walk WalkThroughChain(BacktraceFn walker) {
  Walk w;
  w.walker = walker;
  EXPECT_EQ(CallThroughNoFramePointers(&WalkHere, &w, &w.returns), 4);
  return w;
}

// Position of `pc` among the frames, or -1.
int IndexOf(const std::vector<void*>& frames, void* pc) {
  auto it = std::find(frames.begin(), frames.end(), pc);
  return it == frames.end() ? -1 : static_cast<int>(it - frames.begin());
}

TEST(LibunwindBacktraceTest, LoadsThisMachinesLibunwindOnce) {
  absl::StatusOr<LoadedUnwinder> u = LoadLibunwind("/nonexistent-dir");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_NE(u->path.find("libunwind.so"), std::string::npos) << u->path;
  EXPECT_NE(u->object_address, nullptr);
  EXPECT_EQ(LibunwindObject(), u->object_address);
  absl::StatusOr<LoadedUnwinder> again = LoadLibunwind("");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->path, u->path);
}

// Where libunwind is missing (a container image without it), the error says
// where it was looked for; the engine then walks frame pointers.
TEST(LibunwindBacktraceTest, MissingLibraryIsAClearError) {
  absl::StatusOr<LoadedUnwinder> u =
      OpenUnwinder("/nonexistent-dir", "libjleak-no-such-unwinder.so.8");
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(u.status().message().find(
                "/nonexistent-dir/libjleak-no-such-unwinder.so.8: "),
            absl::string_view::npos)
      << u.status();
  // A library without the symbol is refused too.
  u = OpenUnwinder("", "libm.so.6");
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.status().message(), "libm.so.6 has no unw_backtrace symbol");
}

TEST(LibunwindBacktraceTest, FindsEveryCallerOfCodeWithoutFramePointers) {
  ASSERT_TRUE(LoadLibunwind("").ok());
  const Walk w = WalkThroughChain(&LibunwindBacktrace);
  const int middle = IndexOf(w.frames, w.returns.into_middle);
  const int outer = IndexOf(w.frames, w.returns.into_outer);
  const int caller = IndexOf(w.frames, w.returns.into_caller);
  ASSERT_GE(middle, 0);
  EXPECT_EQ(outer, middle + 1);
  EXPECT_EQ(caller, outer + 1);
  // And on, out of the chain: through the test body to gtest's runner.
  EXPECT_GT(static_cast<int>(w.frames.size()), caller + 3);
}

TEST(LibunwindBacktraceTest, TheFramePointerWalkLosesThoseCallers) {
  // The case is real: the frame-pointer walk, from the same place, gets the
  // return into the middle function and no further.
  const Walk w = WalkThroughChain(&FramePointerBacktrace);
  EXPECT_GE(IndexOf(w.frames, w.returns.into_middle), 0);
  EXPECT_EQ(IndexOf(w.frames, w.returns.into_outer), -1);
  EXPECT_EQ(IndexOf(w.frames, w.returns.into_caller), -1);
}

TEST(LibunwindBacktraceTest, RespectsMaxLen) {
  ASSERT_TRUE(LoadLibunwind("").ok());
  void* vec[3] = {};
  unsigned len = 99;
  LibunwindBacktrace(vec, &len, 3);
  EXPECT_EQ(len, 3u);
  len = 99;
  LibunwindBacktrace(vec, &len, 0);
  EXPECT_EQ(len, 0u);
}

}  // namespace
}  // namespace jleak::agent::sampling
