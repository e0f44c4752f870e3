// File: control_protocol.h
//
// How `jleak attach` and `jleak snapshot` drive a standby agent (agent
// option `standby`, see agent_options.h) in a JVM they did not start: a few
// files in a control directory inside the JVM's own mount namespace, which
// jleak reaches from outside (another PID namespace, a sidecar, the host)
// through /proc/<pid>/root, as jcmd does for HotSpot's attach files.
//
//   <control>             kDefaultControlParent + "jleak-<pid as the JVM
//                         sees it>" unless the agent option control=DIR
//                         says otherwise. Made by jleak, mode 0700, owned
//                         by the JVM's user (the agent refuses one that is
//                         not: /tmp is world-writable).
//   <control>/lock        jleak holds flock(LOCK_EX) on it while it drives
//                         the agent. A second jleak is refused at once
//                         (LOCK_NB), and the agent, which tries
//                         LOCK_SH|LOCK_NB on it every second of a session,
//                         ends a session whose jleak died (kill -9): the
//                         kernel drops the lock with the process, so
//                         sampling never stays on by accident. Never
//                         removed (removing a flock'd file lets two
//                         holders lock two different files).
//   <control>/request     one request, written by jleak (tmp + rename),
//                         taken (read, then removed) by the agent, which
//                         looks for it every kStandbyPollMs.
//   <out>/                the request's output directory (made by jleak
//                         under <control>): the agent writes agent.json
//                         first (the answer, with the request id), then
//                         snapshot-N.heap, timeline.jsonl, java-frames.map
//                         and perf-<pid>.map as in `jleak run`.
//   <out>/final.request   jleak's "end the session" (as in `jleak run`).
//
// Request text, one key=value per line (no key repeats):
//   id=a1b2c3            chosen by jleak; echoed in agent.json
//   action=session       session: sampling on, a snapshot now and every
//                                  `interval` s until final.request or the
//                                  lock is free; then sampling off
//                        snapshot: one snapshot; turns sampling on (and
//                                  leaves it on) if it was off
//                        stop:     a final snapshot if sampling was left on
//                                  by `snapshot`, then sampling off
//   out=/tmp/jleak-7/s-a1b2c3
//   interval=2           seconds (session only)
//   lg_sample=19         jemalloc's lg_prof_sample while sampling
//   gc=1                 force a GC before each snapshot

#ifndef JLEAK_AGENT_CONTROL_PROTOCOL_H_
#define JLEAK_AGENT_CONTROL_PROTOCOL_H_

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace jleak::agent {

inline constexpr char kDefaultControlParent[] = "/tmp/";
inline constexpr char kControlLockName[] = "lock";
inline constexpr char kControlRequestName[] = "request";
inline constexpr char kFinalRequestName[] = "final.request";
inline constexpr char kAgentReportName[] = "agent.json";
// How often a standby agent looks for a request: one stat(2) per poll, so
// standby costs nothing measurable, and an attach starts within this.
inline constexpr int kStandbyPollMs = 500;

// agent.json's "engine" "name": which capture engine (capture_engine.h)
// collected. The sampling engine sees only what is allocated once it is
// on: kSamplingEngineLimit is how jleak's manifest and reports say so.
inline constexpr char kEngineJemalloc[] = "jemalloc";
inline constexpr char kEngineSampling[] = "sampling";
inline constexpr char kSamplingEngineLimit[] =
    "memory allocated before the attach is not seen (the verdict is about "
    "growth after it)";

// The longest control directory accepted: with "/lock", "/request" or a
// request's "s-<id>/final.request" below it, every path stays short (a
// Unix socket's path must fit in 108 bytes).
inline constexpr size_t kMaxControlDirLength = 96;

// DefaultControlDir: "/tmp/jleak-<pid>", pid as the JVM sees it.
std::string DefaultControlDir(int pid_in_namespace);

// ValidateControlDir: whether `dir` may be a control directory (agent
// option control=DIR, `jleak env --control-dir`, `jleak attach
// --control-dir`). It must be absolute and normalized (no empty, "." or
// ".." component, no trailing '/', not "/" itself), at most
// kMaxControlDirLength bytes, and made of the POSIX portable file name
// characters only (letters, digits, '.', '_', '-') and '/': nothing that
// the agent's option string (',' '='), LD_PRELOAD / JAVA_TOOL_OPTIONS
// (white space, ':', quotes), a shell or a YAML/Dockerfile line could cut
// or reinterpret. The message names the offending byte and is one line.
absl::Status ValidateControlDir(absl::string_view dir);

// CheckControlDirTrusted: whether the agent may obey requests found in
// `dir` (lstat(2), so symlinks are never followed):
//   - `dir` passes ValidateControlDir;
//   - `dir` is a directory (not a symlink), owned by `euid` or root, that
//     neither group nor others may write (jleak makes it 0700);
//   - its parent is a directory (not a symlink), owned by `euid` or root,
//     that group and others may not write unless it is sticky (/tmp, mode
//     1777 root, passes): otherwise another user could rename `dir` away
//     and put their own in its place.
// NotFoundError when `dir` (or its parent) does not exist: no jleak has
// come yet, the usual case. PermissionDeniedError saying why otherwise.
absl::Status CheckControlDirTrusted(const std::string& dir, uid_t euid);

enum class ControlAction { kSession, kSnapshot, kStop };

struct ControlRequest {
  std::string id;
  ControlAction action = ControlAction::kSession;
  std::string out_dir;
  double interval_seconds = 10;
  int lg_sample = 19;
  bool force_gc = true;
};

std::string ControlActionName(ControlAction action);

// FormatControlRequest / ParseControlRequest: the request file's text.
// Parse refuses unknown keys, missing id/out, bad numbers, and an out
// directory that is relative or holds ',' or ':' (it becomes part of
// jemalloc's and the agent's option strings).
std::string FormatControlRequest(const ControlRequest& request);
absl::StatusOr<ControlRequest> ParseControlRequest(absl::string_view text);

}  // namespace jleak::agent

#endif  // JLEAK_AGENT_CONTROL_PROTOCOL_H_
