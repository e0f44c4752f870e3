// File: suppressions.cc
//
// Suppressions: parsing and matching (see suppressions.h).

#include "harness/analyze/suppressions.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "harness/io/file_io.h"
#include "profile/code_origin.h"

namespace jleak {

absl::StatusOr<Suppression> MakeFrameSuppression(const std::string& regex) {
  absl::StatusOr<std::shared_ptr<const RE2>> re = CompileFrameRegex(regex);
  if (!re.ok()) return re.status();
  Suppression s;
  s.kind = Suppression::Kind::kFrameRegex;
  s.text = regex;
  s.regex = *std::move(re);
  return s;
}

absl::StatusOr<std::shared_ptr<const RE2>> CompileFrameRegex(
    const std::string& regex) {
  RE2::Options options;
  options.set_log_errors(false);  // the error is returned, once
  auto re = std::make_shared<const RE2>(regex, options);
  if (!re->ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad regular expression ", QuoteForMessage(regex, 200),
                     ": ", re->error(), " (RE2 syntax)"));
  }
  return re;
}

absl::StatusOr<std::vector<Suppression>> ParseSuppressions(
    absl::string_view text, absl::string_view source_name) {
  absl::StatusOr<RulesFile> rules = ParseRulesFile(text, source_name);
  if (!rules.ok()) return rules.status();
  return std::move(rules->suppressions);
}

absl::StatusOr<RulesFile> ParseRulesFile(absl::string_view text,
                                         absl::string_view source_name) {
  RulesFile file;
  std::vector<Suppression>& out = file.suppressions;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#') continue;
    const size_t space = line.find_first_of(" \t");
    const absl::string_view kind = line.substr(0, space);
    const std::string arg(absl::StripAsciiWhitespace(
        space == absl::string_view::npos ? "" : line.substr(space)));
    const std::string where = absl::StrCat(source_name, ":", line_number, ": ");
    if (arg.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          where,
          "expected 'function <name>', 'frame <regex>' or 'app <rule>', got '",
          line, "'"));
    }
    if (kind == "function") {
      Suppression s;
      s.text = arg;
      out.push_back(std::move(s));
    } else if (kind == "frame") {
      absl::StatusOr<Suppression> s = MakeFrameSuppression(arg);
      if (!s.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, s.status().message()));
      }
      out.push_back(*std::move(s));
    } else if (kind == "app") {
      absl::StatusOr<AppRules> rule = AppRules::Parse({arg});
      if (!rule.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, rule.status().message()));
      }
      file.app_rules.push_back(arg);
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "unknown rule kind '", kind,
                       "' (expected 'function', 'frame' or 'app')"));
    }
  }
  return file;
}

const Suppression* MatchSuppression(const std::vector<Suppression>& list,
                                    const std::vector<NamedFrame>& frames) {
  for (const Suppression& s : list) {
    for (const NamedFrame& f : frames) {
      const bool hit = s.kind == Suppression::Kind::kFunction
                           ? f.function == s.text
                           : RE2::PartialMatch(f.function, *s.regex);
      if (hit) return &s;
    }
  }
  return nullptr;
}

}  // namespace jleak
