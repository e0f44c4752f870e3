// File: memory_analysis.h
//
// Where RSS went (Analysis::memory, memory_report.h): the memory points
// the loader hung on the timeline (TimelinePoint::memory, memory_fold.h)
// turned into series aligned with the timeline and fitted after the
// warm-up by the same estimator as every other signal; and what the
// verdict (verdict.h) says of them: the class outside malloc that grows
// with its specifics ("mapped files /tmp/segments-*.idx: 85 mappings,
// +3.9 MiB/s, mapped from com.example.Index.open (Index.java:33)"), which
// classes are over Budgets::max_outside_rate, and what the allocator's
// own figures show. Pure.

#ifndef JLEAK_HARNESS_ANALYZE_MEMORY_ANALYSIS_H_
#define JLEAK_HARNESS_ANALYZE_MEMORY_ANALYSIS_H_

#include <optional>
#include <string>

#include "harness/analyze/analysis.h"
#include "harness/analyze/timeline_growth.h"

namespace jleak {

// The reason of MemoryReport when nothing was recorded: bare .heap files
// (no timeline at all), and run directories without memory files.
inline constexpr char kNothingOutsideMalloc[] =
    "nothing outside malloc was recorded";

// MemoryClassLabel: "mapped files" for "file_mapped", ...; the name itself
// for a class this jleak does not know.
std::string MemoryClassLabel(const std::string& name);

// IsOutsideMallocClass: a class whose growth malloc's sites cannot
// explain: every class but "malloc" and "java_heap".
bool IsOutsideMallocClass(const std::string& name);

// AnalyzeMemory sets a.memory from a.timeline (fitted from
// a.warmup_seconds; a.total must be fitted: the allocator's finding
// compares with it).
void AnalyzeMemory(const FitLimits& limits, double alpha, Analysis& a);

// What grows outside malloc, named.
struct OutsideFinding {
  std::string class_name;  // "file_mapped", ...
  double rate = 0;         // bytes per second of the class
  // "mapped files /tmp/segments-*.idx: 85 mappings, +3.9 MiB/s, mapped
  // from com.example.Index.open (Index.java:33)"
  std::string sentence;
};

// TopOutsideGrowth: the outside-malloc class that grows fastest with
// p < alpha (only those marked over budget when `over_budget_only`), with
// its specifics; without such a class, a thread group whose count grows
// with p < alpha. nullopt when nothing was recorded or nothing grows.
std::optional<OutsideFinding> TopOutsideGrowth(const Analysis& a, double alpha,
                                               bool over_budget_only);

// MarkOutsideOverBudget marks (MemoryClassReport::over_budget) each
// outside-malloc class whose growth's lower bound exceeds `budget` with
// p < alpha, and whose rate in the window's second half does too (a JVM's
// code cache and metaspace settle after warm-up). Whether any is. A budget
// of 0 disables.
bool MarkOutsideOverBudget(double budget, double alpha, const FitLimits& limits,
                           Analysis& a);

}  // namespace jleak

#endif  // JLEAK_HARNESS_ANALYZE_MEMORY_ANALYSIS_H_
