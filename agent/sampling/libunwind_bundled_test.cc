// File: libunwind_bundled_test.cc
//
// OpenUnwinder on a copy of libunwind beside the agent (what `jleak
// install` and `jleak attach` into a container put there), in a process
// that has not loaded libunwind: the copy is the one opened, and its
// dependency is opened from the same directory first. Its own binary:
// once a process holds libunwind.so.8, the search stops there.

#include <dlfcn.h>
#include <link.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "agent/sampling/libunwind_backtrace.h"
#include "gtest/gtest.h"

namespace jleak::agent::sampling {
namespace {

// The first of `candidates` that exists, or "".
std::string FirstExisting(std::initializer_list<const char*> candidates) {
  for (const char* c : candidates) {
    if (access(c, R_OK) == 0) return c;
  }
  return "";
}

bool CopyFile(const std::string& from, const std::string& to) {
  std::ifstream in(from, std::ios::binary);
  std::ofstream out(to, std::ios::binary);
  out << in.rdbuf();
  return in.good() && out.good();
}

bool IsLoaded(const std::string& path) {
  struct Search {
    const std::string* path;
    bool found = false;
  } search{&path};
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* arg) {
        auto* s = static_cast<Search*>(arg);
        if (info->dlpi_name != nullptr && *s->path == info->dlpi_name) {
          s->found = true;
        }
        return 0;
      },
      &search);
  return search.found;
}

TEST(LibunwindBundledTest, OpensTheCopyBesideTheAgentWithItsDependency) {
  ASSERT_EQ(dlopen("libunwind.so.8", RTLD_LAZY | RTLD_NOLOAD), nullptr)
      << "this test binary must not hold libunwind already";
  const std::string unwind =
      FirstExisting({"/lib/x86_64-linux-gnu/libunwind.so.8",
                     "/usr/lib/x86_64-linux-gnu/libunwind.so.8"});
  const std::string lzma =
      FirstExisting({"/lib/x86_64-linux-gnu/liblzma.so.5",
                     "/usr/lib/x86_64-linux-gnu/liblzma.so.5"});
  ASSERT_FALSE(unwind.empty()) << "libunwind8 is not installed (ci/setup.sh)";
  ASSERT_FALSE(lzma.empty());
  const std::string dir = std::string(std::getenv("TEST_TMPDIR")) + "/lib";
  ASSERT_EQ(system(("mkdir -p '" + dir + "'").c_str()), 0);
  ASSERT_TRUE(CopyFile(unwind, dir + "/libunwind.so.8"));
  ASSERT_TRUE(CopyFile(lzma, dir + "/liblzma.so.5"));

  absl::StatusOr<LoadedUnwinder> u = OpenUnwinder(dir, "libunwind.so.8");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->path, dir + "/libunwind.so.8");
  EXPECT_FALSE(u->already_loaded);
  EXPECT_TRUE(IsLoaded(dir + "/liblzma.so.5"));
}

}  // namespace
}  // namespace jleak::agent::sampling
