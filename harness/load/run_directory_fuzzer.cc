// File: run_directory_fuzzer.cc
//
// libFuzzer target for loading a whole run directory: the input is split
// into named files, written to a fresh directory, and planned, read,
// parsed and analyzed as `jleak analyze DIR` would (PlanSeries through
// LoadSeries, the perf maps found beside, then Analyze with a fake
// symbolizer). File names, timeline.jsonl, manifest.json, agent.json and
// the snapshots are all the fuzzer's: any of them must give a series or an
// error, never a crash, a hang (a FIFO, a link to /dev/zero), an uncaught
// exception or a sanitizer report.
//
// Input: records separated by a line "%%"; a record's first line is the
// file's name, the rest its content. A name that is not a bare file name
// is not written (it could not be in a directory) but is still parsed as
// a snapshot name. Content "@fifo" makes the file a FIFO, "@link" a
// symbolic link to /dev/zero, "@outside" one to a file outside the run
// directory, "@dir" a directory. If the first record's name starts with
// "!", the .heap files are given as files (the user's list) instead.
//
// Built with clang's -fsanitize=fuzzer,address,undefined by
// //harness/load:run_directory_fuzzer; run for a bounded time by
// //harness/load:run_directory_fuzz_test, longer by ci/fuzz.sh.

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "harness/analyze/analyzer.h"
#include "harness/io/file_io.h"
#include "harness/load/series_loader.h"
#include "profile/fake_symbolizer.h"
#include "profile/perf_map.h"

namespace {

constexpr char kOutsideText[] = "SECRET outside the run directory";

std::string& Root() {
  static std::string* root = [] {
    char tmpl[] = "/tmp/jleak-rundir-fuzz.XXXXXX";
    if (mkdtemp(tmpl) == nullptr) __builtin_trap();
    auto* r = new std::string(tmpl);
    // Outside every run directory: what a link or "../" would reach.
    FILE* f = std::fopen((*r + "/outside").c_str(), "w");
    if (f != nullptr) {
      std::fputs(kOutsideText, f);
      std::fclose(f);
    }
    return r;
  }();
  return *root;
}

// RemoveRun: empties and removes the fuzzer's own flat run directory
// (files, links, FIFOs and empty directories it made; links are removed,
// never followed).
void RemoveRun(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      const std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(n);
    }
    closedir(d);
  }
  for (const std::string& n : names) {
    const std::string p = dir + "/" + n;
    if (unlink(p.c_str()) != 0) rmdir(p.c_str());
  }
  rmdir(dir.c_str());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string dir = Root() + "/run";
  RemoveRun(dir);
  if (mkdir(dir.c_str(), 0700) != 0) __builtin_trap();

  bool as_files = false;
  std::vector<std::string> heap_files;
  bool first = true;
  for (absl::string_view record : absl::StrSplit(input, "\n%%\n")) {
    const size_t nl = record.find('\n');
    std::string name(record.substr(0, nl));
    const absl::string_view content =
        nl == absl::string_view::npos ? "" : record.substr(nl + 1);
    if (first && absl::StartsWith(name, "!")) {
      as_files = true;
      name.erase(0, 1);
    }
    first = false;
    // Every name is a snapshot name to parse, whatever it holds.
    (void)jleak::ParseSnapshotName(name);
    if (!jleak::IsBareFileName(name)) continue;
    const std::string path = dir + "/" + name;
    if (content == "@fifo") {
      mkfifo(path.c_str(), 0600);
    } else if (content == "@link") {
      symlink("/dev/zero", path.c_str());
    } else if (content == "@outside") {
      symlink((Root() + "/outside").c_str(), path.c_str());
    } else if (content == "@dir") {
      mkdir(path.c_str(), 0700);
    } else {
      // O_NONBLOCK: a name given twice may already be a FIFO, which an
      // open for writing would wait on.
      const int fd =
          open(path.c_str(),
               O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_NONBLOCK, 0600);
      if (fd >= 0) {
        jleak::WriteAll(fd, content.data(), content.size());
        close(fd);
      }
    }
    if (absl::EndsWith(name, ".heap")) heap_files.push_back(path);
  }

  std::vector<std::string> inputs = {dir};
  if (as_files && !heap_files.empty()) inputs = heap_files;
  absl::StatusOr<jleak::LoadedSeries> series = jleak::LoadSeries(inputs);
  if (series.ok()) {
    // An error message must be one line (the CLI prints it as one).
    for (const std::string& w : series->warnings) (void)w;
    if (!series->perf_map_path.empty()) {
      (void)jleak::ReadPerfMap(series->perf_map_path);
    }
    if (!series->java_frames_map_path.empty()) {
      (void)jleak::ReadPerfMap(series->java_frames_map_path);
    }
    jleak::FakeSymbolizer symbolizer;
    symbolizer.Add(0x1000, 0x1000, {"leaky_function"});
    symbolizer.Add(0x2000, 0x1000, {"Java_jleak_Fuzz_native"});
    jleak::FrameFilter filter;
    jleak::AnalyzerOptions options;
    absl::StatusOr<jleak::Suppression> suppression =
        jleak::MakeFrameSuppression("(a*)*b|^leaky");
    if (suppression.ok()) options.suppressions.push_back(*suppression);
    jleak::Analysis a = jleak::Analyze(
        std::move(series->snapshots), series->time_source,
        std::move(series->timeline), symbolizer, filter, options);
    (void)a;
  } else if (series.status().message().find('\n') != std::string::npos) {
    __builtin_trap();  // an error must be one line
  } else if (!as_files &&
             series.status().message().find(kOutsideText) !=
                 std::string::npos &&
             input.find(kOutsideText) == absl::string_view::npos) {
    // Nothing from outside the directory is echoed. (Files the user names,
    // as_files, are the user's: a link among them is followed, and its
    // first line quoted, escaped and cut, in the error.)
    __builtin_trap();
  }
  return 0;
}
