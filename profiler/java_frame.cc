// File: java_frame.cc
//
// Splitting Java frame names (see java_frame.h).

#include "profiler/java_frame.h"

#include "absl/strings/numbers.h"

namespace jleak {

JavaFrameName ParseJavaFrameName(absl::string_view name) {
  JavaFrameName out;
  const size_t open = name.find('(');
  if (open == absl::string_view::npos || name.back() != ')') {
    out.method = std::string(name);
    return out;
  }
  out.method = std::string(name.substr(0, open));
  absl::string_view where = name.substr(open + 1, name.size() - open - 2);
  if (where == "Native Method" || where == "Unknown Source") return out;
  const size_t colon = where.rfind(':');
  int line = 0;
  if (colon != absl::string_view::npos &&
      absl::SimpleAtoi(where.substr(colon + 1), &line) && line > 0) {
    out.file = std::string(where.substr(0, colon));
    out.line = line;
  } else {
    out.file = std::string(where);
  }
  return out;
}

}  // namespace jleak
