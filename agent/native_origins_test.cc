// File: native_origins_test.cc
//
// The hooks in a real process: a test library (testdata/origins_testlib.c)
// makes its mmap-family and pthread_create calls through its own GOT, as
// libnio and libjvm do; this binary holds the hooks (never patched). The
// stack walker is made up where a test needs Java frames (there is no JVM
// here): it returns a fixed native frame and synthetic Java addresses
// (profile/java_frame.h), which a made-up namer names.

#include "agent/native_origins.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bazel/testing/runfiles.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "profile/java_frame.h"

namespace jleak::agent {
namespace {

using ::jleak::testing::Runfile;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

struct TestLib {
  void* (*map_anon)(size_t);
  void* (*map_anon_at)(void*, size_t);
  void* (*map_file)(const char*, size_t);
  int (*unmap)(void*, size_t);
  void* (*remap)(void*, size_t, size_t);
  int (*start_thread)(pthread_t*, void* (*)(void*), void*);
  void* (*mmap_address)();
  void* (*pthread_create_address)();
};

template <typename F>
void Load(void* handle, const char* name, F* f) {
  *f = reinterpret_cast<F>(dlsym(handle, name));
  ASSERT_NE(*f, nullptr) << name;
}

TestLib& Lib() {
  static TestLib lib = [] {
    TestLib l = {};
    void* h =
        dlopen(Runfile("agent/libnative_origins_testlib.so").c_str(), RTLD_NOW);
    EXPECT_NE(h, nullptr) << dlerror();
    if (h == nullptr) return l;
    Load(h, "otl_map_anon", &l.map_anon);
    Load(h, "otl_map_anon_at", &l.map_anon_at);
    Load(h, "otl_map_file", &l.map_file);
    Load(h, "otl_unmap", &l.unmap);
    Load(h, "otl_remap", &l.remap);
    Load(h, "otl_start_thread", &l.start_thread);
    Load(h, "otl_mmap_address", &l.mmap_address);
    Load(h, "otl_pthread_create_address", &l.pthread_create_address);
    return l;
  }();
  return lib;
}

const size_t kPage = static_cast<size_t>(sysconf(_SC_PAGESIZE));

// A file of `pages` pages in /tmp; its path.
std::string MakeFile(size_t pages) {
  char path[] = "/tmp/native_origins_test_XXXXXX";
  const int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(ftruncate(fd, static_cast<off_t>(pages * kPage)), 0);
  close(fd);
  return path;
}

// The sites whose first native frame is `function`.
std::vector<MmapSiteRecord> SitesOf(const std::string& function) {
  std::vector<MmapSiteRecord> out;
  for (MmapSiteRecord& r : NativeOrigins::LiveMmapSites()) {
    if (!r.native_frames.empty() && r.native_frames[0] == function) {
      out.push_back(std::move(r));
    }
  }
  return out;
}

class NativeOriginsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NE(Lib().map_anon, nullptr); }
  void TearDown() override { ASSERT_TRUE(NativeOrigins::Uninstall().ok()); }
};

TEST_F(NativeOriginsTest, RecordsAnonAndFileMappingsByStack) {
  void* const real_mmap = Lib().mmap_address();
  ASSERT_TRUE(NativeOrigins::Install({}).ok());
  EXPECT_EQ(Lib().mmap_address(), NativeOrigins::HookFor("mmap"));

  std::vector<void*> anon;
  for (int i = 0; i < 3; ++i) anon.push_back(Lib().map_anon(2 * kPage));
  const std::string path = MakeFile(4);
  void* file = Lib().map_file(path.c_str(), 4 * kPage - 100);  // rounded up
  ASSERT_NE(file, nullptr);

  std::vector<MmapSiteRecord> a = SitesOf("otl_map_anon");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].kind, "anon");
  EXPECT_EQ(a[0].path, "");
  EXPECT_EQ(a[0].mappings, 3);
  EXPECT_EQ(a[0].bytes, static_cast<int64_t>(6 * kPage));
  EXPECT_THAT(a[0].java_frames, IsEmpty());
  std::vector<MmapSiteRecord> f = SitesOf("otl_map_file");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].kind, "file");
  EXPECT_EQ(f[0].path, path);
  EXPECT_EQ(f[0].bytes, static_cast<int64_t>(4 * kPage));
  // The caller of the library function is this test's code.
  ASSERT_GE(f[0].native_frames.size(), 2u);

  // Paths from the caller's own view of the maps.
  const std::vector<FileRange> renamed = {
      {reinterpret_cast<uintptr_t>(file),
       reinterpret_cast<uintptr_t>(file) + 4 * kPage, "/elsewhere"}};
  bool seen = false;
  for (const MmapSiteRecord& r : NativeOrigins::LiveMmapSites(&renamed)) {
    if (r.kind == "file") {
      EXPECT_EQ(r.path, "/elsewhere");
      seen = true;
    }
  }
  EXPECT_TRUE(seen);

  for (void* p : anon) EXPECT_EQ(Lib().unmap(p, 2 * kPage), 0);
  EXPECT_THAT(SitesOf("otl_map_anon"), IsEmpty());
  EXPECT_EQ(Lib().unmap(file, 4 * kPage), 0);
  EXPECT_THAT(SitesOf("otl_map_file"), IsEmpty());
  unlink(path.c_str());

  OriginsStats st = NativeOrigins::Stats();
  EXPECT_EQ(st.mmaps, 4u);
  EXPECT_EQ(st.unmapped_whole, 4u);
  EXPECT_EQ(st.mappings_live, 0u);
  ASSERT_TRUE(NativeOrigins::Uninstall().ok());
  EXPECT_EQ(Lib().mmap_address(), real_mmap);
  void* after = Lib().map_anon(kPage);
  EXPECT_EQ(NativeOrigins::Stats().mmaps, 4u);
  Lib().unmap(after, kPage);
}

TEST_F(NativeOriginsTest, PartialUnmapShrinksAndSplits) {
  ASSERT_TRUE(NativeOrigins::Install({}).ok());
  char* p = static_cast<char*>(Lib().map_anon(8 * kPage));
  ASSERT_NE(p, nullptr);
  // A hole in the middle: two records left, 7 pages.
  ASSERT_EQ(Lib().unmap(p + 3 * kPage, kPage), 0);
  std::vector<MmapSiteRecord> s = SitesOf("otl_map_anon");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].mappings, 2);
  EXPECT_EQ(s[0].bytes, static_cast<int64_t>(7 * kPage));
  // The head of the left part, the tail of the right part.
  ASSERT_EQ(Lib().unmap(p, kPage), 0);
  ASSERT_EQ(Lib().unmap(p + 7 * kPage, kPage), 0);
  s = SitesOf("otl_map_anon");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].mappings, 2);
  EXPECT_EQ(s[0].bytes, static_cast<int64_t>(5 * kPage));
  // One munmap across both parts and the hole between them.
  ASSERT_EQ(Lib().unmap(p + kPage, 6 * kPage), 0);
  EXPECT_THAT(SitesOf("otl_map_anon"), IsEmpty());
  EXPECT_EQ(NativeOrigins::Stats().unmapped_part, 3u);
}

TEST_F(NativeOriginsTest, MremapMovesTheRecord) {
  ASSERT_TRUE(NativeOrigins::Install({}).ok());
  void* p = Lib().map_anon(kPage);
  void* q = Lib().remap(p, kPage, 64 * kPage);
  ASSERT_NE(q, nullptr);
  std::vector<MmapSiteRecord> s = SitesOf("otl_map_anon");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].mappings, 1);
  EXPECT_EQ(s[0].bytes, static_cast<int64_t>(64 * kPage));
  ASSERT_EQ(Lib().unmap(q, 64 * kPage), 0);
  EXPECT_THAT(SitesOf("otl_map_anon"), IsEmpty());
}

TEST_F(NativeOriginsTest, NewMappingOverARecordReplacesWhatItCovers) {
  ASSERT_TRUE(NativeOrigins::Install({}).ok());
  char* p = static_cast<char*>(Lib().map_anon(4 * kPage));
  ASSERT_NE(p, nullptr);
  ASSERT_EQ(Lib().map_anon_at(p + kPage, kPage), p + kPage);
  std::vector<MmapSiteRecord> s = SitesOf("otl_map_anon");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].mappings, 2);
  EXPECT_EQ(s[0].bytes, static_cast<int64_t>(3 * kPage));
  std::vector<MmapSiteRecord> at = SitesOf("otl_map_anon_at");
  ASSERT_EQ(at.size(), 1u);
  EXPECT_EQ(at[0].bytes, static_cast<int64_t>(kPage));
  // Over all of it, from the second site.
  ASSERT_EQ(Lib().map_anon_at(p, 4 * kPage), p);
  EXPECT_THAT(SitesOf("otl_map_anon"), IsEmpty());
  at = SitesOf("otl_map_anon_at");
  ASSERT_EQ(at.size(), 1u);
  EXPECT_EQ(at[0].mappings, 1);
  EXPECT_EQ(at[0].bytes, static_cast<int64_t>(4 * kPage));
  EXPECT_EQ(NativeOrigins::Stats().replaced, 3u);
  ASSERT_EQ(Lib().unmap(p, 4 * kPage), 0);
  EXPECT_EQ(NativeOrigins::Stats().mappings_live, 0u);
}

TEST_F(NativeOriginsTest, FullTablesCountWhatTheyDrop) {
  OriginsOptions o;
  o.max_mappings = 4;
  o.max_stacks = 1;
  ASSERT_TRUE(NativeOrigins::Install(o).ok());
  std::vector<void*> kept;
  for (int i = 0; i < 6; ++i) kept.push_back(Lib().map_anon(kPage));
  OriginsStats st = NativeOrigins::Stats();
  EXPECT_EQ(st.mmaps, 6u);
  EXPECT_EQ(st.mappings_live, 4u);
  EXPECT_EQ(st.mappings_dropped, 2u);
  EXPECT_EQ(st.stacks, 1u);
  EXPECT_EQ(st.stacks_dropped, 0u);
  for (void* p : kept) Lib().unmap(p, kPage);
  EXPECT_EQ(NativeOrigins::Stats().mappings_live, 0u);
  // A second stack: the mapping is kept, without its stack.
  const std::string path = MakeFile(1);
  void* file = Lib().map_file(path.c_str(), kPage);
  ASSERT_NE(file, nullptr);
  EXPECT_EQ(NativeOrigins::Stats().stacks_dropped, 1u);
  std::vector<MmapSiteRecord> all = NativeOrigins::LiveMmapSites();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].kind, "file");
  EXPECT_EQ(all[0].path, path);
  EXPECT_THAT(all[0].native_frames, IsEmpty());
  Lib().unmap(file, kPage);
  unlink(path.c_str());
}

// A walker that maps and unmaps memory itself, through the hooked library:
// the hooks must pass those calls through, not recurse or deadlock.
std::atomic<int> g_walks{0};
void MappingWalker(void** vec, unsigned* len, unsigned max_len) {
  g_walks.fetch_add(1);
  void* p = Lib().map_anon(kPage);
  Lib().unmap(p, kPage);
  *len = 0;
}

TEST_F(NativeOriginsTest, CallsFromInsideAHookPassThrough) {
  OriginsOptions o;
  o.backtrace = &MappingWalker;
  ASSERT_TRUE(NativeOrigins::Install(o).ok());
  void* p = Lib().map_anon(kPage);
  EXPECT_EQ(g_walks.load(), 1);
  OriginsStats st = NativeOrigins::Stats();
  EXPECT_EQ(st.mmaps, 1u);
  EXPECT_EQ(st.reentered, 1u);
  EXPECT_EQ(st.mappings_live, 1u);
  Lib().unmap(p, kPage);
  EXPECT_EQ(NativeOrigins::Stats().mappings_live, 0u);
}

// A walker that makes up a JVM's stack: this frame (dropped as ours), the
// library's function, then two Java frames.
void* g_native_pc = nullptr;
void JavaWalker(void** vec, unsigned* len, unsigned max_len) {
  unsigned n = 0;
  vec[n++] = reinterpret_cast<void*>(&JavaWalker);
  vec[n++] = g_native_pc;
  vec[n++] = reinterpret_cast<void*>(JavaFrameAddress(7));
  vec[n++] = reinterpret_cast<void*>(JavaFrameAddress(3));
  *len = n;
}

std::vector<std::string> NameIds(const std::vector<uint32_t>& ids) {
  std::vector<std::string> out;
  for (uint32_t id : ids)
    out.push_back(absl::StrCat("a.B.m", id, " (B.java:", id, ")"));
  return out;
}

TEST_F(NativeOriginsTest, JavaFramesAreNamedInnermostFirst) {
  g_native_pc = reinterpret_cast<char*>(Lib().map_anon) + 1;
  OriginsOptions o;
  o.backtrace = &JavaWalker;
  o.name_java = &NameIds;
  ASSERT_TRUE(NativeOrigins::Install(o).ok());
  void* p = Lib().map_anon(kPage);
  std::vector<MmapSiteRecord> s = SitesOf("otl_map_anon");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_THAT(s[0].native_frames, ElementsAre("otl_map_anon"));
  EXPECT_THAT(s[0].java_frames,
              ElementsAre("a.B.m7 (B.java:7)", "a.B.m3 (B.java:3)"));
  Lib().unmap(p, kPage);
}

// 40 Java frames under the library's function: the innermost 16 are kept.
void DeepWalker(void** vec, unsigned* len, unsigned max_len) {
  unsigned n = 0;
  vec[n++] = reinterpret_cast<void*>(&DeepWalker);
  vec[n++] = g_native_pc;
  for (uint32_t id = 100; id < 140 && n < max_len; ++id) {
    vec[n++] = reinterpret_cast<void*>(JavaFrameAddress(id));
  }
  *len = n;
}

TEST_F(NativeOriginsTest, KeepsTheInnermostJavaFrames) {
  g_native_pc = reinterpret_cast<char*>(Lib().map_anon) + 1;
  OriginsOptions o;
  o.backtrace = &DeepWalker;
  o.name_java = &NameIds;
  ASSERT_TRUE(NativeOrigins::Install(o).ok());
  void* p = Lib().map_anon(kPage);
  std::vector<MmapSiteRecord> s = SitesOf("otl_map_anon");
  ASSERT_EQ(s.size(), 1u);
  ASSERT_EQ(s[0].java_frames.size(), NativeOrigins::kMaxJavaFrames);
  EXPECT_EQ(s[0].java_frames.front(), "a.B.m100 (B.java:100)");
  EXPECT_EQ(s[0].java_frames.back(), "a.B.m115 (B.java:115)");
  Lib().unmap(p, kPage);
}

struct Meeting {
  std::atomic<pid_t> tid{0};
  std::atomic<bool> go{false};
};

void* Started(void* arg) {
  auto* m = static_cast<Meeting*>(arg);
  m->tid.store(static_cast<pid_t>(syscall(SYS_gettid)));
  while (!m->go.load()) usleep(100);
  return arg;
}

TEST_F(NativeOriginsTest, ThreadsKnowWhoStartedThem) {
  g_native_pc = reinterpret_cast<char*>(Lib().start_thread) + 1;
  void* const real_create = Lib().pthread_create_address();
  OriginsOptions o;
  o.backtrace = &JavaWalker;
  o.name_java = &NameIds;
  ASSERT_TRUE(NativeOrigins::Install(o).ok());
  EXPECT_NE(Lib().pthread_create_address(), real_create);
  Meeting m;
  pthread_t t;
  ASSERT_EQ(Lib().start_thread(&t, &Started, &m), 0);
  while (m.tid.load() == 0) usleep(100);
  const pid_t tid = m.tid.load();
  EXPECT_THAT(NativeOrigins::StartedFrom(tid),
              ElementsAre("a.B.m7 (B.java:7)", "a.B.m3 (B.java:3)"));
  std::vector<ThreadOrigin> all = NativeOrigins::ThreadOrigins();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].tid, tid);
  // The main thread did not start through the hook.
  EXPECT_THAT(
      NativeOrigins::StartedFrom(static_cast<pid_t>(syscall(SYS_gettid))),
      IsEmpty());
  m.go.store(true);
  void* result = nullptr;
  ASSERT_EQ(pthread_join(t, &result), 0);
  EXPECT_EQ(result, &m);  // the trampoline returned the routine's result
  EXPECT_THAT(NativeOrigins::StartedFrom(tid), IsEmpty());
  EXPECT_EQ(NativeOrigins::Stats().threads_started, 1u);
  ASSERT_TRUE(NativeOrigins::Uninstall().ok());
  EXPECT_EQ(Lib().pthread_create_address(), real_create);
}

TEST_F(NativeOriginsTest, AForkedChildCanStillMap) {
  ASSERT_TRUE(NativeOrigins::Install({}).ok());
  void* kept = Lib().map_anon(kPage);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    void* p = Lib().map_anon(kPage);
    _exit(p != nullptr && NativeOrigins::Stats().mappings_live == 2 ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_EQ(NativeOrigins::Stats().mappings_live, 1u);
  Lib().unmap(kept, kPage);
}

TEST(ParseFileRanges, FileBackedLinesOnlySortedAndBounded) {
  const std::string long_path = "/" + std::string(5000, 'x');
  const std::vector<FileRange> r = ParseFileRanges(
      "7f0000002000-7f0000003000 rw-s 00000000 08:01 12 /tmp/b (deleted)\n"
      "7f0000000000-7f0000001000 r--p 00000000 08:01 11       /tmp/a b\n"
      "7f0000004000-7f0000005000 rw-p 00000000 00:00 0          [heap]\n"
      "7f0000006000-7f0000007000 rw-p 00000000 00:00 0\n"
      "zz-7f0000009000 r--p 00000000 08:01 11 /tmp/c\n"
      "7f000000a000-7f000000b000 r--p 00000000 08:01 13 " +
      long_path + "\n" + "garbage\n");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].start, 0x7f0000000000u);
  EXPECT_EQ(r[0].end, 0x7f0000001000u);
  EXPECT_EQ(r[0].path, "/tmp/a b");
  EXPECT_EQ(r[1].path, "/tmp/b (deleted)");
}

TEST(FrameText, InsertsTheSpaceOfReportJson) {
  EXPECT_EQ(ReportFrameText("a.b.C.m(C.java:4)"), "a.b.C.m (C.java:4)");
  EXPECT_EQ(ReportFrameText("a.C.n(Native Method)"), "a.C.n (Native Method)");
  EXPECT_EQ(ReportFrameText("[Java frames unavailable: GC active]"),
            "[Java frames unavailable: GC active]");
  EXPECT_EQ(ReportFrameText(""), "");
}

}  // namespace
}  // namespace jleak::agent
