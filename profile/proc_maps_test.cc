#include "profile/proc_maps.h"

#include "gtest/gtest.h"

namespace jleak {
namespace {

TEST(ParseMapsLineTest, PathWithSpaces) {
  absl::StatusOr<Mapping> m = ParseMapsLine(
      "7f00-7f80 r-xp 0001a000 fe:01 1234   /opt/my app/lib x.so");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->start, 0x7f00u);
  EXPECT_EQ(m->limit, 0x7f80u);
  EXPECT_EQ(m->offset, 0x1a000u);
  EXPECT_EQ(m->device, "fe:01");
  EXPECT_EQ(m->inode, 1234u);
  EXPECT_EQ(m->path, "/opt/my app/lib x.so");
  EXPECT_TRUE(m->executable());
  EXPECT_TRUE(m->is_file());
}

TEST(ParseMapsLineTest, DeletedFileKeepsSuffix) {
  absl::StatusOr<Mapping> m =
      ParseMapsLine("1000-2000 r-xp 00000000 fe:01 9 /tmp/x.so (deleted)");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->path, "/tmp/x.so (deleted)");
}

TEST(ParseMapsLineTest, RejectsReversedRange) {
  EXPECT_FALSE(ParseMapsLine("2000-1000 r-xp 00000000 fe:01 9 /x").ok());
  EXPECT_FALSE(ParseMapsLine("2000 r-xp 00000000 fe:01 9 /x").ok());
  EXPECT_FALSE(ParseMapsLine("1000-2000 rx 00000000 fe:01 9 /x").ok());
}

TEST(ParseMapsTest, ErrorNamesLine) {
  absl::StatusOr<std::vector<Mapping>> m =
      ParseMaps("1000-2000 r-xp 0 fe:01 9 /x\n\nbad\n", "f.heap", 10);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("f.heap:12:"), std::string::npos)
      << m.status();
}

TEST(FindMappingTest, FindsContainingMappingOnly) {
  absl::StatusOr<std::vector<Mapping>> m = ParseMaps(
      "3000-4000 r-xp 0 fe:01 9 /b\n1000-2000 r-xp 0 fe:01 9 /a\n", "m");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(FindMapping(*m, 0x1000)->path, "/a");  // sorted on parse
  EXPECT_EQ(FindMapping(*m, 0x1fff)->path, "/a");
  EXPECT_EQ(FindMapping(*m, 0x2000), nullptr);  // limit is exclusive
  EXPECT_EQ(FindMapping(*m, 0x3abc)->path, "/b");
  EXPECT_EQ(FindMapping(*m, 0x0fff), nullptr);
  EXPECT_EQ(FindMapping(*m, 0x9000), nullptr);
}

}  // namespace
}  // namespace jleak
