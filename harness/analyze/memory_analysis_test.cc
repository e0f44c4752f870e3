// File: memory_analysis_test.cc
//
// Where RSS went: the series and fits per class and group, what the
// verdict says of them (the class and its specifics, word for word), the
// allocator's finding, the --max-outside-rate budget, and the plain
// "nothing outside malloc was recorded" without memory files.

#include "harness/analyze/memory_analysis.h"

#include <cmath>
#include <functional>
#include <memory>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/analyze/analyzer_testing.h"
#include "harness/analyze/memory_fold.h"

namespace jleak {
namespace {

using ::jleak::analyzer_testing::RunAnalysis;
using ::jleak::analyzer_testing::Snap;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kKiB = 1024.0;

// Memory: 12 timeline points 2 s apart, each with a memory point made by
// `fill(i, t, point)` over a flat baseline of every class.
std::vector<TimelinePoint> Memory(
    const std::function<void(int, double, MemoryPoint&, TimelinePoint&)>&
        fill) {
  std::vector<TimelinePoint> out;
  for (int i = 0; i < 12; ++i) {
    const double t = 2.0 * i;
    TimelinePoint p;
    p.seq = i;
    p.time_seconds = t;
    auto m = std::make_shared<MemoryPoint>();
    m->classes = {{"java_heap", 64 * kMiB}, {"class_metadata", 18 * kMiB},
                  {"code_cache", 9 * kMiB}, {"thread_stacks", 1 * kMiB},
                  {"malloc", 30 * kMiB},    {"file_mapped", 2 * kMiB},
                  {"anon_other", 3 * kMiB}, {"code_and_libraries", 40 * kMiB}};
    m->cost_ns = 5e6 + i;
    fill(i, t, *m, p);
    double rss = 0;
    for (const auto& [name, bytes] : m->classes) rss += bytes;
    m->rss_bytes = rss;
    if (!p.rss_bytes.has_value()) p.rss_bytes = rss;
    p.jemalloc_allocated = 24 * kMiB;
    p.memory = std::move(m);
    out.push_back(std::move(p));
  }
  return out;
}

Analysis Analyzed(std::vector<TimelinePoint> timeline, double warmup = 5) {
  Analysis a;
  a.warmup_seconds = warmup;
  a.timeline = std::move(timeline);
  AnalyzeMemory(FitLimits(), 0.05, a);
  return a;
}

void MappedFiles(int i, double t, MemoryPoint& m, TimelinePoint&) {
  // 2 MiB segments, one a second; the first 4 are always there.
  MemoryPoint::Files& f = m.files["/tmp/segments-*.idx"];
  f.mappings = 4 + t;
  f.rss_bytes = f.mappings * 2 * kMiB;
  f.mapped_from = {"sun.nio.ch.FileChannelImpl.map (FileChannelImpl.java:1113)",
                   "com.example.Index.open (Index.java:33)"};
  m.files["/usr/lib/jvm/lib/modules"].rss_bytes = 2 * kMiB;
  m.classes["file_mapped"] += f.rss_bytes;
  (void)i;
}

void Threads(int i, double t, MemoryPoint& m, TimelinePoint& p) {
  MemoryPoint::Threads& g = m.threads["pool-#-thread-#"];
  g.count = 12 * t;
  g.parked_in = {"jdk.internal.misc.Unsafe.park (Unsafe.java:-1)",
                 "java.util.concurrent.LinkedBlockingQueue.take "
                 "(LinkedBlockingQueue.java:435)"};
  g.started_from = {
      "java.util.concurrent.ThreadPoolExecutor.addWorker "
      "(ThreadPoolExecutor.java:945)",
      "com.example.Handler.handle (Handler.java:22)"};
  m.threads["main"].count = 1;
  m.classes["thread_stacks"] += g.count * 64 * kKiB;
  p.threads = 20 + g.count;
  (void)i;
}

TEST(AnalyzeMemoryTest, NothingRecordedSaysSoPlainly) {
  Analysis bare = Analyzed({});
  EXPECT_FALSE(bare.memory.recorded);
  EXPECT_THAT(bare.memory.reason,
              StartsWith("nothing outside malloc was recorded: heap profiles "
                         "only"));
  std::vector<TimelinePoint> timeline = Memory([](auto...) {});
  for (TimelinePoint& p : timeline) p.memory = nullptr;
  Analysis old = Analyzed(timeline);
  EXPECT_FALSE(old.memory.recorded);
  EXPECT_THAT(old.memory.reason,
              StartsWith("nothing outside malloc was recorded: the run "
                         "directory has no memory-SEQ.json files"));
  EXPECT_FALSE(TopOutsideGrowth(old, 0.05, false).has_value());
}

TEST(AnalyzeMemoryTest, ClassesAlignedWithTheTimelineAndFitted) {
  std::vector<TimelinePoint> timeline = Memory(MappedFiles);
  timeline[3].memory = nullptr;  // a snapshot without a memory file
  Analysis a = Analyzed(timeline);
  ASSERT_TRUE(a.memory.recorded);
  EXPECT_EQ(a.memory.snapshots, 11u);
  EXPECT_EQ(a.memory.median_cost_ns, 5e6 + 6);
  ASSERT_EQ(a.memory.classes.size(), 8u);
  EXPECT_EQ(a.memory.classes[0].name, "java_heap");
  const MemoryClassReport& files = a.memory.classes[5];
  EXPECT_EQ(files.name, "file_mapped");
  EXPECT_EQ(files.label, "mapped files");
  ASSERT_EQ(files.rss_bytes.size(), 12u);
  EXPECT_TRUE(std::isnan(files.rss_bytes[3]));
  EXPECT_EQ(files.rss_bytes[2], 2 * kMiB + (4 + 4) * 2 * kMiB);
  ASSERT_TRUE(files.growth.has_value());
  EXPECT_NEAR(files.growth->slope, 2 * kMiB, 1);
  EXPECT_EQ(files.growth->points, 8);  // t >= 5, less the missing one

  ASSERT_EQ(a.memory.files.size(), 2u);
  const MemoryFileReport& f = a.memory.files[0];  // the one that grew first
  EXPECT_EQ(f.pattern, "/tmp/segments-*.idx");
  EXPECT_EQ(f.last_mappings, 26);
  EXPECT_NEAR(f.mapping_growth->slope, 1, 1e-9);
  EXPECT_EQ(a.memory.files[1].growth->slope, 0);
}

TEST(AnalyzeMemoryTest, MappedFilesNamedWithCountRateAndCaller) {
  Analysis a = Analyzed(Memory(MappedFiles));
  std::optional<OutsideFinding> f = TopOutsideGrowth(a, 0.05, false);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->class_name, "file_mapped");
  EXPECT_EQ(f->sentence,
            "mapped files /tmp/segments-*.idx: 26 mappings, +2.0 MiB/s, "
            "mapped from com.example.Index.open (Index.java:33)");
}

TEST(AnalyzeMemoryTest, ThreadsNamedWithParkedInAndStarter) {
  Analysis a = Analyzed(Memory(Threads));
  ASSERT_EQ(a.memory.threads[0].pattern, "pool-#-thread-#");
  EXPECT_EQ(a.memory.threads[0].parked_in_frame,
            "java.util.concurrent.LinkedBlockingQueue.take");
  // A group that appears late counts 0 where it was absent.
  EXPECT_EQ(a.memory.threads[0].count[0], 0);
  std::optional<OutsideFinding> f = TopOutsideGrowth(a, 0.05, false);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->sentence,
            "threads pool-#-thread-#: +12.0/s, 264 live, parked in "
            "java.util.concurrent.LinkedBlockingQueue.take, started from "
            "com.example.Handler.handle (Handler.java:22); thread stacks "
            "+768.0 KiB/s");
}

TEST(AnalyzeMemoryTest, ClassLoadersNamedByType) {
  Analysis a =
      Analyzed(Memory([](int, double t, MemoryPoint& m, TimelinePoint&) {
        m.class_loaders["jdk.internal.loader.ClassLoaders$AppClassLoader"] = {
            1, 600};
        m.class_loaders["com.example.PluginLoader"] = {5 * t, 250 * t};
        m.classes["class_metadata"] += 250 * t * 3 * kKiB;
      }));
  ASSERT_EQ(a.memory.class_loaders[0].type, "com.example.PluginLoader");
  std::optional<OutsideFinding> f = TopOutsideGrowth(a, 0.05, false);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->sentence,
            "class metadata +750.0 KiB/s: loaders of type "
            "com.example.PluginLoader 30 -> 110, their classes 1500 -> 5500");
}

TEST(AnalyzeMemoryTest, AnonymousMappingsNamedByTheirMmapSite) {
  Analysis a =
      Analyzed(Memory([](int, double t, MemoryPoint& m, TimelinePoint&) {
        MemoryPoint::Mmaps& s = m.mmap_sites["anon <- com.example.N.map"];
        s.kind = "anon";
        s.mappings = 4 * t;
        s.bytes = s.mappings * 256 * kKiB;
        s.java_frames = {"com.example.N.map (N.java:-2)"};
        s.native_frames = {"Java_com_example_N_map"};
        m.classes["anon_other"] += s.bytes;
      }));
  std::optional<OutsideFinding> f = TopOutsideGrowth(a, 0.05, false);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->sentence,
            "anonymous mappings: 88 mappings, +1.0 MiB/s, mapped from "
            "com.example.N.map (N.java:-2) via Java_com_example_N_map");
}

TEST(AnalyzeMemoryTest, FlatClassesNameNothing) {
  Analysis a =
      Analyzed(Memory([](int i, double, MemoryPoint& m, TimelinePoint&) {
        m.classes["code_cache"] += (i % 3) * 4 * kKiB;  // noise, no trend
      }));
  EXPECT_FALSE(TopOutsideGrowth(a, 0.05, false).has_value());
  EXPECT_FALSE(MarkOutsideOverBudget(1, 0.05, FitLimits(), a));
}

MemoryAllocator Jemalloc(double allocated, double resident) {
  return {"jemalloc", {{"allocated", allocated}, {"resident", resident}}};
}

TEST(AnalyzeMemoryTest, AllocatorRetentionSaidWithItsFigures) {
  Analysis a =
      Analyzed(Memory([](int, double t, MemoryPoint& m, TimelinePoint&) {
        m.allocator = Jemalloc(24 * kMiB, 30 * kMiB + t * kMiB);
      }));
  ASSERT_TRUE(a.memory.allocator.has_value());
  EXPECT_EQ(a.memory.allocator->finding_kind, "retention");
  EXPECT_EQ(a.memory.allocator->finding,
            "jemalloc holds resident pages beyond what is allocated: "
            "resident - allocated 12.0 MiB -> 28.0 MiB (+1.0 MiB/s, p<0.001) "
            "while allocated stays at 24.0 MiB -> 24.0 MiB: fragmentation or "
            "retained pages, not live objects");
  EXPECT_EQ(a.memory.allocator->figures.at("resident").size(), 12u);
}

TEST(AnalyzeMemoryTest, AllocatedGrowingUnprofiledSaysWhy) {
  std::vector<TimelinePoint> timeline =
      Memory([](int, double t, MemoryPoint& m, TimelinePoint& p) {
        m.allocator = Jemalloc(24 * kMiB + t * kMiB, 30 * kMiB + t * kMiB);
        p.threads = 20 + 6 * t;
      });
  Analysis a;
  a.warmup_seconds = 5;
  a.timeline = timeline;
  a.thread_growth =
      FitSignal(a.timeline, 5, FitLimits(), &TimelinePoint::threads);
  AnalyzeMemory(FitLimits(), 0.05, a);
  EXPECT_EQ(a.memory.allocator->finding_kind, "allocated_not_profiled");
  EXPECT_EQ(a.memory.allocator->finding,
            "jemalloc allocated grows 30.0 MiB -> 46.0 MiB (+1.0 MiB/s, "
            "p<0.001) while the profiled heap grows +0 B/s: blocks freed "
            "into the thread caches (tcache) of the 96 new threads still "
            "count as allocated (up to 4.4 MiB a thread); the profile drops "
            "them at free");
  // The profiled heap grows as fast: nothing to explain.
  a.total.slope = 1 * kMiB;
  AnalyzeMemory(FitLimits(), 0.05, a);
  EXPECT_EQ(a.memory.allocator->finding_kind, "");
}

TEST(MarkOutsideOverBudgetTest, LateHalfMustStillGrow) {
  // Code cache fills fast after warm-up, then stops: not over budget.
  Analysis settling =
      Analyzed(Memory([](int i, double, MemoryPoint& m, TimelinePoint&) {
                 m.classes["code_cache"] += std::min(i, 7) * 1 * kMiB;
               }),
               0);
  EXPECT_FALSE(MarkOutsideOverBudget(128 * kKiB, 0.05, FitLimits(), settling));
  Analysis growing = Analyzed(Memory(MappedFiles));
  EXPECT_TRUE(MarkOutsideOverBudget(128 * kKiB, 0.05, FitLimits(), growing));
  EXPECT_TRUE(growing.memory.classes[5].over_budget);
  EXPECT_FALSE(growing.memory.classes[0].over_budget);
  // Over a budget above its rate, or disabled: not.
  EXPECT_FALSE(MarkOutsideOverBudget(3 * kMiB, 0.05, FitLimits(), growing));
  EXPECT_FALSE(growing.memory.classes[5].over_budget);
  EXPECT_FALSE(MarkOutsideOverBudget(0, 0.05, FitLimits(), growing));
}

// Through the analyzer: flat malloc sites, the timeline's memory points.
std::vector<SnapshotInput> FlatSnaps() {
  std::vector<SnapshotInput> snaps;
  for (int i = 0; i < 12; ++i) snaps.push_back(Snap(i, 2.0 * i, 1e6, 5e6));
  return snaps;
}

TEST(MemoryVerdictTest, RssGrowthOutsideMallocNamesTheFiles) {
  Analysis a = RunAnalysis(FlatSnaps(), Memory(MappedFiles));
  EXPECT_EQ(a.verdict, Verdict::kLeak) << a.reason;
  EXPECT_EQ(a.kind, GrowthKind::kOutsideMalloc);
  EXPECT_THAT(a.reason,
              HasSubstr(") and malloc'd memory explains 0% of it: growth "
                        "outside malloc: mapped files /tmp/segments-*.idx: "
                        "26 mappings, +2.0 MiB/s, mapped from "
                        "com.example.Index.open (Index.java:33)"));
  EXPECT_TRUE(a.memory.recorded);
}

TEST(MemoryVerdictTest, ThreadLeakNamesTheGroupNotTheCountTwice) {
  Analysis a = RunAnalysis(FlatSnaps(), Memory(Threads));
  EXPECT_EQ(a.verdict, Verdict::kLeak) << a.reason;
  EXPECT_THAT(a.reason, HasSubstr("growth outside malloc: threads "
                                  "pool-#-thread-#: +12.0/s"));
  EXPECT_THAT(a.reason, Not(HasSubstr("; threads ")));
}

TEST(MemoryVerdictTest, OneClassOverItsBudgetWhileRssIsFlat) {
  // Mapped files grow 200 KiB/s while the Java heap shrinks as fast: RSS
  // is flat, the class is not.
  auto fill = [](int, double t, MemoryPoint& m, TimelinePoint&) {
    MemoryPoint::Files& f = m.files["/var/seg-*.dat"];
    f.mappings = 10 + t;
    f.rss_bytes = t * 200 * kKiB;
    m.classes["file_mapped"] += f.rss_bytes;
    m.classes["java_heap"] -= f.rss_bytes;
  };
  Analysis a = RunAnalysis(FlatSnaps(), Memory(fill));
  EXPECT_EQ(a.verdict, Verdict::kLeak) << a.reason;
  EXPECT_EQ(a.kind, GrowthKind::kOutsideMalloc);
  EXPECT_THAT(a.reason,
              StartsWith("leak: growth outside malloc: mapped files "
                         "/var/seg-*.dat: 32 mappings, +200.0 KiB/s (mapped "
                         "files 95% CI "));
  EXPECT_THAT(a.reason, HasSubstr("; budget 128.0 KiB/s per class"));
  AnalyzerOptions off;
  off.budgets.max_outside_rate = 0;
  Analysis b = RunAnalysis(FlatSnaps(), Memory(fill), off);
  EXPECT_EQ(b.verdict, Verdict::kClean) << b.reason;
}

}  // namespace
}  // namespace jleak
