// File: embed_files_test.cc
//
// cc_embed_files (//bazel:embed.bzl) gives back exactly the bytes of the
// files it embedded, compared here with the same files read at run time.

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "bazel/embed/embed_files_testdata.h"
#include "gtest/gtest.h"

namespace jleak::embed_test {
namespace {

std::string ReadRunfile(const std::string& path) {
  std::ifstream in("bazel/embed/testdata/" + path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

TEST(EmbedFilesTest, TextIsExact) {
  EXPECT_EQ(kTextTxt, ReadRunfile("text.txt"));
  EXPECT_NE(kTextTxt.find("?\?="), std::string_view::npos);
  EXPECT_EQ(kNoNewlineTxt, ReadRunfile("no_newline.txt"));
  EXPECT_EQ(kNoNewlineTxt.back(), 'd');
}

TEST(EmbedFilesTest, BinaryIsExact) {
  const std::string expected = ReadRunfile("binary.bin");
  ASSERT_EQ(expected.size(), 11u);
  EXPECT_EQ(kBinaryBin, expected);
  EXPECT_EQ(kBinaryBin[0], '\0');
  EXPECT_EQ(kBinaryBin[8], '\0');
  EXPECT_EQ(kBinaryBin[9], '7');
}

TEST(EmbedFilesTest, EmptyFileAndTerminatingNul) {
  EXPECT_TRUE(kEmptyFileTxt.empty());
  EXPECT_EQ(kEmptyFileTxt.data()[0], '\0');
  EXPECT_EQ(kTextTxt.data()[kTextTxt.size()], '\0');
}

}  // namespace
}  // namespace jleak::embed_test
