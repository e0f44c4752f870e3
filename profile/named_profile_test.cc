#include "profile/named_profile.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "profile/fake_symbolizer.h"

namespace jleak {
namespace {

using ::testing::ElementsAre;

std::vector<std::string> Names(const NamedStack& s) {
  std::vector<std::string> out;
  for (const NamedFrame& f : s.frames) out.push_back(f.function);
  return out;
}

// Addresses: 0x1000 jemalloc, 0x2000 malloc, 0x3000 JNI leaker (with an
// inlined helper), 0x4000 JIT frame, 0x5000 another caller.
FakeSymbolizer MakeSymbols() {
  FakeSymbolizer s;
  s.Add(0x1000, 0x100, {"prof_backtrace_impl"}, "/lib/libjemalloc.so.2");
  s.Add(0x1100, 0x100, {"imalloc_body", "je_malloc_default"},
        "/lib/libjemalloc.so.2");
  s.Add(0x2000, 0x100, {"malloc"}, "/lib/libjemalloc.so.2");
  s.Add(0x3000, 0x100, {"leak::Node::Grow", "Java_Leaker_leak"},
        "/tmp/libleaker.so");
  s.Add(0x4000, 0x100, {"Leaker.leak(int)"}, "[jit]");
  s.Add(0x5000, 0x100, {"other_site"}, "/tmp/libother.so");
  return s;
}

HeapProfile MakeProfile() {
  HeapProfile p;
  p.sample_period = 0;  // every allocation sampled: counts are exact
  // Return addresses point after the call; the namer looks up pc - 1.
  p.stacks.push_back({{0x1000, 0x1101, 0x2001, 0x3001, 0x4001}, {2, 2048}, {}});
  p.stacks.push_back({{0x1000, 0x1101, 0x2001, 0x5001}, {1, 100}, {}});
  // Same names as the first stack through a different JIT address range
  // entry: merged by name.
  p.stacks.push_back({{0x1000, 0x1102, 0x2002, 0x3002, 0x4002}, {1, 1024}, {}});
  return p;
}

TEST(NameProfileTest, TrimsAllocatorFramesAndExpandsInlines) {
  FakeSymbolizer symbols = MakeSymbols();
  NamedProfile named = NameProfile(MakeProfile(), symbols, FrameFilter());
  ASSERT_EQ(named.stacks.size(), 2u);
  EXPECT_THAT(
      Names(named.stacks[0]),
      ElementsAre("leak::Node::Grow", "Java_Leaker_leak", "Leaker.leak(int)"));
  EXPECT_TRUE(named.stacks[0].frames[0].inlined);
  EXPECT_FALSE(named.stacks[0].frames[1].inlined);
  EXPECT_EQ(named.stacks[0].frames[0].module, "/tmp/libleaker.so");
  EXPECT_EQ(named.stacks[0].counts.bytes, 3072);  // merged
  EXPECT_EQ(named.stacks[0].counts.objects, 3);
  EXPECT_THAT(Names(named.stacks[1]), ElementsAre("other_site"));
  EXPECT_EQ(named.total.bytes, 3172);
}

TEST(NameProfileTest, SymbolizesEachDistinctAddressOnce) {
  FakeSymbolizer symbols = MakeSymbols();
  NameProfile(MakeProfile(), symbols, FrameFilter());
  // Distinct lookup addresses: 0x1000, 0x1100, 0x2000, 0x3000, 0x4000,
  // 0x5000, 0x1101, 0x2001, 0x3001, 0x4001 (the third stack's pc-1).
  EXPECT_EQ(symbols.lookups(), 10);
}

TEST(NameProfileTest, UnsamplesCounts) {
  FakeSymbolizer symbols = MakeSymbols();
  HeapProfile p = MakeProfile();
  p.sample_period = 524288;
  NamedProfile named = NameProfile(p, symbols, FrameFilter());
  EXPECT_NEAR(named.stacks[1].counts.bytes, Unsample({1, 100}, 524288).bytes,
              1e-6);
  EXPECT_GT(named.stacks[1].counts.bytes, 500000);
}

TEST(NameProfileTest, AllAllocatorStackKeepsInnermostFrame) {
  FakeSymbolizer symbols = MakeSymbols();
  HeapProfile p;
  p.stacks.push_back({{0x1000, 0x2001}, {1, 8}, {}});
  NamedProfile named = NameProfile(p, symbols, FrameFilter());
  ASSERT_EQ(named.stacks.size(), 1u);
  EXPECT_THAT(Names(named.stacks[0]), ElementsAre("malloc"));
}

TEST(NameProfileTest, UnknownAddressesAreNamedNotQuestionMarks) {
  FakeSymbolizer symbols = MakeSymbols();
  HeapProfile p;
  p.stacks.push_back({{0x1000, 0x9001}, {1, 8}, {}});
  NamedProfile named = NameProfile(p, symbols, FrameFilter());
  EXPECT_THAT(Names(named.stacks[0]), ElementsAre("0x9000"));
}

TEST(DiffProfilesTest, SubtractsByNamesAcrossProcesses) {
  FakeSymbolizer symbols = MakeSymbols();
  NamedProfile newer = NameProfile(MakeProfile(), symbols, FrameFilter());
  HeapProfile older_raw;
  older_raw.stacks.push_back({{0x1000, 0x2001, 0x3001, 0x4001}, {1, 1024}, {}});
  older_raw.stacks.push_back({{0x1000, 0x2001, 0x5001}, {1, 100}, {}});
  // Only in the base: freed since.
  older_raw.stacks.push_back({{0x1000, 0x2001, 0x4001}, {1, 64}, {}});
  NamedProfile older = NameProfile(older_raw, symbols, FrameFilter());
  NamedProfile diff = DiffProfiles(newer, older);
  SortByBytes(&diff.stacks);
  ASSERT_EQ(diff.stacks.size(), 2u);  // other_site: no change, dropped
  EXPECT_THAT(
      Names(diff.stacks[0]),
      ElementsAre("leak::Node::Grow", "Java_Leaker_leak", "Leaker.leak(int)"));
  EXPECT_EQ(diff.stacks[0].counts.bytes, 2048);
  EXPECT_THAT(Names(diff.stacks[1]), ElementsAre("Leaker.leak(int)"));
  EXPECT_EQ(diff.stacks[1].counts.bytes, -64);
  EXPECT_EQ(diff.total.bytes, 2048 - 64);
}

}  // namespace
}  // namespace jleak

namespace jleak {
namespace {

TEST(NameProfileTest, AllocatorModuleFramesAreTrimmedWithoutSymbolizing) {
  FakeSymbolizer symbols = MakeSymbols();
  HeapProfile p;
  // 0x1000-0x2100 is the preloaded jemalloc, 0x3000 the JNI library.
  p.mappings.push_back(
      {0x1000, 0x2100, 0, "r-xp", "fe:01", 1, "/x/lib/libjemalloc.so.2"});
  p.mappings.push_back(
      {0x3000, 0x3100, 0, "r-xp", "fe:01", 2, "/tmp/libleaker.so"});
  p.stacks.push_back({{0x1000, 0x1101, 0x2001, 0x3001, 0x4001}, {1, 64}, {}});
  NamedProfile named = NameProfile(p, symbols, FrameFilter());
  EXPECT_THAT(
      Names(named.stacks[0]),
      ElementsAre("leak::Node::Grow", "Java_Leaker_leak", "Leaker.leak(int)"));
  EXPECT_EQ(symbols.lookups(), 2);  // only 0x3000 and 0x4000
  // A stack wholly inside the allocator keeps its innermost frame.
  HeapProfile q = p;
  q.stacks = {{{0x1000, 0x2001}, {1, 8}, {}}};
  NamedProfile only = NameProfile(q, symbols, FrameFilter());
  EXPECT_THAT(Names(only.stacks[0]), ElementsAre("malloc"));
}

}  // namespace
}  // namespace jleak

namespace jleak {
namespace {

TEST(NameProfileTest, WithoutSourceDetailOnlyNamesAreAskedForAndKeysAgree) {
  FakeSymbolizer names_only = MakeSymbols();
  NamedProfile names =
      NameProfile(MakeProfile(), names_only, FrameFilter(), {false});
  EXPECT_EQ(names_only.lookups(), 0);  // Symbolize never called
  EXPECT_GT(names_only.name_lookups(), 0);
  ASSERT_EQ(names.stacks.size(), 2u);
  EXPECT_THAT(Names(names.stacks[0]),
              ElementsAre("Java_Leaker_leak", "Leaker.leak(int)"));

  FakeSymbolizer full = MakeSymbols();
  NamedProfile detail = NameProfile(MakeProfile(), full, FrameFilter());
  ASSERT_EQ(detail.stacks.size(), names.stacks.size());
  for (size_t i = 0; i < names.stacks.size(); ++i) {
    EXPECT_EQ(StackKey(names.stacks[i]), StackKey(detail.stacks[i]));
  }
  // Detail added afterwards is the detail named at once.
  AddSourceDetail(&names, names_only, FrameFilter());
  EXPECT_THAT(
      Names(names.stacks[0]),
      ElementsAre("leak::Node::Grow", "Java_Leaker_leak", "Leaker.leak(int)"));
}

TEST(NameProfileTest, InlinedAllocatorFramesAreTrimmedAfterDetail) {
  FakeSymbolizer symbols;
  symbols.Add(0x3000, 0x100,
              {"malloc", "std::vector<int>::push_back", "Cache::Put"},
              "/tmp/libcache.so");
  HeapProfile p;
  p.stacks.push_back({{0x3001}, {1, 64}, {}});
  NamedProfile named = NameProfile(p, symbols, FrameFilter());
  EXPECT_THAT(Names(named.stacks[0]),
              ElementsAre("std::vector<int>::push_back", "Cache::Put"));
  EXPECT_EQ(StackKey(named.stacks[0]), "Cache::Put");
}

}  // namespace
}  // namespace jleak
