#include "profile/profile_report.h"

#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "profile/fake_symbolizer.h"

namespace jleak {
namespace {

using ::testing::HasSubstr;

NamedProfile MakeNamed() {
  FakeSymbolizer s;
  s.Add(0x1000, 0x100, {"malloc"});
  s.Add(0x2000, 0x100, {"leaf_a"});
  s.Add(0x3000, 0x100, {"leaf_b"});
  s.Add(0x4000, 0x100, {"caller; odd"});
  s.Add(0x5000, 0x100, {"main"});
  HeapProfile p;
  p.stacks.push_back({{0x1000, 0x2001, 0x4001, 0x5001}, {3, 3 << 20}, {}});
  p.stacks.push_back({{0x1000, 0x3001, 0x4001, 0x5001}, {1, 1 << 20}, {}});
  p.stacks.push_back({{0x1000, 0x4001, 0x5001}, {4, 4096}, {}});
  return NameProfile(p, s, FrameFilter());
}

TEST(WriteTextTest, FlatIsTheAllocatingFrameCumCountsEveryCaller) {
  std::ostringstream out;
  TextReportOptions o;
  o.show_bytes = true;
  WriteText(MakeNamed(), o, out);
  EXPECT_EQ(out.str(),
            "Total: 4198400 B\n"
            "   3145728   74.9%   74.9%    3145728   74.9% leaf_a\n"
            "   1048576   25.0%   99.9%    1048576   25.0% leaf_b\n"
            "      4096    0.1%  100.0%    4198400  100.0% caller; odd\n"
            "         0    0.0%  100.0%    4198400  100.0% main\n");
}

TEST(WriteTextTest, CumulativeOrderAndMaxLinesAndMiB) {
  std::ostringstream out;
  TextReportOptions o;
  o.sort_by_cumulative = true;
  o.max_lines = 2;
  WriteText(MakeNamed(), o, out);
  EXPECT_EQ(out.str(),
            "Total: 4.0 MiB\n"
            "       0.0    0.1%    0.1%        4.0  100.0% caller; odd\n"
            "       0.0    0.0%    0.1%        4.0  100.0% main\n");
}

TEST(WriteTextTest, PrintsSymbolizerWarnings) {
  NamedProfile named = MakeNamed();
  named.warnings.push_back("libx.so: not found");
  std::ostringstream out;
  WriteText(named, {}, out);
  EXPECT_THAT(out.str(), HasSubstr("warning: libx.so: not found\n"));
}

TEST(WriteCollapsedTest, OutermostFirstSeparatorsEscaped) {
  std::ostringstream out;
  WriteCollapsed(MakeNamed(), /*by_objects=*/false, out);
  EXPECT_EQ(out.str(),
            "main;caller: odd;leaf_a 3145728\n"
            "main;caller: odd;leaf_b 1048576\n"
            "main;caller: odd 4096\n");
  std::ostringstream objs;
  WriteCollapsed(MakeNamed(), /*by_objects=*/true, objs);
  EXPECT_THAT(objs.str(), HasSubstr("main;caller: odd 4\n"));
}

TEST(FormatBytesTest, Units) {
  EXPECT_EQ(FormatBytes(512), "512 B");
  EXPECT_EQ(FormatBytes(1536), "1.5 KiB");
  EXPECT_EQ(FormatBytes(100.7 * 1024 * 1024), "100.7 MiB");
  EXPECT_EQ(FormatBytes(-2.0 * 1024 * 1024 * 1024), "-2.00 GiB");
}

}  // namespace
}  // namespace jleak
