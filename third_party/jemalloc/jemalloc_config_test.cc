// File: jemalloc_config_test.cc
//
// Checks the jemalloc that //third_party/jemalloc:jemalloc built: it must
// be 5.3.0, have profiling compiled in with the unwinder the build selected,
// and write a heap_v2 profile on `prof.dump` when MALLOC_CONF turns profiling
// on.
//
// The library must be the process allocator to be tested as users run it,
// so main() re-executes this binary with LD_PRELOAD and MALLOC_CONF set.

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace {

using MallctlFn = int (*)(const char*, void*, size_t*, void*, size_t);

std::string g_expect_unwinder;  // "libunwind" or "libgcc"

constexpr char kReexecMarker[] = "JLEAK_JEMALLOC_TEST_PRELOADED";

MallctlFn FindMallctl() {
  return reinterpret_cast<MallctlFn>(dlsym(RTLD_DEFAULT, "mallctl"));
}

template <typename T>
T ReadCtl(const char* name) {
  MallctlFn mallctl = FindMallctl();
  T value{};
  size_t size = sizeof(value);
  EXPECT_EQ(mallctl(name, &value, &size, nullptr, 0), 0) << name;
  return value;
}

TEST(JemallocConfigTest, IsThePreloadedAllocator) {
  ASSERT_NE(FindMallctl(), nullptr) << "mallctl not found: preload failed";
  // malloc itself must resolve to jemalloc, not glibc: a jemalloc-only
  // query on a pointer we just allocated tells.
  void* p = std::malloc(4096);
  ASSERT_NE(p, nullptr);
  auto sallocx = reinterpret_cast<size_t (*)(const void*, int)>(
      dlsym(RTLD_DEFAULT, "sallocx"));
  ASSERT_NE(sallocx, nullptr);
  EXPECT_EQ(sallocx(p, 0), 4096u);
  std::free(p);
}

TEST(JemallocConfigTest, VersionIs530) {
  const char* version = ReadCtl<const char*>("version");
  ASSERT_NE(version, nullptr);
  EXPECT_EQ(std::string(version).rfind("5.3.0", 0), 0u) << version;
}

TEST(JemallocConfigTest, ProfilingCompiledInWithSelectedUnwinder) {
  EXPECT_TRUE(ReadCtl<bool>("config.prof"));
  const bool libunwind = ReadCtl<bool>("config.prof_libunwind");
  const bool libgcc = ReadCtl<bool>("config.prof_libgcc");
  if (g_expect_unwinder == "libunwind") {
    EXPECT_TRUE(libunwind);
    EXPECT_FALSE(libgcc);
  } else {
    ASSERT_EQ(g_expect_unwinder, "libgcc");
    EXPECT_TRUE(libgcc);
    EXPECT_FALSE(libunwind);
  }
}

TEST(JemallocConfigTest, ProfilingIsOnFromMallocConf) {
  EXPECT_TRUE(ReadCtl<bool>("opt.prof"));
  EXPECT_TRUE(ReadCtl<bool>("prof.active"));
}

// Keeps allocations reachable so the compiler cannot drop them.
std::vector<void*>* g_kept = nullptr;

TEST(JemallocConfigTest, ProfDumpWritesHeapV2File) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string path =
      std::string(tmp != nullptr ? tmp : "/tmp") + "/config_test.heap";
  std::remove(path.c_str());

  // 64 MiB in 1 MiB blocks: with lg_prof_sample:0 (every allocation
  // sampled) all must appear in the profile.
  g_kept = new std::vector<void*>();
  for (int i = 0; i < 64; ++i) {
    void* p = std::malloc(1 << 20);
    std::memset(p, i, 1 << 20);
    g_kept->push_back(p);
  }

  const char* path_c = path.c_str();
  ASSERT_EQ(
      FindMallctl()("prof.dump", nullptr, nullptr, &path_c, sizeof(path_c)), 0);
  std::ifstream in(path);
  ASSERT_TRUE(in.good()) << "prof.dump wrote no file at " << path;
  std::stringstream contents;
  contents << in.rdbuf();
  const std::string text = contents.str();
  EXPECT_EQ(text.rfind("heap_v2/1\n", 0), 0u) << text.substr(0, 80);
  EXPECT_NE(text.find("MAPPED_LIBRARIES:"), std::string::npos);

  // The all-threads total line: "  t*: <objs>: <bytes> [...]".
  long long objs = 0, bytes = 0;
  ASSERT_EQ(std::sscanf(text.c_str() + text.find('\n') + 1, " t*: %lld: %lld",
                        &objs, &bytes),
            2);
  EXPECT_GE(bytes, 64ll << 20);
  for (void* p : *g_kept) std::free(p);
}

}  // namespace

int main(int argc, char** argv) {
  // Kept whole for the re-exec; InitGoogleTest removes the flags it knows.
  std::vector<char*> original_argv(argv, argv + argc + 1);
  testing::InitGoogleTest(&argc, argv);
  std::string jemalloc;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--jemalloc=", 0) == 0) jemalloc = arg.substr(11);
    if (arg.rfind("--expect_unwinder=", 0) == 0) {
      g_expect_unwinder = arg.substr(18);
    }
  }
  if (jemalloc.empty() || g_expect_unwinder.empty()) {
    std::fprintf(stderr, "usage: %s --jemalloc=PATH --expect_unwinder=NAME\n",
                 argv[0]);
    return 2;
  }
  if (std::getenv(kReexecMarker) == nullptr) {
    char abs[4096];
    if (realpath(jemalloc.c_str(), abs) == nullptr) {
      std::fprintf(stderr, "cannot resolve %s\n", jemalloc.c_str());
      return 2;
    }
    setenv("LD_PRELOAD", abs, 1);
    setenv("MALLOC_CONF", "prof:true,lg_prof_sample:0", 1);
    setenv(kReexecMarker, "1", 1);
    execv("/proc/self/exe", original_argv.data());
    std::perror("execv /proc/self/exe");
    return 2;
  }
  return RUN_ALL_TESTS();
}
