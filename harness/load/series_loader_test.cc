// File: series_loader_test.cc
//
// Finding, ordering, timing and reading series: directories of .heap
// files, run directories, hostile ones, and the threaded reader.

#include "harness/load/series_loader.h"

#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/analyze/memory_fold.h"
#include "harness/run/manifest.h"

namespace jleak {
namespace {

using ::testing::HasSubstr;

const char kSmoke[] = "testdata/profiles/smoke/";

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string NewDir(const std::string& name) {
  const char* t = std::getenv("TEST_TMPDIR");
  const std::string dir = std::string(t ? t : "/tmp") + "/" + name;
  mkdir(dir.c_str(), 0755);
  return dir;
}

void Copy(const std::string& from, const std::string& to, time_t mtime) {
  std::ofstream(to) << Read(from);
  struct utimbuf times = {mtime, mtime};
  utime(to.c_str(), &times);
}

const char* kFiles[] = {"jeprof.18581.0.i0.heap", "jeprof.18581.1.i1.heap",
                        "jeprof.18581.2.i2.heap", "jeprof.18581.3.f.heap"};

TEST(ParseSnapshotNameTest, JemallocAndAgentNames) {
  SnapshotName n = *ParseSnapshotName("jeprof.18581.12.i11.heap");
  EXPECT_EQ(n.pid, 18581);
  EXPECT_EQ(n.seq, 12);
  n = *ParseSnapshotName("/x/my.prefix.7.0.f.heap");
  EXPECT_EQ(n.pid, 7);
  EXPECT_EQ(n.seq, 0);
  n = *ParseSnapshotName("snapshot-3.heap");
  EXPECT_FALSE(n.pid.has_value());
  EXPECT_EQ(n.seq, 3);
  EXPECT_FALSE(ParseSnapshotName("x.heap")->seq.has_value());
  // What the regex of old did not match gives no numbers either.
  for (const char* other :
       {"18581.12.i11.heap", "a.1.2.x3.heap", "a.1.2.i3x.heap", "a.1.2.i.hea",
        "snapshot-.heap", "snapshot-1x.heap", "a.-1.2.i0.heap"}) {
    absl::StatusOr<SnapshotName> o = ParseSnapshotName(other);
    ASSERT_TRUE(o.ok()) << other;
    EXPECT_FALSE(o->seq.has_value()) << other;
  }
  n = *ParseSnapshotName(".5.6.m.heap");
  EXPECT_EQ(n.pid, 5);
}

TEST(ParseSnapshotNameTest, NumbersOutOfRangeAreErrorsNotExceptions) {
  absl::StatusOr<SnapshotName> n =
      ParseSnapshotName("jeprof.99999999999999999999999.0.i0.heap");
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().message(),
            "'jeprof.99999999999999999999999.0.i0.heap': the process id in "
            "the file name (99999999999999999999999) is out of range");
  n = ParseSnapshotName("snapshot-" + std::string(5000, '9') + ".heap");
  ASSERT_FALSE(n.ok());
  EXPECT_THAT(std::string(n.status().message()),
              HasSubstr("the sequence number in the file name (5000 digits)"));
  EXPECT_EQ(ParseSnapshotName("snapshot-9223372036854775807.heap")->seq,
            9223372036854775807);
}

TEST(LoadSeriesTest, DirectoryWithMtimesUsesThem) {
  const std::string dir = NewDir("mtimes");
  for (int i = 0; i < 4; ++i) {
    Copy(std::string(kSmoke) + kFiles[i], dir + "/" + kFiles[i], 1000 + 10 * i);
  }
  absl::StatusOr<LoadedSeries> s = LoadSeries({dir});
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->time_source, TimeSource::kMtime);
  ASSERT_EQ(s->snapshots.size(), 4u);
  EXPECT_EQ(s->snapshots[3].time_seconds, 30);
  EXPECT_EQ(s->snapshots[3].seq, 3);
  EXPECT_FALSE(s->snapshots[0].profile.stacks.empty());
}

TEST(LoadSeriesTest, LostMtimesFallBackToSequenceNumbers) {
  const std::string dir = NewDir("lost");
  for (int i = 3; i >= 0; --i) {  // copied in reverse: mtimes mislead
    Copy(std::string(kSmoke) + kFiles[i], dir + "/" + kFiles[i], 5000 - i);
  }
  absl::StatusOr<LoadedSeries> s = LoadSeries({dir});
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->time_source, TimeSource::kSequence);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(s->snapshots[i].seq, i);
    EXPECT_EQ(s->snapshots[i].time_seconds, i);
  }
}

TEST(LoadSeriesTest, SeveralProcessesKeepsTheLargest) {
  const std::string dir = NewDir("pids");
  for (int i = 0; i < 4; ++i) {
    Copy(std::string(kSmoke) + kFiles[i], dir + "/" + kFiles[i], 100 + i);
  }
  Copy(std::string(kSmoke) + kFiles[0], dir + "/jeprof.99.0.i0.heap", 50);
  absl::StatusOr<LoadedSeries> s = LoadSeries({dir});
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->snapshots.size(), 4u);
  EXPECT_THAT(s->warnings.front(), HasSubstr("analyzing pid 18581"));
}

TEST(LoadSeriesTest, RunDirectoryUsesTimelineAndPerfMap) {
  const std::string dir = NewDir("run");
  std::ofstream timeline(dir + "/timeline.jsonl");
  for (int i = 0; i < 4; ++i) {
    Copy(std::string(kSmoke) + kFiles[i],
         dir + "/snapshot-" + std::to_string(i) + ".heap", 1);
    timeline << "{\"seq\":" << i << ",\"file\":\"snapshot-" << i
             << ".heap\",\"dumped\":true,\"mono_ns\":"
             << (5 + 2 * i) * 1000000000LL << ",\"rss_bytes\":" << 100 + i
             << ",\"os_threads\":20,\"jemalloc\":{\"allocated\":-1},"
             << "\"java\":{\"nmt_committed\":{\"Thread\":" << 4096 * (i + 1)
             << ",\"Total\":1e9}}}\n";
  }
  timeline << "{\"seq\":4,\"file\":\"snapshot-4.heap\",\"dumped\":false,"
              "\"mono_ns\":13000000000,\"error\":\"disk full\"}\n";
  timeline.close();
  std::ofstream(dir + "/perf-4242.map") << "0x1000 0x10 X.y()\n";
  // The manifest as `jleak run` writes it, so that writer and reader
  // cannot drift apart.
  RunRecord record;
  record.settings.command = {"java", "-jar", "a.jar"};
  record.build_ids["/usr/lib/libz.so.1"] = "0a1b2c";
  std::ofstream(dir + "/manifest.json") << ManifestJson(record).dump();
  absl::StatusOr<LoadedSeries> s = LoadSeries({dir + "/"});
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->time_source, TimeSource::kTimeline);
  ASSERT_EQ(s->snapshots.size(), 4u);
  EXPECT_EQ(s->snapshots[2].time_seconds, 4);
  ASSERT_EQ(s->timeline.size(), 5u);
  EXPECT_EQ(*s->timeline[1].rss_bytes, 101);
  EXPECT_FALSE(s->timeline[1].jemalloc_allocated.has_value());  // -1
  EXPECT_EQ(s->timeline[4].time_seconds, 8);
  EXPECT_EQ(s->timeline[1].nmt_committed.at("Thread"), 8192);
  EXPECT_EQ(s->timeline[1].nmt_committed.at("Total"), 1e9);
  EXPECT_TRUE(s->timeline[4].nmt_committed.empty());
  EXPECT_EQ(s->perf_map_path, dir + "/perf-4242.map");
  EXPECT_EQ(s->command, "java -jar a.jar");
  EXPECT_EQ(s->build_ids.at("/usr/lib/libz.so.1"), "0a1b2c");
}

TEST(LoadSeriesTest, ClearErrors) {
  const std::string empty = NewDir("empty");
  absl::StatusOr<LoadedSeries> s = LoadSeries({empty});
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("no .heap files"));

  const std::string bad = NewDir("bad");
  std::ofstream(bad + "/jeprof.1.0.i0.heap") << "heap_v2/524288\n  t*: 1: 2";
  s = LoadSeries({bad});
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.status().message()),
              HasSubstr("jeprof.1.0.i0.heap"));

  const std::string run = NewDir("norun");
  std::ofstream(run + "/timeline.jsonl")
      << "{\"seq\":0,\"file\":\"snapshot-0.heap\",\"dumped\":false}\n";
  s = LoadSeries({run});
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("profiling on"));

  EXPECT_FALSE(LoadSeries({}).ok());
}

TEST(LoadSeriesTest, WrongTypesInTimelineAndManifestDoNotThrow) {
  // Valid JSON with values of the wrong type (a hand-edited or foreign
  // file) reads as absent values, never as an exception.
  const std::string dir = NewDir("types");
  Copy(std::string(kSmoke) + kFiles[0], dir + "/snapshot-0.heap", 1);
  Copy(std::string(kSmoke) + kFiles[1], dir + "/snapshot-1.heap", 2);
  std::ofstream(dir + "/timeline.jsonl")
      << "{\"seq\":0,\"file\":\"snapshot-0.heap\",\"dumped\":true,"
         "\"mono_ns\":1e9,\"java\":{\"nmt_committed\":{\"Thread\":\"x\"}}}\n"
         "{\"seq\":\"1\",\"file\":null,\"dumped\":1,\"mono_ns\":null,"
         "\"jemalloc\":[1],\"java\":7}\n";
  std::ofstream(dir + "/manifest.json")
      << "{\"settings\":\"none\",\"build_ids\":[1,2]}";
  absl::StatusOr<LoadedSeries> s;
  ASSERT_NO_THROW(s = LoadSeries({dir}));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->command, "");
  EXPECT_TRUE(s->build_ids.empty());
  ASSERT_GE(s->timeline.size(), 1u);
  EXPECT_TRUE(s->timeline[0].nmt_committed.empty());
}

}  // namespace
}  // namespace jleak

namespace jleak {
namespace {

// A run directory's own content decides nothing outside it and cannot make
// the reader block, allocate without bound or follow a link.
class HostileRunDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        NewDir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    for (int i = 0; i < 4; ++i) {
      Copy(std::string(kSmoke) + kFiles[i],
           dir_ + "/snapshot-" + std::to_string(i) + ".heap", 1);
    }
  }
  void WriteTimeline(const std::string& third_file) {
    std::ofstream t(dir_ + "/timeline.jsonl");
    for (int i = 0; i < 4; ++i) {
      t << "{\"seq\":" << i << ",\"file\":\""
        << (i == 2 ? third_file : "snapshot-" + std::to_string(i) + ".heap")
        << "\",\"dumped\":true,\"mono_ns\":" << i * 1000000000LL << "}\n";
    }
  }
  std::string Error() {
    absl::StatusOr<LoadedSeries> s = LoadSeries({dir_});
    EXPECT_FALSE(s.ok());
    return s.ok() ? "" : std::string(s.status().message());
  }
  std::string dir_;
};

TEST_F(HostileRunDirectoryTest, FifoNamedInTheTimelineIsAnError) {
  ASSERT_EQ(mkfifo((dir_ + "/fifo.heap").c_str(), 0600), 0);
  WriteTimeline("fifo.heap");
  EXPECT_EQ(Error(), dir_ + "/fifo.heap: is a FIFO, not a regular file");
}

TEST_F(HostileRunDirectoryTest, LinksAreNotFollowed) {
  const std::string secret = NewDir("outside") + "/secret";
  std::ofstream(secret) << "root:SECRET-CONTENT:0:0\n";
  ASSERT_EQ(symlink(secret.c_str(), (dir_ + "/link.heap").c_str()), 0);
  WriteTimeline("link.heap");
  const std::string e = Error();
  EXPECT_THAT(e, HasSubstr("link.heap: is a symbolic link"));
  EXPECT_THAT(e, ::testing::Not(HasSubstr("SECRET")));
}

TEST_F(HostileRunDirectoryTest, PathsInTheTimelineAreErrors) {
  for (const char* name : {"../secret", "/etc/passwd", "a/b.heap", "..", "."}) {
    WriteTimeline(name);
    EXPECT_THAT(Error(), HasSubstr("timeline.jsonl:3: snapshot file name '"))
        << name;
  }
}

TEST_F(HostileRunDirectoryTest, DeepManifestAndTimelineAreErrors) {
  WriteTimeline("snapshot-2.heap");
  std::ofstream(dir_ + "/manifest.json")
      << "{\"settings\":{\"command\":" << std::string(100000, '[')
      << std::string(100000, ']') << "}}";
  EXPECT_EQ(Error(), dir_ + "/manifest.json: nested deeper than 64 levels");
  unlink((dir_ + "/manifest.json").c_str());
  std::ofstream(dir_ + "/timeline.jsonl", std::ios::app)
      << "{\"a\":" << std::string(100000, '[') << std::string(100000, ']')
      << "}\n";
  EXPECT_EQ(Error(), dir_ +
                         "/timeline.jsonl:5: nested deeper than 64 levels "
                         "(timeline.jsonl)");
}

TEST_F(HostileRunDirectoryTest, HugeNumbersInTimesAndSequencesAreUnknown) {
  std::ofstream(dir_ + "/timeline.jsonl")
      << "{\"seq\":1e300,\"file\":\"snapshot-0.heap\",\"dumped\":true,"
         "\"mono_ns\":1e308,\"rss_bytes\":1e400}\n"
         "{\"seq\":-1e300,\"file\":\"snapshot-1.heap\",\"dumped\":true,"
         "\"mono_ns\":2}\n";
  absl::StatusOr<LoadedSeries> s = LoadSeries({dir_});
  if (s.ok()) {
    EXPECT_EQ(s->timeline[0].seq, -1);
  }
}

TEST_F(HostileRunDirectoryTest, OutOfRangeNameInADirectoryIsAnError) {
  Copy(std::string(kSmoke) + kFiles[0],
       dir_ + "/jeprof.99999999999999999999999.0.i0.heap", 1);
  EXPECT_THAT(Error(), HasSubstr("process id in the file name"));
}

TEST(FindPerfMapBesideTest, ByPidThenTheOnlyOne) {
  const std::string dir = NewDir("perfmaps");
  std::ofstream(dir + "/jeprof.7.0.i0.heap") << "x";
  EXPECT_EQ(FindPerfMapBeside(dir + "/jeprof.7.0.i0.heap"), "");
  std::ofstream(dir + "/perf-9.map") << "x";
  // A run directory's snapshot-N.heap carries no pid: the only map is it.
  EXPECT_EQ(FindPerfMapBeside(dir + "/snapshot-3.heap"), dir + "/perf-9.map");
  std::ofstream(dir + "/perf-7.map") << "x";
  EXPECT_EQ(FindPerfMapBeside(dir + "/jeprof.7.0.i0.heap"),
            dir + "/perf-7.map");
  EXPECT_EQ(FindPerfMapBeside(dir + "/snapshot-3.heap"), "");  // ambiguous
  // Only regular files: a FIFO or a link is never read as a map.
  const std::string fifo_dir = NewDir("perfmaps_fifo");
  ASSERT_EQ(mkfifo((fifo_dir + "/perf-7.map").c_str(), 0600), 0);
  EXPECT_EQ(FindPerfMapBeside(fifo_dir + "/jeprof.7.0.i0.heap"), "");
  ASSERT_EQ(symlink("/etc/passwd", (fifo_dir + "/java-frames.map").c_str()), 0);
  EXPECT_EQ(FindJavaFramesMapBeside(fifo_dir + "/x.heap"), "");
}

TEST(LoadCodeOriginsBesideTest, MissingIsNoMapPresentIsParsed) {
  const std::string dir = NewDir("classes_map");
  absl::StatusOr<CodeOrigins> none =
      LoadCodeOriginsBeside(dir + "/snapshot-0.heap");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_FALSE(none->has_map());
  std::ofstream(dir + "/java-classes.map")
      << "java-classes 1\nmain com.example.Main\n"
         "source 0 main file:/app/classes/\npackage 0 com.example\n";
  absl::StatusOr<CodeOrigins> map =
      LoadCodeOriginsBeside(dir + "/snapshot-0.heap");
  ASSERT_TRUE(map.ok()) << map.status();
  EXPECT_TRUE(map->has_map());
  EXPECT_EQ(map->SourceOf("com.example.Cache"), 0);
}

TEST(LoadCodeOriginsBesideTest, HostileMapsAreErrorsNamingTheFile) {
  const std::string dir = NewDir("classes_map_bad");
  std::ofstream(dir + "/java-classes.map")
      << "java-classes 1\nsource 7 main file:/x\n";
  absl::StatusOr<CodeOrigins> bad =
      LoadCodeOriginsBeside(dir + "/snapshot-0.heap");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()),
              HasSubstr(dir + "/java-classes.map:2"));
  // A link is not followed, a FIFO not read (no hang).
  const std::string links = NewDir("classes_map_link");
  ASSERT_EQ(symlink("/etc/passwd", (links + "/java-classes.map").c_str()), 0);
  EXPECT_FALSE(LoadCodeOriginsBeside(links + "/snapshot-0.heap").ok());
  const std::string fifo = NewDir("classes_map_fifo");
  ASSERT_EQ(mkfifo((fifo + "/java-classes.map").c_str(), 0600), 0);
  EXPECT_FALSE(LoadCodeOriginsBeside(fifo + "/snapshot-0.heap").ok());
}

TEST(LoadSeriesTest, ABadClassesMapIsAWarningNotAnError) {
  const std::string dir = NewDir("run_bad_classes_map");
  for (int i = 0; i < 4; ++i) {
    Copy(std::string(kSmoke) + kFiles[i],
         dir + "/snapshot-" + std::to_string(i) + ".heap", 10 + i);
  }
  std::ofstream(dir + "/java-classes.map") << "not a map\n";
  absl::StatusOr<LoadedSeries> s = LoadSeries({dir});
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_FALSE(s->code_origins.has_map());
  bool warned = false;
  for (const std::string& w : s->warnings) {
    warned = warned || (w.find("java-classes.map:1") != std::string::npos &&
                        w.find("--app rules alone") != std::string::npos);
  }
  EXPECT_TRUE(warned);
}

TEST(ReadSnapshotsTest, ParsesOnThreadsAndHandsOverInOrder) {
  const std::string dir = NewDir("threads");
  std::vector<SnapshotMeta> metas;
  for (int i = 0; i < 12; ++i) {
    const std::string path = dir + "/" + std::to_string(i) + ".heap";
    Copy(std::string(kSmoke) + kFiles[i % 4], path, 1000 + i);
    metas.push_back({path, i, static_cast<double>(i)});
  }
  std::vector<size_t> order;
  std::vector<size_t> stacks;
  absl::Status st = ReadSnapshots(metas, 3, [&](size_t i, HeapProfile& p) {
    order.push_back(i);
    stacks.push_back(p.stacks.size());
    return absl::OkStatus();
  });
  ASSERT_TRUE(st.ok()) << st;
  ASSERT_EQ(order.size(), 12u);
  for (size_t i = 0; i < 12; ++i) {
    EXPECT_EQ(order[i], i);
    // Parsed into reused profiles: the same file gives the same profile.
    EXPECT_EQ(stacks[i], stacks[i % 4]);
  }
}

TEST(ReadSnapshotsTest, TheFirstBadFileStopsItAndIsNamed) {
  const std::string dir = NewDir("bad");
  std::vector<SnapshotMeta> metas;
  for (int i = 0; i < 6; ++i) {
    const std::string path = dir + "/" + std::to_string(i) + ".heap";
    if (i == 3) {
      std::ofstream(path) << "not a profile\n";
    } else {
      Copy(std::string(kSmoke) + kFiles[0], path, 1000 + i);
    }
    metas.push_back({path, i, static_cast<double>(i)});
  }
  size_t consumed = 0;
  absl::Status st = ReadSnapshots(metas, 2, [&](size_t, HeapProfile&) {
    ++consumed;
    return absl::OkStatus();
  });
  EXPECT_FALSE(st.ok());
  EXPECT_THAT(std::string(st.message()), HasSubstr("/3.heap:1:"));
  EXPECT_EQ(consumed, 3u);
}

TEST(ReadSnapshotsTest, AParsedSnapshotIsHandedOverNotReadAgain) {
  const std::string dir = NewDir("parsed");
  std::vector<SnapshotMeta> metas;
  for (int i = 0; i < 5; ++i) {
    const std::string path = dir + "/" + std::to_string(i) + ".heap";
    Copy(std::string(kSmoke) + kFiles[0], path, 1000 + i);
    metas.push_back({path, i, static_cast<double>(i)});
  }
  absl::StatusOr<HeapProfile> last = ReadSnapshot(metas.back());
  ASSERT_TRUE(last.ok()) << last.status();
  const size_t stacks = last->stacks.size();
  // Gone from disk (as if rewritten since): only the parsed one can serve.
  ASSERT_EQ(unlink(metas.back().path.c_str()), 0);
  last->stacks.resize(1);  // and told apart from a fresh parse
  std::vector<size_t> seen;
  absl::Status st = ReadSnapshots(
      metas, 2,
      [&](size_t, HeapProfile& p) {
        seen.push_back(p.stacks.size());
        return absl::OkStatus();
      },
      nullptr, ParsedSnapshot{4, *std::move(last)});
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_EQ(seen, (std::vector<size_t>{stacks, stacks, stacks, stacks, 1}));
  EXPECT_THAT(std::string(ReadSnapshot(metas.back()).status().message()),
              HasSubstr("/4.heap"));
}

}  // namespace
}  // namespace jleak

namespace jleak {
namespace {

// The memory files a timeline names (memory-SEQ.json): read and grouped
// onto their points; missing ones a warning; bad ones, links and paths
// errors naming them.
class MemoryFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        NewDir(std::string("memory-") +
               ::testing::UnitTest::GetInstance()->current_test_info()->name());
    for (int i = 0; i < 4; ++i) {
      Copy(std::string(kSmoke) + kFiles[i],
           dir_ + "/snapshot-" + std::to_string(i) + ".heap", 1);
      std::ofstream(dir_ + "/memory-" + std::to_string(i) + ".json") << Read(
          "testdata/memory/thread_pool/memory-" + std::to_string(i) + ".json");
    }
  }
  void WriteTimeline(const std::string& third_memory_file) {
    std::ofstream t(dir_ + "/timeline.jsonl");
    for (int i = 0; i < 4; ++i) {
      t << "{\"seq\":" << i << ",\"file\":\"snapshot-" << i
        << ".heap\",\"memory_file\":\""
        << (i == 2 ? third_memory_file
                   : "memory-" + std::to_string(i) + ".json")
        << "\",\"dumped\":true,\"mono_ns\":" << i * 1000000000LL << "}\n";
    }
  }
  std::string dir_;
};

TEST_F(MemoryFilesTest, ReadAndGroupedOntoTheirPoints) {
  WriteTimeline("memory-2.json");
  absl::StatusOr<LoadedSeries> s = LoadSeries({dir_});
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->timeline.size(), 4u);
  for (const TimelinePoint& p : s->timeline) ASSERT_NE(p.memory, nullptr);
  // thread_pool: 3 pools of 2 threads a second, 2 s apart.
  EXPECT_EQ(s->timeline[0].memory->threads.count("pool-#-thread-#"), 0u);
  EXPECT_EQ(s->timeline[3].memory->threads.at("pool-#-thread-#").count, 36);
  EXPECT_EQ(s->timeline[3].memory->threads.at("main").count, 1);
  EXPECT_EQ(s->timeline[3].memory->allocator->name, "jemalloc");
}

TEST_F(MemoryFilesTest, AMissingOneIsAWarning) {
  WriteTimeline("memory-9.json");
  absl::StatusOr<LoadedSeries> s = LoadSeries({dir_});
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->timeline[2].memory, nullptr);
  EXPECT_NE(s->timeline[3].memory, nullptr);
  EXPECT_THAT(s->warnings.back(),
              HasSubstr("/memory-9.json: listed in timeline.jsonl but "
                        "missing"));
}

TEST_F(MemoryFilesTest, BadOnesAreErrorsNamingThem) {
  std::ofstream(dir_ + "/bad.json") << "{\"format\":\"jleak-memory 1\",";
  WriteTimeline("bad.json");
  absl::StatusOr<LoadedSeries> s = LoadSeries({dir_});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(), dir_ + "/bad.json: not valid JSON");

  const std::string secret = NewDir("memory-outside") + "/secret";
  std::ofstream(secret) << "SECRET-CONTENT";
  ASSERT_EQ(symlink(secret.c_str(), (dir_ + "/link.json").c_str()), 0);
  WriteTimeline("link.json");
  s = LoadSeries({dir_});
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.status().message(), HasSubstr("link.json: is a symbolic link"));
  EXPECT_THAT(s.status().message(), ::testing::Not(HasSubstr("SECRET")));

  ASSERT_EQ(mkfifo((dir_ + "/fifo.json").c_str(), 0600), 0);
  WriteTimeline("fifo.json");
  s = LoadSeries({dir_});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(),
            dir_ + "/fifo.json: is a FIFO, not a regular file");

  WriteTimeline("../secret");
  s = LoadSeries({dir_});
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.status().message(),
              HasSubstr("timeline.jsonl:3: memory file name '../secret' is "
                        "not a bare file name in the run directory"));
}

}  // namespace
}  // namespace jleak
