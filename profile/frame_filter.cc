// File: frame_filter.cc
//
// Matching and classifying stack frames (see frame_filter.h).

#include "profile/frame_filter.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace jleak {
namespace {

constexpr absl::string_view kModule = "module:";

// SplitKind splits "runtime std::*" into the kind's slot name and the
// pattern; a rule without a kind keyword is an allocator rule.
std::pair<absl::string_view, absl::string_view> SplitKind(
    absl::string_view rule) {
  for (absl::string_view kind : {"allocator", "runtime", "jvm", "user"}) {
    if (absl::StartsWith(rule, kind) && rule.size() > kind.size() &&
        absl::ascii_isspace(rule[kind.size()])) {
      return {kind,
              absl::StripLeadingAsciiWhitespace(rule.substr(kind.size()))};
    }
  }
  return {"allocator", rule};
}

absl::string_view FileName(absl::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == absl::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace

const char* FrameKindName(FrameKind kind) {
  switch (kind) {
    case FrameKind::kUser:
      return "user";
    case FrameKind::kRuntime:
      return "runtime";
    case FrameKind::kJvm:
      return "jvm";
  }
  return "user";
}

absl::string_view QualifiedName(absl::string_view f) {
  // The parameter list is the first '(' outside template brackets, except
  // the one of "(anonymous namespace)".
  int depth = 0;
  size_t end = f.size();
  for (size_t i = 0; i < f.size(); ++i) {
    const char c = f[i];
    if (c == '<') {
      ++depth;
    } else if (c == '>' && depth > 0) {
      --depth;
    } else if (c == '(' && depth == 0) {
      if (f.substr(i, 21) == "(anonymous namespace)") {
        i += 20;
        continue;
      }
      // "operator()" is a name, not its parameter list.
      if (i >= 8 && f.substr(i - 8, 10) == "operator()") {
        ++i;
        continue;
      }
      end = i;
      break;
    }
  }
  absl::string_view head = f.substr(0, end);
  // The return type ends at the last space outside template brackets,
  // unless that space is the one in "operator new" or "operator bool".
  depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < head.size(); ++i) {
    const char c = head[i];
    if (c == '<') {
      ++depth;
    } else if (c == '>' && depth > 0) {
      --depth;
    } else if (c == ' ' && depth == 0 &&
               !absl::EndsWith(head.substr(0, i), "operator") &&
               !absl::EndsWith(head.substr(0, i), "(anonymous")) {
      start = i + 1;
    }
  }
  absl::string_view name = head.substr(start);
  return name.empty() ? f : name;
}

FrameFilter::FrameFilter() {
  // The built-in text is known to parse.
  AddAll(*Parse(kDefaultFrameRules, "built-in frame rules"));
}

absl::StatusOr<std::vector<std::string>> FrameFilter::Parse(
    absl::string_view text, absl::string_view source_name) {
  std::vector<std::string> rules;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#') continue;
    const absl::string_view pattern = SplitKind(line).second;
    const size_t star = pattern.find('*');
    if (star != absl::string_view::npos && star != pattern.size() - 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          source_name, ":", line_number, ": '*' is only allowed at the end ",
          "of a pattern (prefix match), got '", line, "'"));
    }
    if (pattern == "*" || pattern == "module:*") {
      return absl::InvalidArgumentError(
          absl::StrCat(source_name, ":", line_number,
                       ": '*' alone would match every frame"));
    }
    rules.emplace_back(line);
  }
  return rules;
}

void FrameFilter::Patterns::Add(absl::string_view pattern) {
  std::vector<std::string>* exact_list = &exact;
  std::vector<std::string>* prefix_list = &prefixes;
  if (absl::StartsWith(pattern, kModule)) {
    pattern.remove_prefix(kModule.size());
    exact_list = &module_exact;
    prefix_list = &module_prefixes;
  }
  if (!pattern.empty() && pattern.back() == '*') {
    prefix_list->emplace_back(pattern.substr(0, pattern.size() - 1));
  } else {
    std::string p(pattern);
    exact_list->insert(
        std::upper_bound(exact_list->begin(), exact_list->end(), p), p);
  }
}

bool FrameFilter::Patterns::MatchesFunction(absl::string_view function) const {
  if (std::binary_search(exact.begin(), exact.end(), function)) return true;
  for (const std::string& prefix : prefixes) {
    if (absl::StartsWith(function, prefix)) return true;
  }
  return false;
}

bool FrameFilter::Patterns::MatchesModule(absl::string_view module_path) const {
  const absl::string_view name = FileName(module_path);
  for (const std::string& m : module_exact) {
    if (name == m) return true;
  }
  for (const std::string& prefix : module_prefixes) {
    if (absl::StartsWith(name, prefix)) return true;
  }
  return false;
}

void FrameFilter::Add(std::string rule) {
  const auto [kind, pattern] = SplitKind(rule);
  Slot slot = kAllocatorSlot;
  if (kind == "runtime") slot = kRuntimeSlot;
  if (kind == "jvm") slot = kJvmSlot;
  if (kind == "user") slot = kUserSlot;
  by_kind_[slot].Add(pattern);
  rules_.push_back(std::move(rule));
}

bool FrameFilter::IsAllocatorFrame(absl::string_view function) const {
  return by_kind_[kAllocatorSlot].MatchesFunction(function);
}

bool FrameFilter::IsAllocatorModule(absl::string_view module_path) const {
  return by_kind_[kAllocatorSlot].MatchesModule(module_path);
}

FrameKind FrameFilter::Classify(absl::string_view function,
                                absl::string_view module) const {
  const absl::string_view qualified = QualifiedName(function);
  const bool file_module = !module.empty() && module.front() == '/';
  auto matches = [&](Slot slot) {
    const Patterns& p = by_kind_[slot];
    return p.MatchesFunction(qualified) || p.MatchesFunction(function) ||
           (file_module && p.MatchesModule(module));
  };
  if (matches(kUserSlot)) return FrameKind::kUser;
  if (matches(kRuntimeSlot)) return FrameKind::kRuntime;
  if (matches(kJvmSlot)) return FrameKind::kJvm;
  return FrameKind::kUser;
}

}  // namespace jleak
