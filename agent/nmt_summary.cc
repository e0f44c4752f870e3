// File: nmt_summary.cc
//
// Parsing the NMT summary (see nmt_summary.h).

#include "agent/nmt_summary.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace jleak::agent {
namespace {

// Scale of a figure with its unit suffix ("397312KB").
bool ParseScaled(absl::string_view text, int64_t* bytes) {
  text = absl::StripAsciiWhitespace(text);
  int64_t scale = 1;
  for (auto [suffix, factor] :
       {std::pair{"GB", int64_t{1} << 30}, std::pair{"MB", int64_t{1} << 20},
        std::pair{"KB", int64_t{1} << 10}, std::pair{"B", int64_t{1}}}) {
    if (absl::ConsumeSuffix(&text, suffix)) {
      scale = factor;
      break;
    }
  }
  int64_t value = 0;
  if (!absl::SimpleAtoi(text, &value)) return false;
  *bytes = value * scale;
  return true;
}

// The committed figure of "reserved=...KB, committed=...KB" (any order,
// more fields allowed).
bool Committed(absl::string_view fields, int64_t* bytes) {
  for (absl::string_view field : absl::StrSplit(fields, ',')) {
    field = absl::StripAsciiWhitespace(field);
    if (absl::ConsumePrefix(&field, "committed=")) {
      return ParseScaled(field, bytes);
    }
  }
  return false;
}

}  // namespace

absl::StatusOr<std::map<std::string, int64_t>> ParseNmtSummary(
    absl::string_view text) {
  if (absl::StrContains(text, "Native memory tracking is not enabled")) {
    return absl::FailedPreconditionError(
        "Native Memory Tracking is off (run the JVM with "
        "-XX:NativeMemoryTracking=summary)");
  }
  std::map<std::string, int64_t> out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    int64_t bytes = 0;
    if (absl::ConsumePrefix(&line, "Total:")) {
      if (Committed(line, &bytes)) out["Total"] = bytes;
      continue;
    }
    // "-   Java Heap (reserved=..., committed=...)"
    if (!absl::ConsumePrefix(&line, "-")) continue;
    const size_t open = line.find('(');
    if (open == absl::string_view::npos || !absl::ConsumeSuffix(&line, ")")) {
      continue;
    }
    const absl::string_view name =
        absl::StripAsciiWhitespace(line.substr(0, open));
    if (!name.empty() && Committed(line.substr(open + 1), &bytes)) {
      out[std::string(name)] = bytes;
    }
  }
  if (!out.count("Total")) {
    return absl::InvalidArgumentError(
        "not an NMT summary: no 'Total: reserved=..., committed=...' line");
  }
  return out;
}

}  // namespace jleak::agent
