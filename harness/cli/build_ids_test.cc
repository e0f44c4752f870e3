// File: build_ids_test.cc

#include "harness/cli/build_ids.h"

#include <sys/stat.h>

#include <cstdlib>
#include <string>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "harness/io/file_io.h"
#include "profile/elf_symbolizer.h"

namespace jleak {
namespace {

// Debian builds every library with a GNU build-id.
constexpr char kLibc[] = "/usr/lib/x86_64-linux-gnu/libc.so.6";
constexpr char kLibm[] = "/usr/lib/x86_64-linux-gnu/libm.so.6";

// A heap profile with no samples and these MAPPED_LIBRARIES lines.
std::string ProfileMapping(const std::string& maps) {
  return "heap_v2/524288\n  t*: 0: 0 [0: 0]\n\nMAPPED_LIBRARIES:\n" + maps;
}

std::string Exec(const std::string& path) {
  return "7f0000000000-7f0000100000 r-xp 00000000 fe:00 1 " + path + "\n";
}

class ModuleBuildIdsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::string(std::getenv("TEST_TMPDIR"));
    libc_id_ = ReadElfBuildId(kLibc).value();
  }
  void Write(const std::string& name, const std::string& text) {
    ASSERT_TRUE(WriteFileAtomically(dir_ + "/" + name, text).ok());
  }
  static TimelineLine Entry(const std::string& file, bool dumped) {
    TimelineLine e;
    e.file = file;
    e.dumped = dumped;
    return e;
  }
  static std::map<std::string, std::string> Same(
      const std::vector<std::string>& paths) {
    return LocalBuildIds(paths);
  }

  std::string dir_;
  std::string libc_id_;
};

TEST_F(ModuleBuildIdsTest, ReadsTheLastDumpedSnapshotsExecutableModules) {
  Write("a.heap", ProfileMapping(Exec(kLibm)));
  Write("b.heap",
        ProfileMapping(Exec(kLibc) +
                       "7f0000200000-7f0000300000 rw-p 00000000 fe:00 2 " +
                       kLibm + "\n" + Exec("/no/such/lib.so")));
  std::map<std::string, std::string> ids = ModuleBuildIds(
      dir_,
      {Entry("a.heap", true), Entry("b.heap", true), Entry("c.heap", false)},
      Same);
  // Only b.heap's: libm is mapped there but not executable, the missing
  // file has no id, a.heap is older and c.heap was never written.
  ASSERT_EQ(ids.size(), 1u);
  EXPECT_EQ(ids[kLibc], libc_id_);
  EXPECT_EQ(libc_id_.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST_F(ModuleBuildIdsTest, AsksTheReaderForThePathsTheProcessSaw) {
  // A container's /lib/libc.so.6 is read inside it (by the attach broker),
  // keyed by the path the process saw.
  Write("d.heap", ProfileMapping(Exec("/container/libc.so.6")));
  std::vector<std::string> asked;
  std::map<std::string, std::string> ids = ModuleBuildIds(
      dir_, {Entry("d.heap", true)},
      [&](const std::vector<std::string>& paths) {
        asked = paths;
        return std::map<std::string, std::string>{{paths[0], "abcd"}};
      });
  EXPECT_EQ(asked, std::vector<std::string>{"/container/libc.so.6"});
  ASSERT_EQ(ids.size(), 1u);
  EXPECT_EQ(ids["/container/libc.so.6"], "abcd");
}

TEST_F(ModuleBuildIdsTest, LocalReaderRefusesAFifo) {
  // A profile names module paths; a FIFO there must not block the reader.
  const std::string fifo = dir_ + "/lib.fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_TRUE(LocalBuildIds({fifo}).empty());
}

TEST_F(ModuleBuildIdsTest, NothingWhenNoSnapshotCanBeRead) {
  Write("bad.heap", "not a heap profile\n");
  EXPECT_TRUE(
      ModuleBuildIds(
          dir_, {Entry("missing.heap", true), Entry("bad.heap", true)}, Same)
          .empty());
}

}  // namespace
}  // namespace jleak
