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

TEST(AddSymbolizerFlagsTest, RepeatableFlagsTakeOneValueEach) {
  // A repeatable option last before `--` must not swallow the workload's
  // own arguments (jleak run --trim=x -- java ... --sysroot=/s).
  CLI::App app;
  SymbolizerFlags flags;
  AddSymbolizerFlags(&app, &flags);
  std::vector<std::string> rest;
  app.add_option("rest", rest);
  const char* argv[] = {"jleak", "--trim=x",     "--binary-dir=d",
                        "--",    "--sysroot=/s", "y"};
  ASSERT_NO_THROW(app.parse(6, argv));
  EXPECT_EQ(flags.trim, std::vector<std::string>({"x"}));
  EXPECT_EQ(flags.binary_dirs, std::vector<std::string>({"d"}));
  EXPECT_EQ(flags.sysroot, "");
  EXPECT_EQ(rest, std::vector<std::string>({"--sysroot=/s", "y"}));
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
