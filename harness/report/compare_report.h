// File: compare_report.h
//
// Reports of a Comparison (harness/analyze/compare.h, `jleak compare`):
// the terminal summary, JSON for CI, and one self-contained HTML page.
//
// JSON (schema_version 1; R a rate, null when not finite):
//   {"schema_version": 1, "kind": "comparison",
//    "verdict": "same" | "regression" | "inconclusive", "reason": string,
//    "rate_unit": "per_second" | "per_snapshot",
//    "budgets": {"max_site_increase": R, "max_total_increase": R},
//    "base": {"input": string, "verdict": string},
//    "candidate": {"input": string, "verdict": string},
//    "total": {"signal": string, C},
//    "sites": [{"key", "headline", "top_frame",
//               "presence": "both" | "new" | "vanished", C}],
//    "flat_sites": int, "warnings": [string]}
// where C = "base": G | null, "candidate": G | null (G as in
// report_json.h), "difference": R, "difference_low": R,
// "difference_high": R, "regression": bool.

#ifndef JLEAK_HARNESS_REPORT_COMPARE_REPORT_H_
#define JLEAK_HARNESS_REPORT_COMPARE_REPORT_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "harness/analyze/compare.h"

namespace jleak {

// The two inputs, as the user named them.
struct CompareInputs {
  std::string base;
  std::string candidate;
};

// WriteCompareText: the verdict line, the total, the sites that grew
// faster or slower (at most `max_sites`), and the warnings.
void WriteCompareText(const Comparison& c, const CompareInputs& inputs,
                      std::ostream& out, size_t max_sites = 10);

absl::StatusOr<std::string> CompareJsonString(const Comparison& c,
                                              const CompareInputs& inputs);

// WriteCompareHtml: one offline page (no scripts), the verdict in colour
// and the table of sites; every string escaped.
absl::Status WriteCompareHtml(const Comparison& c, const CompareInputs& inputs,
                              std::ostream& out);

}  // namespace jleak

#endif  // JLEAK_HARNESS_REPORT_COMPARE_REPORT_H_
