// File: series_loader.cc
//
// Finding, ordering and parsing snapshot files (see series_loader.h).

#include "harness/analyze/series_loader.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <regex>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "harness/io/file_io.h"
#include "nlohmann/json.hpp"
#include "profiler/java_frame.h"

namespace jleak {
namespace {

using json = nlohmann::json;

std::string Basename(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string Dirname(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

bool IsDirectory(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

absl::StatusOr<std::vector<std::string>> ListDirectory(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) {
    return absl::NotFoundError(
        absl::StrCat(dir, ": cannot open directory: ", std::strerror(errno)));
  }
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) names.emplace_back(e->d_name);
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

// A number from a timeline field; -1 and absent mean unknown.
std::optional<double> Figure(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  const double v = it->get<double>();
  if (v < 0) return std::nullopt;
  return v;
}

struct TimelineLine {
  TimelinePoint point;
  std::string file;
  bool dumped = false;
  double mono_seconds = 0;
};

absl::StatusOr<std::vector<TimelineLine>> ParseTimeline(
    const std::string& text, const std::string& path) {
  std::vector<TimelineLine> out;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    if (line.empty()) continue;
    json j = json::parse(line.begin(), line.end(), nullptr,
                         /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
      // The last line of a run killed mid-write may be torn: skip it.
      if (line_number > 1 &&
          text.find('\n', text.size() - 1) == std::string::npos) {
        continue;
      }
      return absl::InvalidArgumentError(absl::StrCat(
          path, ":", line_number, ": not a JSON object (timeline.jsonl)"));
    }
    TimelineLine t;
    // Typed reads: a key of the wrong type reads as absent, never throws.
    const json& file = j.contains("file") ? j["file"] : json();
    t.file = file.is_string() ? file.get<std::string>() : "";
    t.dumped = j.contains("dumped") && j["dumped"].is_boolean() &&
               j["dumped"].get<bool>();
    t.point.seq = static_cast<int64_t>(Figure(j, "seq").value_or(-1));
    t.mono_seconds = Figure(j, "mono_ns").value_or(0) / 1e9;
    TimelinePoint& p = t.point;
    p.rss_bytes = Figure(j, "rss_bytes");
    p.anon_rss_bytes = Figure(j, "anon_rss_bytes");
    p.threads = Figure(j, "os_threads");
    if (auto je = j.find("jemalloc"); je != j.end() && je->is_object()) {
      p.jemalloc_allocated = Figure(*je, "allocated");
      p.jemalloc_active = Figure(*je, "active");
      p.jemalloc_resident = Figure(*je, "resident");
      p.jemalloc_mapped = Figure(*je, "mapped");
      p.jemalloc_retained = Figure(*je, "retained");
    }
    if (auto jv = j.find("java"); jv != j.end() && jv->is_object()) {
      p.java_heap_used = Figure(*jv, "heap_used_bytes");
      if (auto db = jv->find("direct_buffers");
          db != jv->end() && db->is_object()) {
        p.direct_buffer_bytes = Figure(*db, "bytes");
        p.direct_buffer_count = Figure(*db, "count");
      }
      if (auto nmt = jv->find("nmt_committed");
          nmt != jv->end() && nmt->is_object()) {
        for (auto it = nmt->begin(); it != nmt->end(); ++it) {
          if (it.value().is_number()) {
            p.nmt_committed[it.key()] = it.value().get<double>();
          }
        }
      }
    }
    out.push_back(std::move(t));
  }
  return out;
}

// Reads what the series needs from manifest.json; a missing or foreign
// manifest only costs the command line and build-ids.
void ReadManifest(const std::string& dir, LoadedSeries* series) {
  absl::StatusOr<std::string> text = ReadFileToString(dir + "/manifest.json");
  if (!text.ok()) return;
  json j = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    series->warnings.push_back(
        absl::StrCat(dir, "/manifest.json: not valid JSON; ignored"));
    return;
  }
  // `jleak run` writes the workload's argv under settings.command.
  json command;
  if (auto s = j.find("settings"); s != j.end() && s->is_object()) {
    if (auto c = s->find("command"); c != s->end()) command = *c;
  }
  if (command.is_string()) {
    series->command = command.get<std::string>();
  } else if (command.is_array()) {
    std::vector<std::string> argv;
    for (const json& a : command) {
      if (a.is_string()) argv.push_back(a.get<std::string>());
    }
    series->command = absl::StrJoin(argv, " ");
  }
  if (auto b = j.find("build_ids"); b != j.end() && b->is_object()) {
    for (auto it = b->begin(); it != b->end(); ++it) {
      if (it.value().is_string()) {
        series->build_ids[it.key()] = it.value().get<std::string>();
      }
    }
  }
}

struct Candidate {
  std::string path;
  SnapshotName name;
  double mtime = 0;
  double time = 0;
};

absl::Status ParseInto(const Candidate& c, double time, LoadedSeries* series) {
  absl::StatusOr<std::string> text = ReadFileToString(c.path);
  if (!text.ok()) return text.status();
  absl::StatusOr<HeapProfile> profile = ParseHeapProfile(*text, c.path);
  if (!profile.ok()) return profile.status();
  SnapshotInput s;
  s.path = c.path;
  s.seq = c.name.seq.value_or(static_cast<int64_t>(series->snapshots.size()));
  s.time_seconds = time;
  s.profile = *std::move(profile);
  series->snapshots.push_back(std::move(s));
  return absl::OkStatus();
}

absl::Status LoadRunDirectory(
    const std::string& dir, const std::string& timeline_text,
    LoadedSeries* series, const std::function<void(size_t, size_t)>& progress) {
  absl::StatusOr<std::vector<TimelineLine>> lines =
      ParseTimeline(timeline_text, dir + "/timeline.jsonl");
  if (!lines.ok()) return lines.status();
  std::vector<const TimelineLine*> dumped;
  for (const TimelineLine& l : *lines) {
    if (l.dumped && !l.file.empty()) {
      if (Exists(dir + "/" + l.file)) {
        dumped.push_back(&l);
      } else {
        series->warnings.push_back(absl::StrCat(
            dir, "/", l.file, ": listed in timeline.jsonl but missing"));
      }
    }
  }
  if (dumped.empty()) {
    return absl::NotFoundError(absl::StrCat(
        dir,
        ": timeline.jsonl lists no snapshot that was written; was "
        "jemalloc profiling on? (see agent.json and the run's stderr)"));
  }
  const double t0 = dumped.front()->mono_seconds;
  for (size_t i = 0; i < dumped.size(); ++i) {
    Candidate c;
    c.path = dir + "/" + dumped[i]->file;
    c.name = ParseSnapshotName(dumped[i]->file);
    c.name.seq = dumped[i]->point.seq;
    absl::Status st = ParseInto(c, dumped[i]->mono_seconds - t0, series);
    if (!st.ok()) return st;
    if (progress) progress(i + 1, dumped.size());
  }
  for (const TimelineLine& l : *lines) {
    TimelinePoint p = l.point;
    p.time_seconds = l.mono_seconds - t0;
    series->timeline.push_back(p);
  }
  series->time_source = TimeSource::kTimeline;
  return absl::OkStatus();
}

}  // namespace

SnapshotName ParseSnapshotName(const std::string& basename) {
  static const std::regex kJemalloc(R"(\.(\d+)\.(\d+)\.[imuf]\d*\.heap$)");
  static const std::regex kAgent(R"(^snapshot-(\d+)\.heap$)");
  SnapshotName n;
  std::smatch m;
  if (std::regex_search(basename, m, kJemalloc)) {
    n.pid = std::stoll(m[1].str());
    n.seq = std::stoll(m[2].str());
  } else if (std::regex_search(basename, m, kAgent)) {
    n.seq = std::stoll(m[1].str());
  }
  return n;
}

std::string FindPerfMapBeside(const std::string& snapshot_path) {
  const std::string dir = Dirname(snapshot_path);
  std::vector<std::string> maps;
  if (absl::StatusOr<std::vector<std::string>> names = ListDirectory(dir);
      names.ok()) {
    for (const std::string& n : *names) {
      if (absl::StartsWith(n, "perf-") && absl::EndsWith(n, ".map")) {
        maps.push_back(dir + "/" + n);
      }
    }
  }
  const SnapshotName name = ParseSnapshotName(Basename(snapshot_path));
  for (const std::string& m : maps) {
    if (name.pid && Basename(m) == absl::StrCat("perf-", *name.pid, ".map")) {
      return m;
    }
  }
  return maps.size() == 1 ? maps[0] : "";
}

std::string FindJavaFramesMapBeside(const std::string& snapshot_path) {
  const std::string path =
      absl::StrCat(Dirname(snapshot_path), "/", kJavaFramesMapName);
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) ? path : "";
}

absl::StatusOr<LoadedSeries> LoadSeries(
    const std::vector<std::string>& inputs,
    const std::function<void(size_t, size_t)>& progress) {
  LoadedSeries series;
  if (inputs.empty()) {
    return absl::InvalidArgumentError(
        "no input: give a run directory or "
        ".heap files");
  }
  std::vector<std::string> files;
  std::string dir;
  if (inputs.size() == 1 && IsDirectory(inputs[0])) {
    dir = inputs[0];
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    ReadManifest(dir, &series);
    absl::StatusOr<std::string> timeline =
        ReadFileToString(dir + "/timeline.jsonl");
    if (timeline.ok()) {
      absl::Status st = LoadRunDirectory(dir, *timeline, &series, progress);
      if (!st.ok()) return st;
    } else {
      absl::StatusOr<std::vector<std::string>> names = ListDirectory(dir);
      if (!names.ok()) return names.status();
      for (const std::string& n : *names) {
        if (absl::EndsWith(n, ".heap")) files.push_back(dir + "/" + n);
      }
      if (files.empty()) {
        return absl::NotFoundError(absl::StrCat(
            dir,
            ": no .heap files and no timeline.jsonl: not a jleak run "
            "directory or a directory of jemalloc heap profiles"));
      }
    }
  } else {
    for (const std::string& in : inputs) {
      if (IsDirectory(in)) {
        return absl::InvalidArgumentError(
            absl::StrCat(in,
                         ": a directory among several inputs; give one run "
                         "directory, or .heap files"));
      }
      files.push_back(in);
    }
    dir = Dirname(files.front());
  }

  if (series.time_source != TimeSource::kTimeline) {
    std::vector<Candidate> cands;
    for (const std::string& f : files) {
      Candidate c;
      c.path = f;
      c.name = ParseSnapshotName(Basename(f));
      struct stat st;
      if (stat(f.c_str(), &st) != 0) {
        return absl::NotFoundError(
            absl::StrCat(f, ": cannot open: ", std::strerror(errno)));
      }
      c.mtime = st.st_mtim.tv_sec + st.st_mtim.tv_nsec / 1e9;
      cands.push_back(std::move(c));
    }
    // Several processes: keep the one with the most snapshots.
    std::map<int64_t, int> per_pid;
    for (const Candidate& c : cands) per_pid[c.name.pid.value_or(-1)]++;
    if (per_pid.size() > 1) {
      auto best = std::max_element(
          per_pid.begin(), per_pid.end(),
          [](const auto& a, const auto& b) { return a.second < b.second; });
      const int64_t pid = best->first;
      series.warnings.push_back(absl::StrCat(
          "snapshots of ", per_pid.size(), " processes given; analyzing pid ",
          pid, " (", best->second, " snapshots) only"));
      cands.erase(std::remove_if(cands.begin(), cands.end(),
                                 [pid](const Candidate& c) {
                                   return c.name.pid.value_or(-1) != pid;
                                 }),
                  cands.end());
    }
    const bool all_seq =
        std::all_of(cands.begin(), cands.end(),
                    [](const Candidate& c) { return c.name.seq.has_value(); });
    std::stable_sort(cands.begin(), cands.end(),
                     [all_seq](const Candidate& a, const Candidate& b) {
                       if (all_seq) return *a.name.seq < *b.name.seq;
                       return a.mtime < b.mtime;
                     });
    bool mtimes_usable = true;
    for (size_t i = 1; i < cands.size(); ++i) {
      if (!(cands[i].mtime > cands[i - 1].mtime)) mtimes_usable = false;
    }
    series.time_source =
        mtimes_usable ? TimeSource::kMtime : TimeSource::kSequence;
    if (!mtimes_usable && !all_seq) {
      series.warnings.push_back(
          "file names carry no sequence numbers and file times are not "
          "distinct: snapshots ordered by name");
      std::stable_sort(cands.begin(), cands.end(),
                       [](const Candidate& a, const Candidate& b) {
                         return a.path < b.path;
                       });
    }
    for (size_t i = 0; i < cands.size(); ++i) {
      const double t = mtimes_usable ? cands[i].mtime - cands[0].mtime
                                     : static_cast<double>(i);
      absl::Status st = ParseInto(cands[i], t, &series);
      if (!st.ok()) return st;
      if (progress) progress(i + 1, cands.size());
    }
  }

  if (!series.snapshots.empty()) {
    series.perf_map_path = FindPerfMapBeside(series.snapshots.back().path);
    series.java_frames_map_path =
        FindJavaFramesMapBeside(series.snapshots.back().path);
  }
  return series;
}

}  // namespace jleak
