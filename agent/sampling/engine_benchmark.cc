// File: engine_benchmark.cc
//
// What the hooks cost a malloc+free pair made by a library through its
// GOT (the test library's tl_malloc_free: one malloc, one free), against
// the same pair with the engine not installed:
//
//   bazel run -c opt //agent/sampling:engine_benchmark
//
// - Plain: not installed (the library's slots point at libc).
// - Unsampled: installed with lg_sample 62, so no allocation is ever
//   sampled: the cost of the hooks' common path (TLS counter, filter).
// - Lg19: installed at jemalloc's default 512 KiB mean, sampled ones
//   included (a 64-byte block is sampled once in ~8,000).
// The Exe variants link the engine into this binary (local-exec TLS); the
// Dso variants dlopen it as a shared library, as the agent is loaded (its
// __thread state is reached through __tls_get_addr).

#include <benchmark/benchmark.h>
#include <dlfcn.h>

#include <cstdlib>
#include <string>

#include "agent/sampling/engine.h"
#include "bazel/testing/runfiles.h"

namespace jleak::agent::sampling {
namespace {

using ::jleak::testing::Runfile;

using MallocFree = void (*)(size_t);

MallocFree TestLibrary() {
  static MallocFree fn = [] {
    void* h =
        dlopen(Runfile("agent/sampling/libsampling_testlib_lazy.so").c_str(),
               RTLD_NOW);
    if (h == nullptr) std::abort();
    return reinterpret_cast<MallocFree>(dlsym(h, "tl_malloc_free"));
  }();
  return fn;
}

struct DsoEngine {
  int (*install)(int) = nullptr;
  int (*uninstall)() = nullptr;
};

const DsoEngine& Dso() {
  static DsoEngine dso = [] {
    DsoEngine d;
    void* h =
        dlopen(Runfile("agent/sampling/libsampling_engine_dso.so").c_str(),
               RTLD_NOW | RTLD_LOCAL);
    if (h == nullptr) std::abort();
    d.install =
        reinterpret_cast<int (*)(int)>(dlsym(h, "jleak_sampling_install"));
    d.uninstall =
        reinterpret_cast<int (*)()>(dlsym(h, "jleak_sampling_uninstall"));
    if (d.install == nullptr || d.uninstall == nullptr) std::abort();
    return d;
  }();
  return dso;
}

void Loop(benchmark::State& state) {
  const MallocFree malloc_free = TestLibrary();
  const size_t size = static_cast<size_t>(state.range(0));
  for (auto _ : state) malloc_free(size);
}

void BM_Plain(benchmark::State& state) { Loop(state); }
// Plain again after the installed runs: the heap's state differs between
// the first and later runs (a 4 KiB block freed next to the top chunk
// merges into it), so each installed figure is read against both.
void BM_PlainAfter(benchmark::State& state) { Loop(state); }

void InstalledExe(benchmark::State& state, int lg) {
  EngineOptions options;
  options.lg_sample = lg;
  options.seed = 1;
  if (!SamplingEngine::Install(options).ok()) std::abort();
  Loop(state);
  if (!SamplingEngine::Uninstall().ok()) std::abort();
}

void InstalledDso(benchmark::State& state, int lg) {
  if (Dso().install(lg) != 0) std::abort();
  Loop(state);
  if (Dso().uninstall() != 0) std::abort();
}

void BM_ExeUnsampled(benchmark::State& state) { InstalledExe(state, 62); }
void BM_ExeLg19(benchmark::State& state) { InstalledExe(state, 19); }
void BM_DsoUnsampled(benchmark::State& state) { InstalledDso(state, 62); }
void BM_DsoLg19(benchmark::State& state) { InstalledDso(state, 19); }

BENCHMARK(BM_Plain)->Arg(64)->Arg(4096);
BENCHMARK(BM_ExeUnsampled)->Arg(64)->Arg(4096);
BENCHMARK(BM_ExeLg19)->Arg(64)->Arg(4096);
BENCHMARK(BM_DsoUnsampled)->Arg(64)->Arg(4096);
BENCHMARK(BM_DsoLg19)->Arg(64)->Arg(4096);
BENCHMARK(BM_PlainAfter)->Arg(64)->Arg(4096);

}  // namespace
}  // namespace jleak::agent::sampling
