// File: standby_env.h
//
// What `jleak env` prints, as pure functions (tested without a binary):
// the three variables that start a JVM in standby, the check that every
// path in them can be carried by LD_PRELOAD and JAVA_TOOL_OPTIONS, and
// the three output forms, each quoted so that no value can run a command
// or expand a variable:
//
//   shell        export NAME='value'        (always single quotes; a ' as '\'')
//   dockerfile   ENV NAME="value"           (one line each; \ " $ escaped)
//   kubernetes   - name: NAME
//                  value: "value"           (a JSON string, which YAML reads
//                                            as a double-quoted scalar; $ as
//                                            $$, Kubernetes' escape of $(VAR))
//
//   bazel test //harness/cli:standby_env_test

#ifndef JLEAK_HARNESS_CLI_STANDBY_ENV_H_
#define JLEAK_HARNESS_CLI_STANDBY_ENV_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace jleak {

using EnvVars = std::vector<std::pair<std::string, std::string>>;

// The longest path CheckCarriablePath accepts.
inline constexpr size_t kMaxCarriablePathLength = 1024;

// CheckCarriablePath: whether `path` (named `what` in the message, e.g.
// "--prefix") can be put into LD_PRELOAD and -agentpath:PATH=OPTIONS in
// JAVA_TOOL_OPTIONS unchanged. ld.so splits LD_PRELOAD on ' ' and ':' and
// expands $ORIGIN-style tokens; HotSpot splits JAVA_TOOL_OPTIONS on white
// space and strips ' and " (Arguments::parse_options_buffer), and ends the
// agent path at the first '='; the agent's options split on ','. Rather
// than list every such byte, only absolute paths of letters, digits and
// / . _ - + @ are accepted (at most kMaxCarriablePathLength bytes). The
// message is one line and names the first offending byte.
absl::Status CheckCarriablePath(absl::string_view what, absl::string_view path);

struct StandbyEnvInput {
  std::string jemalloc;                   // absolute
  std::string agent;                      // absolute
  std::vector<std::string> preload_deps;  // absolute, after jemalloc
  int lg_prof_sample = 19;
  std::string control_dir;  // empty: the agent's default
};

// StandbyEnv: LD_PRELOAD, MALLOC_CONF and JAVA_TOOL_OPTIONS, in that
// order. Refuses (InvalidArgumentError) a path CheckCarriablePath refuses
// or a control directory agent::ValidateControlDir refuses.
absl::StatusOr<EnvVars> StandbyEnv(const StandbyEnvInput& input);

// ShellSingleQuote: 'value', every ' written as '\'' (POSIX sh: nothing
// inside single quotes is special).
std::string ShellSingleQuote(absl::string_view value);

// DockerfileEnvValue: "value" with \, " and $ backslash-escaped, as the
// Dockerfile ENV instruction reads a double-quoted word. A Dockerfile
// line cannot hold a newline, CR or NUL: InvalidArgumentError.
absl::StatusOr<std::string> DockerfileEnvValue(absl::string_view value);

// KubernetesEnvValue: `value` with each $ doubled (Kubernetes expands
// $(VAR) in env values and reduces $$ to $), as a JSON string ("..." with
// \", \\ and \u00XX for control bytes): a YAML double-quoted scalar on one
// line.
std::string KubernetesEnvValue(absl::string_view value);

// RenderEnv: the text `jleak env --format FORMAT` prints; FORMAT is
// "all", "shell", "dockerfile" or "kubernetes".
absl::StatusOr<std::string> RenderEnv(absl::string_view format,
                                      const EnvVars& vars);

}  // namespace jleak

#endif  // JLEAK_HARNESS_CLI_STANDBY_ENV_H_
