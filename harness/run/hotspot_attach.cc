// File: hotspot_attach.cc
//
// HotSpot's attach protocol, client side (see hotspot_attach.h).

#include "harness/run/hotspot_attach.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace jleak {

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

absl::StatusOr<int> LoadAgent(TargetBroker& broker, const TargetProcess& target,
                              const std::string& agent_path,
                              const std::string& options, double timeout_s) {
  if (!target.catches_sigquit) {
    return absl::FailedPreconditionError(absl::StrCat(
        "process ", target.pid,
        " does not handle SIGQUIT (started with -Xrs?), so its attach "
        "mechanism cannot be started"));
  }
  absl::StatusOr<std::string> reply = broker.HotspotExchange(
      FormatAttachCommand("load", {agent_path, "true", options}),
      timeout_s + 20);
  if (!reply.ok()) return reply.status();
  return ParseLoadReply(*reply);
}

}  // namespace jleak
