#include "profiler/frame_filter.h"

#include "gtest/gtest.h"

namespace jleak {
namespace {

TEST(FrameFilterTest, DefaultsCoverJemallocLibcCxxAndHotspot) {
  FrameFilter f;
  for (const char* fn :
       {"prof_backtrace_impl", "je_prof_backtrace", "je_malloc_default",
        "imalloc_body", "malloc", "calloc", "posix_memalign",
        "operator new(unsigned long)", "os::malloc(unsigned long, MEMFLAGS)",
        "AllocateHeap(unsigned long, MEMFLAGS, "
        "AllocFailStrategy::AllocFailEnum)"}) {
    EXPECT_TRUE(f.IsAllocatorFrame(fn)) << fn;
  }
  for (const char* fn :
       {"Java_jleak_smoke_Smoke_retain", "deflateInit2_", "mallocate",
        "Unsafe_AllocateMemory0", "my::operator_new_helper", "je"}) {
    EXPECT_FALSE(f.IsAllocatorFrame(fn)) << fn;
  }
}

TEST(FrameFilterTest, UserPatternsExtendTheDefaults) {
  absl::StatusOr<std::vector<std::string>> p = FrameFilter::Parse(
      "# my allocator\n  my_pool_alloc \nmyalloc::*\n\n", "trim.txt");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->size(), 2u);
  FrameFilter f;
  EXPECT_FALSE(f.IsAllocatorFrame("my_pool_alloc"));
  f.AddAll(*p);
  EXPECT_TRUE(f.IsAllocatorFrame("my_pool_alloc"));
  EXPECT_FALSE(f.IsAllocatorFrame("my_pool_alloc2"));  // exact
  EXPECT_TRUE(f.IsAllocatorFrame("myalloc::Arena::New(int)"));
  EXPECT_TRUE(f.IsAllocatorFrame("malloc"));  // defaults kept
}

TEST(FrameFilterTest, RejectsPatternsThatCannotWork) {
  absl::StatusOr<std::vector<std::string>> p =
      FrameFilter::Parse("ok\nfoo*bar\n", "trim.txt");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("trim.txt:2:"), std::string::npos);
  EXPECT_FALSE(FrameFilter::Parse("*\n", "t").ok());
}

}  // namespace
}  // namespace jleak

namespace jleak {
namespace {

TEST(FrameFilterTest, ModulePatternsMatchTheFileName) {
  FrameFilter f;
  EXPECT_TRUE(
      f.IsAllocatorModule("/x/bazel-out/bin/profiler/lib/libjemalloc.so.2"));
  EXPECT_TRUE(f.IsAllocatorModule("libjemalloc.so"));
  EXPECT_FALSE(f.IsAllocatorModule("/usr/lib/libjemallocator.so"));
  EXPECT_FALSE(f.IsAllocatorModule("/usr/lib/jvm/lib/server/libjvm.so"));
  f.Add("module:libtcmalloc.so.4");
  EXPECT_TRUE(f.IsAllocatorModule("/usr/lib/libtcmalloc.so.4"));
  EXPECT_FALSE(f.IsAllocatorModule("/usr/lib/libtcmalloc.so.4.5"));
  // Module patterns never match function names.
  EXPECT_FALSE(f.IsAllocatorFrame("libtcmalloc.so.4"));
  EXPECT_FALSE(FrameFilter::Parse("module:*\n", "t").ok());
}

}  // namespace
}  // namespace jleak
