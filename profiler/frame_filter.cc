// File: frame_filter.cc
//
// Matching of allocator frames (see frame_filter.h).

#include "profiler/frame_filter.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace jleak {

FrameFilter::FrameFilter() {
  // The built-in text is known to parse.
  AddAll(*Parse(kDefaultAllocatorFrames, "built-in allocator frames"));
}

absl::StatusOr<std::vector<std::string>> FrameFilter::Parse(
    absl::string_view text, absl::string_view source_name) {
  std::vector<std::string> patterns;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#') continue;
    const size_t star = line.find('*');
    if (star != absl::string_view::npos && star != line.size() - 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          source_name, ":", line_number, ": '*' is only allowed at the end ",
          "of a pattern (prefix match), got '", line, "'"));
    }
    if (line == "*" || line == "module:*") {
      return absl::InvalidArgumentError(absl::StrCat(
          source_name, ":", line_number, ": '*' alone would trim every frame"));
    }
    patterns.emplace_back(line);
  }
  return patterns;
}

void FrameFilter::Add(std::string pattern) {
  constexpr absl::string_view kModule = "module:";
  if (absl::StartsWith(pattern, kModule)) {
    std::string m = pattern.substr(kModule.size());
    if (!m.empty() && m.back() == '*') {
      m.pop_back();
      module_prefixes_.push_back(std::move(m));
    } else {
      module_exact_.push_back(std::move(m));
    }
    patterns_.push_back(std::move(pattern));
    return;
  }
  if (!pattern.empty() && pattern.back() == '*') {
    prefixes_.push_back(pattern.substr(0, pattern.size() - 1));
  } else {
    exact_.insert(std::upper_bound(exact_.begin(), exact_.end(), pattern),
                  pattern);
  }
  patterns_.push_back(std::move(pattern));
}

bool FrameFilter::IsAllocatorFrame(absl::string_view function) const {
  if (std::binary_search(exact_.begin(), exact_.end(), function)) return true;
  for (const std::string& prefix : prefixes_) {
    if (absl::StartsWith(function, prefix)) return true;
  }
  return false;
}

bool FrameFilter::IsAllocatorModule(absl::string_view module_path) const {
  const size_t slash = module_path.rfind('/');
  const absl::string_view name = slash == absl::string_view::npos
                                     ? module_path
                                     : module_path.substr(slash + 1);
  for (const std::string& m : module_exact_) {
    if (name == m) return true;
  }
  for (const std::string& prefix : module_prefixes_) {
    if (absl::StartsWith(name, prefix)) return true;
  }
  return false;
}

}  // namespace jleak
