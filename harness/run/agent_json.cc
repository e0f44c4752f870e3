// File: agent_json.cc
//
// Bounded parsing of the agent's JSON and its output names (see
// agent_json.h).

#include "harness/run/agent_json.h"

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "agent/control_protocol.h"
#include "harness/io/json_read.h"

namespace jleak {
namespace {

bool AllDigits(absl::string_view s) {
  return !s.empty() && s.size() <= 12 &&
         s.find_first_not_of("0123456789") == absl::string_view::npos;
}

}  // namespace

std::optional<nlohmann::json> ParseAgentJson(const std::string& text) {
  absl::StatusOr<nlohmann::json> j = ParseBoundedJson(text, kMaxAgentJsonDepth);
  if (!j.ok() || !j->is_object()) return std::nullopt;
  return *std::move(j);
}

bool IsRunFileName(const std::string& name) {
  if (name == agent::kAgentReportName || name == "timeline.jsonl" ||
      name == "java-frames.map") {
    return true;
  }
  absl::string_view n = name;
  if (absl::ConsumePrefix(&n, "perf-") && absl::ConsumeSuffix(&n, ".map")) {
    return AllDigits(n);
  }
  n = name;
  if (absl::ConsumePrefix(&n, "snapshot-") &&
      absl::ConsumeSuffix(&n, ".heap")) {
    return AllDigits(n);
  }
  n = name;
  if (absl::ConsumePrefix(&n, "memory-") && absl::ConsumeSuffix(&n, ".json")) {
    return AllDigits(n);
  }
  return false;
}

}  // namespace jleak
