#include "profile/memory_map.h"

#include <string>

#include "gtest/gtest.h"
#include "harness/io/file_io.h"
#include "nlohmann/json.hpp"
#include "profile/memory_record.h"

namespace jleak {
namespace {

constexpr int64_t kKiB = 1024;

int64_t Class(const MemoryMap& m, MemoryClass c) {
  return m.classes[static_cast<int>(c)];
}

int64_t Sum(const MemoryMap& m) {
  int64_t sum = 0;
  for (int64_t v : m.classes) sum += v < 0 ? 0 : v;
  return sum;
}

std::vector<SmapsEntry> Load(const std::string& name) {
  absl::StatusOr<std::string> text =
      ReadFileToString("testdata/memory/" + name);
  EXPECT_TRUE(text.ok()) << text.status();
  absl::StatusOr<std::vector<SmapsEntry>> entries =
      ParseSmaps(text.value_or(""), name);
  EXPECT_TRUE(entries.ok()) << entries.status();
  return entries.value_or(std::vector<SmapsEntry>());
}

// What the agent knew of the JVM whose smaps is testdata/memory/jvm17.smaps
// (from its -Xlog:gc+metaspace and vmStructs): heap, code cache, the end of
// the CDS archive where the class space reservation starts.
ClassifyHints JvmHints() {
  ClassifyHints h;
  h.jvm = true;
  h.heap_known = true;
  h.code_cache_known = true;
  h.ranges.push_back({0xf0000000, 0x100000000, MemoryClass::kJavaHeap});
  h.ranges.push_back({0x7fd941400000, 0x7fd950400000, MemoryClass::kCodeCache});
  // Two Java threads' stacks ([guard 16K][rw 1008K]).
  h.ranges.push_back(
      {0x7fd940c00000, 0x7fd940d00000, MemoryClass::kThreadStacks});
  h.ranges.push_back(
      {0x7fd940d00000, 0x7fd940e00000, MemoryClass::kThreadStacks});
  h.class_space_start = 0x7fd8ebbc7000;
  // A Method* in the metaspace node at 0x7fd8e7000000.
  h.class_metadata_addresses.push_back(0x7fd8e7010000);
  return h;
}

TEST(ParseSmapsTest, RealJvmParses) {
  std::vector<SmapsEntry> e = Load("jvm17.smaps");
  ASSERT_EQ(e.size(), 209u);
  EXPECT_EQ(e[0].start, 0xf0000000u);
  EXPECT_EQ(e[0].rss_bytes, 564 * kKiB);
  EXPECT_FALSE(e[0].noreserve);
  int64_t rss = 0;
  for (const SmapsEntry& m : e) rss += m.rss_bytes;
  // The JVM's smaps_rollup said Rss: 47244 kB when the file was taken.
  EXPECT_EQ(rss, 47244 * kKiB);
}

TEST(ParseSmapsTest, FlagsDeletedAndAnonNames) {
  const std::string text =
      "7f0000000000-7f0000001000 rw-p 00000000 00:00 0 \n"
      "Rss:                   4 kB\n"
      "VmFlags: rd wr mr mw me nr \n"
      "7f0000001000-7f0000003000 rw-s 00000000 00:05 77   /tmp/x 1.idx "
      "(deleted)\n"
      "Size:                  8 kB\n"
      "Rss:                   8 kB\n"
      "THPeligible:    0\n"
      "VmFlags: rd wr sh nh\n"
      "7f0000003000-7f0000004000 rw-p 00000000 00:00 0   [anon:buffers]\n"
      "Rss:                   4 kB\n";
  absl::StatusOr<std::vector<SmapsEntry>> e = ParseSmaps(text, "t");
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_EQ(e->size(), 3u);
  EXPECT_TRUE((*e)[0].noreserve);
  EXPECT_EQ((*e)[1].path, "/tmp/x 1.idx");
  EXPECT_TRUE((*e)[1].deleted);
  EXPECT_TRUE((*e)[1].no_huge);
  EXPECT_TRUE((*e)[2].is_anonymous());
}

TEST(ParseSmapsTest, HostileInputIsAnErrorNamingTheLine) {
  struct Case {
    std::string text;
    std::string error;
  } cases[] = {
      {"Rss: 4 kB\n", "t:1: field before the first mapping"},
      {"7f00-7f01 rw-p 0 00:00 0\nRss: x kB\n", "t:2: bad Rss value"},
      {"7f00-7f01 rw-p 0 00:00 0\nRss: 8 kB\n", "t:2: Rss larger than"},
      {"7f00-7f01 rw-p 0 00:00 0\nnonsense\n", "t:2: expected 'Field"},
      {"7f00-7f10 rw-p 0 00:00 0\n7f08-7f20 rw-p 0 00:00 0\n",
       "t:2: mappings out of order"},
      {"zz-7f01 rw-p 0 00:00 0\n", "t:1: field before"},
      {"7f01-7f00 rw-p 0 00:00 0\n", "t:1: expected '<start>-<end>'"},
      {"7f00-7f01 rw-p 0 00:00 0\nRss: -4 kB\n", "t:2: bad Rss value"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::vector<SmapsEntry>> e = ParseSmaps(c.text, "t");
    ASSERT_FALSE(e.ok()) << c.text;
    EXPECT_NE(e.status().message().find(c.error), std::string::npos)
        << e.status().message() << " for " << c.text;
  }
  EXPECT_FALSE(
      ParseSmaps("7f00-7f01 rw-p 0 00:00 0 /" + std::string(5000, 'a'), "t")
          .ok());
}

TEST(ClassifyTest, RealJvmClassesAddUp) {
  std::vector<SmapsEntry> e = Load("jvm17.smaps");
  MemoryMap m = ClassifyMappings(e, JvmHints());
  EXPECT_EQ(m.rss_bytes, 47244 * kKiB);
  EXPECT_EQ(m.mappings, 209);
  EXPECT_EQ(Sum(m), m.rss_bytes);
  // The heap range holds 1512 kB resident, CDS archived heap included.
  EXPECT_EQ(Class(m, MemoryClass::kJavaHeap), 1512 * kKiB);
  EXPECT_EQ(Class(m, MemoryClass::kCodeCache), 724 * kKiB);
  // The CDS archive (11932 kB), the class space's committed 24 + 40 kB,
  // and the hinted node's committed base.
  // and the hinted 64 MiB node at 0x7fd8e7000000: its committed 48 kB at
  // 0x7fd8e7400000 and its base, the top 512 of 4612 KiB of a mapping the
  // kernel merged with what lies below (508 of its 4576 kB by share).
  EXPECT_EQ(Class(m, MemoryClass::kClassMetadata),
            (11932 + 24 + 40 + 48) * kKiB + 4576 * kKiB * 512 / 4612);
  // The mapped file is the only file_mapped besides hsperfdata.
  ASSERT_GE(m.files.size(), 1u);
  EXPECT_EQ(m.files[0].path, "/tmp/h20m/seg-1.idx");
  EXPECT_EQ(m.files[0].rss_bytes, 1024 * kKiB);
  EXPECT_EQ(m.files[0].mappings, 1);
  for (const MappedFile& f : m.files) {
    EXPECT_EQ(f.path.find(".so"), std::string::npos) << f.path;
  }
  // glibc arenas (nr) and [heap] are malloc.
  EXPECT_GE(Class(m, MemoryClass::kMalloc), 1720 * kKiB);
  EXPECT_GT(Class(m, MemoryClass::kThreadStacks), 0);
  EXPECT_GT(Class(m, MemoryClass::kCodeAndLibraries), 10000 * kKiB);
  // The two hinted stacks' resident bytes (8 kB each).
  ASSERT_EQ(m.range_rss.size(), 4u);
  EXPECT_EQ(m.range_rss[2], 8 * kKiB);
  EXPECT_EQ(m.range_rss[3], 8 * kKiB);
}

TEST(ClassifyTest, WithoutHintsTheJvmClassesAreUnknown) {
  std::vector<SmapsEntry> e = Load("jvm17.smaps");
  MemoryMap m = ClassifyMappings(e, ClassifyHints());
  EXPECT_EQ(Class(m, MemoryClass::kJavaHeap), -1);
  EXPECT_EQ(Class(m, MemoryClass::kCodeCache), -1);
  EXPECT_EQ(Class(m, MemoryClass::kClassMetadata), -1);
  EXPECT_EQ(Sum(m), m.rss_bytes);
  // classes.jsa outside a JVM is just a mapped file.
  bool jsa = false;
  for (const MappedFile& f : m.files)
    jsa |= f.path.find("classes.jsa") != std::string::npos;
  EXPECT_TRUE(jsa);
}

TEST(ClassifyTest, NativeProgram) {
  std::vector<SmapsEntry> e = Load("native_sleep.smaps");
  ASSERT_FALSE(e.empty());
  MemoryMap m = ClassifyMappings(e, ClassifyHints());
  EXPECT_EQ(Sum(m), m.rss_bytes);
  EXPECT_GT(Class(m, MemoryClass::kCodeAndLibraries), 0);
  EXPECT_GT(Class(m, MemoryClass::kThreadStacks), 0);  // [stack]
  EXPECT_EQ(Class(m, MemoryClass::kFileMapped), 0);    // only code
  EXPECT_TRUE(m.files.empty());
}

TEST(ClassifyTest, RangeSplitsAMappingByBytes) {
  // One 16 KiB anonymous mapping, 8 KiB resident; a heap range covers its
  // upper half: half its Rss is heap, the rest by shape (anon_other).
  std::vector<SmapsEntry> e(1);
  e[0].start = 0x10000;
  e[0].limit = 0x14000;
  e[0].perms = "rw-p";
  e[0].rss_bytes = 8 * kKiB;
  ClassifyHints h;
  h.jvm = true;
  h.heap_known = true;
  h.ranges.push_back({0x12000, 0x20000, MemoryClass::kJavaHeap});
  h.ranges.push_back({0x11000, 0x13000, MemoryClass::kThreadStacks});
  MemoryMap m = ClassifyMappings(e, h);
  EXPECT_EQ(Class(m, MemoryClass::kJavaHeap), 4 * kKiB);
  // The second range only keeps what the first did not cover.
  EXPECT_EQ(Class(m, MemoryClass::kThreadStacks), 2 * kKiB);
  EXPECT_EQ(Class(m, MemoryClass::kAnonOther), 2 * kKiB);
  EXPECT_EQ(m.range_rss[0], 4 * kKiB);
  EXPECT_EQ(m.range_rss[1], 2 * kKiB);
}

TEST(ClassifyTest, ShapesWithoutHints) {
  const std::string text =
      // glibc guard + stack
      "7f0000000000-7f0000001000 ---p 00000000 00:00 0 \n"
      "Rss: 0 kB\n"
      "7f0000001000-7f0000101000 rw-p 00000000 00:00 0 \n"
      "Rss: 12 kB\n"
      "VmFlags: rd wr mr mw me ac\n"
      // a jemalloc extent
      "7f0000200000-7f0000400000 rw-p 00000000 00:00 0 \n"
      "Rss: 100 kB\n"
      "VmFlags: rd wr mr mw me nr\n"
      // a big reservation's committed part: not a stack (guard too big)
      "7f0000400000-7f0000500000 ---p 00000000 00:00 0 \n"
      "Rss: 0 kB\n"
      "7f0000500000-7f0000600000 rw-p 00000000 00:00 0 \n"
      "Rss: 40 kB\n"
      "7f0001000000-7f0001100000 r--p 00000000 08:01 9 /data/seg-2.idx\n"
      "Rss: 16 kB\n"
      "7f0001100000-7f0001200000 r--p 00100000 08:01 9 /data/seg-2.idx\n"
      "Rss: 4 kB\n"
      "7f0002000000-7f0002001000 r--p 00000000 08:01 10 /lib/libfoo.so.1\n"
      "Rss: 4 kB\n"
      "7f0002001000-7f0002002000 r-xp 00001000 08:01 10 /lib/libfoo.so.1\n"
      "Rss: 4 kB\n"
      "7f0003000000-7f0003001000 r--p 00000000 08:01 11 /opt/bin/app\n"
      "Rss: 4 kB\n"
      "7f0003001000-7f0003002000 r-xp 00001000 08:01 11 /opt/bin/app\n"
      "Rss: 4 kB\n";
  absl::StatusOr<std::vector<SmapsEntry>> e = ParseSmaps(text, "t");
  ASSERT_TRUE(e.ok()) << e.status();
  MemoryMap m = ClassifyMappings(*e, ClassifyHints());
  EXPECT_EQ(Class(m, MemoryClass::kThreadStacks), 12 * kKiB);
  EXPECT_EQ(Class(m, MemoryClass::kMalloc), 100 * kKiB);
  EXPECT_EQ(Class(m, MemoryClass::kAnonOther), 40 * kKiB);
  EXPECT_EQ(Class(m, MemoryClass::kFileMapped), 20 * kKiB);
  EXPECT_EQ(Class(m, MemoryClass::kCodeAndLibraries), 16 * kKiB);
  ASSERT_EQ(m.files.size(), 1u);
  EXPECT_EQ(m.files[0].path, "/data/seg-2.idx");
  EXPECT_EQ(m.files[0].mappings, 2);
  EXPECT_EQ(m.files[0].size_bytes, 2 << 20);
}

TEST(ClassifyTest, GlibcMmappedBlocksCountAsMalloc) {
  MemoryMap map;
  map.classes.fill(0);
  const int malloc = static_cast<int>(MemoryClass::kMalloc);
  const int anon = static_cast<int>(MemoryClass::kAnonOther);
  map.classes[malloc] = 100;
  map.classes[anon] = 1000;
  CountAllocatorMmaps(300, map);
  EXPECT_EQ(map.classes[malloc], 400);
  EXPECT_EQ(map.classes[anon], 700);
  // Never more than anon_other holds (the block may not be resident).
  CountAllocatorMmaps(5000, map);
  EXPECT_EQ(map.classes[malloc], 1100);
  EXPECT_EQ(map.classes[anon], 0);
  CountAllocatorMmaps(-1, map);
  EXPECT_EQ(map.classes[malloc], 1100);
}

TEST(MemoryRecordTest, JsonHasTheContractsKeys) {
  MemoryRecord r;
  r.seq = 3;
  r.pid = 4711;
  r.jvm = true;
  r.map = ClassifyMappings(Load("jvm17.smaps"), JvmHints());
  MemoryThread t;
  t.tid = 12;
  t.name = std::string(5000, 'x');
  t.java = true;
  t.state = "WAITING";
  t.parked_in = {"java.lang.Object.wait(Object.java:-2)"};
  r.threads.push_back(t);
  r.class_loaders.push_back({"java.net.URLClassLoader", 40, 400});
  r.allocator = AllocatorFigures{"glibc", {{"arenas", 2}, {"in_use", 5}}};
  r.nmt["Thread"] = 1024;
  nlohmann::json j = nlohmann::json::parse(FormatMemoryJson(r));
  EXPECT_EQ(j["format"], "jleak-memory 1");
  EXPECT_EQ(j["seq"], 3);
  EXPECT_EQ(j["rss_bytes"], 47244 * kKiB);
  int64_t sum = 0;
  for (auto& [k, v] : j["classes"].items()) sum += v.get<int64_t>();
  EXPECT_EQ(sum, 47244 * kKiB);
  EXPECT_EQ(j["classes"].size(), 8u);
  EXPECT_EQ(j["files"][0]["path"], "/tmp/h20m/seg-1.idx");
  EXPECT_EQ(j["threads"][0]["name"].get<std::string>().size(),
            kMaxMemoryStringBytes);
  EXPECT_EQ(j["threads"][0]["started_from"].size(), 0u);
  EXPECT_EQ(j["class_loaders"][0]["loaders"], 40);
  EXPECT_EQ(j["allocator"]["name"], "glibc");
  EXPECT_EQ(j["allocator"]["arenas"], 2);
  EXPECT_EQ(j["nmt"]["Thread"], 1024);
  EXPECT_TRUE(j["mmap_sites"].is_array());
  // Outside a JVM there are no class loaders.
  r.jvm = false;
  EXPECT_FALSE(
      nlohmann::json::parse(FormatMemoryJson(r)).contains("class_loaders"));
}

}  // namespace
}  // namespace jleak
