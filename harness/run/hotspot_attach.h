// File: hotspot_attach.h
//
// HotSpot's dynamic attach, the mechanism of `jcmd PID JVMTI.agent_load`,
// written from the JDK 17 sources (sun.tools.attach.VirtualMachineImpl on
// Linux, HotSpotVirtualMachine.loadAgentLibrary):
//
//   1. If /tmp/.java_pid<nspid> (in the JVM's root) is not a socket yet:
//      create .attach_pid<nspid> in the JVM's cwd (/proc/PID/cwd), or in
//      its /tmp when the cwd is not writable, and send SIGQUIT; HotSpot's
//      signal thread sees the file and starts its Attach Listener, which
//      makes the socket. Wait for it (jcmd waits 10 s, signalling again
//      half way); remove the .attach_pid file.
//   2. Connect (a UNIX socket reached through /proc/PID/root works across
//      mount namespaces) and send, each string NUL-terminated:
//        "1"  "load"  "<agent path>"  "true"  "<options>"
//      (protocol version 1; three arguments always, "true": the path is
//      absolute, as the JVM sees it).
//   3. Read "<status>\n": 0 means the command ran; then, for load,
//      "return code: <Agent_OnAttach's result>\n". Anything else is an
//      error message.
//
// HotSpot accepts the peer when its euid/egid match the JVM's, or it is
// root (host root is not root to a JVM in a user namespace). All of it is
// done by the TargetBroker's helper, as the JVM's user in its root
// (target_files.h: the trigger made O_EXCL, the socket checked to be the
// JVM user's with mode 0600 before connecting and its peer after,
// SIGQUIT through a pidfd, the reply bounded). Only SIGQUIT is sent, and
// only to a process that catches it (a JVM started with -Xrs does not;
// SIGQUIT would end it).

#ifndef JLEAK_HARNESS_RUN_HOTSPOT_ATTACH_H_
#define JLEAK_HARNESS_RUN_HOTSPOT_ATTACH_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "harness/run/target_broker.h"
#include "harness/run/target_process.h"

namespace jleak {

// FormatAttachCommand: the bytes of one request (version, command, and
// exactly three arguments, missing ones empty).
std::string FormatAttachCommand(absl::string_view command,
                                const std::vector<std::string>& args);

// ParseLoadReply: Agent_OnAttach's return code from the whole reply of a
// "load" command, or an error carrying the JVM's message.
absl::StatusOr<int> ParseLoadReply(absl::string_view reply);

// LoadAgent loads `agent_path` (as the JVM sees it) with `options` into
// `target` and returns Agent_OnAttach's result (0: loaded). Errors: the
// JVM did not open its attach socket within `timeout_s`, refused the
// connection, or could not load the library.
absl::StatusOr<int> LoadAgent(TargetBroker& broker, const TargetProcess& target,
                              const std::string& agent_path,
                              const std::string& options, double timeout_s);

}  // namespace jleak

#endif  // JLEAK_HARNESS_RUN_HOTSPOT_ATTACH_H_
