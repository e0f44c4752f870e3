// File: analyzer_test.cc
//
// The analyzer's sites and growth on the fake process of
// analyzer_testing.h: how stacks become sites (user frames, Java frames,
// JIT, inlining), the warm-up, suppressed sites, long series, streaming.
// The verdict's rules are verdict_test.cc's.

#include "harness/analyze/analyzer.h"

#include <cmath>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/analyze/analyzer_testing.h"
#include "profile/fake_symbolizer.h"
#include "profile/java_frame.h"

namespace jleak {
namespace {

using ::jleak::analyzer_testing::kCompiled;
using ::jleak::analyzer_testing::kLeakSite;
using ::jleak::analyzer_testing::kMalloc;
using ::jleak::analyzer_testing::RunAnalysis;
using ::jleak::analyzer_testing::Snap;
using ::jleak::analyzer_testing::Symbols;
using ::testing::StartsWith;

TEST(AnalyzeTest, SteadyLeakIsNamedWithItsRate) {
  std::vector<SnapshotInput> snaps;
  for (int i = 0; i < 12; ++i) {
    snaps.push_back(Snap(i, 2.0 * i, 1e6 + 100e3 * 2 * i, 5e6));
  }
  Analysis a = RunAnalysis(snaps);
  EXPECT_EQ(a.verdict, Verdict::kLeak) << a.reason;
  EXPECT_EQ(a.kind, GrowthKind::kMalloc);
  ASSERT_FALSE(a.sites.empty());
  EXPECT_EQ(a.sites[0].top_frame, "Java_X_leak");
  EXPECT_TRUE(a.sites[0].over_budget);
  EXPECT_NEAR(a.sites[0].growth.slope, 100e3, 1);
  EXPECT_THAT(a.reason, StartsWith("leak: Java_X_leak grows 97.7 KiB/s"));
  // Display frames keep the Java frame; the flat site is not over budget.
  ASSERT_EQ(a.sites[0].frames.size(), 2u);
  EXPECT_EQ(a.sites[0].frames[1].function, "Interpreter");
  EXPECT_FALSE(a.sites[1].over_budget);
  // Warm-up: the first 25% of 22 s = 5.5 s, so snapshots at 0, 2, 4 s.
  EXPECT_DOUBLE_EQ(a.warmup_seconds, 5.5);
  EXPECT_FALSE(a.snapshots[2].analyzed);
  EXPECT_TRUE(a.snapshots[3].analyzed);
  // Growth profile: last analyzed minus first analyzed.
  ASSERT_FALSE(a.growth_profile.stacks.empty());
  EXPECT_NEAR(a.growth_profile.stacks[0].counts.bytes, 100e3 * 2 * 8, 1);
}

TEST(AnalyzeTest, JleaksOwnAllocationsAreItsFootprintNotASite) {
  // The agent's own table grows 200 KiB/s, the program's leak site
  // 100 KiB/s: only the latter is a site, in the total and the verdict.
  constexpr uint64_t kAgent = 0x7000;
  FakeSymbolizer symbols = Symbols();
  symbols.Add(kAgent, 0x100,
              {"jleak::agent::JavaStacks::LoadMethodIds(_jvmtiEnv*, _jclass*)"},
              "/opt/jleak/libjleak_agent.so");
  std::vector<SnapshotInput> snaps;
  for (int i = 0; i < 10; ++i) {
    SnapshotInput s = Snap(i, 2.0 * i, 1e6 + 2e5 * i, 1e6);
    s.profile.stacks.push_back(
        {{kMalloc, kAgent + 1}, {10.0 + i, 1e6 + 4e5 * i}, {}});
    snaps.push_back(std::move(s));
  }
  Analysis a = Analyze(std::move(snaps), TimeSource::kTimeline, {}, symbols,
                       FrameFilter(), AnalyzerOptions());
  EXPECT_EQ(a.jleak_footprint.sites, 1u);
  EXPECT_DOUBLE_EQ(a.jleak_footprint.bytes, 1e6 + 4e5 * 9);
  EXPECT_NEAR(a.jleak_footprint.growth.slope, 2e5, 1);
  for (const SiteSeries& site : a.sites) {
    EXPECT_EQ(site.key.find("jleak::agent::"), std::string::npos) << site.key;
  }
  ASSERT_FALSE(a.groups.empty());
  EXPECT_NEAR(a.total.slope, 1e5, 1);  // the leak alone
  EXPECT_THAT(a.reason, StartsWith("leak: Java_X_leak"));
}

TEST(AnalyzeTest, JitCompilationMidRunDoesNotSplitTheSite) {
  std::vector<SnapshotInput> snaps;
  for (int i = 0; i < 12; ++i) {
    // Interpreted until t = 10 s, compiled after: two stacks, one site.
    // The interpreted stack's bytes stay live, the compiled one grows.
    SnapshotInput s = Snap(i, 2.0 * i, 1e6 + 50e3 * 2 * std::min(i, 5), 5e6);
    if (i > 5) {
      s.profile.stacks.push_back({{kMalloc, kLeakSite + 1, kCompiled + 1},
                                  {100, 50e3 * 2 * (i - 5)},
                                  {}});
    }
    snaps.push_back(std::move(s));
  }
  Analysis a = RunAnalysis(snaps);
  EXPECT_EQ(a.verdict, Verdict::kLeak) << a.reason;
  EXPECT_EQ(a.sites[0].top_frame, "Java_X_leak");
  EXPECT_NEAR(a.sites[0].growth.slope, 50e3, 1);
  int leak_sites = 0;
  for (const SiteSeries& s : a.sites)
    leak_sites += s.top_frame == "Java_X_leak";
  EXPECT_EQ(leak_sites, 1);
}

TEST(AnalyzeTest, WarmupPlateauIsClean) {
  std::vector<SnapshotInput> snaps;
  for (int i = 0; i < 16; ++i) {
    // Fills over the first 40% of the run, then stays at its cap. Theil-Sen
    // already shrugs off a shorter fill; this one needs the warm-up.
    const double cache = std::min(i, 6) * 10e6;
    snaps.push_back(Snap(i, 2.0 * i, 0, 5e6, cache));
  }
  Analysis a = RunAnalysis(snaps);
  EXPECT_EQ(a.verdict, Verdict::kClean) << a.reason;
  // The fill is visible in the series but not in the fitted window.
  const SiteSeries* cache = nullptr;
  for (const SiteSeries& s : a.sites) {
    if (s.top_frame == "Java_Cache_fill") cache = &s;
  }
  ASSERT_NE(cache, nullptr);
  EXPECT_EQ(cache->bytes.front(), 0);
  EXPECT_EQ(cache->bytes.back(), 60e6);
  EXPECT_EQ(cache->growth.slope, 0);
  EXPECT_FALSE(cache->over_budget);
}

TEST(AnalyzeTest, SuppressedSiteIsReportedButNotJudged) {
  std::vector<SnapshotInput> snaps;
  for (int i = 0; i < 12; ++i) {
    snaps.push_back(Snap(i, 2.0 * i, 1e6 + 200e3 * i, 5e6));
  }
  AnalyzerOptions o;
  o.budgets.max_total_rate = 1e9;
  o.budgets.max_total_growth = 0;
  o.suppressions = *ParseSuppressions("function Java_X_leak\n", "s");
  Analysis a = RunAnalysis(snaps, {}, o);
  EXPECT_EQ(a.verdict, Verdict::kClean) << a.reason;
  const SiteSeries& last = a.sites.back();
  EXPECT_EQ(last.top_frame, "Java_X_leak");
  EXPECT_TRUE(last.suppressed);
  EXPECT_EQ(last.suppressed_by, "Java_X_leak");
  EXPECT_FALSE(last.over_budget);
  // A regex suppression matches any frame of the site.
  o.suppressions = {*MakeFrameSuppression("^Inter")};
  EXPECT_EQ(RunAnalysis(snaps, {}, o).verdict, Verdict::kClean);
}

TEST(SiteKeyFramesTest, LeadingNativeFramesCapped) {
  std::vector<NamedFrame> f(8);
  for (auto& x : f) x.module = "/lib/a.so";
  EXPECT_EQ(SiteKeyFrames(f, 6), 6u);
  f[2].module = "[jit]";
  EXPECT_EQ(SiteKeyFrames(f, 6), 2u);
  f[0].module = "";
  EXPECT_EQ(SiteKeyFrames(f, 6), 1u);  // never zero
  EXPECT_EQ(SiteKeyFrames({}, 6), 0u);
}

// The held-out case of issue 11: a JNI library leaks through a
// std::vector<char> grown in its cache's Insert(); a healthy Fill() goes
// through the same std:: frames. The site is Insert, not the allocator.
TEST(AnalyzeTest, StdContainerLeakIsNamedByTheUserFunction) {
  const char* kLib = "/opt/app/libcache.so";
  FakeSymbolizer symbols;
  symbols.Add(0x1000, 0x10, {"malloc"}, "/lib/libjemalloc.so.2");
  symbols.Add(0x1100, 0x10, {"operator new(unsigned long)"},
              "/usr/lib/x86_64-linux-gnu/libstdc++.so.6");
  symbols.Add(0x2000, 0x10,
              {"std::__new_allocator<char>::allocate(unsigned long, void "
               "const*)",
               "std::allocator_traits<std::allocator<char> >::allocate(std::"
               "allocator<char>&, unsigned long)",
               "std::_Vector_base<char, std::allocator<char> "
               ">::_M_allocate(unsigned long)",
               "void std::vector<char, std::allocator<char> "
               ">::_M_realloc_insert<char const&>(__gnu_cxx::__normal_"
               "iterator<char*, std::vector<char, std::allocator<char> > >, "
               "char const&)",
               "std::vector<char, std::allocator<char> >::push_back(char "
               "const&)",
               "std::back_insert_iterator<std::vector<char> "
               ">::operator=(char const&)",
               "std::copy<char const*, std::back_insert_iterator<std::vector<"
               "char> > >(char const*, char const*, "
               "std::back_insert_iterator<std::vector<char> >)"},
              kLib);
  symbols.Add(0x3000, 0x10, {"LeakyCache::Insert(std::string const&)"}, kLib);
  symbols.Add(0x3100, 0x10, {"HealthyBuffer::Fill(int)"}, kLib);
  symbols.Add(0x4000, 0x10, {"Java_app_Cache_insert"}, kLib);
  symbols.Add(0x5000, 0x10, {"Interpreter"}, "[jit]");
  std::vector<SnapshotInput> snaps;
  for (int i = 0; i < 8; ++i) {
    SnapshotInput s;
    s.seq = i;
    s.time_seconds = 10.0 * i;
    s.profile.stacks.push_back(
        {{0x1000, 0x1101, 0x2001, 0x3001, 0x4001, 0x5001},
         {100.0 + 100 * i, 1e6 + 1e6 * i},
         {}});
    s.profile.stacks.push_back(
        {{0x1000, 0x1101, 0x2001, 0x3101, 0x4001, 0x5001}, {50, 4e6}, {}});
    snaps.push_back(std::move(s));
  }
  Analysis a = Analyze(std::move(snaps), TimeSource::kTimeline, {}, symbols,
                       FrameFilter(), AnalyzerOptions());
  EXPECT_EQ(a.verdict, Verdict::kLeak) << a.reason;
  ASSERT_EQ(a.sites.size(), 2u);  // two callers of one std:: chain
  const SiteSeries& top = a.sites[0];
  EXPECT_EQ(top.top_frame, "LeakyCache::Insert(std::string const&)");
  EXPECT_EQ(top.user_frame, 7);
  EXPECT_TRUE(top.over_budget);
  EXPECT_THAT(a.reason, StartsWith("leak: LeakyCache::Insert(std::string "
                                   "const&) via std::copy → "
                                   "std::__new_allocator<char>::allocate"));
  EXPECT_EQ(a.sites[1].top_frame, "HealthyBuffer::Fill(int)");
  EXPECT_FALSE(a.sites[1].over_budget);
}

// Issue 11's two-callers case with the agent's Java frames: two Java
// methods call ByteBuffer.allocateDirect; one retains, one churns. The
// native site is the same JVM function for both; the Java frames split it.
TEST(AnalyzeTest, JavaFramesSplitTwoCallersOfOneJvmFunction) {
  const char* kJvm = "/usr/lib/jvm/x/lib/server/libjvm.so";
  FakeSymbolizer symbols;
  symbols.Add(0x1000, 0x10, {"malloc"}, "/lib/libjemalloc.so.2");
  symbols.Add(0x1100, 0x10, {"os::malloc(unsigned long, MEMFLAGS)"}, kJvm);
  symbols.Add(0x2000, 0x10, {"Unsafe_AllocateMemory0"}, kJvm);
  symbols.Add(0x3000, 0x10, {"Interpreter"}, "[jit]");
  symbols.Add(0x3100, 0x10, {"JavaCalls::call_helper"}, kJvm);
  symbols.Add(0x3200, 0x10, {"start_thread"}, "/lib/libc.so.6");
  auto java = [&](uint32_t id, const char* method) {
    symbols.Add(JavaFrameAddress(id) - 1, 2, {method}, kJavaModule);
    return JavaFrameAddress(id);
  };
  const uint64_t unsafe = java(1, "jdk.internal.misc.Unsafe.allocateMemory");
  const uint64_t direct = java(2, "java.nio.ByteBuffer.allocateDirect");
  const uint64_t retain = java(3, "app.TwoCallers.retain");
  const uint64_t churn = java(4, "app.TwoCallers.churn");
  const uint64_t main = java(5, "app.TwoCallers.main");
  std::vector<SnapshotInput> snaps;
  for (int i = 0; i < 10; ++i) {
    SnapshotInput s;
    s.seq = i;
    s.time_seconds = 5.0 * i;
    const std::vector<uint64_t> native = {0x1000, 0x1101, 0x2001,
                                          0x3001, 0x3101, 0x3201};
    auto stack = [&](uint64_t caller) {
      std::vector<uint64_t> f = native;
      for (uint64_t a : {unsafe, direct, caller, main}) f.push_back(a);
      return f;
    };
    s.profile.stacks.push_back(
        {stack(retain), {10.0 + 10 * i, 1e6 + 1e6 * i}, {}});
    s.profile.stacks.push_back(
        {stack(churn), {10, 1e6 * (1 + (i % 3))}, {}});  // up and down
    snaps.push_back(std::move(s));
  }
  Analysis a = Analyze(std::move(snaps), TimeSource::kTimeline, {}, symbols,
                       FrameFilter(), AnalyzerOptions());
  EXPECT_EQ(a.verdict, Verdict::kLeak) << a.reason;
  ASSERT_EQ(a.sites.size(), 2u);
  const SiteSeries& top = a.sites[0];
  EXPECT_EQ(top.top_frame, "app.TwoCallers.retain");
  EXPECT_TRUE(top.over_budget);
  EXPECT_EQ(top.headline,
            "app.TwoCallers.retain via java.nio.ByteBuffer.allocateDirect → "
            "Unsafe_AllocateMemory0");
  EXPECT_EQ(a.sites[1].top_frame, "app.TwoCallers.churn");
  EXPECT_FALSE(a.sites[1].over_budget);
  // The JVM's frames below the Java code are gone, the interpreter too.
  for (const SiteSeries& s : a.sites) {
    for (const NamedFrame& f : s.frames) {
      EXPECT_NE(f.function, "Interpreter");
      EXPECT_NE(f.function, "JavaCalls::call_helper");
    }
    EXPECT_EQ(s.frames.back().function, "app.TwoCallers.main");
  }
}

TEST(SiteKeyTest, InlinedFramesGoWithTheirAddressAndStayOutOfTheKey) {
  auto frame = [](std::string name, bool inlined) {
    NamedFrame f;
    f.function = std::move(name);
    f.module = "/lib/libx.so";
    f.inlined = inlined;
    return f;
  };
  // Symbol-table names only: a, b, c.
  std::vector<NamedFrame> names = {frame("a", false), frame("b", false),
                                   frame("c", false)};
  // The same stack read with DWARF: b has two inlined calls in it.
  std::vector<NamedFrame> detail = {frame("a", false), frame("x", true),
                                    frame("y", true), frame("b", false),
                                    frame("c", false)};
  EXPECT_EQ(SiteKey(names, 2), "a;b");
  EXPECT_EQ(SiteKey(detail, 2), "a;b");
  EXPECT_EQ(SiteKeyFrames(detail, 2), 4u);  // through b, with its inlines
  EXPECT_EQ(SiteKey(detail, 6), SiteKey(names, 6));
}

TEST(AnalyzeTest, SiteKeysDoNotDependOnInlinedFrames) {
  // The leak site's address holds an inlined helper when DWARF is read
  // (FakeSymbolizer::Symbolize); keys come from SymbolizeName.
  FakeSymbolizer symbols = Symbols();
  symbols.Add(kLeakSite, 0x100, {"helper_inlined", "Java_X_leak"},
              "/tmp/libx.so");
  std::vector<SnapshotInput> snaps;
  for (int i = 0; i < 12; ++i) {
    snaps.push_back(Snap(i, 2.0 * i, 1e6 + 100e3 * 2 * i, 5e6));
  }
  Analysis a = Analyze(std::move(snaps), TimeSource::kTimeline, {}, symbols,
                       FrameFilter(), {});
  ASSERT_FALSE(a.sites.empty());
  EXPECT_EQ(a.sites[0].key, "Java_X_leak");
  // Shown with the detail: the inlined frame first.
  EXPECT_EQ(a.sites[0].frames[0].function, "helper_inlined");
  EXPECT_TRUE(a.sites[0].frames[0].inlined);
}

TEST(AnalyzeTest, LongSeriesIsThinnedForTheFitOnly) {
  std::vector<SnapshotInput> snaps;
  for (int i = 0; i < 600; ++i) {
    snaps.push_back(Snap(i, 300.0 * i, 1e6 + 5e6 * i, 5e6));
  }
  AnalyzerOptions thin;
  thin.max_fit_points = 100;
  Analysis a = RunAnalysis(snaps, {}, thin, TimeSource::kMtime);
  EXPECT_EQ(a.verdict, Verdict::kLeak);
  EXPECT_EQ(a.sites[0].top_frame, "Java_X_leak");
  EXPECT_LE(a.sites[0].growth.points, 100);
  EXPECT_EQ(a.sites[0].bytes.size(), 600u);  // reports keep every snapshot
  AnalyzerOptions all;
  all.max_fit_points = 0;
  Analysis b = RunAnalysis(snaps, {}, all, TimeSource::kMtime);
  EXPECT_EQ(b.sites[0].growth.points, 450);  // after the 25% warm-up
  // A straight line: the same slope however thinned.
  EXPECT_NEAR(a.sites[0].growth.slope, b.sites[0].growth.slope, 1e-6);
}

TEST(SeriesAccumulatorTest, StreamedEqualsInMemory) {
  std::vector<SnapshotInput> snaps;
  std::vector<SnapshotMeta> metas;
  for (int i = 0; i < 12; ++i) {
    snaps.push_back(Snap(i, 2.0 * i, 1e6 + 100e3 * 2 * i, 5e6, 1e5 * (i % 3),
                         /*compiled=*/i > 5));
    metas.push_back({snaps.back().path, i, 2.0 * i});
  }
  Analysis whole = RunAnalysis(snaps);
  FakeSymbolizer symbols = Symbols();
  const FrameFilter filter;
  const AnalyzerOptions options;
  SeriesAccumulator acc(metas, symbols, filter, options);
  for (int i = 0; i < 12; ++i) acc.Add(i, snaps[i].profile);
  Analysis streamed = std::move(acc).Finish(TimeSource::kTimeline, {});
  EXPECT_EQ(streamed.reason, whole.reason);
  ASSERT_EQ(streamed.sites.size(), whole.sites.size());
  for (size_t i = 0; i < whole.sites.size(); ++i) {
    EXPECT_EQ(streamed.sites[i].key, whole.sites[i].key);
    EXPECT_EQ(streamed.sites[i].bytes, whole.sites[i].bytes);
  }
  ASSERT_EQ(streamed.growth_profile.stacks.size(),
            whole.growth_profile.stacks.size());
  // Each distinct address was named once for the whole series.
  EXPECT_EQ(symbols.name_lookups(), 6);
}

}  // namespace
}  // namespace jleak
