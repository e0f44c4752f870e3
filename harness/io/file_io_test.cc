// File: file_io_test.cc
//
// Tests for the bounded, non-blocking reads and the atomic writes.

#include "harness/io/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace jleak {
namespace {

std::string TempDir() {
  const char* t = std::getenv("TEST_TMPDIR");
  return t != nullptr ? t : "/tmp";
}

TEST(FileIoTest, WriteThenReadRoundTrips) {
  const std::string path = TempDir() + "/round.txt";
  std::string data(200000, 'x');
  data[12345] = '\0';  // binary-safe
  ASSERT_TRUE(WriteFileAtomically(path, data).ok());
  absl::StatusOr<std::string> back = ReadFileToString(path);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, data);
}

TEST(FileIoTest, ReadErrorsNameTheFileAndReason) {
  absl::StatusOr<std::string> r = ReadFileToString(TempDir() + "/nope");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("/nope: cannot open: No such file"),
            std::string::npos)
      << r.status();
  r = ReadFileToString(TempDir());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("not a regular file"), std::string::npos);
}

TEST(FileIoTest, FailedWriteLeavesOldFileAndNoTemporary) {
  const std::string dir = TempDir() + "/ro";
  mkdir(dir.c_str(), 0755);
  const std::string path = dir + "/report.json";
  ASSERT_TRUE(WriteFileAtomically(path, "old").ok());
  if (geteuid() == 0) GTEST_SKIP() << "root ignores directory permissions";
  chmod(dir.c_str(), 0555);
  absl::Status st = WriteFileAtomically(path, "new");
  chmod(dir.c_str(), 0755);
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(*ReadFileToString(path), "old");
}

TEST(FileIoTest, WriteIntoMissingDirectoryFails) {
  absl::Status st =
      WriteFileAtomically(TempDir() + "/no/such/dir/report.html", "x");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("report.html"), std::string::npos) << st;
}

TEST(FileIoTest, WriteUnderANonDirectoryFails) {
  absl::Status st = WriteFileAtomically("/dev/null/x", "data");
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("/dev/null/x"), std::string::npos) << st;
}

TEST(FileIoTest, FifoIsAnErrorNotAWait) {
  const std::string path = TempDir() + "/fifo";
  unlink(path.c_str());
  ASSERT_EQ(mkfifo(path.c_str(), 0600), 0);
  absl::StatusOr<std::string> r = ReadFileToString(path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("fifo: is a FIFO, not a regular file"),
            std::string::npos)
      << r.status();
}

TEST(FileIoTest, DeviceIsAnError) {
  absl::StatusOr<std::string> r = ReadFileToString("/dev/zero");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("is a character device"),
            std::string::npos)
      << r.status();
}

TEST(FileIoTest, SymlinksAreFollowedOnlyWhenAsked) {
  const std::string target = TempDir() + "/link_target";
  const std::string link = TempDir() + "/link";
  ASSERT_TRUE(WriteFileAtomically(target, "secret").ok());
  unlink(link.c_str());
  ASSERT_EQ(symlink(target.c_str(), link.c_str()), 0);
  EXPECT_EQ(*ReadFileToString(link), "secret");
  absl::StatusOr<std::string> r =
      ReadFileToString(link, ReadOptions::InRunDirectory(100));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("link: is a symbolic link"),
            std::string::npos)
      << r.status();
  EXPECT_EQ(r.status().message().find("secret"), std::string::npos);
}

TEST(FileIoTest, SizeIsBoundedBeforeAllocating) {
  const std::string path = TempDir() + "/sparse";
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(ftruncate(fd, off_t{1} << 40), 0);  // 1 TiB, sparse
  close(fd);
  absl::StatusOr<std::string> r = ReadFileToString(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(r.status().message().find("is 1.0 TiB, over the limit of 4.0 GiB"),
            std::string::npos)
      << r.status();
  unlink(path.c_str());
  ASSERT_TRUE(WriteFileAtomically(path, std::string(101, 'x')).ok());
  EXPECT_FALSE(ReadFileToString(path, ReadOptions::InRunDirectory(100)).ok());
  EXPECT_TRUE(ReadFileToString(path, ReadOptions::InRunDirectory(101)).ok());
}

TEST(FileIoTest, ProcFilesOfSizeZeroAreRead) {
  absl::StatusOr<std::string> r = ReadFileToString("/proc/self/status");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_NE(r->find("Pid:"), std::string::npos);
}

TEST(FileIoTest, BareFileNames) {
  EXPECT_TRUE(IsBareFileName("snapshot-0.heap"));
  EXPECT_TRUE(IsBareFileName("..heap"));
  for (const std::string& bad : std::vector<std::string>{
           "", ".", "..", "../x", "a/b", "/etc/shadow", std::string("a\0b", 3),
           "a\nb", std::string(256, 'x')}) {
    EXPECT_FALSE(IsBareFileName(bad)) << bad;
  }
}

TEST(FileIoTest, QuoteForMessageEscapesAndCuts) {
  EXPECT_EQ(QuoteForMessage("a\nb'c"), "'a\\x0ab\\x27c'");
  EXPECT_EQ(QuoteForMessage(std::string(100, 'x'), 3), "'xxx...'");
  EXPECT_EQ(HumanBytes(812), "812 B");
  EXPECT_EQ(HumanBytes(uint64_t{64} << 20), "64.0 MiB");
}

}  // namespace
}  // namespace jleak
