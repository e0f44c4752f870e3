// File: heap_profile_benchmark.cc
//
// How fast a real JVM heap profile is read: parsing, unsampling, naming
// (NameProfile with a FakeSymbolizer, so only our own work is measured:
// distinct-address dedup, trimming, merging, unsampling), a --base
// difference, and the whole path with the real ElfSymbolizer (cold: every
// module opened and its symbols sorted in each iteration).
//
//   bazel run -c opt //profile:heap_profile_benchmark
//
// Also: the same path naming from symbol tables only vs with DWARF, and the
// parser on synthetic profiles of 1k-100k stacks (synthetic_profile.h).
//
// Inputs are testdata/profiles/smoke/jeprof.18581.{0.i0,3.f}.heap (24 KB,
// 14 and 16 stacks, ~240 maps lines) and, for the ElfSymbolizer case,
// testdata/profiles/zlib/jeprof.7416.2.f.heap (its modules are all system
// libraries, so the figure does not depend on a bazel-out).

#include <benchmark/benchmark.h>

#include <cstdint>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "profile/elf_symbolizer.h"
#include "profile/fake_symbolizer.h"
#include "profile/frame_filter.h"
#include "profile/heap_profile.h"
#include "profile/named_profile.h"
#include "profile/synthetic_profile.h"

namespace jleak {
namespace {

constexpr char kSmokeFinal[] = "testdata/profiles/smoke/jeprof.18581.3.f.heap";
constexpr char kSmokeFirst[] = "testdata/profiles/smoke/jeprof.18581.0.i0.heap";
constexpr char kZlibFinal[] = "testdata/profiles/zlib/jeprof.7416.2.f.heap";

// ReadOrEmpty returns the whole file, or "" if it cannot be read.
std::string ReadOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Input {
  std::string text;
  absl::StatusOr<HeapProfile> profile;
};

// Load reads and parses `path` once per process.
const Input& Load(const std::string& path) {
  static auto* cache = new std::map<std::string, Input>;
  auto it = cache->find(path);
  if (it == cache->end()) {
    Input in;
    in.text = ReadOrEmpty(path);
    in.profile = in.text.empty()
                     ? absl::NotFoundError(absl::StrFormat(
                           "cannot read %s (use bazel run, which runs in the "
                           "runfiles)",
                           path))
                     : ParseHeapProfile(in.text, path);
    it = cache->emplace(path, std::move(in)).first;
  }
  return it->second;
}

// Ready skips the benchmark, saying why, when `in` could not be loaded.
bool Ready(const Input& in, benchmark::State& state) {
  if (in.profile.ok()) return true;
  state.SkipWithError(std::string(in.profile.status().message()).c_str());
  return false;
}

// FakeFor names every address of `profile` as a distinct function in the
// module that maps it; the innermost 4 frames of every stack get
// jemalloc's names so that NameProfile trims them, as in real profiles.
FakeSymbolizer FakeFor(const HeapProfile& profile) {
  FakeSymbolizer fake;
  absl::flat_hash_set<uint64_t> seen;
  const char* const kAllocator[] = {"prof_backtrace_impl", "je_prof_backtrace",
                                    "je_prof_tctx_create", "je_malloc_default"};
  for (const StackSample& s : profile.stacks) {
    for (size_t i = 0; i < s.frames.size(); ++i) {
      const uint64_t pc = s.frames[i];
      if (!seen.insert(pc).second) continue;
      std::string module = "[anon]";
      for (const Mapping& m : profile.mappings) {
        if (pc >= m.start && pc < m.limit) module = m.path;
      }
      std::string name =
          i < 4 ? kAllocator[i] : absl::StrFormat("function_%x", pc);
      // Covers both pc (innermost frame) and pc - 1 (callers).
      fake.Add(pc - 1, 2, {name}, module);
    }
  }
  return fake;
}

void BM_Parse(benchmark::State& state) {
  const Input& in = Load(kSmokeFinal);
  if (!Ready(in, state)) return;
  for (auto _ : state) {
    absl::StatusOr<HeapProfile> p = ParseHeapProfile(in.text, kSmokeFinal);
    benchmark::DoNotOptimize(p);
  }
  state.SetBytesProcessed(state.iterations() *
                          static_cast<int64_t>(in.text.size()));
}
BENCHMARK(BM_Parse);

void BM_Unsample(benchmark::State& state) {
  const Input& in = Load(kSmokeFinal);
  if (!Ready(in, state)) return;
  const HeapProfile* profile = &*in.profile;
  for (auto _ : state) {
    Counts total = TotalUnsampled(*profile);
    benchmark::DoNotOptimize(total);
  }
  state.counters["stacks"] = static_cast<double>(profile->stacks.size());
}
BENCHMARK(BM_Unsample);

void BM_ParseAndUnsample(benchmark::State& state) {
  const Input& in = Load(kSmokeFinal);
  if (!Ready(in, state)) return;
  for (auto _ : state) {
    absl::StatusOr<HeapProfile> p = ParseHeapProfile(in.text, kSmokeFinal);
    Counts total = TotalUnsampled(*p);
    benchmark::DoNotOptimize(total);
  }
  state.SetBytesProcessed(state.iterations() *
                          static_cast<int64_t>(in.text.size()));
}
BENCHMARK(BM_ParseAndUnsample);

// NameProfile with a FakeSymbolizer: symbolizer lookups cost a std::map
// search, so the figure is NameProfile's own work.
void BM_NameProfileFake(benchmark::State& state) {
  const Input& in = Load(kSmokeFinal);
  if (!Ready(in, state)) return;
  const HeapProfile* profile = &*in.profile;
  FakeSymbolizer fake = FakeFor(*profile);
  const FrameFilter filter;
  size_t stacks = 0;
  for (auto _ : state) {
    NamedProfile named = NameProfile(*profile, fake, filter);
    stacks = named.stacks.size();
    benchmark::DoNotOptimize(named);
  }
  state.counters["named_stacks"] = static_cast<double>(stacks);
}
BENCHMARK(BM_NameProfileFake);

// Two profiles parsed, named (fake symbols) and diffed: `jleak profile
// --base` without the ELF work.
void BM_ParseNameDiffFake(benchmark::State& state) {
  const Input& newer = Load(kSmokeFinal);
  const Input& older = Load(kSmokeFirst);
  if (!Ready(newer, state) || !Ready(older, state)) return;
  // Fakes as for one process per profile.
  FakeSymbolizer fake = FakeFor(*newer.profile);
  FakeSymbolizer fake_older = FakeFor(*older.profile);
  const FrameFilter filter;
  for (auto _ : state) {
    absl::StatusOr<HeapProfile> a = ParseHeapProfile(newer.text, kSmokeFinal);
    absl::StatusOr<HeapProfile> b = ParseHeapProfile(older.text, kSmokeFirst);
    NamedProfile diff = DiffProfiles(NameProfile(*a, fake, filter),
                                     NameProfile(*b, fake_older, filter));
    SortByBytes(&diff.stacks);
    benchmark::DoNotOptimize(diff);
  }
}
BENCHMARK(BM_ParseNameDiffFake);

// The whole path with the real ElfSymbolizer, cold: libjvm.so, libc, libz,
// ... opened and their symbol tables sorted in every iteration, as in one
// `jleak profile` process.
void BM_ParseNameElfCold(benchmark::State& state) {
  const Input& in = Load(kZlibFinal);
  if (!Ready(in, state)) return;
  const FrameFilter filter;
  int modules = 0;
  for (auto _ : state) {
    absl::StatusOr<HeapProfile> p = ParseHeapProfile(in.text, kZlibFinal);
    ElfSymbolizerOptions options;
    options.debug_dirs = {};
    ElfSymbolizer symbolizer(p->mappings, options);
    NamedProfile named = NameProfile(*p, symbolizer, filter);
    modules = symbolizer.ModulesOpened();
    benchmark::DoNotOptimize(named);
  }
  state.counters["modules_opened"] = modules;
}
BENCHMARK(BM_ParseNameElfCold)->Unit(benchmark::kMillisecond);

// The whole path on libc's DWARF too: names only (as `jleak profile`'s text
// report), and with source detail (inlined frames, file:line: --inlines,
// pprof). With libc6-dbg installed the second inflates libc's compressed
// debug sections; the first never opens them.
void BM_ParseNameElfNamesOnly(benchmark::State& state) {
  const Input& in = Load(kZlibFinal);
  if (!Ready(in, state)) return;
  const FrameFilter filter;
  const bool detail = state.range(0) != 0;
  int dwarf = 0;
  for (auto _ : state) {
    absl::StatusOr<HeapProfile> p = ParseHeapProfile(in.text, kZlibFinal);
    ElfSymbolizer symbolizer(p->mappings, {});
    NamedProfile named = NameProfile(*p, symbolizer, filter,
                                     NameOptions{/*source_detail=*/detail});
    dwarf = symbolizer.DwarfModulesOpened();
    benchmark::DoNotOptimize(named);
  }
  state.counters["dwarf_modules_opened"] = dwarf;
}
BENCHMARK(BM_ParseNameElfNamesOnly)
    ->ArgName("source_detail")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond);

// Parsing synthetic profiles of 1k, 10k and 100k stacks (synthetic_profile.h,
// 8-24 frames each): how the parser scales with a large service's profile.
void BM_ParseSynthetic(benchmark::State& state) {
  SyntheticOptions o;
  o.stacks = static_cast<int>(state.range(0));
  const std::string text =
      SyntheticSeries(o, MadeUpModule(4000)).SnapshotText(0);
  HeapProfile profile;
  for (auto _ : state) {
    absl::Status st = ParseHeapProfileInto(text, "synthetic", &profile);
    benchmark::DoNotOptimize(st);
  }
  state.SetBytesProcessed(state.iterations() *
                          static_cast<int64_t>(text.size()));
  state.SetItemsProcessed(state.iterations() * o.stacks);
}
BENCHMARK(BM_ParseSynthetic)
    ->ArgName("stacks")
    ->Arg(1000)
    ->Arg(10000)
    ->Arg(100000)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace jleak
