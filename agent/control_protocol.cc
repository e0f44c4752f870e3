// File: control_protocol.cc
//
// The request file of the standby agent's control directory (see
// control_protocol.h).

#include "agent/control_protocol.h"

#include <sys/stat.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace jleak::agent {
namespace {

bool PortableDirByte(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '/' ||
         c == '.' || c == '_' || c == '-';
}

// Quoted for a one-line message: newlines and other control bytes escaped.
std::string Shown(absl::string_view dir) {
  return absl::StrCat("'", absl::CHexEscape(dir), "'");
}

}  // namespace

std::string DefaultControlDir(int pid_in_namespace) {
  return absl::StrCat(kDefaultControlParent, "jleak-", pid_in_namespace);
}

absl::Status ValidateControlDir(absl::string_view dir) {
  if (dir.empty()) {
    return absl::InvalidArgumentError("control directory: empty path");
  }
  if (dir[0] != '/') {
    return absl::InvalidArgumentError(absl::StrCat(
        "control directory ", Shown(dir), " is not an absolute path"));
  }
  if (dir.size() > kMaxControlDirLength) {
    return absl::InvalidArgumentError(absl::StrCat(
        "control directory ", Shown(dir.substr(0, 40)), "... is ", dir.size(),
        " bytes long; at most ", kMaxControlDirLength, " are allowed"));
  }
  for (char c : dir) {
    if (!PortableDirByte(c)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "control directory %s contains byte 0x%02x ('%s'); use only "
          "letters, digits, '/', '.', '_' and '-'",
          Shown(dir), static_cast<unsigned char>(c),
          absl::CHexEscape(absl::string_view(&c, 1))));
    }
  }
  if (dir == "/") {
    return absl::InvalidArgumentError(
        "control directory: '/' cannot be one; name a directory below it");
  }
  for (absl::string_view part : absl::StrSplit(dir.substr(1), '/')) {
    if (part.empty() || part == "." || part == "..") {
      return absl::InvalidArgumentError(absl::StrCat(
          "control directory ", Shown(dir),
          " is not normalized (empty, '.' or '..' component, or a trailing "
          "'/')"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckControlDirTrusted(const std::string& dir, uid_t euid) {
  if (absl::Status st = ValidateControlDir(dir); !st.ok()) {
    return absl::PermissionDeniedError(st.message());
  }
  auto owner_ok = [euid](const struct stat& st) {
    return st.st_uid == euid || st.st_uid == 0;
  };
  struct stat st;
  if (lstat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      return absl::NotFoundError(absl::StrCat(dir, " does not exist"));
    }
    return absl::PermissionDeniedError(
        absl::StrCat("lstat ", dir, ": ", std::strerror(errno)));
  }
  if (!S_ISDIR(st.st_mode) || !owner_ok(st) || (st.st_mode & 022) != 0) {
    return absl::PermissionDeniedError(absl::StrFormat(
        "%s is not a directory owned by uid %d (or root) with mode 0700 "
        "(%s, uid %d, mode %04o)",
        dir, euid,
        S_ISLNK(st.st_mode)   ? "a symlink"
        : S_ISDIR(st.st_mode) ? "a directory"
                              : "not a directory",
        st.st_uid, st.st_mode & 07777));
  }
  const size_t slash = dir.rfind('/');
  const std::string parent = slash == 0 ? "/" : dir.substr(0, slash);
  struct stat pst;
  if (lstat(parent.c_str(), &pst) != 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("lstat ", parent, ": ", std::strerror(errno)));
  }
  const bool sticky = (pst.st_mode & S_ISVTX) != 0;
  if (!S_ISDIR(pst.st_mode) || !owner_ok(pst) ||
      ((pst.st_mode & 022) != 0 && !sticky)) {
    return absl::PermissionDeniedError(absl::StrFormat(
        "the parent %s of %s must be a directory (not a symlink) owned by "
        "uid %d or root that others may not write unless it is sticky like "
        "/tmp (%s, uid %d, mode %04o)",
        parent, dir, euid,
        S_ISLNK(pst.st_mode)   ? "a symlink"
        : S_ISDIR(pst.st_mode) ? "a directory"
                               : "not a directory",
        pst.st_uid, pst.st_mode & 07777));
  }
  return absl::OkStatus();
}

std::string ControlActionName(ControlAction action) {
  switch (action) {
    case ControlAction::kSession:
      return "session";
    case ControlAction::kSnapshot:
      return "snapshot";
    case ControlAction::kStop:
      return "stop";
  }
  return "?";
}

std::string FormatControlRequest(const ControlRequest& r) {
  return absl::StrCat("id=", r.id, "\naction=", ControlActionName(r.action),
                      "\nout=", r.out_dir, "\ninterval=", r.interval_seconds,
                      "\nlg_sample=", r.lg_sample, "\ngc=", r.force_gc ? 1 : 0,
                      "\n");
}

absl::StatusOr<ControlRequest> ParseControlRequest(absl::string_view text) {
  ControlRequest r;
  std::set<std::string> seen;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(line, absl::MaxSplits('=', 1));
    const std::string key(kv.first);
    const absl::string_view value = kv.second;
    if (!seen.insert(key).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("request: key '", key, "' given twice"));
    }
    if (key == "id") {
      if (value.empty() || value.size() > 64) {
        return absl::InvalidArgumentError("request: bad id");
      }
      r.id = std::string(value);
    } else if (key == "action") {
      if (value == "session") {
        r.action = ControlAction::kSession;
      } else if (value == "snapshot") {
        r.action = ControlAction::kSnapshot;
      } else if (value == "stop") {
        r.action = ControlAction::kStop;
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("request: unknown action '", value, "'"));
      }
    } else if (key == "out") {
      if (value.empty() || value[0] != '/' || absl::StrContains(value, ",") ||
          absl::StrContains(value, ":")) {
        return absl::InvalidArgumentError(absl::StrCat(
            "request: out must be an absolute path without ',' or ':', got '",
            value, "'"));
      }
      r.out_dir = std::string(value);
    } else if (key == "interval") {
      if (!absl::SimpleAtod(value, &r.interval_seconds) ||
          !std::isfinite(r.interval_seconds) || r.interval_seconds < 0.05) {
        return absl::InvalidArgumentError(
            absl::StrCat("request: bad interval '", value, "'"));
      }
    } else if (key == "lg_sample") {
      if (!absl::SimpleAtoi(value, &r.lg_sample) || r.lg_sample < 0 ||
          r.lg_sample > 40) {
        return absl::InvalidArgumentError(
            absl::StrCat("request: bad lg_sample '", value, "'"));
      }
    } else if (key == "gc") {
      if (value != "0" && value != "1") {
        return absl::InvalidArgumentError(
            absl::StrCat("request: bad gc '", value, "'"));
      }
      r.force_gc = value == "1";
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("request: unknown key '", key, "'"));
    }
  }
  if (r.id.empty() || r.out_dir.empty()) {
    return absl::InvalidArgumentError("request: id and out are required");
  }
  return r;
}

}  // namespace jleak::agent
