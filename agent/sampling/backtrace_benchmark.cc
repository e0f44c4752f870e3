// File: backtrace_benchmark.cc
//
// The cost of one stack trace, taken at a given depth of nested calls that
// keep frame pointers: FramePointerBacktrace against libunwind's
// unw_backtrace (jemalloc's unwinder with --enable-prof-libunwind, which
// the jemalloc engine uses today), warm, same max_len (128).
//
//   bazel run -c opt //agent/sampling:backtrace_benchmark
//
// Both walk the same frames; the counter "frames" says how many each found.

#define UNW_LOCAL_ONLY
#include <benchmark/benchmark.h>
#include <libunwind.h>

#include "agent/sampling/frame_pointer_backtrace.h"

namespace jleak::agent::sampling {
namespace {

constexpr unsigned kMaxFrames = 128;

using Walker = unsigned (*)(void** vec);

unsigned FramePointer(void** vec) {
  unsigned len = 0;
  FramePointerBacktrace(vec, &len, kMaxFrames);
  return len;
}

unsigned Libunwind(void** vec) {
  const int n = unw_backtrace(vec, kMaxFrames);
  return n < 0 ? 0 : static_cast<unsigned>(n);
}

// Recurse runs the benchmark loop `depth` frames below the benchmark's own.
__attribute__((noinline)) void Recurse(int depth, benchmark::State& state,
                                       Walker walk) {
  if (depth > 0) {
    Recurse(depth - 1, state, walk);
    benchmark::ClobberMemory();  // keeps the frame: no tail call
    return;
  }
  void* vec[kMaxFrames];
  unsigned frames = 0;
  for (auto _ : state) {
    frames = walk(vec);
    benchmark::DoNotOptimize(vec[0]);
  }
  state.counters["frames"] = frames;
}

void BM_FramePointerBacktrace(benchmark::State& state) {
  Recurse(static_cast<int>(state.range(0)), state, &FramePointer);
}
void BM_UnwBacktrace(benchmark::State& state) {
  Recurse(static_cast<int>(state.range(0)), state, &Libunwind);
}

BENCHMARK(BM_FramePointerBacktrace)->Arg(0)->Arg(10)->Arg(30)->Arg(100);
BENCHMARK(BM_UnwBacktrace)->Arg(0)->Arg(10)->Arg(30)->Arg(100);

}  // namespace
}  // namespace jleak::agent::sampling
