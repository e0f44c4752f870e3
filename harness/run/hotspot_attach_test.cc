// File: hotspot_attach_test.cc
//
// Tests of HotSpot's attach protocol as jleak speaks it: the request bytes
// and the answers a JDK 17 sends. (Loading into a real JVM is tested end
// to end by //harness/cli:attach_command_test.)

#include "harness/run/hotspot_attach.h"

#include <unistd.h>

#include <string>

#include "gtest/gtest.h"

namespace jleak {
namespace {

TEST(HotspotAttach, LoadCommandBytes) {
  const std::string got =
      FormatAttachCommand("load", {"/tmp/jleak-1/lib/a.so", "true", "standby"});
  using namespace std::string_literals;
  const std::string want = "1\0load\0/tmp/jleak-1/lib/a.so\0true\0standby\0"s;
  EXPECT_EQ(got, want);
}

TEST(HotspotAttach, MissingArgumentsAreEmptyStrings) {
  using namespace std::string_literals;
  EXPECT_EQ(FormatAttachCommand("properties", {}), "1\0properties\0\0\0\0"s);
}

TEST(HotspotAttach, ParsesLoadReplies) {
  absl::StatusOr<int> ok = ParseLoadReply("0\nreturn code: 0\n");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(*ok, 0);
  absl::StatusOr<int> refused = ParseLoadReply("0\nreturn code: 2\n");
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_EQ(*refused, 2);
}

TEST(HotspotAttach, LoadFailuresCarryTheJvmsMessage) {
  absl::StatusOr<int> r = ParseLoadReply(
      "100\nCould not load library: /x.so: cannot open shared object file\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("cannot open shared object file"),
            std::string::npos)
      << r.status();
  EXPECT_FALSE(ParseLoadReply("").ok());
  EXPECT_FALSE(ParseLoadReply("0\nsomething else\n").ok());
}

// A process that does not catch SIGQUIT is never signalled: SIGQUIT would
// end it. (This test process does not catch it: were it signalled, the
// test would die.)
TEST(HotspotAttach, RefusesAProcessThatDoesNotCatchSigquit) {
  absl::StatusOr<TargetProcess> self = InspectTarget(getpid());
  ASSERT_TRUE(self.ok()) << self.status();
  ASSERT_FALSE(self->catches_sigquit);
  self->ns_pid = 999999;  // no socket can exist for it
  absl::StatusOr<std::unique_ptr<TargetBroker>> broker =
      TargetBroker::Start(*self);
  ASSERT_TRUE(broker.ok()) << broker.status();
  absl::StatusOr<int> r =
      LoadAgent(**broker, *self, "/nonexistent.so", "standby", 1);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("SIGQUIT"), std::string::npos)
      << r.status();
}

}  // namespace
}  // namespace jleak
