// File: env_command.cc
//
// `jleak env` and `jleak install`: what a service needs at start so that
// `jleak attach` can profile it later, without a restart.
//
//   jleak install --prefix /opt/jleak      # jemalloc, the agent, jleak
//   jleak env --prefix /opt/jleak          # the environment, three forms
//
// The environment preloads jleak's jemalloc with heap profiling compiled
// in but inactive (prof:true,prof_active:false: no allocation is sampled,
// no stack is walked) and loads the agent in standby (it only watches for
// requests). Measured cost: see `jleak env --help` and README.md.

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "harness/cli/commands.h"
#include "harness/cli/subcommand.h"
#include "harness/io/file_io.h"
#include "harness/run/agent_client.h"
#include "harness/run/launch_env.h"
#include "harness/run/run_paths.h"

namespace jleak {
namespace {

// Libraries every glibc system has: never bundled.
const std::set<std::string>& SystemLibraries() {
  static const std::set<std::string> kLibs = {
      "libc.so.6",  "libm.so.6",       "libdl.so.2",
      "librt.so.1", "libpthread.so.0", "ld-linux-x86-64.so.2"};
  return kLibs;
}

struct EnvSettings {
  std::string prefix;
  std::string format = "all";
  int64_t sample_bytes = kDefaultSampleBytes;
  std::string control_dir;
  std::string jemalloc_path, agent_path;
};

// The variables, in order: name, value.
std::vector<std::pair<std::string, std::string>> StandbyEnv(
    const EnvSettings& s, const std::string& jemalloc, const std::string& agent,
    const std::vector<std::string>& preload_deps) {
  std::vector<std::string> preload = {jemalloc};
  preload.insert(preload.end(), preload_deps.begin(), preload_deps.end());
  std::string agent_options = "standby";
  if (!s.control_dir.empty()) {
    absl::StrAppend(&agent_options, ",control=", s.control_dir);
  }
  return {
      {"LD_PRELOAD", absl::StrJoin(preload, ":")},
      {"MALLOC_CONF",
       absl::StrCat("prof:true,prof_active:false,lg_prof_sample:",
                    LgSampleForBytes(s.sample_bytes))},
      {"JAVA_TOOL_OPTIONS",
       absl::StrCat("-agentpath:", agent, "=", agent_options)},
  };
}

std::string ShellQuote(const std::string& v) {
  if (v.find_first_of(" '\"$`\\") == std::string::npos) return v;
  std::string out = "'";
  for (char ch : v) {
    if (ch == '\'') {
      out += "'\\''";
    } else {
      out += ch;
    }
  }
  return out + "'";
}

std::string DoubleQuote(const std::string& v) {
  std::string out = "\"";
  for (char ch : v) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  return out + "\"";
}

int RunEnv(EnvSettings s) {
  std::string jemalloc, agent;
  std::vector<std::string> preload_deps;
  if (!s.prefix.empty()) {
    s.prefix = Absolute(s.prefix);
    jemalloc = s.prefix + "/lib/libjemalloc.so.2";
    agent = s.prefix + "/lib/libjleak_agent.so";
    // `jleak install` bundled jemalloc's unwinder for images without one:
    // preloaded, it satisfies jemalloc's dependency by its soname.
    for (const char* dep : {"libunwind.so.8", "liblzma.so.5"}) {
      const std::string p = s.prefix + "/lib/" + dep;
      struct stat st;
      if (stat(p.c_str(), &st) == 0) preload_deps.push_back(p);
    }
  } else {
    jemalloc = s.jemalloc_path.empty() ? FindBundled(kBundledJemalloc)
                                       : Absolute(s.jemalloc_path);
    agent = s.agent_path.empty() ? FindBundled(kBundledAgent)
                                 : Absolute(s.agent_path);
    if (jemalloc.empty() || agent.empty()) {
      std::fprintf(stderr,
                   "jleak env: cannot find jleak's jemalloc and agent next "
                   "to jleak; give --prefix (after `jleak install`)\n");
      return kExitTrouble;
    }
  }
  const auto vars = StandbyEnv(s, jemalloc, agent, preload_deps);
  std::ostream& out = std::cout;
  const bool all = s.format == "all";
  if (all) {
    out << "# What a JVM needs at start so that `jleak attach PID` can profile "
           "it later,\n# without a restart. Sampling is off until then "
           "(prof_active:false).\n";
  }
  if (all || s.format == "shell") {
    if (all) out << "\n# shell\n";
    for (const auto& [k, v] : vars) {
      out << "export " << k << "=" << ShellQuote(v) << "\n";
    }
  }
  if (all || s.format == "dockerfile") {
    if (all) out << "\n# Dockerfile\n";
    for (size_t i = 0; i < vars.size(); ++i) {
      out << (i == 0 ? "ENV " : "    ") << vars[i].first << "="
          << DoubleQuote(vars[i].second)
          << (i + 1 < vars.size() ? " \\\n" : "\n");
    }
  }
  if (all || s.format == "kubernetes") {
    if (all) out << "\n# Kubernetes (the container's spec)\n";
    out << "env:\n";
    for (const auto& [k, v] : vars) {
      out << "  - name: " << k << "\n    value: " << DoubleQuote(v) << "\n";
    }
  }
  if (all) {
    out << "\n# Keep /tmp writable (jleak attach uses /tmp/jleak-<pid> in the "
           "container).\n# An existing JAVA_TOOL_OPTIONS or LD_PRELOAD: append "
           "yours to these.\n";
  }
  return kExitOk;
}

absl::Status Copy(const std::string& from, const std::string& to, mode_t mode) {
  absl::StatusOr<std::string> text = ReadFileToString(from);
  if (!text.ok()) return text.status();
  if (absl::Status st = WriteFileAtomically(to, *text); !st.ok()) return st;
  if (chmod(to.c_str(), mode) != 0) {
    return absl::UnavailableError(
        absl::StrCat("chmod ", to, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

int RunInstall(EnvSettings s) {
  auto fail = [](const std::string& line) {
    std::fprintf(stderr, "jleak install: %s\n", line.c_str());
    return kExitTrouble;
  };
  if (s.prefix.empty()) return fail("--prefix DIR is required");
  s.prefix = Absolute(s.prefix);
  const std::string jemalloc = s.jemalloc_path.empty()
                                   ? FindBundled(kBundledJemalloc)
                                   : Absolute(s.jemalloc_path);
  const std::string agent = s.agent_path.empty() ? FindBundled(kBundledAgent)
                                                 : Absolute(s.agent_path);
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (jemalloc.empty() || agent.empty() || n <= 0) {
    return fail("cannot find jleak's jemalloc and agent next to jleak");
  }
  self[n] = '\0';
  for (const std::string& d :
       {s.prefix, s.prefix + "/bin", s.prefix + "/lib"}) {
    if (mkdir(d.c_str(), 0755) != 0 && errno != EEXIST) {
      return fail(
          absl::StrCat("cannot create ", d, ": ", std::strerror(errno)));
    }
  }
  const std::vector<std::tuple<std::string, std::string, mode_t>> files = {
      {self, s.prefix + "/bin/jleak", 0755},
      {jemalloc, s.prefix + "/lib/libjemalloc.so.2", 0755},
      {agent, s.prefix + "/lib/libjleak_agent.so", 0755},
  };
  for (const auto& [from, to, mode] : files) {
    if (absl::Status st = Copy(from, to, mode); !st.ok()) {
      return fail(std::string(st.message()));
    }
  }
  // The shared libraries they need beyond glibc, so the folder works in an
  // image that has none of them: the agent finds them through its RUNPATH
  // ($ORIGIN), jemalloc's unwinder is preloaded by `jleak env --prefix`,
  // and jleak itself runs with LD_LIBRARY_PATH=PREFIX/lib.
  std::set<std::string> bundled;
  for (const auto& [from, to, mode] : files) {
    for (const auto& [soname, path] : SharedLibraryDeps(from)) {
      if (SystemLibraries().count(soname) || !bundled.insert(soname).second) {
        continue;
      }
      if (absl::Status st = Copy(path, s.prefix + "/lib/" + soname, 0644);
          !st.ok()) {
        return fail(std::string(st.message()));
      }
    }
  }
  std::cout << "installed jleak into " << s.prefix << ": bin/jleak, "
            << "lib/libjemalloc.so.2, lib/libjleak_agent.so and "
            << bundled.size() << " shared libraries they need (lib/)\n"
            << "the service's environment: " << s.prefix
            << "/bin/jleak env --prefix " << s.prefix << "\n"
            << "jleak itself where those libraries are missing: "
            << "LD_LIBRARY_PATH=" << s.prefix << "/lib " << s.prefix
            << "/bin/jleak ...\n";
  return kExitOk;
}

}  // namespace

void AddEnvCommand(CLI::App& jleak, int* exit_code) {
  auto s = std::make_shared<EnvSettings>();
  CLI::App* env = jleak.add_subcommand(
      "env",
      "Print what a JVM needs at start to be profiled later by `jleak "
      "attach PID` at almost no cost (jleak's jemalloc preloaded with "
      "profiling inactive, the agent in standby), as shell exports, "
      "Dockerfile ENV and Kubernetes env: entries.\n"
      "  jleak env [--prefix DIR] [--format shell|dockerfile|kubernetes]");
  env->add_option("--prefix", s->prefix,
                  "Where `jleak install --prefix` put jleak (default: the "
                  "files next to this jleak)");
  env->add_option("--format", s->format, "Which form to print")
      ->default_val("all")
      ->check(CLI::IsMember({"all", "shell", "dockerfile", "kubernetes"}));
  env->add_option("--sample-bytes", s->sample_bytes,
                  "Sampling rate jemalloc starts with (attach sets its own)")
      ->default_val(kDefaultSampleBytes)
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
  env->add_option("--control-dir", s->control_dir,
                  "The agent's control directory (default /tmp/jleak-<pid>; "
                  "pass the same to `jleak attach --control-dir`)");
  env->add_option("--jemalloc", s->jemalloc_path,
                  "Profiling libjemalloc.so.2 (default: next to jleak)");
  env->add_option("--agent", s->agent_path,
                  "libjleak_agent.so (default: next to jleak)");
  env->callback([s, exit_code] { *exit_code = RunEnv(*s); });

  auto is = std::make_shared<EnvSettings>();
  CLI::App* install = jleak.add_subcommand(
      "install",
      "Copy jleak, its jemalloc and its agent (and the shared libraries "
      "they need) into one relocatable folder, e.g. for a container "
      "image; then `DIR/bin/jleak env --prefix DIR`.\n"
      "  jleak install --prefix DIR");
  install->add_option("--prefix", is->prefix, "The folder (created)")
      ->required();
  install->add_option("--jemalloc", is->jemalloc_path,
                      "Profiling libjemalloc.so.2 (default: next to jleak)");
  install->add_option("--agent", is->agent_path,
                      "libjleak_agent.so (default: next to jleak)");
  install->callback([is, exit_code] { *exit_code = RunInstall(*is); });
}

}  // namespace jleak
