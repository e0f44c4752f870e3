// File: memory_map_test.cc
//
// The memory-SEQ.json reader: a file of testdata/memory read whole, every
// field; wrong types as absent; and each bad file an error that names the
// file and what was wrong (limits, format, JSON).

#include "harness/analyze/memory_map.h"

#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jleak {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string ReadTestFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Error(absl::string_view text) {
  absl::StatusOr<MemorySnapshot> m =
      ParseMemorySnapshot(text, "run/memory-3.json");
  EXPECT_FALSE(m.ok());
  const std::string message(m.status().message());
  EXPECT_THAT(message, StartsWith("run/memory-3.json: "));
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  return message;
}

TEST(ParseMemorySnapshotTest, ReadsAHandWrittenSeriesFile) {
  const std::string path = "testdata/memory/mapped_file/memory-5.json";
  absl::StatusOr<MemorySnapshot> m =
      ParseMemorySnapshot(ReadTestFile(path), path);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->seq, 5);
  EXPECT_EQ(m->classes.size(), 8u);
  // 10 + 2 * t segments at t = 10 s, and the JDK's modules file.
  EXPECT_EQ(m->files.size(), 31u);
  EXPECT_EQ(m->files[1].path, "/var/lib/app/index/segments-1.idx");
  EXPECT_EQ(*m->files[1].rss_bytes, 2 << 20);
  ASSERT_EQ(m->mmap_sites.size(), 1u);
  EXPECT_EQ(m->mmap_sites[0].kind, "file");
  EXPECT_EQ(m->mmap_sites[0].java_frames[1],
            "com.example.Index.open (Index.java:33)");
  ASSERT_TRUE(m->allocator.has_value());
  EXPECT_EQ(m->allocator->name, "jemalloc");
  EXPECT_EQ(m->allocator->figures.count("allocated"), 1u);
  EXPECT_EQ(m->class_loaders.size(), 2u);
  EXPECT_EQ(m->threads.size(), 4u);
  EXPECT_EQ(m->threads[0].name, "main");
  EXPECT_EQ(*m->os_threads, 18);
  EXPECT_EQ(m->nmt.count("Thread"), 1u);
}

TEST(ParseMemorySnapshotTest, EveryFieldOfAThread) {
  absl::StatusOr<MemorySnapshot> m = ParseMemorySnapshot(
      R"json({"format":"jleak-memory 1","seq":3,"rss_bytes":100,
          "classes":{"java_heap":10,"code_cache":-1,"malloc":"x"},
          "threads":[{"tid":7,"name":"pool-1-thread-2","java":true,
            "daemon":true,"state":"WAITING","stack_bytes":-1,
            "parked_in":["a.B.c (B.java:1)",5],"started_from":["d.E.f"]}],
          "allocator":{"name":"glibc","arenas":2,"in_use":50,"free":"?"}})json",
      "m.json");
  ASSERT_TRUE(m.ok()) << m.status();
  // -1 and wrong types: absent.
  EXPECT_EQ(m->classes.size(), 1u);
  EXPECT_EQ(m->classes.at("java_heap"), 10);
  ASSERT_EQ(m->threads.size(), 1u);
  const MemoryThread& t = m->threads[0];
  EXPECT_EQ(t.tid, 7);
  EXPECT_TRUE(t.java);
  EXPECT_TRUE(t.daemon);
  EXPECT_EQ(t.state, "WAITING");
  EXPECT_FALSE(t.stack_bytes.has_value());
  EXPECT_EQ(t.parked_in, std::vector<std::string>{"a.B.c (B.java:1)"});
  EXPECT_EQ(t.started_from, std::vector<std::string>{"d.E.f"});
  EXPECT_EQ(m->allocator->name, "glibc");
  EXPECT_EQ(m->allocator->figures.size(), 2u);
  EXPECT_FALSE(m->os_threads.has_value());
}

TEST(ParseMemorySnapshotTest, WrongTypesReadAsAbsentNeverThrow) {
  absl::StatusOr<MemorySnapshot> m = ParseMemorySnapshot(
      R"json({"format":"jleak-memory 1","seq":"3","rss_bytes":null,
          "classes":[1,2],"files":[{"mappings":3},7,{"path":"/x","rss_bytes":-5}],
          "threads":{"a":1},"class_loaders":[{"type":3},{"type":"L","loaders":"x"}],
          "allocator":{"name":5},"mmap_sites":[{"kind":"heap"},{"kind":"anon"}],
          "nmt":{"Thread":-5,"Class":true}})json",
      "m.json");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->seq, -1);
  EXPECT_FALSE(m->rss_bytes.has_value());
  EXPECT_TRUE(m->classes.empty());
  ASSERT_EQ(m->files.size(), 1u);  // the ones without a path skipped
  EXPECT_FALSE(m->files[0].rss_bytes.has_value());
  EXPECT_TRUE(m->threads.empty());
  ASSERT_EQ(m->class_loaders.size(), 1u);
  EXPECT_EQ(m->class_loaders[0].loaders, 0);
  EXPECT_FALSE(m->allocator.has_value());
  ASSERT_EQ(m->mmap_sites.size(), 1u);
  EXPECT_EQ(m->mmap_sites[0].kind, "anon");
  EXPECT_TRUE(m->nmt.empty());
}

TEST(ParseMemorySnapshotTest, BadFilesAreErrorsNamingFileAndProblem) {
  EXPECT_THAT(Error(""), HasSubstr("not valid JSON"));
  EXPECT_THAT(Error("{\"format\":"), HasSubstr("not valid JSON"));
  EXPECT_THAT(Error("[1,2]"), HasSubstr("not a JSON object"));
  EXPECT_THAT(Error("{}"), HasSubstr("format missing, not 'jleak-memory 1'"));
  EXPECT_THAT(Error(R"json({"format":"jleak-memory 2"})json"),
              HasSubstr("format 'jleak-memory 2', not 'jleak-memory 1'"));
  EXPECT_THAT(Error(std::string(100, '[') + std::string(100, ']')),
              HasSubstr("nested deeper than 64 levels"));
}

TEST(ParseMemorySnapshotTest, LimitsAreErrorsNamingWhere) {
  // A string over 4096 bytes, located.
  EXPECT_THAT(
      Error(absl::StrCat(
          R"json({"format":"jleak-memory 1","threads":[{},{"name":")json",
          std::string(4097, 'x'), "\"}]}")),
      HasSubstr("threads[1].name: a string of 4097 bytes, over the "
                "4096-byte limit"));
  // Exactly at the limit is fine.
  EXPECT_TRUE(
      ParseMemorySnapshot(
          absl::StrCat(
              R"json({"format":"jleak-memory 1","files":[{"path":")json",
              std::string(4096, 'x'), "\"}]}"),
          "m.json")
          .ok());
  // An array over 100,000 entries.
  std::string many = R"json({"format":"jleak-memory 1","files":[)json";
  for (int i = 0; i <= 100000; ++i) absl::StrAppend(&many, i ? ",0" : "0");
  many += "]}";
  EXPECT_THAT(Error(many),
              HasSubstr("files: 100001 entries, over the 100000 limit"));
  // A long key, and a key with a newline quoted, not echoed raw.
  EXPECT_THAT(
      Error(absl::StrCat(R"json({"format":"jleak-memory 1","nmt":{")json",
                         std::string(5000, 'k'), "\":1}}")),
      HasSubstr("nmt: a key of 5000 bytes"));
  EXPECT_THAT(
      Error(absl::StrCat(R"json({"format":"jleak-memory 1","a\nb":{"c":")json",
                         std::string(4097, 'x'), "\"}}")),
      HasSubstr("'a\\x0ab'.c: a string of 4097 bytes"));
  // More than 64 MiB of text, refused before parsing.
  const std::string huge(kMaxMemoryFileBytes + 1, ' ');
  EXPECT_THAT(Error(huge), HasSubstr("67108865 bytes, over the 67108864-byte "
                                     "limit of a memory file"));
}

}  // namespace
}  // namespace jleak
