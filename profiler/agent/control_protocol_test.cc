// File: control_protocol_test.cc
//
// Tests of the standby agent's request file: round trip and refusals.

#include "profiler/agent/control_protocol.h"

#include "gtest/gtest.h"

namespace jleak::agent {
namespace {

TEST(ControlProtocol, DefaultControlDirUsesTheNamespacePid) {
  EXPECT_EQ(DefaultControlDir(1), "/tmp/jleak-1");
}

TEST(ControlProtocol, RoundTrip) {
  ControlRequest in;
  in.id = "abc123";
  in.action = ControlAction::kSnapshot;
  in.out_dir = "/tmp/jleak-1/s-abc123";
  in.interval_seconds = 2.5;
  in.lg_sample = 17;
  in.force_gc = false;
  absl::StatusOr<ControlRequest> out =
      ParseControlRequest(FormatControlRequest(in));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->id, "abc123");
  EXPECT_EQ(out->action, ControlAction::kSnapshot);
  EXPECT_EQ(out->out_dir, "/tmp/jleak-1/s-abc123");
  EXPECT_DOUBLE_EQ(out->interval_seconds, 2.5);
  EXPECT_EQ(out->lg_sample, 17);
  EXPECT_FALSE(out->force_gc);
}

TEST(ControlProtocol, EveryActionParses) {
  for (ControlAction a : {ControlAction::kSession, ControlAction::kSnapshot,
                          ControlAction::kStop}) {
    ControlRequest in;
    in.id = "x";
    in.out_dir = "/o";
    in.action = a;
    absl::StatusOr<ControlRequest> out =
        ParseControlRequest(FormatControlRequest(in));
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_EQ(out->action, a);
  }
}

TEST(ControlProtocol, Refusals) {
  for (const char* bad : {
           "out=/o\n",                      // no id
           "id=x\n",                        // no out
           "id=x\nout=relative\n",          // relative out
           "id=x\nout=/a,b\n",              // comma
           "id=x\nout=/a:b\n",              // colon
           "id=x\nout=/o\naction=dance\n",  // unknown action
           "id=x\nout=/o\ninterval=0\n",    // too short
           "id=x\nout=/o\ninterval=nan\n",  // not finite
           "id=x\nout=/o\nlg_sample=41\n",  // out of range
           "id=x\nout=/o\ngc=yes\n",        // not 0/1
           "id=x\nout=/o\ncolour=red\n",    // unknown key
           "id=x\nid=y\nout=/o\n",          // repeated key
       }) {
    EXPECT_FALSE(ParseControlRequest(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace jleak::agent
