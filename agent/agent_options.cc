// File: agent_options.cc
//
// Parsing and formatting of the agent's key=value option string.

#include "agent/agent_options.h"

#include <cmath>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "agent/control_protocol.h"

namespace jleak::agent {
namespace {

absl::Status ParseBool(absl::string_view key, absl::string_view value,
                       bool* out) {
  if (value == "1" || value == "true") {
    *out = true;
  } else if (value == "0" || value == "false") {
    *out = false;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "agent option ", key, ": expected 0 or 1, got '", value, "'"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<AgentOptions> ParseAgentOptions(absl::string_view text) {
  AgentOptions options;
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(item, absl::MaxSplits('=', 1));
    const absl::string_view key = kv.first;
    const absl::string_view value = kv.second;
    if (key == "out") {
      if (value.empty()) {
        return absl::InvalidArgumentError("agent option out: empty directory");
      }
      options.out_dir = std::string(value);
    } else if (key == "interval") {
      double seconds = 0;
      if (!absl::SimpleAtod(value, &seconds) || !std::isfinite(seconds) ||
          seconds < 0.05) {
        return absl::InvalidArgumentError(absl::StrCat(
            "agent option interval: expected seconds >= 0.05, got '", value,
            "'"));
      }
      options.interval_seconds = seconds;
    } else if (key == "gc") {
      if (absl::Status s = ParseBool(key, value, &options.force_gc); !s.ok()) {
        return s;
      }
    } else if (key == "baseline") {
      if (absl::Status s = ParseBool(key, value, &options.baseline); !s.ok()) {
        return s;
      }
    } else if (key == "perfmap") {
      if (absl::Status s = ParseBool(key, value, &options.perf_map); !s.ok()) {
        return s;
      }
    } else if (key == "nmt") {
      if (absl::Status s = ParseBool(key, value, &options.nmt); !s.ok()) {
        return s;
      }
    } else if (key == "java_stacks") {
      if (absl::Status s = ParseBool(key, value, &options.java_stacks);
          !s.ok()) {
        return s;
      }
    } else if (key == "java_classes") {
      if (absl::Status s = ParseBool(key, value, &options.java_classes);
          !s.ok()) {
        return s;
      }
    } else if (key == "origins") {
      if (absl::Status s = ParseBool(key, value, &options.origins); !s.ok()) {
        return s;
      }
    } else if (key == "memory") {
      if (absl::Status s = ParseBool(key, value, &options.memory_map);
          !s.ok()) {
        return s;
      }
    } else if (key == "standby") {
      // A bare "standby" is the form `jleak env` prints.
      if (kv.second.empty() && !absl::StrContains(item, "=")) {
        options.standby = true;
      } else if (absl::Status s = ParseBool(key, value, &options.standby);
                 !s.ok()) {
        return s;
      }
    } else if (key == "control") {
      // The same rule as `jleak env --control-dir` and `jleak attach
      // --control-dir`: absolute, normalized, portable characters only.
      if (absl::Status st = ValidateControlDir(value); !st.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("agent option control: ", st.message()));
      }
      options.control_dir = std::string(value);
    } else if (key == "engine") {
      if (value != "sampling" && value != "jemalloc") {
        return absl::InvalidArgumentError(absl::StrCat(
            "agent option engine: expected jemalloc or sampling, got '", value,
            "'"));
      }
      options.sampling_engine = value == "sampling";
    } else if (key == "lg_sample") {
      int lg = 0;
      if (!absl::SimpleAtoi(value, &lg) || lg < 0 || lg > 40) {
        return absl::InvalidArgumentError(absl::StrCat(
            "agent option lg_sample: expected 0..40, got '", value, "'"));
      }
      options.lg_sample = lg;
    } else if (key == "gc_wait_ms") {
      int ms = 0;
      if (!absl::SimpleAtoi(value, &ms) || ms < 0 || ms > 600000) {
        return absl::InvalidArgumentError(absl::StrCat(
            "agent option gc_wait_ms: expected 0..600000, got '", value, "'"));
      }
      options.gc_wait_ms = ms;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown agent option '", key, "'"));
    }
  }
  if (options.out_dir.empty() && !options.standby) {
    return absl::InvalidArgumentError(
        "agent option out=DIR is required (or standby)");
  }
  if (options.sampling_engine && options.standby) {
    return absl::InvalidArgumentError(
        "agent option engine=sampling does not apply with standby (its "
        "sessions choose their engine)");
  }
  if (!options.control_dir.empty() && !options.standby) {
    return absl::InvalidArgumentError(
        "agent option control=DIR only applies with standby");
  }
  return options;
}

std::string FormatAgentOptions(const AgentOptions& options) {
  if (options.standby) {
    return absl::StrCat(
        "standby",
        options.control_dir.empty() ? "" : ",control=", options.control_dir,
        options.java_stacks ? "" : ",java_stacks=0",
        options.java_classes ? "" : ",java_classes=0",
        options.memory_map ? "" : ",memory=0");
  }
  return absl::StrCat(
      "out=", options.out_dir, ",interval=", options.interval_seconds,
      ",gc=", options.force_gc ? 1 : 0, ",gc_wait_ms=", options.gc_wait_ms,
      ",baseline=", options.baseline ? 1 : 0,
      ",perfmap=", options.perf_map ? 1 : 0, options.nmt ? ",nmt=1" : "",
      // Only when off, like nmt only when on: the default string stays as
      // it was.
      options.java_stacks ? "" : ",java_stacks=0",
      options.java_classes ? "" : ",java_classes=0",
      options.origins ? "" : ",origins=0",
      options.memory_map ? "" : ",memory=0",
      options.sampling_engine
          ? absl::StrCat(",engine=sampling,lg_sample=", options.lg_sample)
          : "");
}

}  // namespace jleak::agent
