// File: target_process.cc
//
// A running process as /proc describes it (see target_process.h).

#include "harness/run/target_process.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "harness/io/file_io.h"

namespace jleak {
namespace {

// StatusField returns the value of "Name:\tvalue" in /proc/PID/status.
std::optional<absl::string_view> StatusField(absl::string_view status,
                                             absl::string_view name) {
  for (absl::string_view line : absl::StrSplit(status, '\n')) {
    if (absl::ConsumePrefix(&line, name) && absl::ConsumePrefix(&line, ":")) {
      return absl::StripAsciiWhitespace(line);
    }
  }
  return std::nullopt;
}

std::vector<absl::string_view> Fields(absl::string_view text) {
  return absl::StrSplit(text, absl::ByAnyChar(" \t"), absl::SkipEmpty());
}

std::string Basename(absl::string_view path) {
  size_t slash = path.rfind('/');
  return std::string(slash == absl::string_view::npos ? path
                                                      : path.substr(slash + 1));
}

// ReadProcFile reads /proc/<pid>/<name>, telling "gone" from "not allowed".
absl::StatusOr<std::string> ReadProcFile(pid_t pid, const std::string& name) {
  const std::string path = absl::StrCat("/proc/", pid, "/", name);
  absl::StatusOr<std::string> text = ReadFileToString(path);
  if (text.ok()) return text;
  if (absl::IsPermissionDenied(text.status())) return text.status();
  struct stat st;
  if (stat(absl::StrCat("/proc/", pid).c_str(), &st) != 0) {
    return absl::NotFoundError(absl::StrCat("no process ", pid));
  }
  return text.status();
}

std::string MountNamespace(const std::string& proc_dir) {
  char buf[256];
  ssize_t n = readlink((proc_dir + "/ns/mnt").c_str(), buf, sizeof buf - 1);
  if (n <= 0) return "";
  return std::string(buf, n);
}

}  // namespace

std::optional<int> ParseNsPid(absl::string_view status) {
  std::optional<absl::string_view> v = StatusField(status, "NSpid");
  if (!v) return std::nullopt;
  std::vector<absl::string_view> f = Fields(*v);
  int pid = 0;
  if (f.empty() || !absl::SimpleAtoi(f.back(), &pid) || pid <= 0) {
    return std::nullopt;
  }
  return pid;
}

bool ParseEffectiveIds(absl::string_view status, uid_t* uid, gid_t* gid) {
  std::optional<absl::string_view> u = StatusField(status, "Uid");
  std::optional<absl::string_view> g = StatusField(status, "Gid");
  if (!u || !g) return false;
  std::vector<absl::string_view> uf = Fields(*u), gf = Fields(*g);
  uint32_t uv = 0, gv = 0;
  if (uf.size() < 2 || gf.size() < 2 || !absl::SimpleAtoi(uf[1], &uv) ||
      !absl::SimpleAtoi(gf[1], &gv)) {
    return false;
  }
  *uid = uv;
  *gid = gv;
  return true;
}

bool ParseCatchesSignal(absl::string_view status, int signal) {
  std::optional<absl::string_view> v = StatusField(status, "SigCgt");
  uint64_t mask = 0;
  if (!v || !absl::SimpleHexAtoi(*v, &mask) || signal < 1 || signal > 64) {
    return false;
  }
  return (mask >> (signal - 1)) & 1;
}

std::optional<uint64_t> ParseStartTicks(absl::string_view stat) {
  size_t paren = stat.rfind(')');
  if (paren == absl::string_view::npos) return std::nullopt;
  // After ") ": field 3 (state) is the first; starttime is field 22.
  std::vector<absl::string_view> f = Fields(stat.substr(paren + 1));
  uint64_t ticks = 0;
  if (f.size() < 20 || !absl::SimpleAtoi(f[19], &ticks)) return std::nullopt;
  return ticks;
}

std::string FindMappedLibrary(absl::string_view maps,
                              absl::string_view prefix) {
  for (absl::string_view line : absl::StrSplit(maps, '\n')) {
    // address perms offset dev inode path: the path is the 6th field and
    // may hold spaces, so take everything from the first '/'.
    size_t slash = line.find('/');
    if (slash == absl::string_view::npos) continue;
    absl::string_view path = line.substr(slash);
    absl::ConsumeSuffix(&path, " (deleted)");
    const std::string base = Basename(path);
    if (absl::StartsWith(base, prefix) && absl::StrContains(base, ".so")) {
      return std::string(path);
    }
  }
  return "";
}

std::vector<std::string> SplitNulSeparated(absl::string_view text) {
  std::vector<std::string> out;
  for (absl::string_view part :
       absl::StrSplit(text, absl::ByChar('\0'), absl::SkipEmpty())) {
    out.emplace_back(part);
  }
  return out;
}

absl::StatusOr<TargetProcess> InspectTarget(pid_t pid) {
  if (pid <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("bad PID ", pid));
  }
  TargetProcess t;
  t.pid = pid;
  absl::StatusOr<std::string> status = ReadProcFile(pid, "status");
  if (!status.ok()) return status.status();
  t.ns_pid = ParseNsPid(*status).value_or(pid);
  if (!ParseEffectiveIds(*status, &t.uid, &t.gid)) {
    return absl::UnavailableError(
        absl::StrCat("cannot read the user of process ", pid));
  }
  t.catches_sigquit = ParseCatchesSignal(*status, SIGQUIT);
  if (absl::StatusOr<std::string> comm = ReadProcFile(pid, "comm"); comm.ok()) {
    t.comm = std::string(absl::StripAsciiWhitespace(*comm));
  }
  if (absl::StatusOr<std::string> stat = ReadProcFile(pid, "stat"); stat.ok()) {
    t.start_ticks = ParseStartTicks(*stat).value_or(0);
  }
  if (absl::StatusOr<std::string> cmd = ReadProcFile(pid, "cmdline");
      cmd.ok()) {
    t.cmdline = SplitNulSeparated(*cmd);
  }
  // maps (and root, cwd, environ) need the right to ptrace-read the
  // process: the same user, or root, and a kernel that allows it.
  absl::StatusOr<std::string> maps = ReadProcFile(pid, "maps");
  if (!maps.ok()) {
    if (absl::IsPermissionDenied(maps.status())) {
      return absl::PermissionDeniedError(
          absl::StrCat("not allowed to inspect process ", pid, " (uid ", t.uid,
                       "): run jleak as that user or as root (and check "
                       "kernel.yama.ptrace_scope)"));
    }
    return maps.status();
  }
  t.is_jvm = !FindMappedLibrary(*maps, "libjvm.so").empty();
  t.jemalloc_path = FindMappedLibrary(*maps, "libjemalloc");
  t.agent_path = FindMappedLibrary(*maps, "libjleak_agent");
  if (absl::StatusOr<std::string> env = ReadProcFile(pid, "environ");
      env.ok()) {
    for (const std::string& kv : SplitNulSeparated(*env)) {
      size_t eq = kv.find('=');
      if (eq != std::string::npos)
        t.environ[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
  }
  const std::string proc = absl::StrCat("/proc/", pid);
  const std::string mine = MountNamespace("/proc/self");
  const std::string theirs = MountNamespace(proc);
  if (!theirs.empty() && theirs != mine) t.root = proc + "/root";
  return t;
}

bool StillRunning(const TargetProcess& t) {
  absl::StatusOr<std::string> stat =
      ReadFileToString(absl::StrCat("/proc/", t.pid, "/stat"));
  if (!stat.ok()) return false;
  // A zombie has exited: it only waits for its parent.
  size_t paren = stat->rfind(')');
  if (paren != std::string::npos && paren + 2 < stat->size() &&
      ((*stat)[paren + 2] == 'Z' || (*stat)[paren + 2] == 'X')) {
    return false;
  }
  return ParseStartTicks(*stat).value_or(0) == t.start_ticks;
}

}  // namespace jleak
