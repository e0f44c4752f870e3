#include "agent/nmt_summary.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jleak::agent {
namespace {

using ::testing::HasSubstr;

// Trimmed from OpenJDK 17's `VM.native_memory summary scale=KB`.
constexpr char kSummary[] = R"(
Native Memory Tracking:

(Omitting categories weighting less than 1KB)

Total: reserved=7840993KB, committed=478005KB
       malloc: 9625KB #15915
       mmap:   reserved=7831368KB, committed=468380KB

-                 Java Heap (reserved=6172672KB, committed=397312KB)
                            (mmap: reserved=6172672KB, committed=397312KB)
 
-                     Class (reserved=1048718KB, committed=526KB)
                            (classes #1516)
                            (malloc=142KB #1989) (at peak)
                            (    reserved=65536KB, committed=2624KB)
 
-                    Thread (reserved=18479KB, committed=739KB)
                            (thread #18)
                            (stack: reserved=18432KB, committed=692KB)
 
-        Arena Chunk (reserved=2MB, committed=2MB)
)";

TEST(ParseNmtSummaryTest, CommittedBytesPerCategory) {
  absl::StatusOr<std::map<std::string, int64_t>> nmt =
      ParseNmtSummary(kSummary);
  ASSERT_TRUE(nmt.ok()) << nmt.status();
  EXPECT_EQ(nmt->at("Total"), int64_t{478005} * 1024);
  EXPECT_EQ(nmt->at("Java Heap"), int64_t{397312} * 1024);
  EXPECT_EQ(nmt->at("Class"), int64_t{526} * 1024);
  EXPECT_EQ(nmt->at("Thread"), int64_t{739} * 1024);
  EXPECT_EQ(nmt->at("Arena Chunk"), int64_t{2} << 20);
  // Sub-lines in parentheses are not categories.
  EXPECT_EQ(nmt->size(), 5u);
}

TEST(ParseNmtSummaryTest, TrackingOffOrForeignText) {
  absl::StatusOr<std::map<std::string, int64_t>> off =
      ParseNmtSummary("Native memory tracking is not enabled\n");
  ASSERT_FALSE(off.ok());
  EXPECT_THAT(std::string(off.status().message()),
              HasSubstr("-XX:NativeMemoryTracking=summary"));
  EXPECT_FALSE(ParseNmtSummary("heap_v2/524288\n").ok());
  EXPECT_FALSE(ParseNmtSummary("Total: reserved=1KB, committed=xKB\n").ok());
}

}  // namespace
}  // namespace jleak::agent
