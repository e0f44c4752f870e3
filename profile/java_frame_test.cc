#include "profile/java_frame.h"

#include "gtest/gtest.h"

namespace jleak {
namespace {

TEST(JavaFrameTest, AddressesAndTheirCallerLookupsDecodeToTheSameId) {
  for (uint32_t id : {0u, 1u, 41u, kJavaFrameMaxId}) {
    const uint64_t a = JavaFrameAddress(id);
    EXPECT_TRUE(IsJavaFrameAddress(a));
    EXPECT_TRUE(IsJavaFrameAddress(a - 1));
    EXPECT_EQ(JavaFrameId(a), id);
    EXPECT_EQ(JavaFrameId(a - 1), id);
  }
  EXPECT_FALSE(IsJavaFrameAddress(kJavaFrameBase - 1));
  EXPECT_FALSE(IsJavaFrameAddress(JavaFrameAddress(kJavaFrameMaxId) + 1));
  EXPECT_FALSE(IsJavaFrameAddress(0x7f5ec02a6cd0));
}

TEST(JavaFrameTest, ParsesStackTraceStyleNames) {
  JavaFrameName n =
      ParseJavaFrameName("jleak.leakers.JniMalloc.leak(JniMalloc.java:42)");
  EXPECT_EQ(n.method, "jleak.leakers.JniMalloc.leak");
  EXPECT_EQ(n.file, "JniMalloc.java");
  EXPECT_EQ(n.line, 42);

  n = ParseJavaFrameName("a.B.<init>(B.java)");
  EXPECT_EQ(n.method, "a.B.<init>");
  EXPECT_EQ(n.file, "B.java");
  EXPECT_EQ(n.line, 0);

  n = ParseJavaFrameName("java.util.zip.Deflater.init(Native Method)");
  EXPECT_EQ(n.method, "java.util.zip.Deflater.init");
  EXPECT_EQ(n.file, "");

  n = ParseJavaFrameName("Gen$$Lambda$14.run(Unknown Source)");
  EXPECT_EQ(n.method, "Gen$$Lambda$14.run");
  EXPECT_EQ(n.file, "");

  // A hidden class's address differs in every run; it is left out.
  n = ParseJavaFrameName(
      "jleak.leakers.TwoCallers$$Lambda$1.0x00007f76cc001800.run(Unknown "
      "Source)");
  EXPECT_EQ(n.method, "jleak.leakers.TwoCallers$$Lambda$1.run");
  EXPECT_EQ(ParseJavaFrameName("a.B.0xcafe").method, "a.B");
  EXPECT_EQ(ParseJavaFrameName("a.B.0xcafeZ.m").method, "a.B.0xcafeZ.m");

  n = ParseJavaFrameName("[unknown Java frame]");
  EXPECT_EQ(n.method, "[unknown Java frame]");
  EXPECT_EQ(n.line, 0);
}

}  // namespace
}  // namespace jleak
