// File: target_broker.h
//
// TargetBroker: jleak's hands in a target JVM's file system. Everything
// `jleak attach` and `jleak snapshot` do there (the control directory, the
// agent copy, HotSpot's attach trigger and socket, build-ids of the
// libraries the JVM mapped) is done by a helper process that stands in the
// target's mount namespace and root as the target's user (confine.h),
// with the file handling of target_files.h. jleak's side only sends
// requests and receives bounded bytes over a socket: it never opens a path
// the target chose.
//
//   absl::StatusOr<std::unique_ptr<TargetBroker>> b = TargetBroker::Start(t);
//   (*b)->OpenControlDir("/tmp/jleak-1");  (*b)->Lock();
//   (*b)->WriteFile("request", text, 0600);
//   absl::StatusOr<std::string> a = (*b)->ReadFile("s-1/agent.json", 1 << 20);
//
// Names under the control directory ("rel") are "name" or "dir/name".
// Replies are checked here as well: listed names must be bare, strings
// bounded.

#ifndef JLEAK_HARNESS_RUN_TARGET_BROKER_H_
#define JLEAK_HARNESS_RUN_TARGET_BROKER_H_

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "harness/run/broker_protocol.h"
#include "harness/run/confine.h"
#include "harness/run/target_files.h"
#include "harness/run/target_process.h"

namespace jleak {

// The operations of the helper's protocol (the request's tag).
enum class BrokerOp : uint8_t {
  kOpenControlDir = 1,  // path
  kLock,
  kUnlock,
  kRemoveStale,
  kMakeDir,     // rel, mode
  kWriteFile,   // rel, data, mode
  kCreateFile,  // rel
  kReadFile,    // rel, max bytes
  kList,        // rel
  kRemove,      // rel
  kRemoveDir,   // rel
  kRemoveControlDir,
  kExists,    // path
  kBuildIds,  // paths... -> path, id, path, id ...
  kHotspot,   // request, timeout ms
};

// ServeBroker: the helper's loop. Reads requests from `socket` until EOF
// and answers each with `files`; `ns_pid` and `handles` serve kHotspot.
void ServeBroker(int socket, TargetFiles& files, const TargetHandles& handles,
                 int ns_pid);

class TargetBroker {
 public:
  static absl::StatusOr<std::unique_ptr<TargetBroker>> Start(
      const TargetProcess& target);
  ~TargetBroker();  // ends the helper (dropping the lock it holds)
  TargetBroker(const TargetBroker&) = delete;
  TargetBroker& operator=(const TargetBroker&) = delete;

  absl::Status OpenControlDir(const std::string& path);
  absl::Status Lock();
  absl::Status Unlock();
  absl::Status RemoveStale();
  absl::Status MakeDir(const std::string& rel, mode_t mode);
  absl::Status WriteFile(const std::string& rel, const std::string& data,
                         mode_t mode);
  absl::Status CreateFile(const std::string& rel);
  absl::StatusOr<std::string> ReadFile(const std::string& rel,
                                       uint64_t max_bytes);
  absl::StatusOr<std::vector<std::string>> List(const std::string& rel);
  absl::Status Remove(const std::string& rel);
  absl::Status RemoveDir(const std::string& rel);
  absl::Status RemoveControlDir();
  bool Exists(const std::string& path);
  // BuildIds: path -> lower-case hex build-id, for the files that have one.
  std::map<std::string, std::string> BuildIds(
      const std::vector<std::string>& paths);
  // HotspotExchange: TargetFiles::HotspotExchange in the helper.
  absl::StatusOr<std::string> HotspotExchange(const std::string& request,
                                              double timeout_s);

  // The handles root opened (the confined symbolizer reuses the root).
  const TargetHandles& handles() const { return handles_; }

 private:
  TargetBroker(TargetHandles handles, Helper helper)
      : handles_(handles), helper_(helper) {}
  absl::StatusOr<BrokerMessage> Call(BrokerOp op,
                                     std::vector<std::string> fields,
                                     double timeout_s, uint64_t max_reply);
  absl::Status CallStatus(BrokerOp op, std::vector<std::string> fields);

  TargetHandles handles_;
  Helper helper_;
};

}  // namespace jleak

#endif  // JLEAK_HARNESS_RUN_TARGET_BROKER_H_
