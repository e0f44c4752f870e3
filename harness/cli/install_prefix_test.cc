// File: install_prefix_test.cc
//
// Tests of `jleak install`'s directory and file handling: what it refuses
// (others' or writable prefixes, symlinks where a directory or a temp
// file should be) and that a refusal leaves the victim untouched.

#include "harness/cli/install_prefix.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace jleak {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void Spit(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

mode_t ModeOf(const std::string& path) {
  struct stat st;
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
  return st.st_mode;
}

class InstallPrefix : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    std::string tmpl = absl::StrCat(tmp ? tmp : "/tmp", "/inst-XXXXXX");
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    base_ = tmpl;
    ASSERT_EQ(chmod(base_.c_str(), 0755), 0);
    victim_dir_ = base_ + "/victim";
    ASSERT_EQ(mkdir(victim_dir_.c_str(), 0755), 0);
    victim_ = victim_dir_ + "/precious";
    Spit(victim_, "precious\n");
    ASSERT_EQ(chmod(victim_.c_str(), 0600), 0);
  }
  void TearDown() override {
    ASSERT_EQ(std::system(absl::StrCat("rm -rf '", base_, "'").c_str()), 0);
  }
  void ExpectVictimUntouched() {
    EXPECT_EQ(Slurp(victim_), "precious\n");
    EXPECT_EQ(ModeOf(victim_) & 07777, 0600u);
    struct stat st;
    ASSERT_EQ(stat(victim_dir_.c_str(), &st), 0);
    EXPECT_EQ(st.st_nlink, 2u);  // no directory made in it
  }
  std::string base_, victim_dir_, victim_;
};

TEST_F(InstallPrefix, FreshPrefixThenReinstall) {
  const std::string prefix = base_ + "/p";
  const mode_t old_umask = umask(002);
  absl::StatusOr<UniqueFd> p = OpenInstallPrefix(prefix);
  umask(old_umask);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(ModeOf(prefix) & 07777, 0755u);
  absl::StatusOr<UniqueFd> lib =
      OpenOwnSubdirectory(p->get(), "lib", prefix + "/lib");
  ASSERT_TRUE(lib.ok()) << lib.status();
  ASSERT_TRUE(
      InstallFileAt(lib->get(), prefix + "/lib", "a.so", "one", 0755).ok());
  EXPECT_EQ(Slurp(prefix + "/lib/a.so"), "one");
  EXPECT_EQ(ModeOf(prefix + "/lib/a.so") & 07777, 0755u);
  // Again, into the existing prefix: replaced in place.
  absl::StatusOr<UniqueFd> again = OpenInstallPrefix(prefix + "/");
  ASSERT_TRUE(again.ok()) << again.status();
  lib = OpenOwnSubdirectory(again->get(), "lib", prefix + "/lib");
  ASSERT_TRUE(lib.ok()) << lib.status();
  ASSERT_TRUE(
      InstallFileAt(lib->get(), prefix + "/lib", "a.so", "two", 0644).ok());
  EXPECT_EQ(Slurp(prefix + "/lib/a.so"), "two");
  EXPECT_EQ(ModeOf(prefix + "/lib/a.so") & 07777, 0644u);
  EXPECT_EQ(
      access((prefix + "/lib/a.so.tmp." + std::to_string(getpid())).c_str(),
             F_OK),
      -1);
}

TEST_F(InstallPrefix, RefusesWritablePrefix) {
  const std::string prefix = base_ + "/p";
  ASSERT_EQ(mkdir(prefix.c_str(), 0755), 0);
  for (mode_t mode : {0777, 0775, 0757, 01777}) {
    ASSERT_EQ(chmod(prefix.c_str(), mode), 0);
    absl::StatusOr<UniqueFd> p = OpenInstallPrefix(prefix);
    EXPECT_FALSE(p.ok()) << mode;
    EXPECT_NE(p.status().message().find("writable"), absl::string_view::npos)
        << p.status();
    EXPECT_EQ(ModeOf(prefix) & 07777, mode);  // not "fixed" either
  }
}

TEST_F(InstallPrefix, RefusesParentWritableByOthersUnlessSticky) {
  const std::string parent = base_ + "/shared";
  ASSERT_EQ(mkdir(parent.c_str(), 0755), 0);
  ASSERT_EQ(chmod(parent.c_str(), 0777), 0);
  absl::StatusOr<UniqueFd> p = OpenInstallPrefix(parent + "/p");
  EXPECT_FALSE(p.ok());
  EXPECT_EQ(access((parent + "/p").c_str(), F_OK), -1);  // nothing made
  ASSERT_EQ(chmod(parent.c_str(), 01777), 0);            // like /tmp
  EXPECT_TRUE(OpenInstallPrefix(parent + "/p").ok());
}

TEST_F(InstallPrefix, RefusesSymlinkedPrefixAndSubdirectory) {
  ASSERT_EQ(symlink(victim_dir_.c_str(), (base_ + "/p").c_str()), 0);
  EXPECT_FALSE(OpenInstallPrefix(base_ + "/p").ok());
  const std::string prefix = base_ + "/q";
  ASSERT_EQ(mkdir(prefix.c_str(), 0755), 0);
  ASSERT_EQ(symlink(victim_dir_.c_str(), (prefix + "/lib").c_str()), 0);
  absl::StatusOr<UniqueFd> p = OpenInstallPrefix(prefix);
  ASSERT_TRUE(p.ok()) << p.status();
  absl::StatusOr<UniqueFd> lib =
      OpenOwnSubdirectory(p->get(), "lib", prefix + "/lib");
  EXPECT_FALSE(lib.ok());
  EXPECT_NE(lib.status().message().find("symlink"), absl::string_view::npos);
  ExpectVictimUntouched();
}

TEST_F(InstallPrefix, RefusesPlantedTempFile) {
  const std::string tmp_name = absl::StrCat("a.so.tmp.", getpid());
  ASSERT_EQ(symlink(victim_.c_str(), (base_ + "/" + tmp_name).c_str()), 0);
  UniqueFd dir(open(base_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  absl::Status st = InstallFileAt(dir.get(), base_, "a.so", "evil", 0755);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("already exists"), absl::string_view::npos) << st;
  ExpectVictimUntouched();
  EXPECT_TRUE(S_ISLNK(ModeOf(base_ + "/" + tmp_name)));  // not removed
}

TEST_F(InstallPrefix, ReplacesASymlinkAtTheFinalNameWithoutFollowingIt) {
  ASSERT_EQ(symlink(victim_.c_str(), (base_ + "/a.so").c_str()), 0);
  UniqueFd dir(open(base_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(InstallFileAt(dir.get(), base_, "a.so", "new", 0755).ok());
  EXPECT_TRUE(S_ISREG(ModeOf(base_ + "/a.so")));
  EXPECT_EQ(Slurp(base_ + "/a.so"), "new");
  ExpectVictimUntouched();
}

TEST_F(InstallPrefix, RefusesNamesThatAreNotBare) {
  UniqueFd dir(open(base_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  for (const char* bad : {"", ".", "..", "../victim/precious", "a/b"}) {
    EXPECT_FALSE(InstallFileAt(dir.get(), base_, bad, "x", 0644).ok()) << bad;
    EXPECT_FALSE(OpenOwnSubdirectory(dir.get(), bad, bad).ok()) << bad;
  }
  ExpectVictimUntouched();
}

TEST_F(InstallPrefix, RefusesBadPrefixes) {
  for (const std::string& bad :
       {std::string("relative"), std::string("/"), base_ + "/../x",
        base_ + "/./p", base_ + "/missing/p"}) {
    EXPECT_FALSE(OpenInstallPrefix(bad).ok()) << bad;
  }
}

// Another user's prefix: needs root and a second uid (not in Bazel's
// sandbox, whose user namespace maps one uid).
TEST_F(InstallPrefix, RefusesPrefixOwnedByAnotherUser) {
  const std::string prefix = base_ + "/p";
  ASSERT_EQ(mkdir(prefix.c_str(), 0755), 0);
  if (geteuid() != 0 || chown(prefix.c_str(), 65534, 65534) != 0) {
    GTEST_SKIP() << "cannot chown here: " << std::strerror(errno);
  }
  absl::StatusOr<UniqueFd> p = OpenInstallPrefix(prefix);
  EXPECT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("owned by uid 65534"),
            absl::string_view::npos)
      << p.status();
  // And an ancestor owned by another user.
  ASSERT_EQ(chown(prefix.c_str(), 0, 0), 0);
  ASSERT_EQ(chown(base_.c_str(), 65534, 65534), 0);
  p = OpenInstallPrefix(prefix + "/sub");
  EXPECT_FALSE(p.ok());
  ASSERT_EQ(chown(base_.c_str(), 0, 0), 0);
}

}  // namespace
}  // namespace jleak
