// File: launch_env_test.cc
//
// Tests of the workload's command line and environment composition.

#include "harness/run/launch_env.h"

#include <algorithm>

#include "gtest/gtest.h"

namespace jleak {
namespace {

std::string Lookup(const std::vector<std::string>& envp,
                   const std::string& name) {
  for (const std::string& e : envp) {
    if (e.rfind(name + "=", 0) == 0) return e.substr(name.size() + 1);
  }
  return "<unset>";
}

LaunchSettings Settings(std::vector<std::string> command) {
  LaunchSettings s;
  s.command = std::move(command);
  s.out_dir = "/runs/r1";
  s.interval_s = 5;
  s.jemalloc_path = "/jl/libjemalloc.so.2";
  s.agent_path = "/jl/libjleak_agent.so";
  return s;
}

TEST(LgSampleForBytes, RoundsToNearestPowerOfTwo) {
  EXPECT_EQ(LgSampleForBytes(524288), 19);
  EXPECT_EQ(LgSampleForBytes(131072), 17);
  EXPECT_EQ(LgSampleForBytes(600000), 19);
  EXPECT_EQ(LgSampleForBytes(800000), 20);
  EXPECT_EQ(LgSampleForBytes(1), 0);
  EXPECT_EQ(LgSampleForBytes(kDefaultSampleBytes), 19);
}

TEST(DefaultIntervalSeconds, AboutThirtySnapshotsWithinTwoToTenSeconds) {
  EXPECT_EQ(DefaultIntervalSeconds(0), kDefaultIntervalSeconds);
  EXPECT_EQ(DefaultIntervalSeconds(24), 2);
  EXPECT_EQ(DefaultIntervalSeconds(60), 2);
  EXPECT_EQ(DefaultIntervalSeconds(150), 5);
  EXPECT_EQ(DefaultIntervalSeconds(3600), 10);
}

TEST(PrependPreload, KeepsUserLibrariesAfterOurs) {
  EXPECT_EQ(PrependPreload("", "/a.so"), "/a.so");
  EXPECT_EQ(PrependPreload("/u.so", "/a.so"), "/a.so:/u.so");
  EXPECT_EQ(PrependPreload("/u.so /v.so", "/a.so"), "/a.so:/u.so:/v.so");
  EXPECT_EQ(PrependPreload("/a.so:/u.so", "/a.so"), "/a.so:/u.so");
}

TEST(ComposeMallocConf, OursComeLastSoTheyWin) {
  EXPECT_EQ(ComposeMallocConf("", "/d/jeprof", 19),
            "prof:true,prof_active:true,lg_prof_sample:19,"
            "prof_prefix:/d/jeprof");
  EXPECT_EQ(ComposeMallocConf("narenas:2", "/d/jeprof", 17),
            "narenas:2,prof:true,prof_active:true,lg_prof_sample:17,"
            "prof_prefix:/d/jeprof");
}

TEST(IsJavaLauncher, ByBaseName) {
  EXPECT_TRUE(IsJavaLauncher("java"));
  EXPECT_TRUE(IsJavaLauncher("/usr/lib/jvm/x/bin/java"));
  EXPECT_FALSE(IsJavaLauncher("javac"));
  EXPECT_FALSE(IsJavaLauncher("/bin/sleep"));
}

TEST(BuildLaunchPlan, JavaGetsAgentpathAfterArgv0) {
  absl::StatusOr<LaunchPlan> p =
      BuildLaunchPlan(Settings({"/jdk/bin/java", "-cp", "x.jar", "Main"}),
                      {"PATH=/bin", "LD_PRELOAD=/user.so",
                       "MALLOC_CONF=abort:true", "JLEAK_AGENT_OPTIONS=stale"});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->mode, "jvm");
  EXPECT_EQ(p->injection, "argv");
  ASSERT_EQ(p->argv.size(), 5u);
  EXPECT_EQ(p->argv[0], "/jdk/bin/java");
  EXPECT_EQ(p->argv[1],
            "-agentpath:/jl/libjleak_agent.so=out=/runs/r1,interval=5,gc=1,"
            "gc_wait_ms=2000,baseline=1,perfmap=1");
  EXPECT_EQ(p->argv[2], "-cp");
  EXPECT_EQ(Lookup(p->envp, "LD_PRELOAD"), "/jl/libjemalloc.so.2:/user.so");
  EXPECT_EQ(Lookup(p->envp, "MALLOC_CONF"),
            "abort:true,prof:true,prof_active:true,lg_prof_sample:19,"
            "prof_prefix:/runs/r1/jeprof");
  EXPECT_EQ(Lookup(p->envp, "PATH"), "/bin");
  EXPECT_EQ(Lookup(p->envp, "JLEAK_AGENT_OPTIONS"), "<unset>");
  EXPECT_EQ(p->env_changes.size(), 2u);  // LD_PRELOAD, MALLOC_CONF
}

TEST(BuildLaunchPlan, JvmModeOnScriptUsesJdkJavaOptions) {
  LaunchSettings s = Settings({"./gradlew", "test"});
  s.mode = "jvm";
  s.nmt = true;
  absl::StatusOr<LaunchPlan> p =
      BuildLaunchPlan(s, {"JDK_JAVA_OPTIONS=-Xmx1g"});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->injection, "JDK_JAVA_OPTIONS");
  EXPECT_EQ(p->argv, s.command);
  std::string opts = Lookup(p->envp, "JDK_JAVA_OPTIONS");
  EXPECT_EQ(opts.rfind("-Xmx1g -agentpath:/jl/libjleak_agent.so=out=", 0), 0u)
      << opts;
  EXPECT_NE(opts.find(" -XX:NativeMemoryTracking=summary"), std::string::npos);
}

TEST(BuildLaunchPlan, NativePreloadsAgent) {
  absl::StatusOr<LaunchPlan> p =
      BuildLaunchPlan(Settings({"/bin/sleep", "1"}), {});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->mode, "native");
  EXPECT_EQ(p->injection, "LD_PRELOAD");
  EXPECT_EQ(Lookup(p->envp, "LD_PRELOAD"),
            "/jl/libjemalloc.so.2:/jl/libjleak_agent.so");
  EXPECT_EQ(Lookup(p->envp, "JLEAK_AGENT_OPTIONS"), p->agent_options);
  EXPECT_TRUE(p->injected_jvm_flags.empty());
}

TEST(BuildLaunchPlan, SamplingAndGcSettings) {
  LaunchSettings s = Settings({"java", "Main"});
  s.sample_bytes = 131072;
  s.force_gc = false;
  absl::StatusOr<LaunchPlan> p = BuildLaunchPlan(s, {});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->lg_prof_sample, 17);
  EXPECT_NE(Lookup(p->envp, "MALLOC_CONF").find("lg_prof_sample:17"),
            std::string::npos);
  EXPECT_NE(p->agent_options.find("gc=0"), std::string::npos);
  // Java stacks are on by default, said only when off.
  EXPECT_EQ(p->agent_options.find("java_stacks"), std::string::npos);
  s.java_stacks = false;
  p = BuildLaunchPlan(s, {});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_NE(p->agent_options.find("java_stacks=0"), std::string::npos);
}

TEST(BuildLaunchPlan, SamplingEngineLeavesMallocAlone) {
  LaunchSettings s = Settings({"/jdk/bin/java", "-cp", "x.jar", "Main"});
  s.engine = "sampling";
  s.sample_bytes = 32768;
  absl::StatusOr<LaunchPlan> p = BuildLaunchPlan(
      s, {"PATH=/bin", "LD_PRELOAD=/user.so", "JLEAK_AGENT_OPTIONS=stale"});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->argv[1],
            "-agentpath:/jl/libjleak_agent.so=out=/runs/r1,interval=5,gc=1,"
            "gc_wait_ms=2000,baseline=1,perfmap=1,engine=sampling,"
            "lg_sample=15");
  // The user's own preload stays; no jemalloc, no MALLOC_CONF.
  EXPECT_EQ(Lookup(p->envp, "LD_PRELOAD"), "/user.so");
  EXPECT_EQ(Lookup(p->envp, "MALLOC_CONF"), "<unset>");
  EXPECT_EQ(Lookup(p->envp, "JLEAK_AGENT_OPTIONS"), "<unset>");
  EXPECT_TRUE(p->env_changes.empty());
  // Native programs have no Agent_OnLoad to start it from.
  LaunchSettings native = Settings({"/bin/server"});
  native.engine = "sampling";
  absl::StatusOr<LaunchPlan> refused = BuildLaunchPlan(native, {});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("needs a JVM"), std::string::npos);
  LaunchSettings other = Settings({"java"});
  other.engine = "tcmalloc";
  EXPECT_FALSE(BuildLaunchPlan(other, {}).ok());
}

TEST(BuildLaunchPlan, Refusals) {
  EXPECT_FALSE(BuildLaunchPlan(Settings({}), {}).ok());
  LaunchSettings comma = Settings({"java"});
  comma.out_dir = "/runs/a,b";
  EXPECT_FALSE(BuildLaunchPlan(comma, {}).ok());
  LaunchSettings mode = Settings({"java"});
  mode.mode = "python";
  EXPECT_FALSE(BuildLaunchPlan(mode, {}).ok());
}

}  // namespace
}  // namespace jleak
