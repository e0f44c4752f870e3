// File: memory_fold_test.cc
//
// Folding a memory snapshot by pattern: numbers in paths and thread names,
// the frame a thread is parked in and the one that names its starter, and
// the groups (sums, counts, the commonest stack, where a file pattern was
// mapped from).

#include "harness/analyze/memory_fold.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jleak {
namespace {

TEST(FoldPathTest, DigitRunsBecomeOneStar) {
  EXPECT_EQ(FoldPath("/tmp/segments-12.idx"), "/tmp/segments-*.idx");
  EXPECT_EQ(FoldPath("/data/2024/05/part-00017.log"), "/data/*/*/part-*.log");
  EXPECT_EQ(FoldPath("/tmp/x.idx (deleted)"), "/tmp/x.idx");
  EXPECT_EQ(FoldPath("/no/digits"), "/no/digits");
  EXPECT_EQ(FoldPath(""), "");
  EXPECT_EQ(FoldPath("123"), "*");
}

TEST(FoldThreadNameTest, DigitRunsBecomeHash) {
  EXPECT_EQ(FoldThreadName("pool-3-thread-14"), "pool-#-thread-#");
  EXPECT_EQ(FoldThreadName("GC Thread#0"), "GC Thread##");
  EXPECT_EQ(FoldThreadName("main"), "main");
  EXPECT_EQ(FoldThreadName(""), "(unnamed)");
}

TEST(ParkedInFrameTest, SkipsParkingPrimitivesAndTheLine) {
  EXPECT_EQ(ParkedInFrame({"jdk.internal.misc.Unsafe.park (Unsafe.java:-1)",
                           "java.util.concurrent.locks.LockSupport.park "
                           "(LockSupport.java:341)",
                           "java.util.concurrent.LinkedBlockingQueue.take "
                           "(LinkedBlockingQueue.java:435)",
                           "java.util.concurrent.ThreadPoolExecutor.getTask"}),
            "java.util.concurrent.LinkedBlockingQueue.take");
  EXPECT_EQ(ParkedInFrame({"java.lang.Object.wait (Object.java:-2)",
                           "com.example.Q.poll"}),
            "com.example.Q.poll");
  // JDK 17's LinkedBlockingQueue.take parks through AQS and ForkJoinPool.
  EXPECT_EQ(
      ParkedInFrame({"jdk.internal.misc.Unsafe.park",
                     "java.util.concurrent.locks.LockSupport.park "
                     "(LockSupport.java:341)",
                     "java.util.concurrent.ForkJoinPool.unmanagedBlock "
                     "(ForkJoinPool.java:3463)",
                     "java.util.concurrent.ForkJoinPool.managedBlock "
                     "(ForkJoinPool.java:3434)",
                     "java.util.concurrent.locks.AbstractQueuedSynchronizer$"
                     "ConditionObject.await (AbstractQueuedSynchronizer.java:"
                     "1623)",
                     "java.util.concurrent.LinkedBlockingQueue.take "
                     "(LinkedBlockingQueue.java:435)"}),
      "java.util.concurrent.LinkedBlockingQueue.take");
  EXPECT_EQ(ParkedInFrame({"java.lang.Thread.sleep (Thread.java:-2)"}), "");
  EXPECT_EQ(ParkedInFrame({}), "");
}

TEST(NamingFrameTest, FirstFrameOutsideTheJdk) {
  EXPECT_EQ(NamingFrame({"java.util.concurrent.ThreadPoolExecutor.addWorker",
                         "com.example.Handler.handle (Handler.java:22)",
                         "com.example.Server.serve"}),
            "com.example.Handler.handle (Handler.java:22)");
  EXPECT_EQ(NamingFrame({"sun.nio.ch.FileChannelImpl.map", "jdk.x.Y.z"}),
            "sun.nio.ch.FileChannelImpl.map");
  EXPECT_EQ(NamingFrame({}), "");
  // The application's own JNI method mapped it: its Java caller names it.
  EXPECT_EQ(NamingFrame({"com.example.Arena.mapAnon (Native Method)",
                         "com.example.Arena.reserve (Arena.java:40)"}),
            "com.example.Arena.reserve (Arena.java:40)");
  EXPECT_EQ(NamingFrame({"com.example.Arena.mapAnon (Native Method)"}),
            "com.example.Arena.mapAnon (Native Method)");
}

MemoryThread Thread(const std::string& name, std::vector<std::string> parked,
                    std::vector<std::string> started, double stack) {
  MemoryThread t;
  t.name = name;
  t.parked_in = std::move(parked);
  t.started_from = std::move(started);
  t.stack_bytes = stack;
  return t;
}

TEST(FoldMemorySnapshotTest, GroupsByPattern) {
  MemorySnapshot s;
  s.rss_bytes = 1000;
  s.classes = {{"file_mapped", 300}};
  for (int i = 1; i <= 3; ++i) {
    MemoryFileEntry f;
    f.path = "/tmp/seg-" + std::to_string(i) + ".idx";
    f.mappings = i;
    f.rss_bytes = 100;
    f.size_bytes = 200;
    s.files.push_back(f);
  }
  MemoryFileEntry same;  // a second entry of a path counts once in `paths`
  same.path = "/tmp/seg-1.idx";
  same.deleted = true;
  s.files.push_back(same);
  s.threads = {Thread("pool-1-thread-1", {"a"}, {"s1"}, 10),
               Thread("pool-2-thread-1", {"b"}, {"s1"}, 20),
               Thread("pool-3-thread-1", {"b"}, {"s2"}, -0.0),
               Thread("main", {}, {}, 5)};
  s.threads[2].stack_bytes.reset();  // unknown
  s.class_loaders = {{"L", 2, 20}, {"L", 3, 30}, {"M", 1, 1}};
  MemoryMmapSite small, large, anon;
  small.kind = large.kind = "file";
  small.path = "/tmp/seg-1.idx";
  large.path = "/tmp/seg-2.idx";
  small.bytes = 10;
  large.bytes = 90;
  small.java_frames = {"com.example.A.small"};
  large.java_frames = {"sun.nio.ch.FileChannelImpl.map",
                       "com.example.Index.open (Index.java:33)"};
  anon.kind = "anon";
  anon.bytes = 7;
  anon.native_frames = {"Java_X_map"};
  s.mmap_sites = {small, large, anon, anon};

  const MemoryPoint p = FoldMemorySnapshot(s);
  EXPECT_EQ(*p.rss_bytes, 1000);
  ASSERT_EQ(p.files.size(), 1u);
  const MemoryPoint::Files& f = p.files.at("/tmp/seg-*.idx");
  EXPECT_EQ(f.mappings, 1 + 2 + 3 + 0);
  EXPECT_EQ(f.rss_bytes, 300);
  EXPECT_EQ(f.size_bytes, 600);
  EXPECT_EQ(f.paths, 3);
  EXPECT_TRUE(f.deleted);
  // The largest site of the pattern names where it was mapped from.
  EXPECT_EQ(f.mapped_from, large.java_frames);

  ASSERT_EQ(p.threads.size(), 2u);
  const MemoryPoint::Threads& pool = p.threads.at("pool-#-thread-#");
  EXPECT_EQ(pool.count, 3);
  EXPECT_EQ(pool.stack_bytes, 30);
  EXPECT_EQ(pool.parked_in, std::vector<std::string>{"b"});  // 2 of 3
  EXPECT_EQ(pool.started_from, std::vector<std::string>{"s1"});
  EXPECT_TRUE(p.threads.at("main").parked_in.empty());

  EXPECT_EQ(p.class_loaders.at("L").loaders, 5);
  EXPECT_EQ(p.class_loaders.at("L").classes, 50);
  EXPECT_EQ(p.class_loaders.at("M").classes, 1);

  ASSERT_EQ(p.mmap_sites.size(), 3u);
  const MemoryPoint::Mmaps& a = p.mmap_sites.at("anon <- Java_X_map");
  EXPECT_EQ(a.bytes, 14);
  EXPECT_EQ(a.mappings, 0);
  EXPECT_EQ(
      p.mmap_sites.count(
          "file /tmp/seg-*.idx <- com.example.Index.open (Index.java:33)"),
      1u);
}

}  // namespace
}  // namespace jleak
