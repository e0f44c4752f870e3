// File: run_paths_test.cc
//
// Tests of run directories (empty or new; a snapshot folder may grow) and
// of the bundled-file search.

#include "harness/run/run_paths.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "gtest/gtest.h"

namespace jleak {
namespace {

TEST(RunPaths, CreateRunDirRefusesANonEmptyDirectoryUnlessAllowed) {
  const std::string dir = std::string(std::getenv("TEST_TMPDIR")) + "/run";
  ASSERT_TRUE(CreateRunDir(dir).ok());
  struct stat st;
  ASSERT_EQ(stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_TRUE(CreateRunDir(dir).ok());  // empty: fine
  std::FILE* f = std::fopen((dir + "/snapshot-0.heap").c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fclose(f);
  EXPECT_FALSE(CreateRunDir(dir).ok());
  EXPECT_TRUE(CreateRunDir(dir, /*may_exist=*/true).ok());
  EXPECT_FALSE(CreateRunDir("/proc/no/such/dir").ok());
}

TEST(RunPaths, Absolute) {
  EXPECT_EQ(Absolute("/a/b"), "/a/b");
  char cwd[4096];
  ASSERT_NE(getcwd(cwd, sizeof cwd), nullptr);
  EXPECT_EQ(Absolute("x"), std::string(cwd) + "/x");
}

TEST(RunPaths, FindBundledMissesWhatIsNotThere) {
  EXPECT_EQ(FindBundled("third_party/jemalloc/lib/no-such-file.so"), "");
}

}  // namespace
}  // namespace jleak
