// File: engine_test.cc
//
// The sampling engine in a real process, no JVM: this binary (which holds
// the engine, so it is never patched itself) dlopens the test library built
// lazy and BIND_NOW, installs the engine, makes the libraries allocate and
// keep known amounts from several threads, and reads the heap_v2 snapshot
// back with //profile:heap_profile: each library function is a site whose
// unsampled bytes must match what it keeps (within 5 standard deviations of
// the sampling estimate). Then: frees leave nothing, detach restores every
// slot and stops sampling, a second install works, a library dlopen'ed
// through a hooked slot is patched, a bare-name dlopen still searches its
// caller's RUNPATH, realloc's cases, older sessions' blocks, threads that
// predate the install, and install/detach cycles under allocating threads.

#include "agent/sampling/engine.h"

#include <dlfcn.h>
#include <stdlib.h>

#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bazel/testing/runfiles.h"
#include "gtest/gtest.h"
#include "profile/heap_profile.h"
#include "profile/proc_maps.h"

namespace jleak::agent::sampling {
namespace {

using ::jleak::testing::Runfile;

std::string LibPath(const std::string& name) {
  return Runfile("agent/sampling/" + name);
}

// The test library's functions, as one dlopen'ed copy exports them.
struct Lib {
  std::string name;
  void* handle = nullptr;
  void* (*malloc_)(size_t) = nullptr;
  void* (*calloc_)(size_t, size_t) = nullptr;
  void* (*realloc_)(void*, size_t) = nullptr;
  void* (*reallocarray_)(void*, size_t, size_t) = nullptr;
  void* (*posix_memalign_)(size_t, size_t) = nullptr;
  void* (*aligned_alloc_)(size_t, size_t) = nullptr;
  void* (*memalign_)(size_t, size_t) = nullptr;
  void (*free_)(void*) = nullptr;
  void (*free_via_pointer_)(void*) = nullptr;
  void* (*malloc_address_)() = nullptr;
  void* (*dlopen_)(const char*, int) = nullptr;
};

template <typename F>
void Bind(void* handle, const char* symbol, F* f) {
  *f = reinterpret_cast<F>(dlsym(handle, symbol));
  ASSERT_NE(*f, nullptr) << symbol;
}

Lib Bound(const std::string& name, void* handle) {
  Lib lib;
  lib.name = name;
  lib.handle = handle;
  EXPECT_NE(handle, nullptr) << dlerror();
  if (handle == nullptr) return lib;
  Bind(handle, "tl_malloc", &lib.malloc_);
  Bind(handle, "tl_calloc", &lib.calloc_);
  Bind(handle, "tl_realloc", &lib.realloc_);
  Bind(handle, "tl_reallocarray", &lib.reallocarray_);
  Bind(handle, "tl_posix_memalign", &lib.posix_memalign_);
  Bind(handle, "tl_aligned_alloc", &lib.aligned_alloc_);
  Bind(handle, "tl_memalign", &lib.memalign_);
  Bind(handle, "tl_free", &lib.free_);
  Bind(handle, "tl_free_via_pointer", &lib.free_via_pointer_);
  Bind(handle, "tl_malloc_address", &lib.malloc_address_);
  Bind(handle, "tl_dlopen", &lib.dlopen_);
  return lib;
}

const Lib& Lazy() {
  static const Lib lib =
      Bound("libsampling_testlib_lazy.so",
            dlopen(LibPath("libsampling_testlib_lazy.so").c_str(), RTLD_LAZY));
  return lib;
}

const Lib& Now() {
  static const Lib lib =
      Bound("libsampling_testlib_now.so",
            dlopen(LibPath("libsampling_testlib_now.so").c_str(), RTLD_NOW));
  return lib;
}

std::string Basename(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Site: (library file name, function) of a stack's first frame.
using Site = std::pair<std::string, std::string>;

struct Snapshot {
  HeapProfile profile;
  std::map<Site, Counts> sites;  // unsampled, summed over stacks
};

Snapshot TakeSnapshot() {
  Snapshot snap;
  absl::StatusOr<std::string> text = SamplingEngine::HeapProfile();
  EXPECT_TRUE(text.ok()) << text.status();
  if (!text.ok()) return snap;
  absl::StatusOr<HeapProfile> p = ParseHeapProfile(*text, "engine.heap");
  EXPECT_TRUE(p.ok()) << p.status();
  if (!p.ok()) return snap;
  snap.profile = *std::move(p);
  for (const StackSample& s : snap.profile.stacks) {
    Dl_info info = {};
    if (dladdr(reinterpret_cast<void*>(s.frames[0]), &info) == 0 ||
        info.dli_sname == nullptr) {
      continue;
    }
    const std::string lib = Basename(info.dli_fname);
    if (lib.find("libsampling_testlib") == std::string::npos) continue;
    // The snapshot's own MAPPED_LIBRARIES places the frame in that file.
    const Mapping* m = FindMapping(snap.profile.mappings, s.frames[0]);
    EXPECT_TRUE(m != nullptr && Basename(m->path) == lib) << lib;
    snap.sites[{lib, info.dli_sname}] +=
        Unsample(s.sampled, snap.profile.sample_period);
  }
  return snap;
}

// At: a site's unsampled counts (zero if absent).
Counts At(const Snapshot& snap, const std::string& lib,
          const std::string& function) {
  auto it = snap.sites.find({lib, function});
  return it == snap.sites.end() ? Counts() : it->second;
}

// Sd: the standard deviation of the unsampled bytes of `count` objects of
// `size` at period R (each object contributes z / q with probability q).
double Sd(uint64_t size, uint64_t count, uint64_t period) {
  const double z = static_cast<double>(size);
  const double q = -std::expm1(-z / static_cast<double>(period));
  return std::sqrt(static_cast<double>(count) * z * z * (1 - q) / q);
}

EngineOptions Options(int lg, uint64_t seed = 1234) {
  EngineOptions o;
  o.lg_sample = lg;
  o.seed = seed;
  return o;
}

// One allocation site of the big test: which library function, what size,
// how many blocks each thread keeps.
struct SiteSpec {
  const Lib* lib;
  const char* function;
  uint64_t size;
  uint64_t per_thread;
};

void* Allocate(const SiteSpec& s) {
  const Lib& l = *s.lib;
  const std::string f = s.function;
  if (f == "tl_malloc") return l.malloc_(s.size);
  if (f == "tl_calloc") return l.calloc_(1, s.size);
  if (f == "tl_posix_memalign") return l.posix_memalign_(64, s.size);
  if (f == "tl_aligned_alloc") return l.aligned_alloc_(4096, s.size);
  if (f == "tl_memalign") return l.memalign_(256, s.size);
  if (f == "tl_realloc") return l.realloc_(l.malloc_(100), s.size);
  return nullptr;
}

TEST(SamplingEngine, SitesMatchKeptBytesThenFreesLeaveNothing) {
  const Lib& lazy = Lazy();
  const Lib& now = Now();
  ASSERT_TRUE(lazy.handle != nullptr && now.handle != nullptr);
  constexpr int kLg = 14;
  constexpr uint64_t kPeriod = uint64_t{1} << kLg;
  constexpr int kThreads = 4;
  const std::vector<SiteSpec> specs = {
      {&lazy, "tl_malloc", 4096, 600},
      {&lazy, "tl_calloc", 1000, 2000},
      {&lazy, "tl_posix_memalign", 20000, 100},
      {&lazy, "tl_aligned_alloc", 8192, 200},
      {&now, "tl_malloc", 300000, 8},
      {&now, "tl_memalign", 3000, 700},
      {&now, "tl_realloc", 50000, 40},
  };
  ASSERT_TRUE(SamplingEngine::Install(Options(kLg)).ok());

  std::vector<std::vector<void*>> kept(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      kept[t].reserve(8000);
      for (const SiteSpec& s : specs) {
        for (uint64_t i = 0; i < s.per_thread; ++i) {
          void* p = Allocate(s);
          ASSERT_NE(p, nullptr);
          kept[t].push_back(p);
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();

  Snapshot snap = TakeSnapshot();
  EXPECT_EQ(snap.profile.sample_period, kPeriod);
  for (const SiteSpec& s : specs) {
    const uint64_t count = s.per_thread * kThreads;
    const double truth = static_cast<double>(s.size * count);
    const Counts got = At(snap, s.lib->name, s.function);
    const double tolerance = 5 * Sd(s.size, count, kPeriod) + 0.01 * truth;
    std::printf(
        "%-28s %-18s true %10.0f  estimate %10.0f  (%+.2f%%, sd %.2f%%)\n",
        s.lib->name.c_str(), s.function, truth, got.bytes,
        100 * (got.bytes / truth - 1),
        100 * Sd(s.size, count, kPeriod) / truth);
    EXPECT_NEAR(got.bytes, truth, tolerance)
        << s.lib->name << " " << s.function << " (sd "
        << Sd(s.size, count, kPeriod) << ")";
  }
  // The 100-byte blocks that tl_realloc grew were taken out, not left at
  // the BIND_NOW library's tl_malloc (which keeps 300000-byte blocks only).
  const Counts now_malloc = At(snap, now.name, "tl_malloc");
  EXPECT_NEAR(now_malloc.objects, 8.0 * kThreads, 0.5);

  // Free everything, through the other library half of the time and
  // through the R_X86_64_64 function pointer a third of the time.
  for (int t = 0; t < kThreads; ++t) {
    for (size_t i = 0; i < kept[t].size(); ++i) {
      if (i % 3 == 0) {
        lazy.free_via_pointer_(kept[t][i]);
      } else if (i % 2 == 0) {
        now.free_(kept[t][i]);
      } else {
        lazy.free_(kept[t][i]);
      }
    }
  }
  snap = TakeSnapshot();
  EXPECT_TRUE(snap.sites.empty()) << snap.sites.size() << " sites left";
  ASSERT_TRUE(SamplingEngine::Uninstall().ok());
  const EngineStats st = SamplingEngine::Stats();
  EXPECT_FALSE(st.installed);
  EXPECT_GT(st.samples, 0u);
  EXPECT_EQ(st.live.dropped_full + st.live.dropped_contended, 0u);
  EXPECT_EQ(st.patcher.mprotect_failures, 0u);
}

std::map<uintptr_t, SlotInfo> TestLibSlots() {
  std::map<uintptr_t, SlotInfo> out;
  for (SlotInfo& s : SamplingEngine::ListSlots()) {
    if (s.object.find("libsampling_testlib") != std::string::npos) {
      out[s.address] = s;
    }
  }
  return out;
}

TEST(SamplingEngine, DetachRestoresEverySlotAndASecondInstallWorks) {
  const Lib& lazy = Lazy();
  const Lib& now = Now();
  void* const real_malloc = now.malloc_address_();
  const auto before = TestLibSlots();
  ASSERT_GE(before.size(), 16u);

  ASSERT_TRUE(SamplingEngine::Install(Options(10)).ok());
  EXPECT_FALSE(SamplingEngine::Install(Options(10)).ok());  // already
  // Every slot of every object the engine patches holds its hook.
  for (const SlotInfo& s : SamplingEngine::ListSlots()) {
    EXPECT_EQ(s.value, reinterpret_cast<uintptr_t>(
                           SamplingEngine::HookFor(s.function.c_str())))
        << s.object << " " << s.function;
  }
  EXPECT_EQ(now.malloc_address_(), SamplingEngine::HookFor("malloc"));
  const uint32_t generation = SamplingEngine::Stats().generation;

  ASSERT_TRUE(SamplingEngine::Uninstall().ok());
  EXPECT_FALSE(SamplingEngine::Uninstall().ok());  // already
  const auto after = TestLibSlots();
  ASSERT_EQ(after.size(), before.size());
  for (const auto& [address, s] : before) {
    EXPECT_EQ(after.at(address).value, s.value)
        << s.object << " " << s.function;
  }
  EXPECT_EQ(now.malloc_address_(), real_malloc);
  EXPECT_EQ(SamplingEngine::Stats().patcher.slots_tracked, 0u);

  // Not installed: 16 MiB at a 1 KiB period would give ~16,000 samples.
  const uint64_t samples = SamplingEngine::Stats().samples;
  for (int i = 0; i < 4096; ++i) lazy.free_(lazy.malloc_(4096));
  EXPECT_EQ(SamplingEngine::Stats().samples, samples);

  ASSERT_TRUE(SamplingEngine::Install(Options(10)).ok());
  EXPECT_EQ(SamplingEngine::Stats().generation, generation + 1);
  for (int i = 0; i < 4096; ++i) lazy.free_(lazy.malloc_(4096));
  EXPECT_GT(SamplingEngine::Stats().samples, samples + 1000);
  ASSERT_TRUE(SamplingEngine::Uninstall().ok());
}

TEST(SamplingEngine, LibraryDlopenedThroughAHookedSlotIsPatched) {
  const Lib& lazy = Lazy();
  ASSERT_TRUE(SamplingEngine::Install(Options(12)).ok());
  // dlopen of a path through the lazy library's hooked dlopen slot.
  const Lib late = Bound(
      "libsampling_testlib_late.so",
      lazy.dlopen_(LibPath("libsampling_testlib_late.so").c_str(), RTLD_NOW));
  ASSERT_NE(late.handle, nullptr);
  std::vector<void*> kept;
  for (int i = 0; i < 1024; ++i) kept.push_back(late.malloc_(4096));
  const Snapshot snap = TakeSnapshot();
  const Counts got = At(snap, late.name, "tl_malloc");
  EXPECT_NEAR(got.bytes, 4096.0 * 1024,
              5 * Sd(4096, 1024, 4096) + 0.01 * 4096 * 1024);
  for (void* p : kept) late.free_(p);
  ASSERT_TRUE(SamplingEngine::Uninstall().ok());
}

TEST(SamplingEngine, BareNameDlopenSearchesTheCallersRunpath) {
  // The loader library has RUNPATH $ORIGIN/sampling_testlibs; this binary
  // does not. A hook that called dlopen itself would search ours and fail.
  const Lib loader = Bound(
      "libsampling_testlib_loader.so",
      dlopen(LibPath("libsampling_testlib_loader.so").c_str(), RTLD_LAZY));
  ASSERT_NE(loader.handle, nullptr);
  ASSERT_TRUE(SamplingEngine::Install(Options(0)).ok());
  void* bare = loader.dlopen_("libsampling_testlib_bare.so", RTLD_NOW);
  ASSERT_NE(bare, nullptr) << dlerror();
  const Lib b = Bound("libsampling_testlib_bare.so", bare);
  // Passed on by a tail call, so not patched yet; Repatch() catches it.
  EXPECT_GT(SamplingEngine::Repatch(), 0);
  void* p = b.malloc_(12345);
  const Snapshot snap = TakeSnapshot();
  ASSERT_EQ(snap.sites.count({b.name, "tl_malloc"}), 1u);
  EXPECT_EQ(At(snap, b.name, "tl_malloc").bytes, 12345.0);
  b.free_(p);
  ASSERT_TRUE(SamplingEngine::Uninstall().ok());
}

// With lg_sample 0 every allocation is sampled with weight 1: exact counts.
TEST(SamplingEngine, ReallocCases) {
  const Lib& lazy = Lazy();
  ASSERT_TRUE(SamplingEngine::Install(Options(0)).ok());
  void* p = lazy.malloc_(100);
  void* q = lazy.realloc_(p, 5000);
  ASSERT_NE(q, nullptr);
  Snapshot snap = TakeSnapshot();
  EXPECT_EQ(snap.sites.count({lazy.name, "tl_malloc"}), 0u);
  EXPECT_EQ(At(snap, lazy.name, "tl_realloc").bytes, 5000.0);
  EXPECT_EQ(At(snap, lazy.name, "tl_realloc").objects, 1.0);

  // realloc(q, 0) frees q (glibc returns NULL).
  EXPECT_EQ(lazy.realloc_(q, 0), nullptr);
  snap = TakeSnapshot();
  EXPECT_EQ(snap.sites.count({lazy.name, "tl_realloc"}), 0u);

  // A realloc that fails leaves the block live and still sampled.
  void* r = lazy.malloc_(64);
  const uint64_t failures = SamplingEngine::Stats().realloc_failures;
  EXPECT_EQ(lazy.realloc_(r, SIZE_MAX / 2), nullptr);
  EXPECT_EQ(SamplingEngine::Stats().realloc_failures, failures + 1);
  snap = TakeSnapshot();
  EXPECT_EQ(At(snap, lazy.name, "tl_malloc").bytes, 64.0);

  // realloc(NULL, n) is an allocation at the realloc site.
  void* s = lazy.realloc_(nullptr, 777);
  snap = TakeSnapshot();
  EXPECT_EQ(At(snap, lazy.name, "tl_realloc").bytes, 777.0);
  // reallocarray moves a sampled block like realloc; overflow fails.
  void* t = lazy.reallocarray_(s, 3, 1000);
  ASSERT_NE(t, nullptr);
  snap = TakeSnapshot();
  EXPECT_EQ(At(snap, lazy.name, "tl_realloc").bytes, 0.0);
  EXPECT_EQ(At(snap, lazy.name, "tl_reallocarray").bytes, 3000.0);
  EXPECT_EQ(lazy.reallocarray_(t, SIZE_MAX / 2, 4), nullptr);
  lazy.free_(r);
  lazy.free_(t);
  snap = TakeSnapshot();
  EXPECT_TRUE(snap.sites.empty());
  ASSERT_TRUE(SamplingEngine::Uninstall().ok());
}

TEST(SamplingEngine, BlocksOfAnOlderSessionAreNotReported) {
  const Lib& lazy = Lazy();
  ASSERT_TRUE(SamplingEngine::Install(Options(0)).ok());
  std::vector<void*> kept;
  for (int i = 0; i < 10; ++i) kept.push_back(lazy.malloc_(1000));
  EXPECT_EQ(At(TakeSnapshot(), lazy.name, "tl_malloc").objects, 10.0);
  ASSERT_TRUE(SamplingEngine::Uninstall().ok());
  // Freed while detached: the engine does not see these frees.
  for (void* p : kept) lazy.free_(p);
  ASSERT_TRUE(SamplingEngine::Install(Options(0)).ok());
  EXPECT_EQ(TakeSnapshot().sites.count({lazy.name, "tl_malloc"}), 0u);
  EXPECT_GE(SamplingEngine::Stats().live.swept, 10u);
  ASSERT_TRUE(SamplingEngine::Uninstall().ok());
}

TEST(SamplingEngine, ThreadsThatPredateTheInstallAreSampled) {
  const Lib& now = Now();
  std::mutex mu;
  std::condition_variable cv;
  bool go = false;
  void* p = nullptr;
  std::thread old([&] {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return go; });
    p = now.malloc_(4321);
  });
  ASSERT_TRUE(SamplingEngine::Install(Options(0)).ok());
  {
    std::lock_guard<std::mutex> lock(mu);
    go = true;
  }
  cv.notify_all();
  old.join();
  EXPECT_EQ(At(TakeSnapshot(), now.name, "tl_malloc").bytes, 4321.0);
  now.free_(p);
  ASSERT_TRUE(SamplingEngine::Uninstall().ok());
}

TEST(SamplingEngine, InstallDetachCyclesUnderAllocatingThreads) {
  const Lib& lazy = Lazy();
  const Lib& now = Now();
  std::atomic<bool> stop{false};
  std::atomic<int64_t> operations{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::vector<void*> mine;
      uint64_t x = 77 + t;
      while (!stop.load()) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        const size_t size = 16 + (x >> 40) % 20000;
        const Lib& l = (x >> 20) % 2 ? lazy : now;
        switch ((x >> 33) % 6) {
          case 0:
            mine.push_back(l.malloc_(size));
            break;
          case 1:
            mine.push_back(l.calloc_(2, size));
            break;
          case 2:
            mine.push_back(l.posix_memalign_(32, size));
            break;
          case 3:
            if (!mine.empty()) mine.back() = l.realloc_(mine.back(), size);
            break;
          default:
            if (!mine.empty()) {
              l.free_(mine.back());
              mine.pop_back();
            }
        }
        operations.fetch_add(1, std::memory_order_relaxed);
        if (mine.size() > 200) {
          for (void* p : mine) l.free_(p);
          mine.clear();
        }
      }
      for (void* p : mine) lazy.free_(p);
    });
  }
  int cycles_with_samples = 0;
  for (int cycle = 0; cycle < 20; ++cycle) {
    ASSERT_TRUE(SamplingEngine::Install(Options(12, cycle + 1)).ok());
    // Let the threads do some work while installed (progress, not time).
    const int64_t start = operations.load();
    while (operations.load() < start + 2000) std::this_thread::yield();
    const Snapshot snap = TakeSnapshot();
    cycles_with_samples += !snap.profile.stacks.empty();
    ASSERT_TRUE(SamplingEngine::Uninstall().ok());
  }
  EXPECT_GT(cycles_with_samples, 0);
  stop.store(true);
  for (std::thread& t : threads) t.join();
  // Everything is freed: a new session reports none of it.
  ASSERT_TRUE(SamplingEngine::Install(Options(12)).ok());
  EXPECT_TRUE(TakeSnapshot().sites.empty());
  ASSERT_TRUE(SamplingEngine::Uninstall().ok());
  EXPECT_EQ(SamplingEngine::Stats().patcher.mprotect_failures, 0u);
}

}  // namespace
}  // namespace jleak::agent::sampling
