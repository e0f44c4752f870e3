// File: elf_symbolizer_benchmark.cc
//
// How fast ElfSymbolizer names addresses in libjvm.so (24 MB, ~48k
// function symbols in .symtab): cold (a new symbolizer per iteration, so
// the ELF is opened and its symbol table sorted every time) and warm (the
// per-address cache answering).
//
//   bazel run -c opt //profile:elf_symbolizer_benchmark
//   bazel run -c opt //profile:elf_symbolizer_benchmark -- --libjvm=PATH
//
// The mapping table is what ld.so would make of the file's PT_LOAD
// segments at an arbitrary base, so the real offset/bias arithmetic runs.

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "profile/elf_symbolizer.h"
#include "profile/proc_maps.h"

namespace jleak {
namespace {

std::string g_libjvm =
    "/usr/lib/jvm/java-17-openjdk-amd64/lib/server/libjvm.so";
constexpr uint64_t kBase = 0x7f3a12000000;
constexpr uint64_t kPage = 0x1000;

struct Setup {
  std::vector<Mapping> mappings;
  uint64_t text_start = 0, text_limit = 0;
};

// Mappings as ld.so creates them for the file, loaded at kBase.
const Setup& GetSetup() {
  static const Setup* setup = [] {
    auto* s = new Setup;
    elf_version(EV_CURRENT);
    const int fd = open(g_libjvm.c_str(), O_RDONLY);
    Elf* elf = fd < 0 ? nullptr : elf_begin(fd, ELF_C_READ, nullptr);
    size_t phnum = 0;
    if (elf == nullptr || elf_getphdrnum(elf, &phnum) != 0) {
      std::fprintf(stderr, "cannot read %s\n", g_libjvm.c_str());
      std::exit(2);
    }
    for (size_t i = 0; i < phnum; ++i) {
      GElf_Phdr ph;
      if (gelf_getphdr(elf, static_cast<int>(i), &ph) == nullptr ||
          ph.p_type != PT_LOAD) {
        continue;
      }
      Mapping m;
      m.start = kBase + (ph.p_vaddr & ~(kPage - 1));
      m.limit = kBase + ((ph.p_vaddr + ph.p_memsz + kPage - 1) & ~(kPage - 1));
      m.offset = ph.p_offset & ~(kPage - 1);
      m.perms = (ph.p_flags & PF_X) ? "r-xp" : "r--p";
      m.device = "fe:01";
      m.inode = 1;
      m.path = g_libjvm;
      if (ph.p_flags & PF_X) {
        s->text_start = kBase + ph.p_vaddr;
        s->text_limit = kBase + ph.p_vaddr + ph.p_filesz;
      }
      s->mappings.push_back(m);
    }
    elf_end(elf);
    close(fd);
    return s;
  }();
  return *setup;
}

// n distinct addresses spread over the code: libjvm's text is dense with
// functions, so nearly all land inside one.
std::vector<uint64_t> Addresses(int n) {
  const Setup& s = GetSetup();
  std::vector<uint64_t> out;
  const uint64_t stride = (s.text_limit - s.text_start) / (n + 1);
  for (int i = 1; i <= n; ++i) out.push_back(s.text_start + i * stride + 3);
  return out;
}

void BM_SymbolizeLibjvmCold(benchmark::State& state) {
  const std::vector<uint64_t> addresses = Addresses(state.range(0));
  int resolved = 0;
  for (auto _ : state) {
    ElfSymbolizer symbolizer(GetSetup().mappings, {});
    resolved = 0;
    for (uint64_t a : addresses) resolved += symbolizer.Symbolize(a).resolved;
    benchmark::DoNotOptimize(resolved);
  }
  state.SetItemsProcessed(state.iterations() * addresses.size());
  state.counters["resolved_pct"] = 100.0 * resolved / addresses.size();
}
BENCHMARK(BM_SymbolizeLibjvmCold)
    ->Arg(1)
    ->Arg(100)
    ->Arg(3000)
    ->Unit(benchmark::kMillisecond);

void BM_SymbolizeLibjvmWarm(benchmark::State& state) {
  const std::vector<uint64_t> addresses = Addresses(state.range(0));
  ElfSymbolizer symbolizer(GetSetup().mappings, {});
  for (uint64_t a : addresses) symbolizer.Symbolize(a);
  for (auto _ : state) {
    for (uint64_t a : addresses) {
      benchmark::DoNotOptimize(symbolizer.Symbolize(a));
    }
  }
  state.SetItemsProcessed(state.iterations() * addresses.size());
}
BENCHMARK(BM_SymbolizeLibjvmWarm)->Arg(3000)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace jleak

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--libjvm=", 9) == 0) {
      jleak::g_libjvm = argv[i] + 9;
    }
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
