#include "profile/frame_filter.h"

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
  EXPECT_TRUE(f.IsAllocatorModule(
      "/x/bazel-out/bin/third_party/jemalloc/lib/libjemalloc.so.2"));
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

namespace jleak {
namespace {

TEST(QualifiedNameTest, DropsReturnTypeAndParameters) {
  EXPECT_EQ(QualifiedName("std::__new_allocator<char>::allocate(unsigned "
                          "long, void const*)"),
            "std::__new_allocator<char>::allocate");
  EXPECT_EQ(QualifiedName("void std::vector<char, std::allocator<char> "
                          ">::_M_realloc_insert<char const&>(__gnu_cxx::__"
                          "normal_iterator<char*, std::vector<char> >, char "
                          "const&)"),
            "std::vector<char, std::allocator<char> >::_M_realloc_insert<char "
            "const&>");
  EXPECT_EQ(QualifiedName("operator new(unsigned long)"), "operator new");
  EXPECT_EQ(QualifiedName("(anonymous namespace)::Cache::Insert(int)"),
            "(anonymous namespace)::Cache::Insert");
  EXPECT_EQ(QualifiedName("void (anonymous namespace)::Fill(int)"),
            "(anonymous namespace)::Fill");
  EXPECT_EQ(QualifiedName("Foo::operator()(int) const"), "Foo::operator()");
  EXPECT_EQ(QualifiedName("deflateInit2_"), "deflateInit2_");
  EXPECT_EQ(QualifiedName("java.nio.ByteBuffer.allocateDirect"),
            "java.nio.ByteBuffer.allocateDirect");
}

TEST(FrameFilterTest, ClassifiesRuntimeJvmAndUserFrames) {
  FrameFilter f;
  const char* kLib = "/opt/app/libcache.so";
  const char* kJvm = "/usr/lib/jvm/java-17-openjdk-amd64/lib/server/libjvm.so";
  EXPECT_EQ(f.Classify("std::__new_allocator<char>::allocate(unsigned long, "
                       "void const*)",
                       kLib),
            FrameKind::kRuntime);
  EXPECT_EQ(f.Classify("void std::vector<char, std::allocator<char> "
                       ">::_M_realloc_insert<char>(int)",
                       kLib),
            FrameKind::kRuntime);
  EXPECT_EQ(f.Classify("std::__shared_count<(__gnu_cxx::_Lock_policy)2>::__"
                       "shared_count<Blob>(Blob*&)",
                       kLib),
            FrameKind::kRuntime);
  EXPECT_EQ(f.Classify("fopen", "/usr/lib/x86_64-linux-gnu/libc.so.6"),
            FrameKind::kRuntime);
  EXPECT_EQ(f.Classify("Unsafe_AllocateMemory0", kJvm), FrameKind::kJvm);
  EXPECT_EQ(f.Classify("Java_java_util_zip_Deflater_init",
                       "/usr/lib/jvm/x/lib/libzip.so"),
            FrameKind::kJvm);
  EXPECT_EQ(f.Classify("java.nio.ByteBuffer.allocateDirect", "[java]"),
            FrameKind::kJvm);
  EXPECT_EQ(f.Classify("jdk.internal.misc.Unsafe.allocateMemory", "[java]"),
            FrameKind::kJvm);
  EXPECT_EQ(f.Classify("com.example.Cache.put", "[java]"), FrameKind::kUser);
  EXPECT_EQ(f.Classify("[Java frames unavailable: GC active]", "[java]"),
            FrameKind::kJvm);
  EXPECT_EQ(f.Classify("LeakyCache::Insert(std::string const&)", kLib),
            FrameKind::kUser);
  EXPECT_EQ(f.Classify("deflateInit2_", "/usr/lib/x86_64-linux-gnu/libz.so.1"),
            FrameKind::kUser);
  // Module rules need a module path: a Java frame is never "libjvm.so".
  EXPECT_EQ(f.Classify("libjvm.so", "[java]"), FrameKind::kUser);
  // com.sun is the JDK's only in the packages the JDK ships; JNA and
  // other libraries under com.sun are users' code.
  EXPECT_EQ(f.Classify("com.sun.crypto.provider.CipherCore.init", "[java]"),
            FrameKind::kJvm);
  EXPECT_EQ(f.Classify("Java_com_sun_management_internal_Flag_getFlags",
                       "/usr/lib/jvm/x/lib/libmanagement_ext.so"),
            FrameKind::kJvm);
  EXPECT_EQ(f.Classify("com.sun.jna.Native.malloc", "[java]"),
            FrameKind::kUser);
  EXPECT_EQ(f.Classify("Java_com_sun_jna_Native_malloc",
                       "/usr/lib/x86_64-linux-gnu/jni/libjnidispatch.so"),
            FrameKind::kUser);
  EXPECT_EQ(f.Classify("com.sun.xml.bind.v2.runtime.JAXBContextImpl.<init>",
                       "[java]"),
            FrameKind::kUser);
}

TEST(FrameFilterTest, UserRulesAddKindsAndWinOverRuntime) {
  absl::StatusOr<std::vector<std::string>> p = FrameFilter::Parse(
      "runtime absl::*\njvm module:libnetty_tcnative.so\nuser "
      "std::experimental::mylib::*\nmy_alloc\n",
      "rules.txt");
  ASSERT_TRUE(p.ok()) << p.status();
  FrameFilter f;
  f.AddAll(*p);
  EXPECT_EQ(f.Classify("absl::InlinedVector<int, 4>::Grow()", "/x/libfoo.so"),
            FrameKind::kRuntime);
  EXPECT_EQ(f.Classify("SSL_new", "/tmp/libnetty_tcnative.so"),
            FrameKind::kJvm);
  EXPECT_EQ(f.Classify("std::experimental::mylib::Arena::New()", "/x/a.so"),
            FrameKind::kUser);
  EXPECT_TRUE(f.IsAllocatorFrame("my_alloc"));  // no kind: allocator
  EXPECT_FALSE(f.IsAllocatorFrame("absl::InlinedVector<int, 4>::Grow()"));
  EXPECT_FALSE(FrameFilter::Parse("runtime *\n", "t").ok());
}

}  // namespace
}  // namespace jleak
