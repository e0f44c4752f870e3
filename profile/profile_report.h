// File: profile_report.h
//
// Text reports of a NamedProfile, written to a stream:
//
// - WriteText: like `jeprof --text`: one line per function with flat
//   bytes (stacks whose first frame, after trimming, is the function: the
//   allocating code), cumulative bytes (stacks it appears in at all,
//   counted once per stack), and percentages of the total.
// - WriteCollapsed: `frame;frame;frame bytes`, outermost frame first, one
//   line per stack: the input of flamegraph.pl, speedscope, inferno.
//
// Both work on differences (DiffProfiles) too: bytes may be negative.

#ifndef JLEAK_PROFILE_PROFILE_REPORT_H_
#define JLEAK_PROFILE_PROFILE_REPORT_H_

#include <ostream>
#include <string>
#include <vector>

#include "profile/named_profile.h"

namespace jleak {

struct TextReportOptions {
  bool sort_by_cumulative = false;  // jeprof --cum
  bool show_bytes = false;          // exact bytes instead of MiB
  size_t max_lines = 80;            // 0: all
  bool show_objects = false;        // objects instead of bytes
};

struct FunctionTotals {
  std::string function;
  Counts flat;
  Counts cumulative;
};

// FunctionTable aggregates stacks by function name, in report order.
std::vector<FunctionTotals> FunctionTable(const NamedProfile& profile,
                                          bool sort_by_cumulative,
                                          bool by_objects = false);

void WriteText(const NamedProfile& profile, const TextReportOptions& options,
               std::ostream& out);

void WriteCollapsed(const NamedProfile& profile, bool by_objects,
                    std::ostream& out);

// FormatBytes renders a byte count for people: "512 B", "1.5 KiB",
// "100.7 MiB", "2.0 GiB"; negative values keep their sign.
std::string FormatBytes(double bytes);

}  // namespace jleak

#endif  // JLEAK_PROFILE_PROFILE_REPORT_H_
