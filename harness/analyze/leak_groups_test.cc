// File: leak_groups_test.cc
//
// Frame origins of sites, the leak groups they make (summed series, the
// per-site budget applied to the group, sites of their own, suppressed
// sites), jleak's own stacks and unnamed JIT frames.

#include "harness/analyze/leak_groups.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/analyze/site_origins.h"
#include "harness/analyze/verdict.h"

namespace jleak {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

NamedFrame Native(const std::string& function, const std::string& module,
                  FrameKind kind = FrameKind::kUser) {
  NamedFrame f;
  f.function = function;
  f.module = module;
  f.kind = kind;
  return f;
}

NamedFrame Java(const std::string& method, const std::string& file = "",
                int line = 0, FrameKind kind = FrameKind::kUser) {
  NamedFrame f;
  f.function = method;
  f.module = "[java]";
  f.file = file;
  f.line = line;
  f.kind = kind;
  return f;
}

OriginClassifier AppIs(const std::vector<std::string>& rules) {
  absl::StatusOr<AppRules> parsed = AppRules::Parse(rules);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return OriginClassifier(CodeOrigins(), *std::move(parsed));
}

// A zstd-jni stack: libzstd allocates for the JNI wrapper, called from the
// library's stream through the JDK's FilterOutputStream by the
// application's Store.save.
std::vector<NamedFrame> ZstdStack(const std::string& inner,
                                  const std::string& app_method, int app_line) {
  return {Native(inner, "/usr/lib/libzstd.so.1.5.4"),
          Native("Java_com_github_luben_zstd_ZstdOutputStreamNoFinalizer_"
                 "compressStream",
                 "/usr/lib/libzstd-jni.so.1.5.2-5"),
          Java("com.github.luben.zstd.ZstdOutputStreamNoFinalizer."
               "compressStream"),
          Java("java.io.FilterOutputStream.write", "FilterOutputStream.java",
               108, FrameKind::kJvm),
          Java(app_method, "Store.java", app_line),
          Java("com.example.Main.lambda$main$0", "Main.java", 5)};
}

TEST(ClassifySiteTest, FirstApplicationFrameAndTheLibraryItCalls) {
  SiteSeries s;
  s.frames = ZstdStack("ZSTD_createCStream", "com.example.Store.save", 18);
  ClassifySite(AppIs({"com.example"}), s);
  EXPECT_THAT(s.origins, ElementsAre("", "", "library", "jdk", "application",
                                     "application"));
  EXPECT_EQ(s.app_frame, 4);
  EXPECT_EQ(s.app_caller, -1);  // a lambda's body: no one wrote it as such
  EXPECT_FALSE(s.app_native);
  EXPECT_EQ(s.entry, "com.github.luben.zstd.ZstdOutputStreamNoFinalizer");
  EXPECT_EQ(s.through,
            "com.github.luben.zstd.ZstdOutputStreamNoFinalizer → libzstd");
}

TEST(ClassifySiteTest, TheApplicationCallerThatHandedTheObjectOver) {
  // sqlite-jdbc: `work` uses the connection `useAndForget` never closes.
  SiteSeries s;
  s.frames = {Native("sqlite3Malloc", "/usr/lib/libsqlite3.so.0.8.6"),
              Java("org.sqlite.core.NativeDB.step"),
              Java("org.sqlite.jdbc3.JDBC3PreparedStatement.executeUpdate"),
              Java("com.example.Db.work", "Db.java", 65),
              Java("com.example.Db.useAndForget", "Db.java", 77),
              Java("com.example.Db.lambda$main$0", "Db.java", 40)};
  ClassifySite(AppIs({"com.example"}), s);
  EXPECT_EQ(s.app_frame, 3);
  EXPECT_EQ(s.app_caller, 4);
  EXPECT_EQ(s.through, "org.sqlite.jdbc3.JDBC3PreparedStatement → libsqlite3");
  Analysis a;
  a.time_source = TimeSource::kTimeline;
  a.snapshots.resize(3);
  a.sites = {s};
  BuildLeakGroups({}, a);
  NameLeakGroups(a);
  ASSERT_EQ(a.groups.size(), 1u);
  EXPECT_EQ(a.groups[0].app_caller, "com.example.Db.useAndForget (Db.java:77)");
  EXPECT_EQ(a.groups[0].headline,
            "com.example.Db.work (Db.java:65) from com.example.Db.useAndForget "
            "(Db.java:77) is flat through "
            "org.sqlite.jdbc3.JDBC3PreparedStatement → libsqlite3 (1 site)");
}

TEST(ClassifySiteTest, MethodHandlesAreNotTheEntry) {
  SiteSeries s;
  s.frames = {
      Native("Unsafe_AllocateMemory0", "/jvm/lib/server/libjvm.so",
             FrameKind::kJvm),
      Java("jdk.internal.misc.Unsafe.allocateMemory", "", 0, FrameKind::kJvm),
      Java("sun.misc.Unsafe.allocateMemory", "", 0, FrameKind::kJvm),
      Java("java.lang.invoke.LambdaForm$MH.invokeExact_MT", "", 0,
           FrameKind::kJvm),
      Java("com.example.Offheap.grab", "Offheap.java", 48)};
  ClassifySite(AppIs({"com.example"}), s);
  EXPECT_EQ(s.through, "sun.misc.Unsafe → libjvm");
  EXPECT_TRUE(IsSyntheticJavaFrame("com.example.X.lambda$main$0"));
  EXPECT_TRUE(IsSyntheticJavaFrame("com.example.X$$Lambda$1.run"));
  EXPECT_FALSE(IsSyntheticJavaFrame("com.example.X.run"));
}

TEST(ClassifySiteTest, WithoutRulesOrMapNoFrameIsTheApplications) {
  SiteSeries s;
  s.frames = ZstdStack("ZSTD_createCStream", "com.example.Store.save", 18);
  ClassifySite(AppIs({}), s);
  EXPECT_EQ(s.app_frame, -1);
  EXPECT_EQ(s.through, "");
  EXPECT_EQ(s.origins[4], "library");
}

TEST(ClassifySiteTest, TheApplicationsOwnJniCodeIsNative) {
  SiteSeries s;
  s.frames = {Native("Java_com_example_Native_leak", "/app/libleaker.so"),
              Java("com.example.Native.leak"),
              Java("com.example.Main.main", "Main.java", 3)};
  ClassifySite(AppIs({"com.example"}), s);
  EXPECT_EQ(s.app_frame, 1);
  EXPECT_TRUE(s.app_native);
  EXPECT_EQ(s.through, "libleaker");
  EXPECT_EQ(LeakGroupKey(s), "site:");  // its own group, by its site key
}

TEST(ClassifySiteTest, TheJdkIsTheEntryWhenNoLibraryIsCalled) {
  SiteSeries s;
  s.frames = {
      Native("Unsafe_AllocateMemory0", "/jvm/lib/server/libjvm.so",
             FrameKind::kJvm),
      Java("jdk.internal.misc.Unsafe.allocateMemory", "", 0, FrameKind::kJvm),
      Java("java.nio.ByteBuffer.allocateDirect", "", 0, FrameKind::kJvm),
      Java("com.example.Cache.put", "Cache.java", 42)};
  ClassifySite(AppIs({"com.example"}), s);
  EXPECT_EQ(s.app_frame, 3);
  EXPECT_EQ(s.through, "java.nio.ByteBuffer → libjvm");
}

TEST(SiteOriginsTest, Names) {
  EXPECT_EQ(JavaClassOf("a.b.C$D.m"), "a.b.C$D");
  EXPECT_EQ(JavaClassOf("m"), "m");
  EXPECT_EQ(NativeLibraryName("/usr/lib/x86_64-linux-gnu/libzstd.so.1.5.4"),
            "libzstd");
  EXPECT_EQ(NativeLibraryName("/usr/lib/libzstd-jni.so.1.5.2-5"),
            "libzstd-jni");
  EXPECT_EQ(NativeLibraryName("/usr/bin/java"), "java");
}

TEST(SiteOriginsTest, JleaksOwnStacks) {
  EXPECT_TRUE(IsJleakOwnStack(
      {Native("malloc", "/x/libjemalloc.so.2"),
       Native("jleak::agent::JavaStacks::LoadMethodIds(_jvmtiEnv*, _jclass*)",
              "/x/libjleak_agent.so")}));
  // By module alone (a stripped agent).
  EXPECT_TRUE(IsJleakOwnStack({Native("libjleak_agent.so+0x1234",
                                      "/opt/jleak/lib/libjleak_agent.so")}));
  EXPECT_FALSE(IsJleakOwnStack(
      {Native("jleak::Cache::put", "/app/libjleak_agent_user.so")}));
}

TEST(SiteOriginsTest, UnnamedJitFramesAreNamed) {
  std::vector<NamedFrame> frames = {Native("0x7f3a1c0012ab", ""),
                                    Native("0xnothex", ""),
                                    Native("libz.so+0x12", "/lib/libz.so"),
                                    Native("0x7f3a1c0012ab", "/lib/libz.so")};
  EXPECT_EQ(NameUnnamedJitFrames(frames), 1);
  EXPECT_EQ(frames[0].function, kUnnamedJitFrame);
  EXPECT_EQ(frames[1].function, "0xnothex");
  EXPECT_EQ(frames[3].function, "0x7f3a1c0012ab");  // in a mapped file
}

// ------------------------------------------------------------- grouping

// A site growing `rate` bytes per second over snapshots at t = 0..9, with
// `noise` as each snapshot's sampling sd, classified with --app com.example.
SiteSeries Growing(const std::string& key, std::vector<NamedFrame> frames,
                   double rate, double noise = 0) {
  SiteSeries s;
  s.key = key;
  s.frames = std::move(frames);
  std::vector<double> t;
  for (int i = 0; i < 10; ++i) {
    t.push_back(i);
    // A little curvature so that the sums are not trivially linear.
    s.bytes.push_back(1000 + rate * i + (i % 3) * 10);
    s.noise_sd.push_back(noise);
  }
  s.growth = EstimateGrowth(t, s.bytes, s.noise_sd);
  s.headline = key;
  ClassifySite(AppIs({"com.example"}), s);
  return s;
}

Analysis TenSnapshots() {
  Analysis a;
  a.time_source = TimeSource::kTimeline;
  for (int i = 0; i < 10; ++i) {
    SnapshotInfo info;
    info.time_seconds = i;
    info.analyzed = true;
    a.snapshots.push_back(info);
  }
  return a;
}

std::vector<size_t> AllTen() { return {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}; }

VerdictWindow Window() {
  VerdictWindow w;
  w.any_samples = true;
  w.analyzed = 10;
  w.first = 0;
  w.last = 9;
  w.span = 9;
  return w;
}

TEST(BuildLeakGroupsTest, SitesOfOneApplicationFrameSumTheirSeries) {
  Analysis a = TenSnapshots();
  a.sites = {
      Growing("init",
              ZstdStack("ZSTD_createCStream", "com.example.Store.save", 18),
              5000, 200),
      Growing("buffer",
              ZstdStack("ZSTD_compressStream2", "com.example.Store.save", 19),
              3000, 100),
      Growing("other", {Native("Cache::put", "/app/libcache.so")}, 1000),
  };
  BuildLeakGroups(AllTen(), a);
  ASSERT_EQ(a.groups.size(), 2u);
  const LeakGroup& g = a.groups[0];
  EXPECT_THAT(g.sites, ElementsAre(0, 1));
  EXPECT_EQ(g.app_method, "com.example.Store.save");
  // The label of the first (best-ranked) member, with its line.
  EXPECT_EQ(g.app_frame, "com.example.Store.save (Store.java:18)");
  EXPECT_EQ(g.through,
            "com.github.luben.zstd.ZstdOutputStreamNoFinalizer → libzstd");
  ASSERT_EQ(g.bytes.size(), 10u);
  for (size_t i = 0; i < 10; ++i) {
    EXPECT_DOUBLE_EQ(g.bytes[i], a.sites[0].bytes[i] + a.sites[1].bytes[i]);
  }
  // Fitted to the sum, not the members' estimates added.
  std::vector<double> t = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  std::vector<double> sd;
  for (int i = 0; i < 10; ++i) sd.push_back(std::sqrt(200.0 * 200 + 100 * 100));
  const GrowthEstimate expected = EstimateGrowth(t, g.bytes, sd);
  EXPECT_DOUBLE_EQ(g.growth.slope, expected.slope);
  EXPECT_DOUBLE_EQ(g.growth.slope_low, expected.slope_low);
  EXPECT_DOUBLE_EQ(g.growth.slope_high, expected.slope_high);
  EXPECT_NEAR(g.growth.slope, 8000, 50);
  // A site without an application frame is a group of its own.
  EXPECT_EQ(a.groups[1].key, "site:other");
  EXPECT_THAT(a.groups[1].sites, ElementsAre(2));
  EXPECT_EQ(a.groups[1].app_frame, "");
  EXPECT_EQ(a.sites[0].group, 0);
  EXPECT_EQ(a.sites[1].group, 0);
  EXPECT_EQ(a.sites[2].group, 1);
  NameLeakGroups(a);
  EXPECT_EQ(a.groups[0].headline,
            "com.example.Store.save (Store.java:18) grows 7.8 KiB/s through "
            "com.github.luben.zstd.ZstdOutputStreamNoFinalizer → libzstd (2 "
            "sites)");
  EXPECT_EQ(a.groups[1].headline, "other");  // the site's own headline
}

TEST(BuildLeakGroupsTest, AnotherApplicationMethodOrEntryIsAnotherGroup) {
  Analysis a = TenSnapshots();
  std::vector<NamedFrame> closes =
      ZstdStack("ZSTD_createCStream", "com.example.Store.saveAndClose", 30);
  std::vector<NamedFrame> other_entry =
      ZstdStack("ZSTD_createCStream", "com.example.Store.save", 18);
  other_entry[2].function = "com.github.luben.zstd.Zstd.compress";
  a.sites = {
      Growing("a",
              ZstdStack("ZSTD_createCStream", "com.example.Store.save", 18),
              5000),
      Growing("b", closes, 0), Growing("c", other_entry, 100)};
  BuildLeakGroups(AllTen(), a);
  ASSERT_EQ(a.groups.size(), 3u);
  EXPECT_EQ(a.groups[0].app_method, "com.example.Store.save");
  EXPECT_EQ(a.groups[1].through, "com.github.luben.zstd.Zstd → libzstd");
  EXPECT_EQ(a.groups[2].app_method, "com.example.Store.saveAndClose");
}

TEST(BuildLeakGroupsTest, TheSiteBudgetAppliesToTheGroup) {
  Analysis a = TenSnapshots();
  // Each 3 KiB/s, under the 4 KiB/s budget; together 6 KiB/s, over it.
  a.sites = {
      Growing("init",
              ZstdStack("ZSTD_createCStream", "com.example.Store.save", 18),
              3072, 50),
      Growing("buffer",
              ZstdStack("ZSTD_compressStream2", "com.example.Store.save", 19),
              3072, 50),
  };
  a.total = a.sites[0].growth;  // under the total budget: not the reason
  BuildLeakGroups(AllTen(), a);
  DecideVerdict(AnalyzerOptions(), Window(), a);
  NameLeakGroups(a);
  EXPECT_EQ(a.verdict, Verdict::kLeak);
  EXPECT_FALSE(a.sites[0].over_budget);
  EXPECT_FALSE(a.sites[1].over_budget);
  ASSERT_EQ(a.groups.size(), 1u);
  EXPECT_TRUE(a.groups[0].over_budget);
  EXPECT_THAT(a.reason,
              StartsWith("leak: com.example.Store.save (Store.java:18) leaks "
                         "6.0 KiB/s (95% CI "));
  EXPECT_THAT(a.reason,
              HasSubstr("through com.github.luben.zstd."
                        "ZstdOutputStreamNoFinalizer → libzstd (2 sites)"));
  EXPECT_THAT(a.reason, HasSubstr("budget 4.0 KiB/s per group"));
  EXPECT_THAT(a.groups[0].headline,
              StartsWith("com.example.Store.save (Store.java:18) leaks "));
}

TEST(BuildLeakGroupsTest, AGroupUnderBudgetIsClean) {
  Analysis a = TenSnapshots();
  a.sites = {
      Growing("init",
              ZstdStack("ZSTD_createCStream", "com.example.Store.save", 18),
              1000, 50),
      Growing("buffer",
              ZstdStack("ZSTD_compressStream2", "com.example.Store.save", 19),
              1000, 50),
  };
  a.total = a.sites[0].growth;
  BuildLeakGroups(AllTen(), a);
  DecideVerdict(AnalyzerOptions(), Window(), a);
  EXPECT_EQ(a.verdict, Verdict::kClean);
  EXPECT_FALSE(a.groups[0].over_budget);
}

TEST(BuildLeakGroupsTest, SuppressedSitesGroupApartAndLast) {
  Analysis a = TenSnapshots();
  a.sites = {
      Growing("big",
              ZstdStack("ZSTD_createCStream", "com.example.Store.save", 18),
              90000),
      Growing("small",
              ZstdStack("ZSTD_compressStream2", "com.example.Store.save", 19),
              2000),
  };
  a.sites[0].suppressed = true;
  BuildLeakGroups(AllTen(), a);
  ASSERT_EQ(a.groups.size(), 2u);
  EXPECT_FALSE(a.groups[0].suppressed);
  EXPECT_THAT(a.groups[0].sites, ElementsAre(1));
  EXPECT_DOUBLE_EQ(a.groups[0].growth.slope, a.sites[1].growth.slope);
  EXPECT_TRUE(a.groups[1].suppressed);
  EXPECT_THAT(a.groups[1].sites, ElementsAre(0));
  EXPECT_NE(a.groups[0].key, a.groups[1].key);
  a.total = a.sites[1].growth;
  DecideVerdict(AnalyzerOptions(), Window(), a);
  EXPECT_EQ(a.verdict, Verdict::kClean);  // 2 KiB/s; the 88 KiB/s is ignored
  EXPECT_FALSE(a.groups[1].over_budget);
}

TEST(GroupEachSiteAloneTest, OneGroupPerSiteWithItsGrowth) {
  Analysis a = TenSnapshots();
  a.sites = {Growing("x", {Native("X::f", "/a.so")}, 10),
             Growing("y", {Native("Y::f", "/a.so")}, 5)};
  GroupEachSiteAlone(a);
  ASSERT_EQ(a.groups.size(), 2u);
  EXPECT_EQ(a.groups[1].headline, "y");
  EXPECT_DOUBLE_EQ(a.groups[1].growth.slope, a.sites[1].growth.slope);
  EXPECT_EQ(a.sites[1].group, 1);
}

}  // namespace
}  // namespace jleak
