// File: control_protocol_test.cc
//
// Tests of the standby agent's request file: round trip and refusals.

#include "agent/control_protocol.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
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

TEST(ValidateControlDir, AcceptsNormalizedPortablePaths) {
  for (const char* good : {"/tmp/jleak-1", "/run/jleak", "/a", "/x/y.z/_-9",
                           "/tmp/jleak-2147483647"}) {
    EXPECT_TRUE(ValidateControlDir(good).ok()) << good;
  }
  EXPECT_TRUE(ValidateControlDir(DefaultControlDir(4194304)).ok());
  EXPECT_TRUE(
      ValidateControlDir("/" + std::string(kMaxControlDirLength - 1, 'a'))
          .ok());
}

TEST(ValidateControlDir, RefusesWhatOptionStringsOrShellsWouldCut) {
  for (const std::string& bad : std::vector<std::string>{
           "",                           // empty
           "tmp/jleak",                  // relative
           "/",                          // the root itself
           "/tmp/",                      // trailing slash
           "/tmp//jleak",                // empty component
           "/tmp/./jleak",               // '.'
           "/tmp/../etc",                // '..'
           "/tmp/..",                    // '..' last
           "/tmp/a,gc=0",                // ',' and '=': the agent's options
           "/tmp/a=b",                   // '='
           "/tmp/a:b",                   // ':'
           "/tmp/a b",                   // space: JAVA_TOOL_OPTIONS
           "/tmp/a\tb",                  // tab
           "/tmp/a\nb",                  // newline
           std::string("/tmp/a\0b", 7),  // NUL
           "/tmp/a\x01",                 // control byte
           "/tmp/$(touch x)",            // shell
           "/tmp/`id`",                  // shell
           "/tmp/a;b",                   // shell
           "/tmp/a'b",                   // quotes
           "/tmp/a\"b",                  // quotes
           "/tmp/$HOME",                 // expansion
           "/tmp/{a}",                   // brace
           "/tmp/a>b",                   // redirection
           "/tmp/\xc3\xa9",              // non-ASCII
       }) {
    absl::Status st = ValidateControlDir(bad);
    EXPECT_FALSE(st.ok()) << absl::CHexEscape(bad);
    EXPECT_EQ(st.message().find('\n'), absl::string_view::npos) << st.message();
  }
  EXPECT_FALSE(
      ValidateControlDir("/" + std::string(kMaxControlDirLength, 'a')).ok());
}

// A scratch directory under /tmp (Bazel's TEST_TMPDIR is too long for a
// control directory), removed by the test's own clean-up.
class ControlDirTrust : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/jleak-cdt-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    base_ = tmpl;
    ASSERT_EQ(chmod(base_.c_str(), 0755), 0);
    dir_ = base_ + "/ctl";
    ASSERT_EQ(mkdir(dir_.c_str(), 0700), 0);
  }
  void TearDown() override {
    std::string cmd = "rm -rf '" + base_ + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }
  std::string base_, dir_;
};

TEST_F(ControlDirTrust, OwnDirectoryInAPrivateParent) {
  EXPECT_TRUE(CheckControlDirTrusted(dir_, geteuid()).ok());
}

TEST_F(ControlDirTrust, MissingIsNotFound) {
  absl::Status st = CheckControlDirTrusted(base_ + "/none", geteuid());
  EXPECT_TRUE(absl::IsNotFound(st)) << st;
}

TEST_F(ControlDirTrust, StickyWorldWritableParentLikeTmpPasses) {
  ASSERT_EQ(chmod(base_.c_str(), 01777), 0);
  EXPECT_TRUE(CheckControlDirTrusted(dir_, geteuid()).ok());
}

TEST_F(ControlDirTrust, WorldOrGroupWritableParentWithoutStickyIsRefused) {
  for (mode_t mode : {0777, 0775, 0757}) {
    ASSERT_EQ(chmod(base_.c_str(), mode), 0);
    absl::Status st = CheckControlDirTrusted(dir_, geteuid());
    EXPECT_TRUE(absl::IsPermissionDenied(st)) << mode << " " << st;
  }
}

TEST_F(ControlDirTrust, SymlinkedParentIsRefused) {
  const std::string real = base_ + "/real";
  ASSERT_EQ(mkdir(real.c_str(), 0755), 0);
  ASSERT_EQ(mkdir((real + "/ctl").c_str(), 0700), 0);
  ASSERT_EQ(symlink(real.c_str(), (base_ + "/link").c_str()), 0);
  EXPECT_TRUE(CheckControlDirTrusted(real + "/ctl", geteuid()).ok());
  absl::Status st = CheckControlDirTrusted(base_ + "/link/ctl", geteuid());
  EXPECT_TRUE(absl::IsPermissionDenied(st)) << st;
}

TEST_F(ControlDirTrust, SymlinkOrWritableControlDirIsRefused) {
  ASSERT_EQ(symlink(dir_.c_str(), (base_ + "/alias").c_str()), 0);
  EXPECT_TRUE(absl::IsPermissionDenied(
      CheckControlDirTrusted(base_ + "/alias", geteuid())));
  ASSERT_EQ(chmod(dir_.c_str(), 0770), 0);
  EXPECT_TRUE(
      absl::IsPermissionDenied(CheckControlDirTrusted(dir_, geteuid())));
  const std::string file = base_ + "/file";
  ASSERT_EQ(close(creat(file.c_str(), 0600)), 0);
  EXPECT_TRUE(
      absl::IsPermissionDenied(CheckControlDirTrusted(file, geteuid())));
}

TEST_F(ControlDirTrust, InvalidNameIsRefusedBeforeAnyLookup) {
  EXPECT_TRUE(absl::IsPermissionDenied(
      CheckControlDirTrusted(base_ + "/../ctl", geteuid())));
}

// Owners other than the JVM's user and root: needs root to chown.
TEST_F(ControlDirTrust, ForeignOwnersAreRefused) {
  const uid_t jvm = 4242, other = 65534;
  // Root, and uids to give away: Bazel's sandbox runs tests in a user
  // namespace where only the caller's uid is mapped (chown: EINVAL).
  if (geteuid() != 0 || chown(dir_.c_str(), jvm, jvm) != 0) {
    GTEST_SKIP() << "cannot chown here (not root, or a user namespace "
                    "without other uids: run with --spawn_strategy=local): "
                 << std::strerror(errno);
  }
  ASSERT_EQ(chown(dir_.c_str(), jvm, jvm), 0);
  EXPECT_TRUE(CheckControlDirTrusted(dir_, jvm).ok());  // parent is root's
  ASSERT_EQ(chown(dir_.c_str(), other, other), 0);
  EXPECT_TRUE(absl::IsPermissionDenied(CheckControlDirTrusted(dir_, jvm)));
  ASSERT_EQ(chown(dir_.c_str(), jvm, jvm), 0);
  ASSERT_EQ(chown(base_.c_str(), other, other), 0);
  absl::Status st = CheckControlDirTrusted(dir_, jvm);
  EXPECT_TRUE(absl::IsPermissionDenied(st)) << st;
  ASSERT_EQ(chown(base_.c_str(), jvm, jvm), 0);
  EXPECT_TRUE(CheckControlDirTrusted(dir_, jvm).ok());
}

}  // namespace
}  // namespace jleak::agent
