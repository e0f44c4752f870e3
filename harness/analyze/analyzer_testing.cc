// File: analyzer_testing.cc
//
// The analyzer tests' fake process (see analyzer_testing.h).

#include "harness/analyze/analyzer_testing.h"

#include <algorithm>
#include <string>
#include <utility>

namespace jleak::analyzer_testing {

FakeSymbolizer Symbols() {
  FakeSymbolizer s;
  s.Add(kMalloc, 0x100, {"malloc"}, "/lib/libjemalloc.so.2");
  s.Add(kLeakSite, 0x100, {"Java_X_leak"}, "/tmp/libx.so");
  s.Add(kOtherSite, 0x100, {"ChunkPool::allocate"}, "/usr/lib/libjvm.so");
  s.Add(kInterp, 0x100, {"Interpreter"}, "[jit]");
  s.Add(kCompiled, 0x100, {"X.leak()"}, "[jit]");
  s.Add(kCacheSite, 0x100, {"Java_Cache_fill"}, "/tmp/libcache.so");
  return s;
}

SnapshotInput Snap(int seq, double t, double leak_bytes, double other_bytes,
                   double cache_bytes, bool compiled) {
  SnapshotInput s;
  s.path = "snapshot-" + std::to_string(seq) + ".heap";
  s.seq = seq;
  s.time_seconds = t;
  HeapProfile& p = s.profile;
  if (leak_bytes > 0) {
    p.stacks.push_back(
        {{kMalloc, kLeakSite + 1, (compiled ? kCompiled : kInterp) + 1},
         {std::max(1.0, leak_bytes / 1024), leak_bytes},
         {}});
  }
  p.stacks.push_back({{kMalloc, kOtherSite + 1}, {100, other_bytes}, {}});
  if (cache_bytes > 0) {
    p.stacks.push_back({{kMalloc, kCacheSite + 1}, {10, cache_bytes}, {}});
  }
  return s;
}

Analysis RunAnalysis(std::vector<SnapshotInput> snaps,
                     std::vector<TimelinePoint> timeline,
                     AnalyzerOptions options, TimeSource ts) {
  FakeSymbolizer symbols = Symbols();
  return Analyze(std::move(snaps), ts, std::move(timeline), symbols,
                 FrameFilter(), options);
}

}  // namespace jleak::analyzer_testing
