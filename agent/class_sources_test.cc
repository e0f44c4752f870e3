// File: class_sources_test.cc
//
// The agent's class -> code source registry without a JVM: the main
// program read from the command line, the map text it writes (read back
// by the classifier's parser, main marked, names escaped, compacted by
// package), and its limits.

#include "agent/class_sources.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "profile/code_origin.h"
#include "profile/java_classes_map.h"

namespace jleak::agent {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(MainOfCommand, ClassJarAndModuleForms) {
  MainProgram m =
      MainOfCommand("jleak.testdata.RunFaults leak 8", "/x/run_faults.jar");
  EXPECT_EQ(m.main_class, "jleak.testdata.RunFaults");
  EXPECT_EQ(m.main_jar, "");

  // -jar: the class path is the jar alone and the command starts with it,
  // spaces included; the arguments are not kept.
  m = MainOfCommand("my app.jar --password=hunter2", "my app.jar");
  EXPECT_EQ(m.main_jar, "my app.jar");
  EXPECT_EQ(m.main_class, "");
  m = MainOfCommand("app.JAR", "app.JAR");
  EXPECT_EQ(m.main_jar, "app.JAR");

  // -cp app.jar pkg.Main: a class, not -jar.
  m = MainOfCommand("pkg.Main app.jar", "app.jar");
  EXPECT_EQ(m.main_class, "pkg.Main");
  EXPECT_EQ(m.main_jar, "");
  // A class path that merely starts like the command is not -jar.
  EXPECT_EQ(MainOfCommand("app.jarx", "app.jar").main_class, "app.jarx");

  m = MainOfCommand("com.example.app/com.example.Main arg", "");
  EXPECT_EQ(m.main_class, "com.example.Main");
  EXPECT_EQ(MainOfCommand("", "a.jar").main_class, "");
}

TEST(ClassSources, WritesAMapTheClassifierReadsWithTheMainJarMarked) {
  ClassSources s;
  const int64_t base = s.SourceId(CodeSourceKind::kJdk, "jrt:/java.base");
  const int64_t app =
      s.SourceId(CodeSourceKind::kOther, "file:/srv/my%20app.jar");
  const int64_t lib =
      s.SourceId(CodeSourceKind::kOther, "file:/usr/share/java/zstd-jni.jar");
  EXPECT_EQ(s.SourceId(CodeSourceKind::kJdk, "jrt:/java.base"), base);
  EXPECT_TRUE(s.Add("java.lang.String", base));
  EXPECT_TRUE(s.Add("java.lang.Thread", base));
  EXPECT_TRUE(s.Add("com.example.Main", app));
  EXPECT_TRUE(s.Add("com.example.Render", app));
  EXPECT_TRUE(s.Add("com.github.luben.zstd.Zstd", lib));
  s.SetMain({"", "/srv/my app.jar"});

  const std::string text = s.MapText();
  EXPECT_THAT(text, HasSubstr("\nmain /srv/my app.jar\n"));
  EXPECT_THAT(text, HasSubstr("\nsource 1 main file:/srv/my%20app.jar\n"));
  EXPECT_THAT(text, HasSubstr("\npackage 0 java.lang\n"));
  EXPECT_THAT(text, Not(HasSubstr("\nclass ")));

  absl::StatusOr<CodeOrigins> origins = CodeOrigins::Load(text);
  ASSERT_TRUE(origins.ok()) << origins.status() << "\n" << text;
  const OriginClassifier c(*std::move(origins), AppRules());
  EXPECT_EQ(c.Classify("com.example.Render.run(Render.java:3)").kind,
            OriginKind::kApplication);
  EXPECT_EQ(c.Classify("com.github.luben.zstd.Zstd.compress").kind,
            OriginKind::kLibrary);
  EXPECT_EQ(c.Classify("java.lang.String.<init>").kind, OriginKind::kJdk);
}

TEST(ClassSources, TheMainClassMarksItsSourceButNeverTheJdks) {
  ClassSources s;
  const int64_t dir = s.SourceId(CodeSourceKind::kOther, "file:/w/classes/");
  const int64_t base = s.SourceId(CodeSourceKind::kJdk, "jrt:/java.base");
  s.Add("pkg.Main", dir);
  s.Add("jdk.internal.Launcher", base);
  s.SetMain({"pkg.Main", ""});
  EXPECT_THAT(s.MapText(), HasSubstr("\nsource 0 main file:/w/classes/\n"));

  s.SetMain({"jdk.internal.Launcher", ""});  // java Foo.java runs the JDK's
  const std::string text = s.MapText();
  EXPECT_THAT(text, HasSubstr("\nsource 1 jdk jrt:/java.base\n"));
  EXPECT_THAT(text, Not(HasSubstr(" main file:")));
}

TEST(ClassSources, NamesFromTheTargetAreEscapedAndLimitsHold) {
  ClassSources s;
  const int64_t evil =
      s.SourceId(CodeSourceKind::kOther, "file:/tmp/x\nsource 7 jdk y");
  ASSERT_GE(evil, 0);
  EXPECT_TRUE(s.Add("Evil\nclass 0 String", evil));
  EXPECT_FALSE(s.Add("", evil));
  EXPECT_FALSE(s.Add("a.B", 99));
  EXPECT_FALSE(s.Add(std::string(kMaxJavaClassesMapField + 1, 'a'), evil));
  EXPECT_EQ(s.SourceId(CodeSourceKind::kOther,
                       std::string(kMaxJavaClassesMapField, '\n')),
            -1);
  absl::StatusOr<JavaClassesMap> back = ParseJavaClassesMap(s.MapText(), "m");
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->sources.size(), 1u);
  EXPECT_EQ(back->sources[0].location, "file:/tmp/x\nsource 7 jdk y");
  EXPECT_EQ(back->classes.count("Evil\nclass 0 String"), 1u);
  EXPECT_EQ(s.stats().dropped, 4);
}

TEST(ClassSources, ASecondSourceForANameIsAmbiguousAndTheFirstStays) {
  ClassSources s;
  const int64_t a = s.SourceId(CodeSourceKind::kOther, "file:/a.jar");
  const int64_t b = s.SourceId(CodeSourceKind::kOther, "file:/b.jar");
  const uint64_t before = s.generation();
  EXPECT_TRUE(s.Add("p.C", a));
  EXPECT_GT(s.generation(), before);
  const uint64_t after = s.generation();
  EXPECT_TRUE(s.Add("p.C", a));
  EXPECT_TRUE(s.Add("p.C", b));
  EXPECT_EQ(s.generation(), after);  // nothing new: no rewrite needed
  EXPECT_EQ(s.stats().ambiguous, 1);
  EXPECT_EQ(s.stats().classes, 1);
  EXPECT_THAT(s.MapText(), HasSubstr("\npackage 0 p\n"));
}

}  // namespace
}  // namespace jleak::agent
