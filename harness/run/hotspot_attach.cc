// File: hotspot_attach.cc
//
// HotSpot's attach protocol, client side (see hotspot_attach.h).

#include "harness/run/hotspot_attach.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "harness/io/file_io.h"

namespace jleak {
namespace {

bool IsSocket(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

// CreateTrigger makes .attach_pid<nspid> where HotSpot looks for it;
// returns its path (as jleak sees it) or "".
std::string CreateTrigger(const TargetProcess& t) {
  const std::string name = absl::StrCat(".attach_pid", t.ns_pid);
  for (const std::string& dir :
       {absl::StrCat("/proc/", t.pid, "/cwd"), t.HostPath("/tmp")}) {
    const std::string path = dir + "/" + name;
    int fd =
        open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd >= 0) {
      close(fd);
      return path;
    }
  }
  return "";
}

absl::Status WaitForSocket(const TargetProcess& t, const std::string& socket,
                           double timeout_s) {
  if (IsSocket(socket)) return absl::OkStatus();
  if (!t.catches_sigquit) {
    return absl::FailedPreconditionError(absl::StrCat(
        "process ", t.pid,
        " does not handle SIGQUIT (started with -Xrs?), so its attach "
        "mechanism cannot be started"));
  }
  const std::string trigger = CreateTrigger(t);
  if (trigger.empty()) {
    return absl::UnavailableError(absl::StrCat("cannot create .attach_pid",
                                               t.ns_pid,
                                               " in the working directory or "
                                               "/tmp of process ",
                                               t.pid));
  }
  absl::Status result = absl::OkStatus();
  if (kill(t.pid, SIGQUIT) != 0) {
    result = absl::PermissionDeniedError(absl::StrCat(
        "cannot signal process ", t.pid, ": ", std::strerror(errno)));
  } else {
    const absl::Time start = absl::Now();
    const absl::Duration timeout = absl::Seconds(timeout_s);
    bool resent = false;
    while (!IsSocket(socket)) {
      const absl::Duration waited = absl::Now() - start;
      if (waited > timeout) {
        result = absl::DeadlineExceededError(absl::StrCat(
            "process ", t.pid, " did not open its attach socket within ",
            timeout_s,
            " s (started with -XX:+DisableAttachMechanism, or not a "
            "HotSpot JVM?)"));
        break;
      }
      if (!resent && waited > timeout / 2) {
        // As jcmd: a second chance if the first signal came too early.
        kill(t.pid, SIGQUIT);
        resent = true;
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
  }
  unlink(trigger.c_str());
  return result;
}

absl::StatusOr<std::string> Exchange(const std::string& socket_path,
                                     const std::string& request,
                                     double timeout_s) {
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(
        absl::StrCat("socket path too long: ", socket_path));
  }
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("socket: ", std::strerror(errno)));
  }
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const int err = errno;
    close(fd);
    return absl::PermissionDeniedError(absl::StrCat(
        "cannot connect to ", socket_path, ": ", std::strerror(err)));
  }
  if (!WriteAll(fd, request.data(), request.size())) {
    const int err = errno;
    close(fd);
    return absl::UnavailableError(
        absl::StrCat("cannot send to the JVM: ", std::strerror(err)));
  }
  std::string reply;
  const absl::Time deadline = absl::Now() + absl::Seconds(timeout_s);
  for (;;) {
    const int64_t left_ms = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (left_ms <= 0) {
      close(fd);
      return absl::DeadlineExceededError(
          "the JVM did not finish answering the attach request");
    }
    pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left_ms)) < 0 && errno != EINTR) break;
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) break;
    reply.append(buf, n);
  }
  close(fd);
  return reply;
}

}  // namespace

std::string FormatAttachCommand(absl::string_view command,
                                const std::vector<std::string>& args) {
  std::string out = "1";
  out.push_back('\0');
  absl::StrAppend(&out, command);
  out.push_back('\0');
  for (size_t i = 0; i < 3; ++i) {
    if (i < args.size()) absl::StrAppend(&out, args[i]);
    out.push_back('\0');
  }
  return out;
}

absl::StatusOr<int> ParseLoadReply(absl::string_view reply) {
  size_t nl = reply.find('\n');
  absl::string_view first = reply.substr(0, nl);
  absl::string_view rest =
      nl == absl::string_view::npos ? "" : reply.substr(nl + 1);
  int status = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(first), &status)) {
    return absl::UnavailableError(
        absl::StrCat("unexpected answer from the JVM: '",
                     absl::StripAsciiWhitespace(reply.substr(0, 200)), "'"));
  }
  rest = absl::StripAsciiWhitespace(rest);
  if (status != 0) {
    return absl::UnavailableError(
        absl::StrCat("the JVM could not load the agent (status ", status, ")",
                     rest.empty() ? "" : ": ", rest.substr(0, 300)));
  }
  absl::string_view line = rest.substr(0, rest.find('\n'));
  int code = 0;
  if (!absl::ConsumePrefix(&line, "return code: ") ||
      !absl::SimpleAtoi(line, &code)) {
    return absl::UnavailableError(
        absl::StrCat("unexpected answer to load: '", rest.substr(0, 200), "'"));
  }
  return code;
}

absl::StatusOr<int> LoadAgent(const TargetProcess& target,
                              const std::string& agent_path,
                              const std::string& options, double timeout_s) {
  const std::string socket =
      target.HostPath(absl::StrCat("/tmp/.java_pid", target.ns_pid));
  if (absl::Status st = WaitForSocket(target, socket, timeout_s); !st.ok()) {
    return st;
  }
  absl::StatusOr<std::string> reply = Exchange(
      socket, FormatAttachCommand("load", {agent_path, "true", options}),
      timeout_s + 20);
  if (!reply.ok()) return reply.status();
  return ParseLoadReply(*reply);
}

}  // namespace jleak
