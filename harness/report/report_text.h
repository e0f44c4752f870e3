// File: report_text.h
//
// The terminal summary of a leak analysis: the verdict in one sentence,
// what kind of growth it is, the top growing sites with their first frames
// and numbers, the timeline signals, and warnings. Meant to be read at a
// glance in a CI log.

#ifndef JLEAK_HARNESS_REPORT_REPORT_TEXT_H_
#define JLEAK_HARNESS_REPORT_REPORT_TEXT_H_

#include <ostream>

#include "harness/analyze/analysis.h"

namespace jleak {

struct TextSummaryOptions {
  size_t max_sites = 5;   // growing sites listed
  size_t max_frames = 4;  // frames shown per site
};

void WriteTextSummary(const Analysis& analysis,
                      const TextSummaryOptions& options, std::ostream& out);

}  // namespace jleak

#endif  // JLEAK_HARNESS_REPORT_REPORT_TEXT_H_
