// File: broker_protocol.h
//
// The messages between jleak and its confined helper processes
// (target_broker.h, confined_symbolizer.h): a helper runs as the target's
// user, inside the target's root, and everything it sends back is bytes
// that root jleak parses as hostile input. So the format is as small as a
// format can be, and every size in it is bounded before anything is
// allocated:
//
//   u64 body length (little-endian), then the body:
//   u8  tag       (request: an operation code; reply: an absl::StatusCode)
//   u32 fields    (at most kMaxBrokerFields)
//   fields x { u64 length, bytes }
//
// A reply whose tag is not OK carries one field: the error message.

#ifndef JLEAK_HARNESS_RUN_BROKER_PROTOCOL_H_
#define JLEAK_HARNESS_RUN_BROKER_PROTOCOL_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace jleak {

inline constexpr uint32_t kMaxBrokerFields = 1 << 16;
// The largest message either side accepts unless told otherwise: a heap
// snapshot of a large service is tens of MiB; 4 GiB is far beyond any.
inline constexpr uint64_t kMaxBrokerMessageBytes = uint64_t{4} << 30;

struct BrokerMessage {
  uint8_t tag = 0;
  std::vector<std::string> fields;
};

// EncodeBrokerMessage: the whole message, length prefix included.
std::string EncodeBrokerMessage(const BrokerMessage& message);

// DecodeBrokerBody parses a body (without its length prefix). Errors say
// which field is malformed; nothing is allocated beyond body.size().
absl::StatusOr<BrokerMessage> DecodeBrokerBody(absl::string_view body);

// WriteBrokerMessage writes one whole message to `fd` (retrying short
// writes). ReadBrokerMessage reads one, refusing a length over
// `max_bytes` before reading it, and giving up at `deadline` (a helper
// stopped with SIGSTOP by the target's user must not hang jleak).
absl::Status WriteBrokerMessage(int fd, const BrokerMessage& message);
absl::StatusOr<BrokerMessage> ReadBrokerMessage(int fd, uint64_t max_bytes,
                                                absl::Time deadline);

// A reply: OK with fields, or an error status as a one-field message.
BrokerMessage OkReply(std::vector<std::string> fields = {});
BrokerMessage ErrorReply(const absl::Status& status);
// ReplyStatus: the status a reply carries (OK, or its error, its message
// cut to a line of printable text).
absl::Status ReplyStatus(const BrokerMessage& reply);

// PrintableLine: `text` (the target's) cut to `max_bytes`, control
// characters and DEL replaced by '?', so that it is one line on a
// terminal and cannot drive it.
std::string PrintableLine(absl::string_view text, size_t max_bytes);

// Fixed-width numbers as fields.
std::string EncodeU64(uint64_t v);
absl::StatusOr<uint64_t> DecodeU64(absl::string_view field);

}  // namespace jleak

#endif  // JLEAK_HARNESS_RUN_BROKER_PROTOCOL_H_
