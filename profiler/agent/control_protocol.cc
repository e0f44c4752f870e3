// File: control_protocol.cc
//
// The request file of the standby agent's control directory (see
// control_protocol.h).

#include "profiler/agent/control_protocol.h"

#include <cmath>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace jleak::agent {

std::string DefaultControlDir(int pid_in_namespace) {
  return absl::StrCat(kDefaultControlParent, "jleak-", pid_in_namespace);
}

std::string ControlActionName(ControlAction action) {
  switch (action) {
    case ControlAction::kSession:
      return "session";
    case ControlAction::kSnapshot:
      return "snapshot";
    case ControlAction::kStop:
      return "stop";
  }
  return "?";
}

std::string FormatControlRequest(const ControlRequest& r) {
  return absl::StrCat("id=", r.id, "\naction=", ControlActionName(r.action),
                      "\nout=", r.out_dir, "\ninterval=", r.interval_seconds,
                      "\nlg_sample=", r.lg_sample, "\ngc=", r.force_gc ? 1 : 0,
                      "\n");
}

absl::StatusOr<ControlRequest> ParseControlRequest(absl::string_view text) {
  ControlRequest r;
  std::set<std::string> seen;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(line, absl::MaxSplits('=', 1));
    const std::string key(kv.first);
    const absl::string_view value = kv.second;
    if (!seen.insert(key).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("request: key '", key, "' given twice"));
    }
    if (key == "id") {
      if (value.empty() || value.size() > 64) {
        return absl::InvalidArgumentError("request: bad id");
      }
      r.id = std::string(value);
    } else if (key == "action") {
      if (value == "session") {
        r.action = ControlAction::kSession;
      } else if (value == "snapshot") {
        r.action = ControlAction::kSnapshot;
      } else if (value == "stop") {
        r.action = ControlAction::kStop;
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("request: unknown action '", value, "'"));
      }
    } else if (key == "out") {
      if (value.empty() || value[0] != '/' || absl::StrContains(value, ",") ||
          absl::StrContains(value, ":")) {
        return absl::InvalidArgumentError(absl::StrCat(
            "request: out must be an absolute path without ',' or ':', got '",
            value, "'"));
      }
      r.out_dir = std::string(value);
    } else if (key == "interval") {
      if (!absl::SimpleAtod(value, &r.interval_seconds) ||
          !std::isfinite(r.interval_seconds) || r.interval_seconds < 0.05) {
        return absl::InvalidArgumentError(
            absl::StrCat("request: bad interval '", value, "'"));
      }
    } else if (key == "lg_sample") {
      if (!absl::SimpleAtoi(value, &r.lg_sample) || r.lg_sample < 0 ||
          r.lg_sample > 40) {
        return absl::InvalidArgumentError(
            absl::StrCat("request: bad lg_sample '", value, "'"));
      }
    } else if (key == "gc") {
      if (value != "0" && value != "1") {
        return absl::InvalidArgumentError(
            absl::StrCat("request: bad gc '", value, "'"));
      }
      r.force_gc = value == "1";
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("request: unknown key '", key, "'"));
    }
  }
  if (r.id.empty() || r.out_dir.empty()) {
    return absl::InvalidArgumentError("request: id and out are required");
  }
  return r;
}

}  // namespace jleak::agent
