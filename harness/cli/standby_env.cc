// File: standby_env.cc
//
// `jleak env`'s variables and their three quoted forms (see
// standby_env.h).

#include "harness/cli/standby_env.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "agent/control_protocol.h"

namespace jleak {
namespace {

bool CarriableByte(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '/' ||
         c == '.' || c == '_' || c == '-' || c == '+' || c == '@';
}

}  // namespace

absl::Status CheckCarriablePath(absl::string_view what,
                                absl::string_view path) {
  // Shown escaped: the message stays one line whatever the path holds.
  const std::string shown =
      absl::StrCat("'", absl::CHexEscape(path.substr(0, 200)),
                   path.size() > 200 ? "...'" : "'");
  if (path.empty() || path[0] != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " ", shown, " is not an absolute path"));
  }
  if (path.size() > kMaxCarriablePathLength) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " ", shown, " is longer than ",
                     kMaxCarriablePathLength, " bytes"));
  }
  for (char c : path) {
    if (CarriableByte(c)) continue;
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s %s contains byte 0x%02x ('%s'), which LD_PRELOAD or "
        "JAVA_TOOL_OPTIONS cannot carry; use a path of letters, digits and "
        "/ . _ - + @ only",
        what, shown, static_cast<unsigned char>(c),
        absl::CHexEscape(absl::string_view(&c, 1))));
  }
  return absl::OkStatus();
}

absl::StatusOr<EnvVars> StandbyEnv(const StandbyEnvInput& in) {
  if (absl::Status st = CheckCarriablePath("jemalloc", in.jemalloc); !st.ok()) {
    return st;
  }
  if (absl::Status st = CheckCarriablePath("agent", in.agent); !st.ok()) {
    return st;
  }
  for (const std::string& dep : in.preload_deps) {
    if (absl::Status st = CheckCarriablePath("preloaded library", dep);
        !st.ok()) {
      return st;
    }
  }
  std::string agent_options = "standby";
  if (!in.control_dir.empty()) {
    if (absl::Status st = agent::ValidateControlDir(in.control_dir); !st.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--control-dir: ", st.message()));
    }
    absl::StrAppend(&agent_options, ",control=", in.control_dir);
  }
  std::vector<std::string> preload = {in.jemalloc};
  preload.insert(preload.end(), in.preload_deps.begin(), in.preload_deps.end());
  return EnvVars{
      {"LD_PRELOAD", absl::StrJoin(preload, ":")},
      {"MALLOC_CONF",
       absl::StrCat("prof:true,prof_active:false,lg_prof_sample:",
                    in.lg_prof_sample)},
      {"JAVA_TOOL_OPTIONS",
       absl::StrCat("-agentpath:", in.agent, "=", agent_options)},
  };
}

std::string ShellSingleQuote(absl::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

absl::StatusOr<std::string> DockerfileEnvValue(absl::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '\n' || c == '\r' || c == '\0') {
      return absl::InvalidArgumentError(absl::StrCat(
          "'", absl::CHexEscape(value),
          "' holds a newline, CR or NUL, which a Dockerfile cannot hold"));
    }
    if (c == '\\' || c == '"' || c == '$') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string KubernetesEnvValue(absl::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (c == '$') {
      out += "$$";
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      out += absl::StrFormat("\\u%04x", u);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

absl::StatusOr<std::string> RenderEnv(absl::string_view format,
                                      const EnvVars& vars) {
  const bool all = format == "all";
  if (!all && format != "shell" && format != "dockerfile" &&
      format != "kubernetes") {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown format '", absl::CHexEscape(format), "'"));
  }
  for (const auto& [name, value] : vars) {
    for (char c : name) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_') {
        return absl::InvalidArgumentError(absl::StrCat(
            "variable name '", absl::CHexEscape(name), "' is not a name"));
      }
    }
  }
  std::string out;
  if (all) {
    out +=
        "# What a JVM needs at start so that `jleak attach PID` can "
        "profile it later,\n# without a restart. Sampling is off until "
        "then (prof_active:false).\n";
  }
  if (all || format == "shell") {
    if (all) out += "\n# shell\n";
    for (const auto& [name, value] : vars) {
      absl::StrAppend(&out, "export ", name, "=", ShellSingleQuote(value),
                      "\n");
    }
  }
  if (all || format == "dockerfile") {
    if (all) out += "\n# Dockerfile\n";
    // One ENV per variable: no line continuation, which a `# escape=`
    // directive would change.
    for (const auto& [name, value] : vars) {
      absl::StatusOr<std::string> quoted = DockerfileEnvValue(value);
      if (!quoted.ok()) return quoted.status();
      absl::StrAppend(&out, "ENV ", name, "=", *quoted, "\n");
    }
  }
  if (all || format == "kubernetes") {
    if (all) out += "\n# Kubernetes (the container's spec)\n";
    out += "env:\n";
    for (const auto& [name, value] : vars) {
      absl::StrAppend(&out, "  - name: ", name,
                      "\n    value: ", KubernetesEnvValue(value), "\n");
    }
  }
  if (all) {
    out +=
        "\n# Keep /tmp writable (jleak attach uses /tmp/jleak-<pid> in the "
        "container).\n# An existing JAVA_TOOL_OPTIONS or LD_PRELOAD: "
        "append yours to these.\n";
  }
  return out;
}

}  // namespace jleak
