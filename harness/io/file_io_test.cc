#include "harness/io/file_io.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

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

}  // namespace
}  // namespace jleak
