// File: code_origin_test.cc
//
// Code locations, jar globs, --app rules and the classification of Java
// frames as JDK, application or library: from a class map like the agent
// writes (JDK modules of the boot and platform loaders, the main jar, a
// library jar, a classes directory, a Spring Boot jar with nested
// classes and jars, a shaded jar), with and without rules, and with no
// map at all.

#include "profile/code_origin.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jleak {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ParseCodeLocation, FileJarsDirectoriesAndEscapes) {
  CodeLocation l = ParseCodeLocation("file:/usr/share/java/zstd-jni.jar");
  EXPECT_THAT(l.chain, ElementsAre("/usr/share/java/zstd-jni.jar"));
  EXPECT_FALSE(l.directory);
  EXPECT_FALSE(l.runtime_image);

  l = ParseCodeLocation("file:/work/my%20app/target/classes/");
  EXPECT_THAT(l.chain, ElementsAre("/work/my app/target/classes"));
  EXPECT_TRUE(l.directory);

  EXPECT_THAT(ParseCodeLocation("file:///x/A.JAR").chain,
              ElementsAre("/x/A.JAR"));
  EXPECT_FALSE(ParseCodeLocation("file:///x/A.JAR").directory);
  EXPECT_THAT(ParseCodeLocation("file://localhost/x/a.jar").chain,
              ElementsAre("/x/a.jar"));
  // A bad escape stays as it is.
  EXPECT_THAT(ParseCodeLocation("file:/x/100%.jar").chain,
              ElementsAre("/x/100%.jar"));
}

TEST(ParseCodeLocation, NestedJarsRuntimeImageAndOthers) {
  CodeLocation l =
      ParseCodeLocation("jar:file:/srv/app.jar!/BOOT-INF/lib/netty-4.1.jar!/");
  EXPECT_THAT(l.chain,
              ElementsAre("/srv/app.jar", "BOOT-INF/lib/netty-4.1.jar"));
  EXPECT_FALSE(l.directory);

  l = ParseCodeLocation("jar:file:/srv/app.jar!/BOOT-INF/classes!/");
  EXPECT_THAT(l.chain, ElementsAre("/srv/app.jar", "BOOT-INF/classes"));
  EXPECT_TRUE(l.directory);

  // Spring Boot 3.2's own URL form.
  l = ParseCodeLocation("jar:nested:/srv/app.jar/!BOOT-INF/classes/!/");
  EXPECT_THAT(l.chain, ElementsAre("/srv/app.jar", "BOOT-INF/classes"));
  EXPECT_TRUE(l.directory);

  l = ParseCodeLocation("jrt:/java.sql");
  EXPECT_TRUE(l.runtime_image);
  EXPECT_THAT(l.chain, ElementsAre("java.sql"));

  EXPECT_THAT(ParseCodeLocation("vfs:/content/app.war/WEB-INF/lib/x.jar").chain,
              ElementsAre("/content/app.war/WEB-INF/lib/x.jar"));
  EXPECT_TRUE(ParseCodeLocation(kNoCodeSource).chain.empty());
  EXPECT_TRUE(ParseCodeLocation("").chain.empty());
}

TEST(GlobMatch, StarStaysInAComponentDoubleStarCrosses) {
  EXPECT_TRUE(GlobMatch("zstd-jni-*.jar", "zstd-jni-1.5.5-5.jar"));
  EXPECT_FALSE(GlobMatch("zstd-jni-*.jar", "zstd-jni-1.5.jar.bak"));
  EXPECT_TRUE(GlobMatch("/opt/*/lib/*.jar", "/opt/app/lib/a.jar"));
  EXPECT_FALSE(GlobMatch("/opt/*.jar", "/opt/app/lib/a.jar"));
  EXPECT_TRUE(GlobMatch("/opt/**.jar", "/opt/app/lib/a.jar"));
  EXPECT_TRUE(GlobMatch("a?c", "abc"));
  EXPECT_FALSE(GlobMatch("a?c", "a/c"));
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_FALSE(GlobMatch("", "a"));
  EXPECT_TRUE(GlobMatch("a**", "a/b/c"));
}

TEST(AppRules, PackagesAndJarGlobsAreToldApartAndValidated) {
  absl::StatusOr<AppRules> r = AppRules::Parse(
      {"com.example", "org.acme.", "my-app.jar", "lib/*.jar", "Tool.JAR"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_NE(r->MatchClass("com.example.Foo"), nullptr);
  EXPECT_NE(r->MatchClass("com.example.sub.Bar$1"), nullptr);
  EXPECT_NE(r->MatchClass("com.example"), nullptr);
  EXPECT_EQ(r->MatchClass("com.examples.Foo"), nullptr);
  EXPECT_EQ(*r->MatchClass("org.acme.X"), "org.acme.");
  // Jar globs are not packages.
  EXPECT_EQ(r->MatchClass("my-app.jar"), nullptr);

  absl::StatusOr<AppRules> cls = AppRules::Parse({"com.example.Main"});
  ASSERT_TRUE(cls.ok());
  EXPECT_NE(cls->MatchClass("com.example.Main$Worker"), nullptr);
  EXPECT_EQ(cls->MatchClass("com.example.MainHelper"), nullptr);

  for (const char* bad : {"", "  ", "com..x", ".com", "1com.x", "com.ex-ample",
                          "*", "**", "com.x\n"}) {
    absl::StatusOr<AppRules> e = AppRules::Parse({bad});
    EXPECT_FALSE(e.ok()) << "'" << bad << "'";
    EXPECT_THAT(std::string(e.status().message()), HasSubstr("--app '"));
  }
  EXPECT_THAT(std::string(AppRules::Parse({"com.ex-ample"}).status().message()),
              HasSubstr("'ex-ample' is not a Java identifier"));
  EXPECT_TRUE(AppRules::Parse({}).ok());
  EXPECT_TRUE(AppRules::Parse({}).value().empty());
}

TEST(AppRules, JarGlobsMatchTheArchiveThatHoldsTheClass) {
  absl::StatusOr<AppRules> r =
      AppRules::Parse({"netty-*.jar", "/srv/*.jar", "target/classes"});
  ASSERT_TRUE(r.ok()) << r.status();
  auto match = [&](const char* location) {
    const std::string* m = r->MatchLocation(ParseCodeLocation(location));
    return m == nullptr ? std::string("-") : *m;
  };
  EXPECT_EQ(match("jar:file:/srv/x/app.jar!/BOOT-INF/lib/netty-4.1.jar!/"),
            "netty-*.jar");
  EXPECT_EQ(match("file:/usr/share/java/netty-4.1.jar"), "netty-*.jar");
  // The classes directory of a nested jar belongs to that jar.
  EXPECT_EQ(match("jar:file:/srv/app.jar!/BOOT-INF/classes!/"), "/srv/*.jar");
  // But the jars nested in it are not it.
  EXPECT_EQ(match("jar:file:/srv/app.jar!/BOOT-INF/lib/guava.jar!/"), "-");
  EXPECT_EQ(match("file:/home/u/proj/target/classes/"), "target/classes");
  EXPECT_EQ(match("file:/home/u/proj/xtarget/classes/"), "-");
  EXPECT_EQ(match("jrt:/java.base"), "-");
  EXPECT_EQ(match(kNoCodeSource), "-");
}

// A map as the agent writes it for:
//   java -cp /srv/app.jar:/usr/share/java/zstd-jni.jar:/home/u/build/classes
//        :/srv/shaded.jar com.example.Main
constexpr char kMap[] = R"(java-classes 1
main com.example.Main
source 0 jdk jrt:/java.base
source 1 other jrt:/java.sql
source 2 main file:/srv/app.jar
source 3 other file:/usr/share/java/zstd-jni.jar
source 4 other file:/home/u/build/classes/
source 5 other file:/srv/shaded.jar
source 6 other [no code source]
package 0 java.lang
package 0 java.util.zip
package 1 java.sql
package 2 com.example
package 3 com.github.luben.zstd
package 4 com.example.tools
package 5 org.shaded.okio
class 2 com.example.split.A
class 3 com.example.split.B
class 6 Generated
)";

OriginClassifier Classifier(std::vector<std::string> rules = {},
                            const char* map = kMap) {
  absl::StatusOr<CodeOrigins> origins = CodeOrigins::Load(map);
  EXPECT_TRUE(origins.ok()) << origins.status();
  absl::StatusOr<AppRules> parsed = AppRules::Parse(rules);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return OriginClassifier(*std::move(origins), *std::move(parsed));
}

// "kind reason" of a frame.
std::string Of(const OriginClassifier& c, const char* frame) {
  const FrameOrigin o = c.Classify(frame);
  return std::string(OriginKindName(o.kind)) + " " + OriginReasonText(o.reason);
}

TEST(OriginClassifier, JdkModulesOfEveryLoaderAreTheJdks) {
  const OriginClassifier c = Classifier();
  EXPECT_EQ(Of(c, "java.util.zip.Deflater.init(Native Method)"),
            "jdk the runtime image");
  // The platform loader's modules carry a jrt: location, kind other.
  EXPECT_EQ(Of(c, "java.sql.DriverManager.getConnection(DriverManager.java:1)"),
            "jdk the runtime image");
  const FrameOrigin o = c.Classify("java.lang.String.<init>(String.java:1)");
  EXPECT_EQ(o.class_name, "java.lang.String");
  EXPECT_EQ(o.code_source, "jrt:/java.base");
}

TEST(OriginClassifier, MainCodeSourceIsTheApplicationOtherJarsAreLibraries) {
  const OriginClassifier c = Classifier();
  const FrameOrigin app =
      c.Classify("com.example.Thumbnails.render(Thumbnails.java:18)");
  EXPECT_EQ(app.kind, OriginKind::kApplication);
  EXPECT_EQ(app.reason, OriginReason::kMainCodeSource);
  EXPECT_EQ(app.code_source, "file:/srv/app.jar");
  EXPECT_EQ(
      Of(c,
         "com.github.luben.zstd.ZstdOutputStreamNoFinalizer.<init>(Z.java:3)"),
      "library another code source");
  // A classes directory on the class path: the build's own output.
  EXPECT_EQ(Of(c, "com.example.tools.Gen.run(Gen.java:2)"),
            "application a classes directory");
  // A split package: each class by its own line.
  EXPECT_EQ(Of(c, "com.example.split.A.f(A.java:1)"),
            "application the main class's code source");
  EXPECT_EQ(Of(c, "com.example.split.B.f(B.java:1)"),
            "library another code source");
  EXPECT_EQ(Of(c, "Generated.f(Unknown Source)"),
            "library another code source");
}

TEST(OriginClassifier, NestedAndHiddenClassesGoWithTheirClass) {
  const OriginClassifier c = Classifier();
  EXPECT_EQ(Of(c, "com.example.Main$Worker$1.run(Main.java:9)"),
            "application the main class's code source");
  EXPECT_EQ(Of(c,
               "com.example.Main$$Lambda$14.0x0000000800c01234.run(Unknown "
               "Source)"),
            "application the main class's code source");
  EXPECT_EQ(c.Classify("com.example.Main$$Lambda$14.0x0000000800c01234.run")
                .class_name,
            "com.example.Main$$Lambda$14");
}

TEST(OriginClassifier, RulesMakeLibrariesTheApplicationButNotTheJdk) {
  const OriginClassifier c =
      Classifier({"com.github.luben", "shaded.jar", "java.util"});
  const FrameOrigin o =
      c.Classify("com.github.luben.zstd.Zstd.compress(Z.java:1)");
  EXPECT_EQ(o.kind, OriginKind::kApplication);
  EXPECT_EQ(o.reason, OriginReason::kAppRule);
  EXPECT_EQ(o.rule, "com.github.luben");
  EXPECT_EQ(c.Classify("org.shaded.okio.Buffer.write(Buffer.java:1)").rule,
            "shaded.jar");
  EXPECT_EQ(Of(c, "java.util.zip.Deflater.init(Native Method)"),
            "jdk the runtime image");
}

TEST(OriginClassifier,
     AShadedLibraryInTheMainJarIsTheApplicationsUnlessARuleSays) {
  // The shaded jar's relocated packages cannot be told from its own code by
  // where they were loaded from: a known limit, stated here.
  const OriginClassifier c = Classifier();
  EXPECT_EQ(Of(c, "org.shaded.okio.Buffer.write(Buffer.java:1)"),
            "library another code source");
  constexpr char kFat[] = R"(java-classes 1
source 0 main file:/srv/fat.jar
package 0 com.example
package 0 com.example.shaded.okio
)";
  EXPECT_EQ(Of(Classifier({}, kFat), "com.example.shaded.okio.Buffer.write"),
            "application the main class's code source");
}

TEST(OriginClassifier, SpringBootJarClassesAreTheApplicationItsLibJarsAreNot) {
  constexpr char kBoot[] = R"(java-classes 1
main /srv/app.jar
source 0 jdk jrt:/java.base
source 1 other file:/srv/app.jar
source 2 other jar:file:/srv/app.jar!/BOOT-INF/classes!/
source 3 other jar:file:/srv/app.jar!/BOOT-INF/lib/netty-4.1.jar!/
package 1 org.springframework.boot.loader
package 2 com.example
package 3 io.netty.buffer
)";
  const OriginClassifier c = Classifier({}, kBoot);
  // No source marked main: the `main` line's jar path finds it.
  EXPECT_EQ(c.origins().main_source(), 1);
  EXPECT_EQ(Of(c, "com.example.Render.run(Render.java:3)"),
            "application classes inside the main jar");
  EXPECT_EQ(Of(c, "io.netty.buffer.PoolArena.allocate(PoolArena.java:3)"),
            "library another code source");
  EXPECT_EQ(Of(c, "org.springframework.boot.loader.JarLauncher.main"),
            "application the main class's code source");
}

TEST(OriginClassifier, TheMainLineNamesTheMainClassWhenNoSourceIsMarked) {
  constexpr char kUnmarked[] = R"(java-classes 1
main com.example.Main
source 0 other file:/srv/a.jar
source 1 other file:/srv/b.jar
class 1 com.example.Main
package 0 org.lib
)";
  const OriginClassifier c = Classifier({}, kUnmarked);
  EXPECT_EQ(c.origins().main_source(), 1);
  EXPECT_EQ(Of(c, "com.example.Main.main"),
            "application the main class's code source");
  EXPECT_EQ(Of(c, "org.lib.X.y"), "library another code source");
}

TEST(OriginClassifier, ClassesAbsentFromTheMapGoByRulesThenFrameRules) {
  const OriginClassifier c = Classifier({"org.mine"});
  EXPECT_EQ(Of(c, "jdk.internal.misc.Unsafe.allocateMemory(Unsafe.java:1)"),
            "jdk a JDK package (not in the class map)");
  EXPECT_EQ(Of(c, "org.mine.Late.f(Late.java:1)"), "application --app rule");
  const FrameOrigin o = c.Classify("net.other.Late.f(Late.java:1)");
  EXPECT_EQ(o.kind, OriginKind::kLibrary);
  EXPECT_EQ(o.reason, OriginReason::kNotInMap);
  EXPECT_EQ(o.code_source, "");
}

TEST(OriginClassifier, WithoutAMapRulesAloneDecide) {
  FrameFilter filter;
  filter.Add("jvm org.jboss.*");  // the user's own frame rule
  absl::StatusOr<AppRules> rules = AppRules::Parse({"com.example"});
  ASSERT_TRUE(rules.ok());
  const OriginClassifier c(CodeOrigins(), *rules, filter);
  EXPECT_FALSE(c.origins().has_map());
  EXPECT_EQ(Of(c, "com.example.A.b(A.java:1)"), "application --app rule");
  EXPECT_EQ(Of(c, "java.nio.ByteBuffer.allocateDirect(ByteBuffer.java:1)"),
            "jdk a JDK package (not in the class map)");
  EXPECT_EQ(Of(c, "org.jboss.Thing.f"),
            "jdk a JDK package (not in the class map)");
  EXPECT_EQ(Of(c, "com.sun.jna.Native.malloc(Native Method)"),
            "library not in the class map");
}

TEST(OriginClassifier, TheAgentsPlaceholdersAreUnknown) {
  const OriginClassifier c = Classifier({"com"});
  EXPECT_EQ(c.Classify("[unknown Java frame]").kind, OriginKind::kUnknown);
  EXPECT_EQ(c.Classify("[Java frames unavailable: GC active]").kind,
            OriginKind::kUnknown);
  EXPECT_EQ(c.Classify("main").kind, OriginKind::kUnknown);
}

TEST(CodeOrigins, LoadReportsTheMapsErrors) {
  absl::StatusOr<CodeOrigins> o = CodeOrigins::Load(
      "java-classes 1\nclass 3 a.B\n", "run/java-classes.map");
  ASSERT_FALSE(o.ok());
  EXPECT_THAT(std::string(o.status().message()),
              HasSubstr("run/java-classes.map:2: source 3 is not defined"));
}

}  // namespace
}  // namespace jleak
