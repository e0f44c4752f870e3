// File: agent_client_test.cc
//
// Tests of jleak's side of the control directory, with this process as
// the "target" (same user, same mount namespace): the lock refuses a
// second client, requests land where the agent reads them, answers are
// matched by id, and output is copied only once the timeline lists it.

#include "harness/run/agent_client.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

#include "gtest/gtest.h"
#include "harness/io/file_io.h"

namespace jleak {
namespace {

using agent::ControlAction;
using agent::ControlRequest;

TargetProcess Self() {
  absl::StatusOr<TargetProcess> t = InspectTarget(getpid());
  EXPECT_TRUE(t.ok()) << t.status();
  return *t;
}

std::string TestDir(const std::string& name) {
  return std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
}

TEST(AgentClient, SecondClientIsRefusedUntilTheFirstIsGone) {
  const std::string control = TestDir("ctl-lock");
  absl::StatusOr<std::unique_ptr<AgentClient>> first =
      AgentClient::Connect(Self(), control);
  ASSERT_TRUE(first.ok()) << first.status();
  struct stat st;
  ASSERT_EQ(stat(control.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  absl::StatusOr<std::unique_ptr<AgentClient>> second =
      AgentClient::Connect(Self(), control);
  ASSERT_FALSE(second.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(second.status())) << second.status();
  EXPECT_NE(second.status().message().find("another jleak"), std::string::npos);
  first->reset();
  EXPECT_TRUE(AgentClient::Connect(Self(), control).ok());
}

TEST(AgentClient, RefusesAControlDirectoryOthersCanWrite) {
  const std::string control = TestDir("ctl-open");
  ASSERT_EQ(mkdir(control.c_str(), 0777), 0);
  chmod(control.c_str(), 0777);
  absl::StatusOr<std::unique_ptr<AgentClient>> c =
      AgentClient::Connect(Self(), control);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("refusing control directory"),
            std::string::npos)
      << c.status();
}

TEST(AgentClient, RequestAnswerAndCopy) {
  const std::string control = TestDir("ctl-req");
  absl::StatusOr<std::unique_ptr<AgentClient>> c =
      AgentClient::Connect(Self(), control);
  ASSERT_TRUE(c.ok()) << c.status();
  absl::StatusOr<ControlRequest> r = (*c)->NewRequest(ControlAction::kSnapshot);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE((*c)->Send(*r).ok());
  absl::StatusOr<std::string> text =
      ReadFileToString(control + "/" + agent::kControlRequestName);
  ASSERT_TRUE(text.ok()) << text.status();
  absl::StatusOr<ControlRequest> parsed = agent::ParseControlRequest(*text);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->id, r->id);
  EXPECT_EQ(parsed->out_dir, r->out_dir);

  // An answer to another request, then an unfinished one, then ours.
  const std::string answer = r->out_dir + "/agent.json";
  ASSERT_TRUE(
      WriteFileAtomically(answer, R"({"standby":{"request":{"id":"other"}}})")
          .ok());
  EXPECT_FALSE((*c)->Answer(*r, false).has_value());
  ASSERT_TRUE(WriteFileAtomically(
                  answer, R"({"finished":false,"standby":{"request":{"id":")" +
                              r->id + R"("}}})")
                  .ok());
  EXPECT_TRUE((*c)->Answer(*r, false).has_value());
  EXPECT_FALSE((*c)->Answer(*r, true).has_value());

  // A .heap file is copied once the timeline lists it.
  const std::string local = TestDir("local");
  ASSERT_EQ(mkdir(local.c_str(), 0700), 0);
  // So is its memory-N.json (issue 20).
  ASSERT_TRUE(WriteFileAtomically(r->out_dir + "/snapshot-0.heap", "x").ok());
  ASSERT_TRUE(WriteFileAtomically(r->out_dir + "/memory-0.json", "{}").ok());
  EXPECT_EQ((*c)->CopyOut(*r, local), 0);
  ASSERT_TRUE(WriteFileAtomically(
                  r->out_dir + "/timeline.jsonl",
                  R"({"file":"snapshot-0.heap","memory_file":"memory-0.json"})"
                  "\n")
                  .ok());
  EXPECT_EQ((*c)->CopyOut(*r, local), 1);
  EXPECT_TRUE(ReadFileToString(local + "/snapshot-0.heap").ok());
  EXPECT_TRUE(ReadFileToString(local + "/memory-0.json").ok());
  EXPECT_TRUE(ReadFileToString(local + "/agent.json").ok());

  // Cleanup removes the output and the request the agent never took.
  (*c)->Cleanup(*r);
  struct stat st;
  EXPECT_NE(stat(r->out_dir.c_str(), &st), 0);
  EXPECT_NE(stat((control + "/" + agent::kControlRequestName).c_str(), &st), 0);
}

TEST(AgentClient, FindsSharedLibraryDependencies) {
  // Every dynamically linked test binary needs libc.
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  ASSERT_GT(n, 0);
  self[n] = '\0';
  bool libc = false;
  for (const auto& [soname, path] : SharedLibraryDeps(self)) {
    if (soname.rfind("libc.so", 0) == 0 && path[0] == '/') libc = true;
  }
  EXPECT_TRUE(libc);
}

// The agent's libunwind goes with it into a container: the copy beside the
// agent when there is one (`jleak install`), else this machine's, each with
// liblzma (what Debian's libunwind8 needs beyond glibc).
TEST(AgentClient, AgentRuntimeLibrariesAreLibunwindAndItsDeps) {
  const std::string dir = std::string(std::getenv("TEST_TMPDIR")) + "/inst";
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  auto names = [](const std::vector<std::pair<std::string, std::string>>& v) {
    std::map<std::string, std::string> m(v.begin(), v.end());
    return m;
  };
  std::map<std::string, std::string> system =
      names(AgentRuntimeLibraries(dir + "/libjleak_agent.so"));
  ASSERT_EQ(system.count("libunwind.so.8"), 1u)
      << "libunwind8 is not installed (ci/setup.sh)";
  EXPECT_EQ(system["libunwind.so.8"].rfind("/", 0), 0u);
  EXPECT_NE(system["libunwind.so.8"].find("libunwind.so.8"), std::string::npos);
  EXPECT_EQ(system.count("liblzma.so.5"), 1u);

  // Beside the agent: that copy.
  const std::string copy = dir + "/libunwind.so.8";
  {
    std::ifstream in(system["libunwind.so.8"], std::ios::binary);
    std::ofstream out(copy, std::ios::binary);
    out << in.rdbuf();
  }
  std::map<std::string, std::string> beside =
      names(AgentRuntimeLibraries(dir + "/libjleak_agent.so"));
  EXPECT_EQ(beside["libunwind.so.8"], copy);
  EXPECT_EQ(beside.count("liblzma.so.5"), 1u);
}

}  // namespace
}  // namespace jleak
