// File: target_process_test.cc
//
// Tests of the /proc parsers behind `jleak attach`, and of InspectTarget
// on this very process (not a JVM) and on a PID that does not exist.

#include "harness/run/target_process.h"

#include <unistd.h>

#include <csignal>
#include <string>

#include "gtest/gtest.h"

namespace jleak {
namespace {

// A JVM in a container, as the host's /proc shows it.
constexpr char kStatus[] =
    "Name:\tjava\n"
    "Umask:\t0022\n"
    "State:\tS (sleeping)\n"
    "Tgid:\t48211\n"
    "NSpid:\t48211\t1\n"
    "Uid:\t1000\t1001\t1000\t1001\n"
    "Gid:\t2000\t2001\t2000\t2001\n"
    "SigCgt:\t2000000181005ccf\n";

TEST(TargetProcess, NsPidIsTheInnermost) {
  EXPECT_EQ(ParseNsPid(kStatus), 1);
  EXPECT_EQ(ParseNsPid("NSpid:\t77\n"), 77);
  EXPECT_FALSE(ParseNsPid("Name:\tx\n").has_value());  // kernels before 4.1
}

TEST(TargetProcess, EffectiveIdsAreTheSecondField) {
  uid_t uid = 0;
  gid_t gid = 0;
  ASSERT_TRUE(ParseEffectiveIds(kStatus, &uid, &gid));
  EXPECT_EQ(uid, 1001u);
  EXPECT_EQ(gid, 2001u);
  EXPECT_FALSE(ParseEffectiveIds("Uid:\t5\n", &uid, &gid));
}

TEST(TargetProcess, SigCgtBits) {
  // 0x...ccf: bits 1-4 set (SIGHUP, SIGINT, SIGQUIT, SIGILL).
  EXPECT_TRUE(ParseCatchesSignal(kStatus, SIGQUIT));
  EXPECT_FALSE(ParseCatchesSignal("SigCgt:\t0000000000000000\n", SIGQUIT));
  EXPECT_FALSE(ParseCatchesSignal("SigCgt:\t0000000000000002\n", SIGQUIT));
  EXPECT_TRUE(ParseCatchesSignal("SigCgt:\t0000000000000004\n", SIGQUIT));
}

TEST(TargetProcess, StartTicksCountFieldsAfterTheLastParenthesis) {
  // A command name with a space and a ')' must not shift the fields.
  const std::string stat =
      "4711 (we ird) x) S 1 4711 4711 0 -1 4194560 1 0 0 0 3 1 0 0 20 0 12 "
      "0 987654 100000 200 18446744073709551615";
  EXPECT_EQ(ParseStartTicks(stat), 987654u);
  EXPECT_FALSE(ParseStartTicks("garbage").has_value());
}

TEST(TargetProcess, FindsMappedLibrariesByBaseName) {
  const std::string maps =
      "7f00-7f10 r-xp 00000000 08:01 11 /opt/jleak/lib/libjemalloc.so.2\n"
      "7f20-7f30 r-xp 00000000 08:01 12 "
      "/usr/lib/jvm/java-17-openjdk-amd64/lib/server/libjvm.so\n"
      "7f40-7f50 r-xp 00000000 08:01 13 /tmp/a dir/libjleak_agent.so "
      "(deleted)\n"
      "7f60-7f70 rw-p 00000000 00:00 0 [heap]\n";
  EXPECT_EQ(FindMappedLibrary(maps, "libjemalloc"),
            "/opt/jleak/lib/libjemalloc.so.2");
  EXPECT_EQ(FindMappedLibrary(maps, "libjleak_agent"),
            "/tmp/a dir/libjleak_agent.so");
  EXPECT_FALSE(FindMappedLibrary(maps, "libjvm.so").empty());
  EXPECT_EQ(FindMappedLibrary(maps, "libtcmalloc"), "");
  // Not a library: a file that only starts like one.
  EXPECT_EQ(
      FindMappedLibrary("1-2 r--p 0 0:0 1 /x/libjemalloc.txt\n", "libjemalloc"),
      "");
}

TEST(TargetProcess, SplitsNulSeparatedText) {
  const std::string text("java\0-jar\0a b.jar\0", 18);
  EXPECT_EQ(SplitNulSeparated(text),
            (std::vector<std::string>{"java", "-jar", "a b.jar"}));
}

TEST(TargetProcess, InspectsItself) {
  absl::StatusOr<TargetProcess> t = InspectTarget(getpid());
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_FALSE(t->is_jvm);
  EXPECT_EQ(t->uid, geteuid());
  EXPECT_TRUE(t->SameMountNamespace());
  EXPECT_GT(t->start_ticks, 0u);
  EXPECT_TRUE(StillRunning(*t));
  TargetProcess other = *t;
  other.start_ticks += 1;  // a reused PID
  EXPECT_FALSE(StillRunning(other));
}

TEST(TargetProcess, NoSuchProcess) {
  absl::StatusOr<TargetProcess> t = InspectTarget(999999999);
  ASSERT_FALSE(t.ok());
  EXPECT_TRUE(absl::IsNotFound(t.status())) << t.status();
  EXPECT_FALSE(InspectTarget(0).ok());
}

}  // namespace
}  // namespace jleak
