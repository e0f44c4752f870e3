// File: broker_protocol.cc
//
// Framing of the messages to and from confined helpers (see
// broker_protocol.h).

#include "harness/run/broker_protocol.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "harness/io/file_io.h"

namespace jleak {
namespace {

void PutU64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

uint64_t GetLittleEndian(absl::string_view bytes) {
  uint64_t v = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    v |= uint64_t{static_cast<unsigned char>(bytes[i])} << (8 * i);
  }
  return v;
}

// ReadExactly fills `out` (already sized) from `fd` by `deadline`.
absl::Status ReadExactly(int fd, char* out, size_t size, absl::Time deadline) {
  size_t got = 0;
  while (got < size) {
    const int64_t left_ms = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (left_ms <= 0) {
      return absl::DeadlineExceededError(
          "jleak's helper process did not answer in time");
    }
    pollfd p = {fd, POLLIN, 0};
    const int ready =
        poll(&p, 1, static_cast<int>(std::min<int64_t>(left_ms, 1 << 30)));
    if (ready < 0 && errno != EINTR) {
      return absl::UnavailableError(
          absl::StrCat("poll: ", std::strerror(errno)));
    }
    if (ready <= 0) continue;
    const ssize_t n = read(fd, out + got, size - got);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) {
      return absl::UnavailableError(
          absl::StrCat("reading from jleak's helper: ", std::strerror(errno)));
    }
    if (n == 0) {
      return absl::AbortedError("jleak's helper process ended unexpectedly");
    }
    got += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

}  // namespace

std::string EncodeBrokerMessage(const BrokerMessage& message) {
  std::string body;
  body.push_back(static_cast<char>(message.tag));
  PutU32(&body, static_cast<uint32_t>(message.fields.size()));
  for (const std::string& f : message.fields) {
    PutU64(&body, f.size());
    body += f;
  }
  std::string out;
  out.reserve(8 + body.size());
  PutU64(&out, body.size());
  out += body;
  return out;
}

absl::StatusOr<BrokerMessage> DecodeBrokerBody(absl::string_view body) {
  if (body.size() < 5) {
    return absl::InvalidArgumentError(
        absl::StrCat("helper message of ", body.size(),
                     " bytes is shorter than its 5-byte header"));
  }
  BrokerMessage m;
  m.tag = static_cast<uint8_t>(body[0]);
  const uint64_t count = GetLittleEndian(body.substr(1, 4));
  if (count > kMaxBrokerFields) {
    return absl::InvalidArgumentError(absl::StrCat("helper message has ", count,
                                                   " fields (at most ",
                                                   kMaxBrokerFields, ")"));
  }
  // Each field needs at least its 8-byte length: a count the body cannot
  // hold is refused before anything is reserved.
  absl::string_view rest = body.substr(5);
  if (count > rest.size() / 8) {
    return absl::InvalidArgumentError(absl::StrCat(
        "helper message claims ", count, " fields in ", rest.size(), " bytes"));
  }
  m.fields.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    if (rest.size() < 8) {
      return absl::InvalidArgumentError(
          absl::StrCat("helper message field ", i, ": truncated length"));
    }
    const uint64_t len = GetLittleEndian(rest.substr(0, 8));
    rest.remove_prefix(8);
    if (len > rest.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("helper message field ", i, ": ", len,
                       " bytes claimed, ", rest.size(), " left"));
    }
    m.fields.emplace_back(rest.substr(0, len));
    rest.remove_prefix(len);
  }
  if (!rest.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("helper message has ", rest.size(), " trailing bytes"));
  }
  return m;
}

absl::Status WriteBrokerMessage(int fd, const BrokerMessage& message) {
  const std::string bytes = EncodeBrokerMessage(message);
  if (!WriteAll(fd, bytes.data(), bytes.size())) {
    return absl::UnavailableError(
        absl::StrCat("writing to jleak's helper: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<BrokerMessage> ReadBrokerMessage(int fd, uint64_t max_bytes,
                                                absl::Time deadline) {
  char prefix[8];
  if (absl::Status st = ReadExactly(fd, prefix, sizeof prefix, deadline);
      !st.ok()) {
    return st;
  }
  const uint64_t size = GetLittleEndian(absl::string_view(prefix, 8));
  if (size > max_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("jleak's helper sent a message of ", size,
                     " bytes (at most ", max_bytes, " accepted)"));
  }
  std::string body(size, '\0');
  if (absl::Status st = ReadExactly(fd, body.data(), size, deadline);
      !st.ok()) {
    return st;
  }
  return DecodeBrokerBody(body);
}

BrokerMessage OkReply(std::vector<std::string> fields) {
  BrokerMessage m;
  m.tag = static_cast<uint8_t>(absl::StatusCode::kOk);
  m.fields = std::move(fields);
  return m;
}

BrokerMessage ErrorReply(const absl::Status& status) {
  BrokerMessage m;
  m.tag = static_cast<uint8_t>(status.ok() ? absl::StatusCode::kUnknown
                                           : status.code());
  m.fields.emplace_back(status.message());
  return m;
}

absl::Status ReplyStatus(const BrokerMessage& reply) {
  if (reply.tag == static_cast<uint8_t>(absl::StatusCode::kOk)) {
    return absl::OkStatus();
  }
  // Codes beyond absl's are the helper's nonsense: call them Unknown.
  const absl::StatusCode code =
      reply.tag <= static_cast<uint8_t>(absl::StatusCode::kUnauthenticated)
          ? static_cast<absl::StatusCode>(reply.tag)
          : absl::StatusCode::kUnknown;
  std::string message;
  if (!reply.fields.empty()) {
    // One line of printable text, bounded: it ends up on a terminal.
    for (char c : reply.fields[0].substr(0, 500)) {
      message.push_back(c >= 0x20 && c < 0x7f ? c : '?');
    }
  }
  if (message.empty()) message = "jleak's helper failed without a reason";
  return absl::Status(
      code == absl::StatusCode::kOk ? absl::StatusCode::kUnknown : code,
      message);
}

std::string PrintableLine(absl::string_view text, size_t max_bytes) {
  text = text.substr(0, max_bytes);
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u == 0x7f ? '?' : c);
  }
  return out;
}

std::string EncodeU64(uint64_t v) {
  std::string out;
  PutU64(&out, v);
  return out;
}

absl::StatusOr<uint64_t> DecodeU64(absl::string_view field) {
  if (field.size() != 8) {
    return absl::InvalidArgumentError(absl::StrCat(
        "expected an 8-byte number, got ", field.size(), " bytes"));
  }
  return GetLittleEndian(field);
}

}  // namespace jleak
