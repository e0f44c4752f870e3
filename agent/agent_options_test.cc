// File: agent_options_test.cc
//
// Tests of the agent's option string: defaults, round trip, and refusals.

#include "agent/agent_options.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace jleak::agent {
namespace {

TEST(ParseAgentOptions, DefaultsNeedOnlyOut) {
  absl::StatusOr<AgentOptions> o = ParseAgentOptions("out=/tmp/x");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->out_dir, "/tmp/x");
  EXPECT_DOUBLE_EQ(o->interval_seconds, 10.0);
  EXPECT_TRUE(o->force_gc);
  EXPECT_TRUE(o->baseline);
  EXPECT_TRUE(o->perf_map);
  EXPECT_EQ(o->gc_wait_ms, 2000);
  EXPECT_TRUE(o->java_stacks);
}

TEST(ParseAgentOptions, AllKeys) {
  absl::StatusOr<AgentOptions> o = ParseAgentOptions(
      "out=/d,interval=0.5,gc=0,gc_wait_ms=10,baseline=false,perfmap=0,"
      "java_stacks=0");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_DOUBLE_EQ(o->interval_seconds, 0.5);
  EXPECT_FALSE(o->force_gc);
  EXPECT_EQ(o->gc_wait_ms, 10);
  EXPECT_FALSE(o->baseline);
  EXPECT_FALSE(o->perf_map);
  EXPECT_FALSE(o->java_stacks);
}

TEST(ParseAgentOptions, RoundTrip) {
  AgentOptions in;
  in.out_dir = "/runs/a b";
  in.interval_seconds = 2.5;
  in.force_gc = false;
  absl::StatusOr<AgentOptions> out = ParseAgentOptions(FormatAgentOptions(in));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->out_dir, in.out_dir);
  EXPECT_DOUBLE_EQ(out->interval_seconds, 2.5);
  EXPECT_FALSE(out->force_gc);
  EXPECT_TRUE(out->java_stacks);
}

TEST(ParseAgentOptions, JavaStacksOffRoundTripsAndOnIsTheDefaultString) {
  AgentOptions in;
  in.out_dir = "/d";
  EXPECT_EQ(FormatAgentOptions(in).find("java_stacks"), std::string::npos);
  in.java_stacks = false;
  absl::StatusOr<AgentOptions> out = ParseAgentOptions(FormatAgentOptions(in));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_FALSE(out->java_stacks);
  EXPECT_FALSE(ParseAgentOptions("out=/x,java_stacks=2").ok());
}

TEST(ParseAgentOptions, JavaClassesOffRoundTripsAndOnIsTheDefaultString) {
  AgentOptions in;
  in.out_dir = "/d";
  EXPECT_TRUE(in.java_classes);
  EXPECT_EQ(FormatAgentOptions(in).find("java_classes"), std::string::npos);
  in.java_classes = false;
  absl::StatusOr<AgentOptions> out = ParseAgentOptions(FormatAgentOptions(in));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_FALSE(out->java_classes);
  in.standby = true;
  out = ParseAgentOptions(FormatAgentOptions(in));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_FALSE(out->java_classes);
  EXPECT_FALSE(ParseAgentOptions("out=/x,java_classes=yes").ok());
}

TEST(ParseAgentOptions, OriginsOffRoundTripsAndOnIsTheDefaultString) {
  AgentOptions in;
  in.out_dir = "/d";
  EXPECT_TRUE(in.origins);
  EXPECT_EQ(FormatAgentOptions(in).find("origins"), std::string::npos);
  in.origins = false;
  absl::StatusOr<AgentOptions> out = ParseAgentOptions(FormatAgentOptions(in));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_FALSE(out->origins);
  EXPECT_TRUE(ParseAgentOptions("out=/x,origins=1")->origins);
  EXPECT_FALSE(ParseAgentOptions("out=/x,origins=on").ok());
}

TEST(ParseAgentOptions, Refusals) {
  EXPECT_FALSE(ParseAgentOptions("").ok());                     // no out
  EXPECT_FALSE(ParseAgentOptions("interval=5").ok());           // no out
  EXPECT_FALSE(ParseAgentOptions("out=/x,interval=0").ok());    // too short
  EXPECT_FALSE(ParseAgentOptions("out=/x,interval=abc").ok());  // not a number
  EXPECT_FALSE(ParseAgentOptions("out=/x,gc=yes").ok());        // not a bool
  EXPECT_FALSE(ParseAgentOptions("out=/x,colour=red").ok());    // unknown
}

TEST(ParseAgentOptions, StandbyNeedsNoOut) {
  absl::StatusOr<AgentOptions> o = ParseAgentOptions("standby");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_TRUE(o->standby);
  EXPECT_TRUE(o->out_dir.empty());
  EXPECT_TRUE(o->control_dir.empty());
  EXPECT_EQ(FormatAgentOptions(*o), "standby");
}

TEST(ParseAgentOptions, StandbyWithControlDirRoundTrips) {
  absl::StatusOr<AgentOptions> o =
      ParseAgentOptions("standby=1,control=/run/jl,java_stacks=0");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_TRUE(o->standby);
  EXPECT_EQ(o->control_dir, "/run/jl");
  EXPECT_FALSE(o->java_stacks);
  absl::StatusOr<AgentOptions> back = ParseAgentOptions(FormatAgentOptions(*o));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->control_dir, "/run/jl");
  EXPECT_FALSE(back->java_stacks);
}

TEST(ParseAgentOptions, ControlDirNeedsStandbyAndAnAbsolutePath) {
  EXPECT_FALSE(ParseAgentOptions("out=/x,control=/run/jl").ok());
  EXPECT_FALSE(ParseAgentOptions("standby,control=run/jl").ok());
  // What ValidateControlDir refuses, the option parser refuses too.
  for (const char* bad :
       {"standby,control=/tmp/../etc", "standby,control=/tmp/a b",
        "standby,control=/tmp/a\tb", "standby,control=/tmp/a:b",
        "standby,control=/tmp/$HOME", "standby,control=/tmp/x/",
        "standby,control=/tmp//x", "standby,control=/"}) {
    absl::StatusOr<AgentOptions> o = ParseAgentOptions(bad);
    EXPECT_FALSE(o.ok()) << bad;
  }
  EXPECT_FALSE(ParseAgentOptions("standby=maybe").ok());
  EXPECT_FALSE(ParseAgentOptions("").ok());
}

TEST(ParseAgentOptions, SamplingEngineRoundTripsAndIsRefusedInStandby) {
  absl::StatusOr<AgentOptions> o =
      ParseAgentOptions("out=/x,engine=sampling,lg_sample=15");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_TRUE(o->sampling_engine);
  EXPECT_EQ(o->lg_sample, 15);
  absl::StatusOr<AgentOptions> back = ParseAgentOptions(FormatAgentOptions(*o));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->sampling_engine);
  EXPECT_EQ(back->lg_sample, 15);
  // The default string does not change (jemalloc).
  AgentOptions plain;
  plain.out_dir = "/x";
  EXPECT_FALSE(absl::StrContains(FormatAgentOptions(plain), "engine"));
  absl::StatusOr<AgentOptions> je = ParseAgentOptions("out=/x,engine=jemalloc");
  ASSERT_TRUE(je.ok()) << je.status();
  EXPECT_FALSE(je->sampling_engine);
  EXPECT_FALSE(ParseAgentOptions("out=/x,engine=tcmalloc").ok());
  EXPECT_FALSE(ParseAgentOptions("out=/x,engine=sampling,lg_sample=41").ok());
  EXPECT_FALSE(ParseAgentOptions("out=/x,engine=sampling,lg_sample=x").ok());
  EXPECT_FALSE(ParseAgentOptions("standby,engine=sampling").ok());
}

}  // namespace
}  // namespace jleak::agent
