// File: java_frame.cc
//
// Splitting Java frame names (see java_frame.h).

#include "profile/java_frame.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"

namespace jleak {

std::string WithoutHiddenClassAddress(absl::string_view name) {
  std::string out;
  out.reserve(name.size());
  size_t i = 0;
  while (i < name.size()) {
    if (name.compare(i, 3, ".0x") == 0) {
      size_t j = i + 3;
      while (j < name.size() && absl::ascii_isxdigit(name[j])) ++j;
      if (j > i + 3 && (j == name.size() || name[j] == '.')) {
        i = j;
        continue;
      }
    }
    out.push_back(name[i++]);
  }
  return out;
}

JavaFrameName ParseJavaFrameName(absl::string_view name) {
  JavaFrameName out;
  const size_t open = name.find('(');
  if (open == absl::string_view::npos || name.back() != ')') {
    out.method = WithoutHiddenClassAddress(name);
    return out;
  }
  out.method = WithoutHiddenClassAddress(name.substr(0, open));
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
