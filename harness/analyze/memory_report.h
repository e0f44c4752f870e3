// File: memory_report.h
//
// Where RSS went: the part of an Analysis (analysis.h) read from the run's
// memory-SEQ.json files (memory_map.h): resident bytes per class of
// memory, file mappings and threads grouped by pattern (memory_fold.h),
// class loaders by type, anonymous mmap call sites and the allocator's
// figures, each series aligned with Analysis::timeline and fitted by
// EstimateGrowth after the warm-up like every other signal
// (memory_analysis.h fills it). The reports print it; the verdict names
// its specifics when RSS grows outside malloc.

#ifndef JLEAK_HARNESS_ANALYZE_MEMORY_REPORT_H_
#define JLEAK_HARNESS_ANALYZE_MEMORY_REPORT_H_

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "harness/analyze/growth.h"

namespace jleak {

// Series are aligned with Analysis::timeline: one value per point, NaN
// where that point recorded no memory file or no such value.

struct MemoryClassReport {
  std::string name;   // "file_mapped"
  std::string label;  // "mapped files"
  std::vector<double> rss_bytes;
  std::optional<GrowthEstimate> growth;
  bool over_budget = false;  // over Budgets::max_outside_rate
};

struct MemoryFileReport {
  std::string pattern;  // "/tmp/segments-*.idx"
  std::vector<double> rss_bytes;
  std::vector<double> mappings;
  double last_mappings = 0;
  double last_paths = 0;
  bool deleted = false;
  std::optional<GrowthEstimate> growth;          // resident bytes
  std::optional<GrowthEstimate> mapping_growth;  // mapping count
  std::vector<std::string> mapped_from;          // Java frames, innermost first
};

struct MemoryThreadReport {
  std::string pattern;  // "pool-#-thread-#"
  std::vector<double> count;
  std::optional<GrowthEstimate> growth;  // of the count
  double last_stack_bytes = 0;
  std::vector<std::string> parked_in;     // innermost first
  std::string parked_in_frame;            // ParkedInFrame of it
  std::vector<std::string> started_from;  // innermost first
};

struct MemoryLoaderReport {
  std::string type;  // "java.net.URLClassLoader"
  std::vector<double> loaders;
  std::vector<double> classes;
  std::optional<GrowthEstimate> growth;         // classes
  std::optional<GrowthEstimate> loader_growth;  // loaders
};

struct MemoryMmapReport {
  std::string kind;     // "file" or "anon"
  std::string pattern;  // folded path; "" for anonymous
  std::vector<double> bytes;
  double last_mappings = 0;
  std::optional<GrowthEstimate> growth;
  std::vector<std::string> java_frames;
  std::vector<std::string> native_frames;
};

struct MemoryAllocatorReport {
  std::string name;  // "jemalloc", "glibc"
  // Each figure of the allocator ("allocated", "resident", ...).
  std::map<std::string, std::vector<double>> figures;
  std::optional<GrowthEstimate> allocated_growth;  // jemalloc allocated,
                                                   // glibc in_use
  // What the allocator holds beyond what is allocated: jemalloc resident -
  // allocated, glibc free + top.
  std::optional<GrowthEstimate> retention_growth;
  // "retention", "allocated_not_profiled" or "" and the sentence that
  // says it with the allocator's figures.
  std::string finding_kind;
  std::string finding;
};

struct MemoryReport {
  bool recorded = false;
  std::string reason;    // why not, when !recorded
  size_t snapshots = 0;  // timeline points with a memory file
  double median_cost_ns = 0;
  std::vector<MemoryClassReport> classes;  // kMemoryClasses order, seen only
  // By decreasing fitted growth, at most kMaxMemoryRows each; how many
  // more there were.
  std::vector<MemoryFileReport> files;
  size_t files_omitted = 0;
  std::vector<MemoryThreadReport> threads;
  size_t threads_omitted = 0;
  std::vector<MemoryLoaderReport> class_loaders;
  size_t class_loaders_omitted = 0;
  std::vector<MemoryMmapReport> mmap_sites;
  size_t mmap_sites_omitted = 0;
  std::optional<MemoryAllocatorReport> allocator;
};

inline constexpr size_t kMaxMemoryRows = 20;

}  // namespace jleak

#endif  // JLEAK_HARNESS_ANALYZE_MEMORY_REPORT_H_
