// File: engine_dso_test.cc
//
// The engine as the agent will carry it: a shared library dlopen'ed into
// this already-running process (libsampling_engine_dso.so). Here the test
// binary is not the engine's object, so its own imports are hooked too;
// the engine's __thread state goes through __tls_get_addr. Installs, checks
// that a library's kept blocks show at its site in the heap_v2 snapshot,
// that frees remove them, and that detach stops sampling.

#include <dlfcn.h>
#include <stdlib.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "bazel/testing/runfiles.h"
#include "gtest/gtest.h"
#include "profile/heap_profile.h"

namespace jleak::agent::sampling {
namespace {

using ::jleak::testing::Runfile;

template <typename F>
F Sym(void* handle, const char* name) {
  F f = reinterpret_cast<F>(dlsym(handle, name));
  EXPECT_NE(f, nullptr) << name;
  return f;
}

// Unsampled bytes of the stacks whose first frame is in `function`.
double SiteBytes(const char* text, const char* function) {
  absl::StatusOr<HeapProfile> p = ParseHeapProfile(text, "dso.heap");
  EXPECT_TRUE(p.ok()) << p.status();
  if (!p.ok()) return -1;
  double bytes = 0;
  for (const StackSample& s : p->stacks) {
    Dl_info info = {};
    if (dladdr(reinterpret_cast<void*>(s.frames[0]), &info) != 0 &&
        info.dli_sname != nullptr && std::string(info.dli_sname) == function &&
        std::string(info.dli_fname).find("libsampling_testlib_now") !=
            std::string::npos) {
      bytes += Unsample(s.sampled, p->sample_period).bytes;
    }
  }
  return bytes;
}

TEST(SamplingEngineDso, InstallSampleDetach) {
  void* engine =
      dlopen(Runfile("agent/sampling/libsampling_engine_dso.so").c_str(),
             RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(engine, nullptr) << dlerror();
  void* lib = dlopen(
      Runfile("agent/sampling/libsampling_testlib_now.so").c_str(), RTLD_NOW);
  ASSERT_NE(lib, nullptr) << dlerror();
  auto install = Sym<int (*)(int)>(engine, "jleak_sampling_install");
  auto uninstall = Sym<int (*)()>(engine, "jleak_sampling_uninstall");
  auto samples = Sym<unsigned long (*)()>(engine, "jleak_sampling_samples");
  auto profile = Sym<char* (*)()>(engine, "jleak_sampling_heap_profile");
  auto tl_malloc = Sym<void* (*)(size_t)>(lib, "tl_malloc");
  auto tl_free = Sym<void (*)(void*)>(lib, "tl_free");
  auto tl_malloc_address = Sym<void* (*)()>(lib, "tl_malloc_address");
  void* const real_malloc = tl_malloc_address();

  ASSERT_EQ(install(12), 0);
  EXPECT_NE(tl_malloc_address(), real_malloc);
  constexpr int kBlocks = 2000;
  constexpr size_t kSize = 4096;
  std::vector<void*> kept;
  for (int i = 0; i < kBlocks; ++i) kept.push_back(tl_malloc(kSize));
  char* text = profile();
  ASSERT_NE(text, nullptr);
  // 8 MB at a 4 KiB period: q = 1 - 1/e, sd = sqrt(n z^2 (1 - q) / q).
  const double q = 1 - std::exp(-1.0);
  const double sd = std::sqrt(kBlocks * double{kSize} * kSize * (1 - q) / q);
  EXPECT_NEAR(SiteBytes(text, "tl_malloc"), double{kSize} * kBlocks,
              5 * sd + 0.01 * kSize * kBlocks);
  free(text);

  for (void* p : kept) tl_free(p);
  text = profile();
  ASSERT_NE(text, nullptr);
  EXPECT_EQ(SiteBytes(text, "tl_malloc"), 0.0);
  free(text);

  ASSERT_EQ(uninstall(), 0);
  EXPECT_EQ(tl_malloc_address(), real_malloc);
  const unsigned long before = samples();
  for (int i = 0; i < kBlocks; ++i) tl_free(tl_malloc(kSize));
  EXPECT_EQ(samples(), before);
  // Installed again from the same loaded library: a second attach.
  ASSERT_EQ(install(12), 0);
  for (int i = 0; i < kBlocks; ++i) tl_free(tl_malloc(kSize));
  EXPECT_GT(samples(), before);
  ASSERT_EQ(uninstall(), 0);
}

}  // namespace
}  // namespace jleak::agent::sampling
