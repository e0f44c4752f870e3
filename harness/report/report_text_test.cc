#include "harness/report/report_text.h"

#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jleak {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

SiteSeries Site(const std::string& top, std::vector<double> bytes,
                double growth, bool over_budget) {
  SiteSeries s;
  s.key = top;
  s.top_frame = top;
  s.frames = {{top, "", 0, "/tmp/libx.so"}, {"X.leak()", "", 0, "[jit]"}};
  s.bytes = std::move(bytes);
  s.growth.growth = growth;
  s.growth.slope = growth / 10;
  s.growth.slope_low = growth / 20;
  s.growth.slope_high = growth / 5;
  s.growth.p_value = 0.0001;
  s.over_budget = over_budget;
  return s;
}

std::string Summary(const Analysis& a) {
  std::ostringstream out;
  WriteTextSummary(a, TextSummaryOptions(), out);
  return out.str();
}

TEST(WriteTextSummaryTest, SiteOverBudgetIsMarkedWithItsFrames) {
  Analysis a;
  a.verdict = Verdict::kLeak;
  a.kind = GrowthKind::kMalloc;
  a.reason = "leak: Java_X_leak grows 1.0 MiB/s";
  a.time_source = TimeSource::kTimeline;
  a.sites = {Site("Java_X_leak", {0, 10 << 20}, 10 << 20, true),
             Site("ChunkPool::allocate", {5, 5}, 0, false)};
  const std::string s = Summary(a);
  EXPECT_THAT(s,
              StartsWith("jleak: LEAK: leak: Java_X_leak grows 1.0 MiB/s\n"));
  EXPECT_THAT(s, HasSubstr("! +10.0 MiB"));
  EXPECT_THAT(s, HasSubstr("Java_X_leak\n"));
  EXPECT_THAT(s, HasSubstr("<- X.leak()"));
  // A flat site is not listed.
  EXPECT_THAT(s, Not(HasSubstr("ChunkPool")));
}

TEST(WriteTextSummaryTest, ALeakGroupNamesItsApplicationFrameThenItsSites) {
  Analysis a;
  a.verdict = Verdict::kLeak;
  a.kind = GrowthKind::kMalloc;
  a.reason = "leak: com.example.Store.save (Store.java:18) leaks 3.0 MiB/s";
  a.time_source = TimeSource::kTimeline;
  a.sites = {Site("ZSTD_createCStream", {0, 20 << 20}, 20 << 20, true),
             Site("ZSTD_compressStream2", {0, 10 << 20}, 10 << 20, false),
             Site("Java_X_other", {0, 1 << 20}, 1 << 20, false)};
  a.sites[0].headline = "ZSTD_createCStream from ZstdOutputStream.<init>";
  a.sites[1].headline = "ZSTD_compressStream2 from ZstdOutputStream.write";
  LeakGroup g;
  g.key = "app:com.example.Store.save through:ZstdOutputStream";
  g.app_frame = "com.example.Store.save (Store.java:18)";
  g.app_method = "com.example.Store.save";
  g.app_caller = "com.example.Store.flushAll (Store.java:40)";
  g.through = "ZstdOutputStream → libzstd";
  g.sites = {0, 1};
  g.growth = a.sites[0].growth;
  g.growth.growth = 30 << 20;
  g.over_budget = true;
  LeakGroup alone;
  alone.sites = {2};
  alone.growth = a.sites[2].growth;
  a.groups = {g, alone};
  a.jleak_footprint.sites = 2;
  a.jleak_footprint.bytes = 1 << 20;
  const std::string s = Summary(a);
  EXPECT_THAT(s, HasSubstr("! +30.0 MiB"));
  EXPECT_THAT(s, HasSubstr("com.example.Store.save (Store.java:18)\n"));
  EXPECT_THAT(s,
              HasSubstr("from com.example.Store.flushAll (Store.java:40)\n"));
  EXPECT_THAT(s, HasSubstr("through ZstdOutputStream → libzstd, 2 sites:\n"));
  EXPECT_THAT(s, HasSubstr("+20.0 MiB"));
  EXPECT_THAT(s, HasSubstr("ZSTD_compressStream2 from ZstdOutputStream.write"));
  // A group of one site without an application frame reads as the site.
  EXPECT_THAT(s, HasSubstr("Java_X_other\n"));
  EXPECT_THAT(s, HasSubstr("(jleak's own agent: 2 sites, 1.0 MiB"));
  // The member sites are not rows of their own: one "!" row.
  EXPECT_EQ(s.find("! +20.0 MiB"), std::string::npos);
}

TEST(WriteTextSummaryTest, ExactCountLeakShowsTheLikelySite) {
  // Found by jemalloc's exact count: the first site gained one sampled
  // object and fits no growth, yet it is the one to look at.
  Analysis a;
  a.verdict = Verdict::kLeak;
  a.kind = GrowthKind::kMalloc;
  a.reason = "leak: malloc'd memory grows 20.0 KiB/s by jemalloc's exact count";
  a.sites = {Site("Java_X_leak", {0, 557778}, 0, false),
             Site("ChunkPool::allocate", {5, 5}, 0, false)};
  a.sites[0].likely = true;
  const std::string s = Summary(a);
  EXPECT_THAT(s, HasSubstr("? +0 B"));
  EXPECT_THAT(s, HasSubstr("Java_X_leak"));
  EXPECT_THAT(s, Not(HasSubstr("no allocation site grew")));
  EXPECT_THAT(s, Not(HasSubstr("ChunkPool")));
}

TEST(WriteTextSummaryTest, CleanRunWithoutGrowthSaysSo) {
  Analysis a;
  a.verdict = Verdict::kClean;
  a.reason = "clean: no site grows faster than 4.0 KiB/s with confidence";
  a.sites = {Site("Java_X_leak", {0, 557778}, 0, false)};
  const std::string s = Summary(a);
  EXPECT_THAT(s, StartsWith("jleak: CLEAN: clean: "));
  EXPECT_THAT(s, HasSubstr("no allocation site grew after the warm-up"));
  EXPECT_THAT(s, Not(HasSubstr("?")));
}

}  // namespace
}  // namespace jleak

namespace jleak {
namespace {

NamedFrame JavaFrame(std::string method, std::string file, int line,
                     FrameKind kind) {
  NamedFrame f;
  f.function = std::move(method);
  f.file = std::move(file);
  f.line = line;
  f.module = "[java]";
  f.kind = kind;
  return f;
}

// After an attach the summary says which engine collected, and what the
// sampling engine cannot see; a `jleak run` (no engine named) says nothing.
TEST(WriteTextSummaryTest, NamesTheEngineAndItsLimit) {
  Analysis a;
  a.verdict = Verdict::kClean;
  a.reason = "clean: no site grows";
  EXPECT_THAT(Summary(a), Not(HasSubstr("engine:")));
  a.engine = "sampling";
  a.engine_limit = "memory allocated before the attach is not seen";
  EXPECT_THAT(Summary(a),
              HasSubstr("\n  engine: sampling: memory allocated before the "
                        "attach is not seen\n"));
}

TEST(WriteTextSummaryTest, SiteIsNamedByTheUserFrameWithJvmFramesFolded) {
  SiteSeries s;
  NamedFrame unsafe;
  unsafe.function = "Unsafe_AllocateMemory0";
  unsafe.module = "/usr/lib/jvm/x/lib/server/libjvm.so";
  unsafe.kind = FrameKind::kJvm;
  s.frames = {
      unsafe,
      JavaFrame("java.nio.ByteBuffer.allocateDirect", "ByteBuffer.java", 332,
                FrameKind::kJvm),
      JavaFrame("com.example.Cache.put", "Cache.java", 42, FrameKind::kUser),
      JavaFrame("com.example.Service.handle", "Service.java", 7,
                FrameKind::kUser)};
  s.user_frame = UserFrameIndex(s.frames);
  s.java_frame = JavaFrameIndex(s.frames);
  s.top_frame = s.frames[s.user_frame].function;
  s.headline = SiteHeadline(s);
  s.bytes = {0, 1 << 20};
  s.growth.growth = 1 << 20;
  s.growth.slope = 1 << 16;
  s.growth.slope_low = 1 << 15;
  s.growth.slope_high = 1 << 17;
  s.growth.p_value = 0.0001;
  s.over_budget = true;
  EXPECT_EQ(s.headline,
            "com.example.Cache.put (Cache.java:42) via "
            "java.nio.ByteBuffer.allocateDirect → Unsafe_AllocateMemory0");

  Analysis a;
  a.verdict = Verdict::kLeak;
  a.kind = GrowthKind::kMalloc;
  a.reason = "leak: " + s.headline + " grows 64.0 KiB/s";
  a.sites = {s, Site("ChunkPool::allocate", {5, 5}, 0, false),
             Site("Arena::grow", {5, 5}, 0, false)};
  const std::string text = Summary(a);
  EXPECT_THAT(text, HasSubstr("com.example.Cache.put (Cache.java:42)\n"));
  EXPECT_THAT(text, HasSubstr("via java.nio.ByteBuffer.allocateDirect → "
                              "Unsafe_AllocateMemory0\n"));
  EXPECT_THAT(text,
              HasSubstr("<- com.example.Service.handle (Service.java:7)\n"));
  EXPECT_THAT(text, HasSubstr("(2 sites that did not grow not listed)"));
  EXPECT_THAT(text, Not(HasSubstr("Interpreter")));
}

}  // namespace
}  // namespace jleak
