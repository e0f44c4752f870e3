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
//
// Both refuse (exit 2, one line) paths the environment cannot carry
// (standby_env.h), and `install` refuses a prefix another user owns or
// may write, and symlinks where it would write (install_prefix.h).

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "harness/cli/commands.h"
#include "harness/cli/install_prefix.h"
#include "harness/cli/standby_env.h"
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

// Fail: the one-line error of `jleak env` / `jleak install`, exit 2.
int Fail(const char* command, absl::string_view message) {
  std::fprintf(stderr, "jleak %s: %s\n", command, std::string(message).c_str());
  return kExitTrouble;
}

int RunEnv(EnvSettings s) {
  StandbyEnvInput in;
  in.lg_prof_sample = LgSampleForBytes(s.sample_bytes);
  in.control_dir = s.control_dir;
  if (!s.prefix.empty()) {
    s.prefix = Absolute(s.prefix);
    // Checked first, so the message names what the user typed.
    if (absl::Status st = CheckCarriablePath("--prefix", s.prefix); !st.ok()) {
      return Fail("env", st.message());
    }
    in.jemalloc = s.prefix + "/lib/libjemalloc.so.2";
    in.agent = s.prefix + "/lib/libjleak_agent.so";
    // `jleak install` bundled jemalloc's unwinder for images without one:
    // preloaded, it satisfies jemalloc's dependency by its soname.
    for (const char* dep : {"libunwind.so.8", "liblzma.so.5"}) {
      const std::string p = s.prefix + "/lib/" + dep;
      struct stat st;
      if (stat(p.c_str(), &st) == 0) in.preload_deps.push_back(p);
    }
  } else {
    for (auto [flag, given, bundled, out] :
         {std::make_tuple("--jemalloc", &s.jemalloc_path, kBundledJemalloc,
                          &in.jemalloc),
          std::make_tuple("--agent", &s.agent_path, kBundledAgent,
                          &in.agent)}) {
      if (given->empty()) {
        *out = FindBundled(bundled);
        if (out->empty()) {
          return Fail("env",
                      "cannot find jleak's jemalloc and agent next to jleak; "
                      "give --prefix (after `jleak install`)");
        }
        if (absl::Status st = CheckCarriablePath(
                absl::StrCat("jleak's own file (next to jleak; install it "
                             "elsewhere with `jleak install`)"),
                *out);
            !st.ok()) {
          return Fail("env", st.message());
        }
      } else {
        *out = Absolute(*given);
        if (absl::Status st = CheckCarriablePath(flag, *out); !st.ok()) {
          return Fail("env", st.message());
        }
      }
    }
  }
  absl::StatusOr<EnvVars> vars = StandbyEnv(in);
  if (!vars.ok()) return Fail("env", vars.status().message());
  absl::StatusOr<std::string> text = RenderEnv(s.format, *vars);
  if (!text.ok()) return Fail("env", text.status().message());
  std::cout << *text << std::flush;
  return kExitOk;
}

absl::Status Copy(const std::string& from, int dir_fd,
                  const std::string& dir_shown, const std::string& name,
                  mode_t mode) {
  absl::StatusOr<std::string> text = ReadFileToString(from);
  if (!text.ok()) return text.status();
  return InstallFileAt(dir_fd, dir_shown, name, *text, mode);
}

int RunInstall(EnvSettings s) {
  if (s.prefix.empty()) return Fail("install", "--prefix DIR is required");
  s.prefix = Absolute(s.prefix);
  while (s.prefix.size() > 1 && s.prefix.back() == '/') s.prefix.pop_back();
  // A folder `jleak env --prefix` could not name is of no use.
  if (absl::Status st = CheckCarriablePath("--prefix", s.prefix); !st.ok()) {
    return Fail("install", st.message());
  }
  const std::string jemalloc = s.jemalloc_path.empty()
                                   ? FindBundled(kBundledJemalloc)
                                   : Absolute(s.jemalloc_path);
  const std::string agent = s.agent_path.empty() ? FindBundled(kBundledAgent)
                                                 : Absolute(s.agent_path);
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (jemalloc.empty() || agent.empty() || n <= 0) {
    return Fail("install",
                "cannot find jleak's jemalloc and agent next to jleak");
  }
  self[n] = '\0';
  absl::StatusOr<UniqueFd> prefix = OpenInstallPrefix(s.prefix);
  if (!prefix.ok()) return Fail("install", prefix.status().message());
  const std::string bin_path = s.prefix + "/bin", lib_path = s.prefix + "/lib";
  absl::StatusOr<UniqueFd> bin =
      OpenOwnSubdirectory(prefix->get(), "bin", bin_path);
  if (!bin.ok()) return Fail("install", bin.status().message());
  absl::StatusOr<UniqueFd> lib =
      OpenOwnSubdirectory(prefix->get(), "lib", lib_path);
  if (!lib.ok()) return Fail("install", lib.status().message());
  struct Item {
    std::string from;
    int dir_fd;
    std::string dir, name;
  };
  const std::vector<Item> files = {
      {self, bin->get(), bin_path, "jleak"},
      {jemalloc, lib->get(), lib_path, "libjemalloc.so.2"},
      {agent, lib->get(), lib_path, "libjleak_agent.so"},
  };
  for (const Item& f : files) {
    if (absl::Status st = Copy(f.from, f.dir_fd, f.dir, f.name, 0755);
        !st.ok()) {
      return Fail("install", st.message());
    }
  }
  // The shared libraries they need beyond glibc, so the folder works in an
  // image that has none of them: the agent finds them through its RUNPATH
  // ($ORIGIN), jemalloc's unwinder is preloaded by `jleak env --prefix`,
  // and jleak itself runs with LD_LIBRARY_PATH=PREFIX/lib.
  std::set<std::string> bundled;
  for (const Item& f : files) {
    for (const auto& [soname, path] : SharedLibraryDeps(f.from)) {
      if (SystemLibraries().count(soname) || !bundled.insert(soname).second) {
        continue;
      }
      // InstallFileAt refuses a soname that is not a bare file name.
      if (absl::Status st = Copy(path, lib->get(), lib_path, soname, 0644);
          !st.ok()) {
        return Fail("install", st.message());
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
}

void AddInstallCommand(CLI::App& jleak, int* exit_code) {
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
