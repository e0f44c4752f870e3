// File: memory_text.h
//
// "Where RSS went" in the terminal summary (report_text.h): one row per
// class of resident memory (first and last fitted value, growth, rate with
// its 95% interval, trend; '!' over --max-outside-rate), then what grew
// inside the classes: file patterns with their mapping counts and where
// they were mapped from, thread groups with where they park and who
// started them, class loader types, mmap call sites, and the allocator's
// figures and finding. For bare .heap files, one line saying plainly that
// nothing outside malloc was recorded.

#ifndef JLEAK_HARNESS_REPORT_MEMORY_TEXT_H_
#define JLEAK_HARNESS_REPORT_MEMORY_TEXT_H_

#include <ostream>

#include "harness/analyze/analysis.h"

namespace jleak {

// WriteMemoryText writes the section, each line indented by two spaces,
// after a blank line.
void WriteMemoryText(const Analysis& analysis, std::ostream& out);

}  // namespace jleak

#endif  // JLEAK_HARNESS_REPORT_MEMORY_TEXT_H_
