// File: synthetic_profile.h
//
// SyntheticSeries: jemalloc heap profiles of any size, a whole series of
// them, with a leak planted at known stacks: the input of the scaling
// benchmarks (ci/bench/bench_scale.sh) and of the tests that check the planted
// site is found at every size (//harness/analyze:planted_site_test).
//
//   SyntheticOptions o;
//   o.stacks = 10000;
//   o.snapshots = 1000;
//   SyntheticSeries series(o, MadeUpModule(2000));   // or ElfModule(path)
//   HeapProfile p = series.Snapshot(7);              // in memory
//   std::string text = series.SnapshotText(7);       // heap_v2, as jemalloc
//   series.planted_functions();                      // where the leak is
//
// Shape, chosen to look like a JVM's profiles:
// - every stack starts with 3 frames of the preloaded jemalloc (trimmed by
//   module, never symbolized, as in real profiles), then `min_depth` to
//   `max_depth` frames of the module's functions;
// - stacks come in groups of 4 that share their first 6 frames (one site
//   reached from 4 callers), so a profile of N stacks has about N/4 sites;
// - each stack holds 1 to 8 sampled objects of 16 B to 64 KiB, and from one
//   snapshot to the next, with probability 1/5, one more or one fewer: flat,
//   noisy, never a trend;
// - `planted` stacks (the first stack of the first sites) hold 1 MiB
//   objects and gain `leak_objects_per_snapshot` of them every snapshot
//   (4: about 16 KiB/s at a snapshot every 5 minutes, four times the
//   default site budget, over budget even with 7 snapshots analyzed).
// Everything is a function of (seed, stack, snapshot): any snapshot can be
// made alone, in any order, on any thread.
//
// The module is either made up (MadeUpModule: names "synthetic::fn_<k>()"
// at a fake path, for a FakeSymbolizer) or a real ELF file's function
// symbols (ElfModule, e.g. libjvm.so: the real symbolizer's cost).

#ifndef JLEAK_PROFILE_SYNTHETIC_PROFILE_H_
#define JLEAK_PROFILE_SYNTHETIC_PROFILE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "profile/heap_profile.h"
#include "profile/proc_maps.h"

namespace jleak {

struct SyntheticFunction {
  std::string name;      // as a symbolizer names it
  uint64_t address = 0;  // where it is mapped in the synthetic process
  uint64_t size = 0;
};

struct SyntheticModule {
  Mapping mapping;  // the module's one executable mapping
  std::vector<SyntheticFunction> functions;
};

// MadeUpModule: `functions` functions "synthetic::fn_<k>()" of 256 bytes
// each, mapped from /opt/synthetic/libsynthetic.so.
SyntheticModule MadeUpModule(int functions);

// ElfModule: the sized function symbols of a real ELF file (at most
// `max_functions`, spread over the file), mapped whole at a fixed base so
// that ElfSymbolizer names them from the file itself. Names are the
// demangled symbol names.
absl::StatusOr<SyntheticModule> ElfModule(const std::string& path,
                                          int max_functions);

struct SyntheticOptions {
  int stacks = 1000;   // distinct stacks per profile
  int snapshots = 10;  // in the series
  int min_depth = 8;   // frames per stack below the allocator's 3
  int max_depth = 24;
  int planted = 1;                    // leaking stacks
  int leak_objects_per_snapshot = 4;  // of 1 MiB, sampled, per planted stack
  uint64_t sample_period = 1 << 19;   // jemalloc's lg_prof_sample:19
  uint64_t seed = 1;
};

class SyntheticSeries {
 public:
  SyntheticSeries(SyntheticOptions options, SyntheticModule module);

  const SyntheticOptions& options() const { return options_; }
  // The mappings every snapshot lists: the module's and the allocator's.
  const std::vector<Mapping>& mappings() const { return mappings_; }
  const SyntheticModule& module() const { return module_; }

  // Snapshot `i` (0-based) of the series.
  HeapProfile Snapshot(int i) const;
  // The same, as the heap_v2 text jemalloc writes.
  std::string SnapshotText(int i) const;

  // The innermost module function of each planted stack: what a leak
  // analysis must name (its site's first frame).
  std::vector<std::string> planted_functions() const;

 private:
  struct Stack {
    std::vector<uint64_t> frames;
    uint64_t object_size = 0;
    int base_objects = 0;
    bool planted = false;
  };
  int Objects(int stack, int snapshot) const;

  SyntheticOptions options_;
  SyntheticModule module_;
  std::vector<Mapping> mappings_;
  std::vector<Stack> stacks_;
};

}  // namespace jleak

#endif  // JLEAK_PROFILE_SYNTHETIC_PROFILE_H_
