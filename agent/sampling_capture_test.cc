// File: sampling_capture_test.cc
//
// The sampling capture engine in a real process, no JVM: this binary holds
// the engine (so it is never patched itself) and allocates through
// libstdc++'s operator new, whose malloc slot the engine interposes. A
// session: Reset, Activate (installed, slots patched), blocks kept, Dump
// (a heap_v2 file written whole, its stacks from the backtrace given), the
// agent.json report, frees seen; Deactivate (slots restored, twice is
// fine); a second session sees only what it allocates; a walker given
// inside a session applies at once.

#include "agent/sampling_capture.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "agent/control_protocol.h"
#include "agent/sampling/testdata/no_frame_pointer_chain.h"
#include "gtest/gtest.h"
#include "profile/heap_profile.h"

namespace jleak::agent {
namespace {

constexpr uint64_t kFrame0 = 0x4000123;
constexpr uint64_t kFrame1 = 0x4000456;
constexpr uint64_t kOtherFrame = 0x4000789;
constexpr size_t kBlock = 65521;

// While set, samples are named by the two frames above; else by the other.
thread_local bool t_tagged = false;

// A walker that names every sample by made-up frames.
void FixedBacktrace(void** vec, unsigned* len, unsigned max_len) {
  *len = 0;
  if (max_len < 2) return;
  vec[0] = reinterpret_cast<void*>(t_tagged ? kFrame0 : kOtherFrame);
  vec[1] = reinterpret_cast<void*>(kFrame1);
  *len = 2;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Keep allocates `count` blocks of kBlock bytes through operator new
// (libstdc++, a patched object), tagged.
void Keep(int count, std::vector<std::unique_ptr<char[]>>* kept) {
  kept->reserve(kept->size() + count);
  t_tagged = true;
  for (int i = 0; i < count; ++i) kept->emplace_back(new char[kBlock]);
  t_tagged = false;
}

// The live bytes at the tagged stack, unsampled (each block is sampled but
// for e^-16, so they are the bytes kept); 0 when it is not there.
double TaggedBytes(const std::string& path) {
  absl::StatusOr<HeapProfile> p = ParseHeapProfile(ReadAll(path), path);
  EXPECT_TRUE(p.ok()) << p.status();
  if (!p.ok()) return -1;
  EXPECT_FALSE(p->mappings.empty());
  for (const StackSample& s : p->stacks) {
    if (s.frames.size() == 2 && s.frames[0] == kFrame0 &&
        s.frames[1] == kFrame1) {
      return Unsample(s.sampled, p->sample_period).bytes;
    }
  }
  return 0;
}

TEST(SamplingCapture, SessionDumpReportAndDetach) {
  const std::string dir = std::getenv("TEST_TMPDIR");
  SamplingCapture engine;
  engine.set_backtrace(&FixedBacktrace);
  EXPECT_STREQ(engine.name(), kEngineSampling);
  ASSERT_TRUE(engine.Reset(12).ok());  // 4 KiB
  ASSERT_TRUE(engine.Activate().ok());
  nlohmann::ordered_json r = engine.Report();
  EXPECT_EQ(r["name"], kEngineSampling);
  EXPECT_EQ(r["limit"], kSamplingEngineLimit);
  EXPECT_EQ(r["installed"], true);
  EXPECT_EQ(r["lg_sample"], 12);
  EXPECT_GT(r["patcher"]["slots_patched"].get<uint64_t>(), 0u);

  std::vector<std::unique_ptr<char[]>> kept;
  Keep(256, &kept);
  const std::string path = dir + "/snapshot-0.heap";
  ASSERT_TRUE(engine.Dump(path).ok());
  struct stat st;
  EXPECT_NE(stat((path + ".tmp").c_str(), &st), 0);  // renamed into place
  EXPECT_EQ(ReadAll(path).rfind("heap_v2/4096\n", 0), 0u);
  EXPECT_NEAR(TaggedBytes(path), 256.0 * kBlock, 0.01 * 256 * kBlock);
  r = engine.Report();
  EXPECT_GE(r["samples"].get<uint64_t>(), 256u);
  EXPECT_EQ(r["drops"]["live_table_full"], 0);

  // Frees are seen.
  kept.resize(128);
  ASSERT_TRUE(engine.Dump(path).ok());
  EXPECT_NEAR(TaggedBytes(path), 128.0 * kBlock, 0.01 * 128 * kBlock);

  ASSERT_TRUE(engine.Deactivate().ok());
  r = engine.Report();
  EXPECT_EQ(r["installed"], false);
  EXPECT_EQ(r["patcher"]["slots_restored"], r["patcher"]["slots_patched"]);
  EXPECT_TRUE(engine.Deactivate().ok());  // already off

  // A second session: the blocks of the first, still live, are not seen.
  ASSERT_TRUE(engine.Reset(12).ok());
  ASSERT_TRUE(engine.Activate().ok());
  EXPECT_EQ(engine.Report()["sessions"], 2);
  const std::string again = dir + "/snapshot-1.heap";
  ASSERT_TRUE(engine.Dump(again).ok());
  EXPECT_EQ(TaggedBytes(again), 0);
  std::vector<std::unique_ptr<char[]>> more;
  Keep(64, &more);
  ASSERT_TRUE(engine.Dump(again).ok());
  EXPECT_NEAR(TaggedBytes(again), 64.0 * kBlock, 0.01 * 64 * kBlock);
  ASSERT_TRUE(engine.Deactivate().ok());
}

// `jleak run --engine sampling`: the engine is activated at Agent_OnLoad
// with the frame-pointer walker, and gets the Java-stack walker at VMInit,
// in the same session.
TEST(SamplingCapture, WalkerChangesInsideARunningSession) {
  const std::string dir = std::getenv("TEST_TMPDIR");
  SamplingCapture engine;
  engine.set_backtrace(nullptr);
  ASSERT_TRUE(engine.Reset(12).ok());
  ASSERT_TRUE(engine.Activate().ok());
  std::vector<std::unique_ptr<char[]>> before;
  Keep(32, &before);  // walked by frame pointers: not the tagged stack
  const std::string path = dir + "/walker.heap";
  ASSERT_TRUE(engine.Dump(path).ok());
  EXPECT_EQ(TaggedBytes(path), 0);
  engine.set_backtrace(&FixedBacktrace);
  std::vector<std::unique_ptr<char[]>> after;
  Keep(64, &after);
  ASSERT_TRUE(engine.Dump(path).ok());
  EXPECT_NEAR(TaggedBytes(path), 64.0 * kBlock, 0.01 * 64 * kBlock);
  ASSERT_TRUE(engine.Deactivate().ok());
}

// Allocates through operator new (libstdc++: patched, and itself built
// without frame pointers) from inside the FP-less chain.
int KeepFromChain(void* arg) {
  auto* kept = static_cast<std::vector<std::unique_ptr<char[]>>*>(arg);
  for (int i = 0; i < 64; ++i) kept->emplace_back(new char[kBlock]);
  return 1;
}

// The live bytes whose stack holds `pcs` in this order, consecutively.
double BytesThrough(const std::string& path, const std::vector<uint64_t>& pcs) {
  absl::StatusOr<HeapProfile> p = ParseHeapProfile(ReadAll(path), path);
  EXPECT_TRUE(p.ok()) << p.status();
  if (!p.ok()) return -1;
  double bytes = 0;
  for (const StackSample& s : p->stacks) {
    auto at =
        std::search(s.frames.begin(), s.frames.end(), pcs.begin(), pcs.end());
    if (at != s.frames.end()) {
      bytes += Unsample(s.sampled, p->sample_period).bytes;
    }
  }
  return bytes;
}

// The default walker (libunwind on this machine, as ci/setup.sh installs
// it) names callers inside code built without frame pointers, where a
// frame-pointer walk stops (sampling/libunwind_backtrace_test.cc).
TEST(SamplingCapture, DefaultWalkerFollowsCodeWithoutFramePointers) {
  ASSERT_EQ(SamplingCapture::NativeWalkerName().rfind("libunwind (", 0), 0u)
      << SamplingCapture::NativeWalkerName();
  const std::string dir = std::getenv("TEST_TMPDIR");
  SamplingCapture engine;
  engine.set_backtrace(nullptr);
  ASSERT_TRUE(engine.Reset(12).ok());
  ASSERT_TRUE(engine.Activate().ok());
  EXPECT_EQ(engine.Report()["unwinder"], SamplingCapture::NativeWalkerName());
  std::vector<std::unique_ptr<char[]>> kept;
  kept.reserve(64);
  sampling::testing::ChainReturns returns;
  sampling::testing::CallThroughNoFramePointers(&KeepFromChain, &kept,
                                                &returns);
  const std::string path = dir + "/chain.heap";
  ASSERT_TRUE(engine.Dump(path).ok());
  ASSERT_TRUE(engine.Deactivate().ok());
  EXPECT_NEAR(
      BytesThrough(path, {reinterpret_cast<uint64_t>(returns.into_outer),
                          reinterpret_cast<uint64_t>(returns.into_caller)}),
      64.0 * kBlock, 0.01 * 64 * kBlock);
}

TEST(SamplingCapture, NoAllocatorTotals) {
  SamplingCapture engine;
  EXPECT_EQ(engine.AllocatorStats().allocated, -1);
  EXPECT_TRUE(PinOwnObject().ok());  // the test binary: nothing to pin
}

}  // namespace
}  // namespace jleak::agent
