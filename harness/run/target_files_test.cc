// File: target_files_test.cc
//
// TargetFiles against the attacks of docs/security.md, on a fake target
// root in a temporary directory: links planted in the control directory
// (request, lock, clean-up, final request), a container's absolute links,
// FIFOs, hard links, oversized files, a squatted attach socket. Each
// asserts that the victim outside is untouched.

#include "harness/run/target_files.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "harness/io/file_io.h"

namespace jleak {
namespace {

class TargetFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Short: socket paths must fit in sun_path.
    char tmpl[] = "/tmp/jleak-tf.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    base_ = std::string(tmpl) + "/t";
    root_ = base_ + "/root";
    victim_dir_ = base_ + "/victim";
    victim_ = victim_dir_ + "/precious";
    for (const std::string& d : {base_, root_, root_ + "/tmp", victim_dir_}) {
      ASSERT_EQ(mkdir(d.c_str(), 0755), 0) << d;
    }
    ASSERT_TRUE(WriteFileAtomically(victim_, "precious\n").ok());
  }

  void TearDown() override {
    (void)!system(
        absl::StrCat("rm -rf '", base_.substr(0, base_.size() - 2), "'")
            .c_str());
  }

  std::unique_ptr<TargetFiles> Files() {
    const int root = open(root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    EXPECT_GE(root, 0);
    return std::make_unique<TargetFiles>(root, -1);
  }

  void ExpectVictimUntouched() {
    absl::StatusOr<std::string> text = ReadFileToString(victim_);
    ASSERT_TRUE(text.ok()) << text.status();
    EXPECT_EQ(*text, "precious\n");
    struct stat st;
    ASSERT_EQ(stat(victim_.c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, geteuid());
    EXPECT_EQ(st.st_mode & 07777, 0644u);
  }

  std::string base_, root_, victim_dir_, victim_;
};

TEST(IsBareName, OnlySingleComponents) {
  EXPECT_TRUE(IsBareName("snapshot-1.heap"));
  EXPECT_FALSE(IsBareName(""));
  EXPECT_FALSE(IsBareName("."));
  EXPECT_FALSE(IsBareName(".."));
  EXPECT_FALSE(IsBareName("../x"));
  EXPECT_FALSE(IsBareName("a/b"));
  EXPECT_FALSE(IsBareName(std::string("a\0b", 3)));
  EXPECT_FALSE(IsBareName(std::string(256, 'a')));
}

TEST_F(TargetFilesTest, MakesAPrivateControlDirectory) {
  auto f = Files();
  ASSERT_TRUE(f->OpenControlDir("/tmp/jleak-1").ok());
  struct stat st;
  ASSERT_EQ(stat((root_ + "/tmp/jleak-1").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  ASSERT_TRUE(f->Lock().ok());
  ASSERT_TRUE(f->MakeDir("s-1", 0700).ok());
  ASSERT_TRUE(f->WriteFile("s-1/agent.json", "{}", 0600).ok());
  absl::StatusOr<std::string> back = f->ReadFile("s-1/agent.json", 100);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, "{}");
  absl::StatusOr<std::vector<std::string>> names = f->List("s-1", 10);
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, std::vector<std::string>{"agent.json"});
}

TEST_F(TargetFilesTest, ControlDirectoryThatIsALinkIsRefused) {
  ASSERT_EQ(symlink(victim_dir_.c_str(), (root_ + "/tmp/jleak-1").c_str()), 0);
  auto f = Files();
  absl::Status st = f->OpenControlDir("/tmp/jleak-1");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("refusing"), std::string::npos) << st;
  ExpectVictimUntouched();
}

TEST_F(TargetFilesTest, ContainersAbsoluteLinksResolveInsideIt) {
  // The container's /tmp is an absolute link to "/<victim dir>": from the
  // host that is the real victim directory; inside, it is the container's.
  ASSERT_EQ(rmdir((root_ + "/tmp").c_str()), 0);
  ASSERT_EQ(symlink(victim_dir_.c_str(), (root_ + "/tmp").c_str()), 0);
  auto f = Files();
  absl::Status st = f->OpenControlDir("/tmp/jleak-1");
  EXPECT_FALSE(st.ok());  // no such directory inside the container
  struct stat s;
  EXPECT_NE(stat((victim_dir_ + "/jleak-1").c_str(), &s), 0);
  ExpectVictimUntouched();
}

TEST_F(TargetFilesTest, DotDotStaysInsideTheRoot) {
  auto f = Files();
  absl::StatusOr<int> fd =
      OpenInRoot(open(root_.c_str(), O_PATH | O_DIRECTORY),
                 "/../../../../" + victim_.substr(1), O_RDONLY);
  EXPECT_FALSE(fd.ok());
  EXPECT_FALSE(f->Exists("/../victim/precious"));
  EXPECT_FALSE(f->Exists("/proc/self/root" + victim_));
}

TEST_F(TargetFilesTest, PlantedRequestLinkIsReplacedNotFollowed) {
  const std::string ctl = root_ + "/tmp/jleak-1";
  ASSERT_EQ(mkdir(ctl.c_str(), 0700), 0);
  auto f = Files();
  ASSERT_TRUE(f->OpenControlDir("/tmp/jleak-1").ok());
  // Planted after jleak opened the directory (a race): the second wall.
  ASSERT_EQ(symlink(victim_.c_str(), (ctl + "/request").c_str()), 0);
  ASSERT_EQ(symlink(victim_.c_str(), (ctl + "/.request.tmp").c_str()), 0);
  ASSERT_TRUE(f->WriteFile("request", "id=1\n", 0600).ok());
  ExpectVictimUntouched();
  struct stat st;
  ASSERT_EQ(lstat((ctl + "/request").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
}

TEST_F(TargetFilesTest, PlantedEntriesAreRefusedAtOpen) {
  const std::string ctl = root_ + "/tmp/jleak-1";
  ASSERT_EQ(mkdir(ctl.c_str(), 0700), 0);
  ASSERT_EQ(symlink(victim_.c_str(), (ctl + "/request.tmp").c_str()), 0);
  auto f = Files();
  absl::Status st = f->OpenControlDir("/tmp/jleak-1");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("a symbolic link 'request.tmp'"),
            std::string::npos)
      << st;
  ASSERT_EQ(unlink((ctl + "/request.tmp").c_str()), 0);
  ASSERT_EQ(mkfifo((ctl + "/lock").c_str(), 0600), 0);
  st = f->OpenControlDir("/tmp/jleak-1");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("a FIFO 'lock'"), std::string::npos) << st;
  ExpectVictimUntouched();
}

TEST_F(TargetFilesTest, PlantedLockLinkIsRefused) {
  const std::string ctl = root_ + "/tmp/jleak-1";
  ASSERT_EQ(mkdir(ctl.c_str(), 0700), 0);
  auto f = Files();
  ASSERT_TRUE(f->OpenControlDir("/tmp/jleak-1").ok());
  // Planted after jleak opened the directory (a race): the second wall.
  ASSERT_EQ(symlink(victim_.c_str(), (ctl + "/lock").c_str()), 0);
  EXPECT_FALSE(f->Lock().ok());
  ExpectVictimUntouched();
}

TEST_F(TargetFilesTest, HardLinkedLockIsRefused) {
  const std::string ctl = root_ + "/tmp/jleak-1";
  ASSERT_EQ(mkdir(ctl.c_str(), 0700), 0);
  auto f = Files();
  ASSERT_TRUE(f->OpenControlDir("/tmp/jleak-1").ok());
  // Planted after jleak opened the directory (a race): the second wall.
  ASSERT_EQ(link(victim_.c_str(), (ctl + "/lock").c_str()), 0);
  absl::Status st = f->Lock();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("hard links"), std::string::npos) << st;
}

TEST_F(TargetFilesTest, StaleCleanupRemovesLinksNotTheirTargets) {
  const std::string ctl = root_ + "/tmp/jleak-1";
  ASSERT_EQ(mkdir(ctl.c_str(), 0700), 0);
  auto f = Files();
  ASSERT_TRUE(f->OpenControlDir("/tmp/jleak-1").ok());
  // Planted after jleak opened the directory (a race): the second wall.
  ASSERT_EQ(symlink(victim_dir_.c_str(), (ctl + "/s-evil").c_str()), 0);
  ASSERT_EQ(mkdir((ctl + "/s-old").c_str(), 0700), 0);
  ASSERT_EQ(symlink(victim_.c_str(), (ctl + "/s-old/snapshot-0.heap").c_str()),
            0);
  f->RemoveStale();
  ExpectVictimUntouched();
  struct stat st;
  EXPECT_NE(lstat((ctl + "/s-evil").c_str(), &st), 0);
  EXPECT_NE(lstat((ctl + "/s-old").c_str(), &st), 0);
}

TEST_F(TargetFilesTest, PlantedFinalRequestLinkIsRefused) {
  const std::string ctl = root_ + "/tmp/jleak-1";
  ASSERT_EQ(mkdir(ctl.c_str(), 0700), 0);
  auto f = Files();
  ASSERT_TRUE(f->OpenControlDir("/tmp/jleak-1").ok());
  // Planted after jleak opened the directory (a race): the second wall.
  ASSERT_EQ(mkdir((ctl + "/s-1").c_str(), 0700), 0);
  const std::string made = victim_dir_ + "/made-by-root";
  ASSERT_EQ(symlink(made.c_str(), (ctl + "/s-1/final.request").c_str()), 0);
  EXPECT_FALSE(f->CreateFile("s-1/final.request").ok());
  struct stat st;
  EXPECT_NE(stat(made.c_str(), &st), 0) << "a file was created through a link";
}

TEST_F(TargetFilesTest, ReadsRefuseLinksFifosAndOversizedFiles) {
  const std::string ctl = root_ + "/tmp/jleak-1";
  ASSERT_EQ(mkdir(ctl.c_str(), 0700), 0);
  auto f = Files();
  ASSERT_TRUE(f->OpenControlDir("/tmp/jleak-1").ok());
  // Planted after jleak opened the directory (a race): the second wall.
  ASSERT_EQ(symlink(victim_.c_str(), (ctl + "/agent.json").c_str()), 0);
  ASSERT_EQ(mkfifo((ctl + "/timeline.jsonl").c_str(), 0600), 0);
  ASSERT_TRUE(WriteFileAtomically(ctl + "/big", std::string(1000, 'x')).ok());
  EXPECT_FALSE(f->ReadFile("agent.json", 1 << 20).ok());
  EXPECT_FALSE(f->ReadFile("timeline.jsonl", 1 << 20).ok());  // no block
  absl::StatusOr<std::string> big = f->ReadFile("big", 999);
  ASSERT_FALSE(big.ok());
  EXPECT_TRUE(absl::IsResourceExhausted(big.status())) << big.status();
  EXPECT_TRUE(f->ReadFile("big", 1000).ok());
  EXPECT_FALSE(f->ReadFile("../../../victim/precious", 1 << 20).ok());
}

TEST_F(TargetFilesTest, OthersControlDirectoryIsRefused) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to chown";
  const std::string ctl = root_ + "/tmp/jleak-1";
  ASSERT_EQ(mkdir(ctl.c_str(), 0700), 0);
  ASSERT_EQ(chown(ctl.c_str(), 65534, 65534), 0);
  auto f = Files();
  absl::Status st = f->OpenControlDir("/tmp/jleak-1");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("owned by uid 65534"), std::string::npos) << st;
}

// A listening socket at `path`, owned by `uid`, answering `reply` once.
int Listen(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un a = {};
  a.sun_family = AF_UNIX;
  std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0) << path;
  EXPECT_EQ(listen(fd, 1), 0);
  return fd;
}

TEST_F(TargetFilesTest, SquattedAttachSocketIsRefusedBeforeConnecting) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to chown";
  const std::string sock = root_ + "/tmp/.java_pid77";
  const int server = Listen(sock);
  ASSERT_EQ(chown(sock.c_str(), 65534, 65534), 0);
  auto f = Files();
  absl::StatusOr<std::string> r =
      f->HotspotExchange(77, -1, getpid(), "1\0load", 5);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("squatted"), std::string::npos)
      << r.status();
  // Nobody connected.
  fcntl(server, F_SETFL, O_NONBLOCK);
  EXPECT_LT(accept(server, nullptr, nullptr), 0);
  close(server);
}

TEST_F(TargetFilesTest, AttachReplyIsReadFromOurOwnSocketAndBounded) {
  const std::string sock = root_ + "/tmp/.java_pid78";
  const int server = Listen(sock);
  ASSERT_EQ(chmod(sock.c_str(), 0600), 0);
  std::thread answer([server] {
    const int c = accept(server, nullptr, nullptr);
    char buf[64];
    (void)!read(c, buf, sizeof buf);
    const std::string big(100 << 10, 'x');
    (void)!write(c, big.data(), big.size());
    close(c);
  });
  auto f = Files();
  absl::StatusOr<std::string> r = f->HotspotExchange(78, -1, getpid(), "1", 5);
  answer.join();
  close(server);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::IsResourceExhausted(r.status())) << r.status();
}

TEST_F(TargetFilesTest, AttachSocketServedByAnotherProcessIsRefused) {
  const std::string sock = root_ + "/tmp/.java_pid79";
  const int server = Listen(sock);
  ASSERT_EQ(chmod(sock.c_str(), 0600), 0);
  auto f = Files();
  // The JVM is process 1 here; the socket is served by this test.
  absl::StatusOr<std::string> r = f->HotspotExchange(79, -1, 1, "1", 5);
  close(server);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("not by the JVM"), std::string::npos)
      << r.status();
}

}  // namespace
}  // namespace jleak
