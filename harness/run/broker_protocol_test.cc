// File: broker_protocol_test.cc
//
// The helper protocol's framing: round trips, and every malformed or
// oversized message refused before it is allocated.

#include "harness/run/broker_protocol.h"

#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace jleak {
namespace {

TEST(BrokerProtocol, RoundTrip) {
  BrokerMessage m;
  m.tag = 7;
  m.fields = {"", std::string("a\0b", 3), std::string(100000, 'x')};
  const std::string bytes = EncodeBrokerMessage(m);
  absl::StatusOr<BrokerMessage> back = DecodeBrokerBody(bytes.substr(8));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->tag, 7);
  EXPECT_EQ(back->fields, m.fields);
}

TEST(BrokerProtocol, MalformedBodiesAreRefused) {
  EXPECT_FALSE(DecodeBrokerBody("").ok());
  EXPECT_FALSE(DecodeBrokerBody(std::string("\x01\xff\xff\xff\xff", 5)).ok());
  // One field claimed, its length beyond the body.
  std::string body("\x01\x01\x00\x00\x00", 5);
  body += std::string("\xff\xff\xff\xff\xff\xff\xff\x7f", 8);
  EXPECT_FALSE(DecodeBrokerBody(body).ok());
  // Trailing bytes.
  EXPECT_FALSE(DecodeBrokerBody(std::string("\x01\x00\x00\x00\x00z", 6)).ok());
}

TEST(BrokerProtocol, OversizedMessageIsRefusedBeforeReading) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  // Claims a terabyte.
  const std::string prefix("\x00\x00\x00\x00\x00\x01\x00\x00", 8);
  ASSERT_EQ(write(sv[0], prefix.data(), prefix.size()), 8);
  absl::StatusOr<BrokerMessage> m =
      ReadBrokerMessage(sv[1], 1 << 20, absl::Now() + absl::Seconds(5));
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(absl::IsResourceExhausted(m.status())) << m.status();
  close(sv[0]);
  close(sv[1]);
}

TEST(BrokerProtocol, SilentPeerTimesOut) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  absl::StatusOr<BrokerMessage> m =
      ReadBrokerMessage(sv[1], 1 << 20, absl::Now() + absl::Milliseconds(100));
  EXPECT_TRUE(absl::IsDeadlineExceeded(m.status())) << m.status();
  close(sv[0]);
  absl::StatusOr<BrokerMessage> eof =
      ReadBrokerMessage(sv[1], 1 << 20, absl::Now() + absl::Seconds(5));
  EXPECT_TRUE(absl::IsAborted(eof.status())) << eof.status();
  close(sv[1]);
}

TEST(BrokerProtocol, ErrorRepliesBecomeOnePrintableLine) {
  BrokerMessage r = ErrorReply(absl::NotFoundError("x"));
  r.fields[0] = "bad\n\x1b[31mred" + std::string(1000, 'y');
  absl::Status st = ReplyStatus(r);
  EXPECT_TRUE(absl::IsNotFound(st));
  EXPECT_EQ(st.message().find('\n'), absl::string_view::npos);
  EXPECT_EQ(st.message().find('\x1b'), absl::string_view::npos);
  EXPECT_LE(st.message().size(), 500u);
  BrokerMessage weird;
  weird.tag = 200;
  EXPECT_FALSE(ReplyStatus(weird).ok());
  EXPECT_TRUE(ReplyStatus(OkReply()).ok());
}

TEST(BrokerProtocol, PrintableLineIsOneBoundedLine) {
  EXPECT_EQ(PrintableLine("a\nb\x1b[2J\x7f\xc3\xa9", 100), "a?b?[2J?\xc3\xa9");
  EXPECT_EQ(PrintableLine(std::string(1000, 'x'), 10), std::string(10, 'x'));
}

TEST(BrokerProtocol, Numbers) {
  EXPECT_EQ(*DecodeU64(EncodeU64(0x1234567890abcdefULL)),
            0x1234567890abcdefULL);
  EXPECT_FALSE(DecodeU64("short").ok());
}

}  // namespace
}  // namespace jleak
