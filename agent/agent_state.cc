// File: agent_state.cc
//
// Making the agent's state: options, the run directory's claim, the
// capture engine (see agent_state.h).

#include "agent/agent_state.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "agent/jemalloc_capture.h"
#include "agent/sampling_capture.h"

namespace jleak::agent {
namespace {

// Claim makes this process the one profiled process of the run: LD_PRELOAD
// and JDK_JAVA_OPTIONS are inherited by children (a JVM starting a JVM, a
// script starting a program), and two agents writing snapshot-<seq>.heap
// into one directory would corrupt the run.
bool Claim(const std::string& dir) {
  const std::string path = dir + "/agent.pid";
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      Say(absl::StrCat("pid ", getpid(),
                       " not profiled: another process of this run has the "
                       "agent (",
                       path, ")"));
    } else {
      Say(absl::StrCat("cannot use output directory ", dir, ": ",
                       std::strerror(errno),
                       "; not profiling (check the directory exists and is "
                       "writable)"));
    }
    return false;
  }
  std::string pid = absl::StrCat(getpid(), "\n");
  ssize_t ignored = write(fd, pid.data(), pid.size());
  (void)ignored;
  close(fd);
  return true;
}

}  // namespace

AgentState* g_state = nullptr;

void Say(const std::string& message) {
  std::fprintf(stderr, "jleak agent: %s\n", message.c_str());
}

std::unique_ptr<AgentState> Setup(const char* text, const std::string& mode) {
  absl::StatusOr<AgentOptions> options = ParseAgentOptions(text ? text : "");
  if (!options.ok()) {
    Say(absl::StrCat(options.status().message(), "; not profiling"));
    return nullptr;
  }
  if (options->standby && mode != "jvm") {
    Say("standby needs a JVM (-agentpath); not profiling");
    return nullptr;
  }
  // A standby agent has no run directory to claim: each JVM has its own
  // control directory, named by its pid.
  if (!options->standby && !Claim(options->out_dir)) return nullptr;
  auto s = std::make_unique<AgentState>();
  s->options = *options;
  s->mode = mode;
  s->control_dir = options->control_dir.empty() ? DefaultControlDir(getpid())
                                                : options->control_dir;
  if (s->options.sampling_engine) {
    if (mode != "jvm") {
      Say("engine=sampling needs a JVM (-agentpath); not profiling");
      return nullptr;
    }
    // `jleak run --engine sampling`: the JVM's own malloc, interposed from
    // Agent_OnLoad on (StartJvmAgent activates it).
    auto sampling = std::make_unique<SamplingCapture>();
    s->sampling = sampling.get();
    s->engine = std::move(sampling);
    return s;
  }
  absl::StatusOr<std::unique_ptr<MallocControl>> je =
      FindJemalloc(&s->jemalloc_info);
  if (je.ok()) {
    s->engine = std::make_unique<JemallocCapture>(*std::move(je));
  } else if (s->options.standby) {
    // A JVM started without jleak's jemalloc: each session interposes
    // malloc itself (nothing is installed before one starts).
    auto sampling = std::make_unique<SamplingCapture>();
    s->sampling = sampling.get();
    s->engine = std::move(sampling);
    Say("no profiling jemalloc in this JVM: `jleak attach` sessions will "
        "use the sampling engine");
  } else {
    s->inconclusive = std::string(je.status().message());
    Say(absl::StrCat(s->inconclusive,
                     "; no heap profiles will be taken, the run is "
                     "inconclusive"));
  }
  return s;
}

}  // namespace jleak::agent
