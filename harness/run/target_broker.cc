// File: target_broker.cc
//
// The confined helper's request loop and jleak's proxy to it (see
// target_broker.h).

#include "harness/run/target_broker.h"

#include <unistd.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "harness/run/target_files.h"

namespace jleak {
namespace {

// Bounds of what the helper may send back.
constexpr uint64_t kSmallReply = 1 << 20;
constexpr size_t kMaxListed = 10000;
constexpr size_t kMaxPathBytes = 4096;
// Most requests are a few file operations.
constexpr double kCallTimeoutS = 30;

absl::StatusOr<uint64_t> Number(const BrokerMessage& m, size_t i) {
  if (i >= m.fields.size()) {
    return absl::InvalidArgumentError(absl::StrCat("missing field ", i));
  }
  return DecodeU64(m.fields[i]);
}

BrokerMessage Reply(const absl::Status& st) {
  return st.ok() ? OkReply() : ErrorReply(st);
}

BrokerMessage Handle(const BrokerMessage& req, TargetFiles& files,
                     const TargetHandles& handles, int ns_pid) {
  const std::vector<std::string>& f = req.fields;
  auto need = [&](size_t n) { return f.size() >= n; };
  switch (static_cast<BrokerOp>(req.tag)) {
    case BrokerOp::kOpenControlDir:
      if (!need(1)) break;
      return Reply(files.OpenControlDir(f[0]));
    case BrokerOp::kLock:
      return Reply(files.Lock());
    case BrokerOp::kUnlock:
      files.Unlock();
      return OkReply();
    case BrokerOp::kRemoveStale:
      files.RemoveStale();
      return OkReply();
    case BrokerOp::kMakeDir: {
      absl::StatusOr<uint64_t> mode = Number(req, 1);
      if (!mode.ok()) return ErrorReply(mode.status());
      return Reply(files.MakeDir(f[0], static_cast<mode_t>(*mode & 0777)));
    }
    case BrokerOp::kWriteFile: {
      absl::StatusOr<uint64_t> mode = Number(req, 2);
      if (!mode.ok()) return ErrorReply(mode.status());
      return Reply(
          files.WriteFile(f[0], f[1], static_cast<mode_t>(*mode & 0777)));
    }
    case BrokerOp::kCreateFile:
      if (!need(1)) break;
      return Reply(files.CreateFile(f[0]));
    case BrokerOp::kReadFile: {
      absl::StatusOr<uint64_t> max = Number(req, 1);
      if (!max.ok()) return ErrorReply(max.status());
      absl::StatusOr<std::string> data = files.ReadFile(f[0], *max);
      if (!data.ok()) return ErrorReply(data.status());
      return OkReply({*std::move(data)});
    }
    case BrokerOp::kList: {
      if (!need(1)) break;
      absl::StatusOr<std::vector<std::string>> names =
          files.List(f[0], kMaxListed);
      if (!names.ok()) return ErrorReply(names.status());
      return OkReply(*std::move(names));
    }
    case BrokerOp::kRemove:
      if (!need(1)) break;
      files.Remove(f[0]);
      return OkReply();
    case BrokerOp::kRemoveDir:
      if (!need(1)) break;
      files.RemoveDir(f[0]);
      return OkReply();
    case BrokerOp::kRemoveControlDir:
      files.RemoveControlDir();
      return OkReply();
    case BrokerOp::kExists:
      if (!need(1)) break;
      return OkReply({files.Exists(f[0]) ? "1" : "0"});
    case BrokerOp::kBuildIds: {
      std::vector<std::string> out;
      for (const std::string& path : f) {
        absl::StatusOr<std::string> id = files.BuildId(path);
        if (!id.ok()) continue;
        out.push_back(path);
        out.push_back(*id);
      }
      return OkReply(std::move(out));
    }
    case BrokerOp::kHotspot: {
      absl::StatusOr<uint64_t> ms = Number(req, 1);
      if (!ms.ok()) return ErrorReply(ms.status());
      absl::StatusOr<std::string> reply = files.HotspotExchange(
          ns_pid, handles.pidfd, handles.pid, f[0], *ms / 1000.0);
      if (!reply.ok()) return ErrorReply(reply.status());
      return OkReply({*std::move(reply)});
    }
  }
  return ErrorReply(absl::InvalidArgumentError(
      absl::StrCat("bad request to jleak's helper (op ", req.tag, ")")));
}

}  // namespace

void ServeBroker(int socket, TargetFiles& files, const TargetHandles& handles,
                 int ns_pid) {
  for (;;) {
    absl::StatusOr<BrokerMessage> req = ReadBrokerMessage(
        socket, kMaxBrokerMessageBytes, absl::InfiniteFuture());
    if (!req.ok()) return;  // jleak closed its end (or died)
    if (!WriteBrokerMessage(socket, Handle(*req, files, handles, ns_pid))
             .ok()) {
      return;
    }
  }
}

absl::StatusOr<std::unique_ptr<TargetBroker>> TargetBroker::Start(
    const TargetProcess& target) {
  absl::StatusOr<TargetHandles> handles = OpenTargetHandles(target);
  if (!handles.ok()) return handles.status();
  const int ns_pid = target.ns_pid;
  const TargetHandles h = *handles;
  absl::StatusOr<Helper> helper =
      StartHelper(h, [h, ns_pid](int sock, int root) {
        TargetFiles files(root, h.cwd_fd >= 0 ? dup(h.cwd_fd) : -1);
        ServeBroker(sock, files, h, ns_pid);
      });
  if (!helper.ok()) {
    TargetHandles copy = h;
    copy.Close();
    return helper.status();
  }
  std::unique_ptr<TargetBroker> broker(new TargetBroker(h, *helper));
  if (absl::Status st = AwaitHelperReady(broker->helper_); !st.ok()) {
    return absl::Status(st.code(),
                        absl::StrCat("cannot act as the user of process ",
                                     target.pid, ": ", st.message()));
  }
  return broker;
}

TargetBroker::~TargetBroker() {
  StopHelper(&helper_);
  handles_.Close();
}

absl::StatusOr<BrokerMessage> TargetBroker::Call(
    BrokerOp op, std::vector<std::string> fields, double timeout_s,
    uint64_t max_reply) {
  BrokerMessage req;
  req.tag = static_cast<uint8_t>(op);
  req.fields = std::move(fields);
  return CallHelper(&helper_, req, max_reply, absl::Seconds(timeout_s));
}

absl::Status TargetBroker::CallStatus(BrokerOp op,
                                      std::vector<std::string> fields) {
  return Call(op, std::move(fields), kCallTimeoutS, kSmallReply).status();
}

absl::Status TargetBroker::OpenControlDir(const std::string& path) {
  return CallStatus(BrokerOp::kOpenControlDir, {path});
}
absl::Status TargetBroker::Lock() { return CallStatus(BrokerOp::kLock, {}); }
absl::Status TargetBroker::Unlock() {
  return CallStatus(BrokerOp::kUnlock, {});
}
absl::Status TargetBroker::RemoveStale() {
  return CallStatus(BrokerOp::kRemoveStale, {});
}
absl::Status TargetBroker::MakeDir(const std::string& rel, mode_t mode) {
  return CallStatus(BrokerOp::kMakeDir, {rel, EncodeU64(mode)});
}
absl::Status TargetBroker::WriteFile(const std::string& rel,
                                     const std::string& data, mode_t mode) {
  return CallStatus(BrokerOp::kWriteFile, {rel, data, EncodeU64(mode)});
}
absl::Status TargetBroker::CreateFile(const std::string& rel) {
  return CallStatus(BrokerOp::kCreateFile, {rel});
}
absl::Status TargetBroker::Remove(const std::string& rel) {
  return CallStatus(BrokerOp::kRemove, {rel});
}
absl::Status TargetBroker::RemoveDir(const std::string& rel) {
  return CallStatus(BrokerOp::kRemoveDir, {rel});
}
absl::Status TargetBroker::RemoveControlDir() {
  return CallStatus(BrokerOp::kRemoveControlDir, {});
}

absl::StatusOr<std::string> TargetBroker::ReadFile(const std::string& rel,
                                                   uint64_t max_bytes) {
  // Large snapshots take a while to read on a loaded machine.
  absl::StatusOr<BrokerMessage> r =
      Call(BrokerOp::kReadFile, {rel, EncodeU64(max_bytes)},
           kCallTimeoutS + static_cast<double>(max_bytes >> 20), max_bytes);
  if (!r.ok()) return r.status();
  if (r->fields.size() != 1 || r->fields[0].size() > max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("jleak's helper sent a malformed reply for ", rel));
  }
  return std::move(r->fields[0]);
}

absl::StatusOr<std::vector<std::string>> TargetBroker::List(
    const std::string& rel) {
  absl::StatusOr<BrokerMessage> r =
      Call(BrokerOp::kList, {rel}, kCallTimeoutS, 64 << 20);
  if (!r.ok()) return r.status();
  if (r->fields.size() > kMaxListed) {
    return absl::InvalidArgumentError(absl::StrCat(
        "jleak's helper listed ", r->fields.size(), " names in ", rel));
  }
  std::vector<std::string> names;
  for (std::string& name : r->fields) {
    // The helper checked; a name that is not bare (which includes control
    // characters) is dropped here too.
    if (IsBareName(name)) names.push_back(std::move(name));
  }
  return names;
}

bool TargetBroker::Exists(const std::string& path) {
  absl::StatusOr<BrokerMessage> r =
      Call(BrokerOp::kExists, {path}, kCallTimeoutS, kSmallReply);
  return r.ok() && r->fields.size() == 1 && r->fields[0] == "1";
}

std::map<std::string, std::string> TargetBroker::BuildIds(
    const std::vector<std::string>& paths) {
  std::map<std::string, std::string> ids;
  // Reading build-ids opens each library once: allow for many.
  absl::StatusOr<BrokerMessage> r =
      Call(BrokerOp::kBuildIds, paths,
           kCallTimeoutS + static_cast<double>(paths.size()), 16 << 20);
  if (!r.ok() || r->fields.size() % 2 != 0) return ids;
  for (size_t i = 0; i + 1 < r->fields.size(); i += 2) {
    const std::string& path = r->fields[i];
    const std::string& id = r->fields[i + 1];
    // Only answers to what was asked, in hex.
    if (id.empty() || id.size() > 128 ||
        id.find_first_not_of("0123456789abcdef") != std::string::npos ||
        path.size() > kMaxPathBytes ||
        std::find(paths.begin(), paths.end(), path) == paths.end()) {
      continue;
    }
    ids[path] = id;
  }
  return ids;
}

absl::StatusOr<std::string> TargetBroker::HotspotExchange(
    const std::string& request, double timeout_s) {
  absl::StatusOr<BrokerMessage> r =
      Call(BrokerOp::kHotspot,
           {request, EncodeU64(static_cast<uint64_t>(timeout_s * 1000))},
           timeout_s + kCallTimeoutS, 1 << 20);
  if (!r.ok()) return r.status();
  if (r->fields.size() != 1) {
    return absl::InvalidArgumentError(
        "jleak's helper sent a malformed attach reply");
  }
  return std::move(r->fields[0]);
}

}  // namespace jleak
