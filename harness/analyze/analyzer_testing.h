// File: analyzer_testing.h
//
// A fake process for the analyzer's tests (analyzer_test.cc,
// verdict_test.cc): a few sites at known addresses, snapshots of them with
// the live bytes a test asks for, and Analyze over them. Test-only.

#ifndef JLEAK_HARNESS_ANALYZE_ANALYZER_TESTING_H_
#define JLEAK_HARNESS_ANALYZE_ANALYZER_TESTING_H_

#include <cstdint>
#include <vector>

#include "harness/analyze/analyzer.h"
#include "profile/fake_symbolizer.h"

namespace jleak::analyzer_testing {

// Addresses of the fake process.
inline constexpr uint64_t kMalloc = 0x1000;
inline constexpr uint64_t kLeakSite = 0x2000;   // Java_X_leak, /tmp/libx.so
inline constexpr uint64_t kOtherSite = 0x3000;  // steady JVM allocation
inline constexpr uint64_t kInterp = 0x4000;     // interpreter frame, [jit]
inline constexpr uint64_t kCompiled = 0x5000;   // X.leak() compiled, [jit]
inline constexpr uint64_t kCacheSite = 0x6000;  // a native cache

// Symbols: the fake process's symbols.
FakeSymbolizer Symbols();

// Snap: one snapshot with the given live bytes per site (period 0: exact):
// the leak site (through the interpreter, or its compiled frame), the JVM's
// steady site, and the cache when `cache_bytes` > 0.
SnapshotInput Snap(int seq, double t, double leak_bytes, double other_bytes,
                   double cache_bytes = 0, bool compiled = false);

// RunAnalysis: Analyze over Symbols().
Analysis RunAnalysis(std::vector<SnapshotInput> snaps,
                     std::vector<TimelinePoint> timeline = {},
                     AnalyzerOptions options = {},
                     TimeSource ts = TimeSource::kTimeline);

}  // namespace jleak::analyzer_testing

#endif  // JLEAK_HARNESS_ANALYZE_ANALYZER_TESTING_H_
