// File: suppressions.h
//
// Sites not to judge: `jleak analyze --suppressions FILE` and --suppress
// REGEX. A suppressed site is still reported (marked, with the
// suppression that matched) but never makes a verdict, and its sampled
// growth is taken off jemalloc's exact count (verdict.h).
//
// A suppressions file, one per line:
//   # comment
//   function Java_com_example_Cache_fill
//   frame ^libfoo::Pool::
//   app com.example
//
// `app RULE` lines are not suppressions: they say which Java code is the
// application's, as `--app RULE` does (profile/code_origin.h, AppRules),
// so that one rules file holds both (ParseRulesFile).

#ifndef JLEAK_HARNESS_ANALYZE_SUPPRESSIONS_H_
#define JLEAK_HARNESS_ANALYZE_SUPPRESSIONS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "profile/named_profile.h"
#include "re2/re2.h"

namespace jleak {

// One suppression: a site is ignored when any of its frames' function
// names matches (`function`: exactly; `frame`: an RE2 regex found anywhere
// in the name). RE2 runs in time linear in the name, without recursion, so
// that no pattern and no frame name from a profile can hang or crash it.
struct Suppression {
  enum class Kind { kFunction, kFrameRegex };
  Kind kind = Kind::kFunction;
  std::string text;                  // as written, for reports
  std::shared_ptr<const RE2> regex;  // kFrameRegex only
};

// ParseSuppressions: ParseRulesFile's suppressions (`app` lines are
// checked, then left out).
absl::StatusOr<std::vector<Suppression>> ParseSuppressions(
    absl::string_view text, absl::string_view source_name);

// A rules file: its suppressions and its `app` rules, in file order.
struct RulesFile {
  std::vector<Suppression> suppressions;
  std::vector<std::string> app_rules;  // as written, checked by AppRules
};

// ParseRulesFile reads a suppressions/rules file (see above); errors name
// `source_name` and the line, also for an `app` rule AppRules refuses.
absl::StatusOr<RulesFile> ParseRulesFile(absl::string_view text,
                                         absl::string_view source_name);

// MakeFrameSuppression builds a `frame` suppression from a regex (the
// --suppress flag); InvalidArgument for a bad regex.
absl::StatusOr<Suppression> MakeFrameSuppression(const std::string& regex);

// CompileFrameRegex compiles a regex matched against frame names (RE2
// syntax: no backreferences or lookaround; linear time in the name).
// InvalidArgument, quoting the pattern, when it does not compile.
absl::StatusOr<std::shared_ptr<const RE2>> CompileFrameRegex(
    const std::string& regex);

// MatchSuppression: the first of `list` that matches one of `frames`, or
// nullptr.
const Suppression* MatchSuppression(const std::vector<Suppression>& list,
                                    const std::vector<NamedFrame>& frames);

}  // namespace jleak

#endif  // JLEAK_HARNESS_ANALYZE_SUPPRESSIONS_H_
