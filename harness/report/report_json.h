// File: report_json.h
//
// The machine-readable report of a leak analysis (`jleak analyze --json
// FILE`): one JSON object, for CI systems, dashboards and scripts that
// diff runs. The schema is versioned; harness/report/report_schema.md is the
// long form of what follows.
//
//   absl::Status s = WriteJsonReport(analysis, out);
//
// Schema (schema_version 1). "G" is a growth object, "B" a byte count
// (integer, the unsampled estimate rounded), "R" a rate (number); any
// number that is not finite (the unbounded confidence interval of a fit
// with fewer than 3 points) is null, never NaN or Infinity, which are not
// JSON.
//
//   {
//     "schema_version": 1,
//     "verdict": "clean" | "leak" | "inconclusive",
//     "reason": string,                 // one sentence
//     "kind": "none" | "malloc" | "outside_malloc" | "allocator_retention",
//     "kind_sentence": string,
//     "command": string,                // "" when unknown
//     "time_source": "timeline" | "mtime" | "sequence",
//     "rate_unit": "per_second" | "per_snapshot",  // sequence: per snapshot
//     "warmup_seconds": number,         // per snapshot for "sequence"
//     "budgets": {"max_site_rate": R, "max_total_rate": R,
//                 "max_total_growth": B, "max_allocated_rate": R,
//                 "max_rss_rate": R},
//     "snapshots": [{"path", "seq", "time_seconds", "total_bytes": B,
//                    "analyzed": bool}],
//     "timeline": [{"seq", "time_seconds", and only the signals present:
//                   "rss_bytes", "anon_rss_bytes", "jemalloc_allocated",
//                   "jemalloc_active", "jemalloc_resident",
//                   "jemalloc_mapped", "jemalloc_retained",
//                   "java_heap_used", "direct_buffer_bytes" (all B),
//                   "direct_buffer_count", "threads"}],
//     "total": G,                       // sum of unsuppressed sites
//     "signals": {"rss": G?, "jemalloc_allocated": G?,
//                 "jemalloc_resident": G?, "direct_buffers": G?,
//                 "threads": G?},       // only those estimated
//     "site_count": int,                // all sites of the analysis
//     "sites_omitted": int,             // left out by max_sites
//     "sites": [{                       // Analysis.sites order: by growth
//       "rank": int,                    // index in Analysis.sites
//       "key": string,
//       "top_frame": string,            // the site's first user frame
//       "headline": string,             // "X (F.java:42) via A → B"
//       "via": string,                  // runtime/JVM frames folded
//       "user_frame": int, "java_frame": int,  // indexes, or -1
//       "java_method": string,          // "pkg.C.m (C.java:42)" or ""
//       "frames": [{"function", "file", "line", "module",
//                   "kind"}],           // innermost first; kind: "user",
//                                       // "runtime" or "jvm"
//       "growth_bytes": B, "bytes_per_second": R,
//       "bytes_per_second_low": R, "bytes_per_second_high": R,
//       "p_value": number, "monotonicity": number, "r_squared": number,
//       "points": int, "first_bytes": B, "last_bytes": B,
//       "bytes": [B, ...],              // one per snapshot
//       "suppressed": bool, "suppressed_by": string,
//       "over_budget": bool}],
//     "warnings": [string]
//   }
//
// G = {"points": int, "growth": number, "rate": R, "rate_low": R,
//      "rate_high": R, "first": number, "last": number,
//      "intercept": number, "p_value": number, "monotonicity": number,
//      "r_squared": number}: bytes for every signal except "threads"
//      (threads).
//
// Keys are written in the order above, so files diff well. Only additions
// keep schema_version; a renamed or removed key bumps it.

#ifndef JLEAK_HARNESS_REPORT_REPORT_JSON_H_
#define JLEAK_HARNESS_REPORT_REPORT_JSON_H_

#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "harness/analyze/analysis.h"
#include "nlohmann/json.hpp"

namespace jleak {

inline constexpr int kJsonReportSchemaVersion = 1;

struct JsonReportOptions {
  // At most this many sites, the fastest growing first, so that a
  // 10,000-site analysis stays a small file; every over-budget site is
  // written even beyond it (the verdict's evidence). 0: all sites.
  size_t max_sites = 50;
  // Pretty-printing indent; -1 for one line.
  int indent = 2;
};

// JsonReportString renders the report; an error only if the JSON library
// fails (it never throws out of here).
absl::StatusOr<std::string> JsonReportString(
    const Analysis& analysis, const JsonReportOptions& options = {});

// WriteJsonReport writes JsonReportString and a newline to `out`; an error
// if rendering or the stream fails.
absl::Status WriteJsonReport(const Analysis& analysis, std::ostream& out,
                             const JsonReportOptions& options = {});

// The pieces other JSON reports (compare_report.h) share: a number that is
// null when not finite, a byte count as an integer, a growth object "G".
nlohmann::ordered_json JsonNumber(double v);
nlohmann::ordered_json JsonBytes(double v);
nlohmann::ordered_json GrowthJson(const GrowthEstimate& g);

// SitesToReport: the indices into analysis.sites that a report of at most
// `max_sites` sites (0: all) shows, in order: the first max_sites, plus any
// later over-budget or likely site, and every site of an over-budget or
// likely leak group. Shared with the HTML report.
std::vector<size_t> SitesToReport(const Analysis& analysis, size_t max_sites);

}  // namespace jleak

#endif  // JLEAK_HARNESS_REPORT_REPORT_JSON_H_
