// File: code_origin_fuzzer.cc
//
// libFuzzer target for java-classes.map and the classifier: any bytes must
// give a map or an error, never a crash, hang or sanitizer report; a map
// that parses must format and parse back to itself, and every class,
// package and line of the input must classify, with the input's lines as
// --app rules (those that parse). Built with clang's
// -fsanitize=fuzzer,address,undefined by //profile:code_origin_fuzzer, run
// for a bounded time by //profile:code_origin_fuzz_test:
//
//   bazel build //profile:code_origin_fuzzer
//   bazel-bin/profile/code_origin_fuzzer -max_total_time=60 CORPUS_DIR

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "profile/code_origin.h"
#include "profile/java_classes_map.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  if (lines.size() > 64) lines.resize(64);
  for (const std::string& line : lines) {
    jleak::CodeLocation loc = jleak::ParseCodeLocation(line);
    (void)loc;
    std::string unescaped;
    (void)jleak::UnescapeMapField(line, &unescaped);
  }
  if (lines.size() >= 2) (void)jleak::GlobMatch(lines[0], lines[1]);

  absl::StatusOr<jleak::CodeOrigins> origins =
      jleak::CodeOrigins::Load(text, "fuzz");
  // Rules: each line that parses alone.
  std::vector<std::string> rules;
  for (const std::string& line : lines) {
    if (jleak::AppRules::Parse({line}).ok()) rules.push_back(line);
  }
  absl::StatusOr<jleak::AppRules> parsed = jleak::AppRules::Parse(rules);
  if (!parsed.ok()) __builtin_trap();  // each parsed alone, so all must
  if (!origins.ok()) {
    const jleak::OriginClassifier none(jleak::CodeOrigins(), *parsed);
    for (const std::string& line : lines) (void)none.Classify(line);
    return 0;
  }
  const jleak::JavaClassesMap& map = origins->map();
  absl::StatusOr<jleak::JavaClassesMap> again =
      jleak::ParseJavaClassesMap(jleak::FormatJavaClassesMap(map), "again");
  if (!again.ok() || again->main != map.main ||
      !(again->sources == map.sources) || again->classes != map.classes ||
      again->packages != map.packages) {
    __builtin_trap();
  }
  const jleak::OriginClassifier classify(*std::move(origins), *parsed);
  for (const auto& [name, id] : classify.origins().map().classes) {
    (void)classify.ClassifyClass(name);
    (void)classify.Classify(name + ".m(X.java:1)");
  }
  for (const auto& [name, id] : classify.origins().map().packages) {
    (void)classify.ClassifyClass(name + ".C$1");
  }
  for (const std::string& line : lines) (void)classify.Classify(line);
  return 0;
}
