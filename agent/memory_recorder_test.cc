#include "agent/memory_recorder.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace jleak::agent {
namespace {

std::string TempDir() {
  const char* t = std::getenv("TEST_TMPDIR");
  return t != nullptr ? t : "/tmp";
}

nlohmann::json ReadJson(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return nlohmann::json::parse(ss.str(), nullptr, false);
}

class Origins : public MemoryOrigins {
 public:
  std::vector<MmapSite> LiveMmapSites(
      const std::vector<SmapsEntry>& smaps) override {
    EXPECT_FALSE(smaps.empty());  // this process's own smaps
    MmapSite s;
    s.kind = "anon";
    s.mappings = 1;
    s.bytes = 4096;
    s.native_frames = {"Java_Foo_mapAnon"};
    return {s};
  }
  std::map<int64_t, std::vector<std::string>> ThreadStarts(
      const std::vector<int64_t>& tids) override {
    std::map<int64_t, std::vector<std::string>> out;
    for (int64_t tid : tids) out[tid] = {"com.example.Main.main(Main.java:3)"};
    return out;
  }
};

// This test process is a native program: its own map, written as the
// agent writes it in native mode.
TEST(RecordMemoryTest, WritesTheProcessMapAtomically) {
  // A file mapping that must show under its path, 64 KiB resident.
  const std::string data = TempDir() + "/seg-7.idx";
  {
    std::ofstream f(data);
    f << std::string(64 << 10, 'x');
  }
  FILE* f = std::fopen(data.c_str(), "r");
  ASSERT_NE(f, nullptr);
  void* map = mmap(nullptr, 64 << 10, PROT_READ, MAP_SHARED, fileno(f), 0);
  ASSERT_NE(map, MAP_FAILED);
  volatile char sum = 0;
  for (int i = 0; i < (64 << 10); i += 4096) sum += static_cast<char*>(map)[i];
  // A second thread, named, for the thread list.
  std::thread worker([] { usleep(300000); });
  pthread_setname_np(worker.native_handle(), "seg-worker");

  JemallocStats none;  // -1s: not jemalloc, so glibc's figures
  Origins origins;
  ProcStats totals;
  absl::StatusOr<std::string> name =
      RecordMemory(TempDir(), 5, MemoryFacts(), none, {{"Thread", 4096}},
                   &origins, 0, 0, &totals);
  worker.join();
  ASSERT_TRUE(name.ok()) << name.status();
  EXPECT_EQ(*name, "memory-5.json");
  nlohmann::json j = ReadJson(TempDir() + "/memory-5.json");
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["format"], "jleak-memory 1");
  EXPECT_EQ(j["seq"], 5);
  EXPECT_EQ(j["pid"], getpid());
  EXPECT_GT(j["cost_ns"].get<int64_t>(), 0);
  EXPECT_GT(j["cost_cpu_ns"].get<int64_t>(), 0);
  int64_t sum_classes = 0;
  for (auto& [k, v] : j["classes"].items()) {
    if (v.get<int64_t>() > 0) sum_classes += v.get<int64_t>();
  }
  EXPECT_EQ(sum_classes, j["rss_bytes"].get<int64_t>());
  EXPECT_EQ(j["classes"]["java_heap"], -1);
  // The timeline's figures from the same read.
  EXPECT_EQ(totals.rss_bytes, j["rss_bytes"].get<int64_t>());
  EXPECT_GT(totals.anon_rss_bytes, 0);
  EXPECT_LT(totals.anon_rss_bytes, totals.rss_bytes);
  EXPECT_EQ(totals.os_threads, j["os_threads"].get<int64_t>());
  EXPECT_EQ(totals.rss_source, "smaps");
  bool found = false;
  for (const auto& file : j["files"]) {
    if (file["path"] == data) {
      found = true;
      EXPECT_EQ(file["rss_bytes"], 64 << 10);
      EXPECT_EQ(file["mappings"], 1);
    }
  }
  EXPECT_TRUE(found) << j["files"].dump();
  EXPECT_GE(j["os_threads"].get<int>(), 2);
  bool named = false;
  for (const auto& t : j["threads"]) {
    if (t["name"] == "seg-worker") {
      named = true;
      EXPECT_FALSE(t["java"].get<bool>());
      EXPECT_EQ(t["started_from"][0], "com.example.Main.main(Main.java:3)");
    }
  }
  EXPECT_TRUE(named) << j["threads"].dump();
  EXPECT_EQ(j["allocator"]["name"], "glibc");
  EXPECT_GT(j["allocator"]["in_use"].get<int64_t>(), 0);
  EXPECT_GE(j["allocator"]["arenas"].get<int64_t>(), 1);
  EXPECT_EQ(j["mmap_sites"][0]["native_frames"][0], "Java_Foo_mapAnon");
  EXPECT_EQ(j["nmt"]["Thread"], 4096);
  EXPECT_FALSE(j.contains("class_loaders"));
  // No temporary file is left behind.
  EXPECT_NE(access((TempDir() + "/memory-5.json.tmp").c_str(), F_OK), 0);
  munmap(map, 64 << 10);
  std::fclose(f);
}

TEST(RecordMemoryTest, JemallocFiguresWhenKnown) {
  JemallocStats je;
  je.allocated = 100;
  je.active = 200;
  je.resident = 300;
  je.mapped = 400;
  je.retained = 500;
  absl::StatusOr<std::string> name =
      RecordMemory(TempDir(), 6, MemoryFacts(), je, {}, nullptr, 0, 0);
  ASSERT_TRUE(name.ok()) << name.status();
  nlohmann::json j = ReadJson(TempDir() + "/" + *name);
  EXPECT_EQ(j["allocator"]["name"], "jemalloc");
  EXPECT_EQ(j["allocator"]["retained"], 500);
  EXPECT_FALSE(j.contains("nmt"));
  EXPECT_EQ(j["threads"][0]["started_from"].size(), 0u);
}

TEST(RecordMemoryTest, UnwritableDirectoryIsAnErrorNamingTheFile) {
  absl::StatusOr<std::string> name = RecordMemory(
      "/nonexistent-dir", 1, MemoryFacts(), JemallocStats(), {}, nullptr, 0, 0);
  ASSERT_FALSE(name.ok());
  EXPECT_NE(name.status().message().find("/nonexistent-dir/memory-1.json"),
            std::string::npos)
      << name.status();
}

TEST(ParseMallocInfoArenasTest, CountsHeaps) {
  EXPECT_EQ(ParseMallocInfoArenas("<malloc version=\"1\">\n<heap nr=\"0\">"
                                  "</heap>\n<heap nr=\"1\"></heap>"),
            2);
  EXPECT_EQ(ParseMallocInfoArenas("<malloc/>"), -1);
}

}  // namespace
}  // namespace jleak::agent
