// File: standby_env_test.cc
//
// Tests of `jleak env`'s variables and quoting: paths LD_PRELOAD or
// JAVA_TOOL_OPTIONS cannot carry are refused, and each form quotes any
// byte so that nothing is run or expanded.

#include "harness/cli/standby_env.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace jleak {
namespace {

StandbyEnvInput Input() {
  StandbyEnvInput in;
  in.jemalloc = "/opt/jleak/lib/libjemalloc.so.2";
  in.agent = "/opt/jleak/lib/libjleak_agent.so";
  return in;
}

TEST(CheckCarriablePath, AcceptsPlainAbsolutePaths) {
  for (const char* good :
       {"/opt/jleak", "/a/b-c_d.e+f@g/1", "/", "/opt/jleak-1.2"}) {
    EXPECT_TRUE(CheckCarriablePath("--prefix", good).ok()) << good;
  }
}

TEST(CheckCarriablePath, RefusesWhatPreloadOrToolOptionsWouldCut) {
  for (const std::string& bad : std::vector<std::string>{
           "",
           "relative/dir",
           "/a b",
           "/a\tb",
           "/a\nb",
           "/a\rb",
           std::string("/a\0b", 4),
           "/a\x01",
           "/a:b",
           "/a,b",
           "/a=b",
           "/a'b",
           "/a\"b",
           "/a$(touch x)",
           "/a`id`",
           "/a;b",
           "/a>b",
           "/a{b}",
           "/$HOME",
           "/a\\b",
           "/a*",
           "/a?",
           "/a|b",
           "/a&b",
           "/a#b",
           "/a~b",
           "/a%b",
           "/\xc3\xa9",
           "/a\x7f",
           "/" + std::string(kMaxCarriablePathLength, 'a')}) {
    absl::Status st = CheckCarriablePath("--prefix", bad);
    EXPECT_FALSE(st.ok()) << absl::CHexEscape(bad);
    EXPECT_EQ(st.message().find('\n'), absl::string_view::npos) << st.message();
    EXPECT_NE(st.message().find("--prefix"), absl::string_view::npos)
        << st.message();
  }
}

TEST(StandbyEnv, ThreeVariables) {
  StandbyEnvInput in = Input();
  in.preload_deps = {"/opt/jleak/lib/libunwind.so.8"};
  in.lg_prof_sample = 17;
  in.control_dir = "/run/jleak";
  absl::StatusOr<EnvVars> vars = StandbyEnv(in);
  ASSERT_TRUE(vars.ok()) << vars.status();
  EXPECT_EQ(
      *vars,
      (EnvVars{{"LD_PRELOAD",
                "/opt/jleak/lib/libjemalloc.so.2:/opt/jleak/lib/"
                "libunwind.so.8"},
               {"MALLOC_CONF", "prof:true,prof_active:false,lg_prof_sample:17"},
               {"JAVA_TOOL_OPTIONS",
                "-agentpath:/opt/jleak/lib/libjleak_agent.so=standby,"
                "control=/run/jleak"}}));
}

TEST(StandbyEnv, RefusesBadPathsAndControlDirs) {
  StandbyEnvInput in = Input();
  in.agent = "/opt/my jleak/libjleak_agent.so";
  EXPECT_FALSE(StandbyEnv(in).ok());
  in = Input();
  in.jemalloc = "/opt/a:b/libjemalloc.so.2";
  EXPECT_FALSE(StandbyEnv(in).ok());
  in = Input();
  in.agent = "/opt/a=b/libjleak_agent.so";  // would end -agentpath early
  EXPECT_FALSE(StandbyEnv(in).ok());
  in = Input();
  in.preload_deps = {"/x y/libunwind.so.8"};
  EXPECT_FALSE(StandbyEnv(in).ok());
  for (const char* bad : {"/tmp/a,gc=0", "/tmp/../etc", "relative", "/tmp/"}) {
    in = Input();
    in.control_dir = bad;
    absl::StatusOr<EnvVars> vars = StandbyEnv(in);
    EXPECT_FALSE(vars.ok()) << bad;
    EXPECT_NE(vars.status().message().find("--control-dir"),
              absl::string_view::npos);
  }
}

const char* const kHostile[] = {
    "plain",     "a b",    "it's",     "'",       "''",         "$(touch x)",
    "`touch x`", "$HOME",  "${HOME}",  "a;b",     "a>b",        "{a,b}",
    "a\tb",      "a\\b",   "a\"b",     "\\$HOME", "$$",         "$(VAR)",
    "\\",        "a\\\"b", "\x01\x1f", "\x7f",    "caf\xc3\xa9"};

// Undoes ShellSingleQuote by the POSIX rules: inside '...' every byte is
// literal; outside, \' is a quote.
std::string ShellUnquote(const std::string& q) {
  std::string out;
  bool in = false;
  for (size_t i = 0; i < q.size(); ++i) {
    if (q[i] == '\'') {
      in = !in;
    } else if (!in && q[i] == '\\' && i + 1 < q.size()) {
      out += q[++i];
    } else {
      EXPECT_TRUE(in) << "unquoted byte in " << q;
      out += q[i];
    }
  }
  EXPECT_FALSE(in) << q;
  return out;
}

TEST(ShellSingleQuote, AlwaysQuotesAndRoundTrips) {
  for (const char* v : kHostile) {
    const std::string q = ShellSingleQuote(v);
    EXPECT_EQ(q.front(), '\'');
    EXPECT_EQ(q.back(), '\'');
    EXPECT_EQ(ShellUnquote(q), v) << q;
  }
  EXPECT_EQ(ShellSingleQuote("it's"), "'it'\\''s'");
  EXPECT_EQ(ShellSingleQuote(""), "''");
}

// Undoes DockerfileEnvValue by the Dockerfile's rules for a double-quoted
// word (buildkit's shell lexer): \" \$ \\ are escapes, any other \ stays;
// an unescaped $ would expand.
std::string DockerfileUnquote(const std::string& q) {
  EXPECT_EQ(q.front(), '"');
  EXPECT_EQ(q.back(), '"');
  std::string out;
  for (size_t i = 1; i + 1 < q.size(); ++i) {
    if (q[i] == '\\' && i + 2 < q.size() &&
        (q[i + 1] == '"' || q[i + 1] == '$' || q[i + 1] == '\\')) {
      out += q[++i];
    } else {
      EXPECT_NE(q[i], '$') << "unescaped $ in " << q;
      EXPECT_NE(q[i], '"') << "unescaped \" in " << q;
      out += q[i];
    }
  }
  return out;
}

TEST(DockerfileEnvValue, EscapesDollarQuoteAndBackslash) {
  for (const char* v : kHostile) {
    absl::StatusOr<std::string> q = DockerfileEnvValue(v);
    ASSERT_TRUE(q.ok()) << q.status();
    EXPECT_EQ(DockerfileUnquote(*q), v) << *q;
  }
  EXPECT_EQ(*DockerfileEnvValue("a$HOME\"\\"), "\"a\\$HOME\\\"\\\\\"");
  for (const char* bad : {"a\nb", "a\rb"}) {
    EXPECT_FALSE(DockerfileEnvValue(bad).ok());
  }
  EXPECT_FALSE(DockerfileEnvValue(std::string("a\0b", 3)).ok());
}

TEST(KubernetesEnvValue, JsonStringWithDollarsDoubled) {
  EXPECT_EQ(KubernetesEnvValue("/a$(X)b"), "\"/a$$(X)b\"");
  EXPECT_EQ(KubernetesEnvValue("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(KubernetesEnvValue("a\nb\tc"), "\"a\\u000ab\\u0009c\"");
  EXPECT_EQ(KubernetesEnvValue("x'y #z: w"), "\"x'y #z: w\"");
  for (const char* v : kHostile) {
    const std::string q = KubernetesEnvValue(v);
    for (char c : q) {
      EXPECT_FALSE(static_cast<unsigned char>(c) < 0x20 || c == 0x7f) << q;
    }
  }
}

TEST(RenderEnv, FormsAndRefusals) {
  const EnvVars vars = {{"A", "x y"}, {"B", "$Z"}};
  EXPECT_EQ(*RenderEnv("shell", vars), "export A='x y'\nexport B='$Z'\n");
  EXPECT_EQ(*RenderEnv("dockerfile", vars), "ENV A=\"x y\"\nENV B=\"\\$Z\"\n");
  EXPECT_EQ(*RenderEnv("kubernetes", vars),
            "env:\n  - name: A\n    value: \"x y\"\n  - name: B\n    value: "
            "\"$$Z\"\n");
  EXPECT_FALSE(RenderEnv("powershell", vars).ok());
  EXPECT_FALSE(RenderEnv("shell", {{"A;B", "x"}}).ok());
  EXPECT_FALSE(RenderEnv("dockerfile", {{"A", "x\ny"}}).ok());
  absl::StatusOr<std::string> all = RenderEnv("all", vars);
  ASSERT_TRUE(all.ok());
  EXPECT_NE(all->find("# shell\nexport A="), std::string::npos);
}

}  // namespace
}  // namespace jleak
