#include "harness/cli/cli_flags.h"

#include "gtest/gtest.h"

namespace jleak {
namespace {

TEST(ParseByteSizeTest, Units) {
  EXPECT_EQ(*ParseByteSize("4096"), 4096);
  EXPECT_EQ(*ParseByteSize("4KiB"), 4096);
  EXPECT_EQ(*ParseByteSize("4k"), 4096);
  EXPECT_EQ(*ParseByteSize("4 KB"), 4096);
  EXPECT_EQ(*ParseByteSize("1.5MiB"), 1.5 * 1024 * 1024);
  EXPECT_EQ(*ParseByteSize("2G"), 2.0 * 1024 * 1024 * 1024);
  EXPECT_EQ(*ParseByteSize("10B"), 10);
  EXPECT_EQ(*ParseByteSize("0"), 0);
}

TEST(ParseByteSizeTest, Garbage) {
  EXPECT_FALSE(ParseByteSize("").ok());
  EXPECT_FALSE(ParseByteSize("lots").ok());
  EXPECT_FALSE(ParseByteSize("-1").ok());
  EXPECT_FALSE(ParseByteSize("4TiB").ok());
  EXPECT_FALSE(ParseByteSize("4 bananas").ok());
}

TEST(MakeFrameFilterTest, TrimFlagsExtendDefaults) {
  SymbolizerFlags flags;
  flags.trim = {"my_alloc", "pool::*"};
  absl::StatusOr<FrameFilter> f = MakeFrameFilter(flags);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_TRUE(f->IsAllocatorFrame("my_alloc"));
  EXPECT_TRUE(f->IsAllocatorFrame("pool::Get()"));
  EXPECT_TRUE(f->IsAllocatorFrame("malloc"));
  flags.trim = {"a*b"};
  EXPECT_FALSE(MakeFrameFilter(flags).ok());
  flags.trim.clear();
  flags.trim_frames_file = "/no/such/file";
  EXPECT_FALSE(MakeFrameFilter(flags).ok());
}

}  // namespace
}  // namespace jleak
