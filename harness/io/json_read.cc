// File: json_read.cc
//
// Depth-bounded JSON parsing (see json_read.h).

#include "harness/io/json_read.h"

#include <exception>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace jleak {

bool JsonDepthWithin(absl::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '[':
      case '{':
        if (++depth > max_depth) return false;
        break;
      case ']':
      case '}':
        // Unbalanced closers make the text invalid; the parser says so.
        if (depth > 0) --depth;
        break;
      default:
        break;
    }
  }
  return true;
}

absl::StatusOr<nlohmann::json> ParseBoundedJson(absl::string_view text,
                                                int max_depth) {
  if (!JsonDepthWithin(text, max_depth)) {
    return absl::OutOfRangeError(
        absl::StrCat("nested deeper than ", max_depth, " levels"));
  }
  try {
    nlohmann::json j = nlohmann::json::parse(text.begin(), text.end(), nullptr,
                                             /*allow_exceptions=*/false);
    if (j.is_discarded()) return absl::InvalidArgumentError("not valid JSON");
    return j;
  } catch (const std::exception& e) {
    // allow_exceptions=false covers parse errors; anything else (an
    // allocation failure) is still one line.
    return absl::InvalidArgumentError(
        absl::StrCat("not readable as JSON (", e.what(), ")"));
  }
}

}  // namespace jleak
