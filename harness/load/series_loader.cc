// File: series_loader.cc
//
// Finding, ordering and parsing snapshot files (see series_loader.h).

#include "harness/load/series_loader.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "harness/analyze/memory_fold.h"
#include "harness/analyze/memory_map.h"
#include "harness/analyze/run_metadata.h"
#include "harness/analyze/timeline.h"
#include "harness/io/file_io.h"
#include "profile/java_frame.h"

namespace jleak {
namespace {

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

// Exists: whether anything (a file, a link, a FIFO) has that name; what it
// is, ReadSnapshotText finds out.
bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

// IsRegularFile: a regular file, not through a link.
bool IsRegularFile(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// ParseDecimal: all of `s` as a non-negative decimal int64; nullopt when it
// is empty, has other characters, or is out of range.
std::optional<int64_t> ParseDecimal(absl::string_view s) {
  if (s.empty()) return std::nullopt;
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

bool AllDigits(absl::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(),
                                   [](char c) { return c >= '0' && c <= '9'; });
}

absl::Status OutOfRange(absl::string_view basename, absl::string_view what,
                        absl::string_view digits) {
  return absl::InvalidArgumentError(absl::StrCat(
      QuoteForMessage(basename), ": the ", what, " in the file name (",
      digits.size() > 24 ? absl::StrCat(digits.size(), " digits")
                         : std::string(digits),
      ") is out of range"));
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

// Reads what the series needs from manifest.json; a missing or foreign
// manifest only costs the command line, engine and build-ids. One that is not a
// regular file, is too large or nests too deep was crafted: an error.
absl::Status ReadManifest(const std::string& dir, SeriesPlan* plan) {
  const std::string path = dir + "/manifest.json";
  absl::StatusOr<std::string> text =
      ReadFileToString(path, ReadOptions::InRunDirectory(kMaxSmallFileBytes));
  if (absl::IsNotFound(text.status())) return absl::OkStatus();
  if (!text.ok()) return text.status();
  absl::StatusOr<ManifestInfo> info = ParseManifest(*text, path);
  if (absl::IsOutOfRange(info.status())) return info.status();
  if (!info.ok()) {
    plan->warnings.push_back(std::string(info.status().message()));
    return absl::OkStatus();
  }
  plan->command = std::move(info->command);
  plan->engine = std::move(info->engine);
  plan->engine_limit = std::move(info->engine_limit);
  plan->build_ids = std::move(info->build_ids);
  return absl::OkStatus();
}

struct Candidate {
  std::string path;
  SnapshotName name;
  double mtime = 0;
};

// ReadMemoryFile: the memory-SEQ.json a timeline record names, read and
// grouped onto its point. One that is missing (a run killed between the
// snapshot and its memory file) costs a warning; one that is not a regular
// file, too large or malformed is an error naming it.
absl::Status ReadMemoryFile(const std::string& dir, const std::string& name,
                            SeriesPlan* plan, TimelinePoint* point) {
  const std::string path = dir + "/" + name;
  absl::StatusOr<std::string> text =
      ReadFileToString(path, ReadOptions::InRunDirectory(kMaxMemoryFileBytes));
  if (absl::IsNotFound(text.status()) && !Exists(path)) {
    plan->warnings.push_back(
        absl::StrCat(path, ": listed in timeline.jsonl but missing"));
    return absl::OkStatus();
  }
  if (!text.ok()) return text.status();
  absl::StatusOr<MemorySnapshot> memory = ParseMemorySnapshot(*text, path);
  if (!memory.ok()) return memory.status();
  point->memory =
      std::make_shared<const MemoryPoint>(FoldMemorySnapshot(*memory));
  return absl::OkStatus();
}

absl::Status PlanRunDirectory(const std::string& dir,
                              const std::string& timeline_text,
                              SeriesPlan* plan) {
  absl::StatusOr<std::vector<TimelineLine>> lines =
      ParseTimeline(timeline_text, dir + "/timeline.jsonl");
  if (!lines.ok()) return lines.status();
  std::vector<const TimelineLine*> dumped;
  for (const TimelineLine& l : *lines) {
    if (l.dumped && !l.file.empty()) {
      if (Exists(dir + "/" + l.file)) {
        dumped.push_back(&l);
      } else {
        plan->warnings.push_back(absl::StrCat(
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
  for (const TimelineLine* l : dumped) {
    SnapshotMeta m;
    m.path = dir + "/" + l->file;
    m.seq = l->point.seq;
    m.time_seconds = l->mono_seconds - t0;
    plan->snapshots.push_back(std::move(m));
  }
  for (const TimelineLine& l : *lines) {
    TimelinePoint p = l.point;
    p.time_seconds = l.mono_seconds - t0;
    if (!l.memory_file.empty()) {
      absl::Status st = ReadMemoryFile(dir, l.memory_file, plan, &p);
      if (!st.ok()) return st;
    }
    plan->timeline.push_back(std::move(p));
  }
  plan->time_source = TimeSource::kTimeline;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SnapshotName> ParseSnapshotName(absl::string_view basename) {
  // By hand, no regex: `<prefix>.<pid>.<seq>.<i|m|u|f><digits>.heap` as
  // jemalloc names its dumps, or `snapshot-<seq>.heap` as the agent does.
  SnapshotName n;
  if (!absl::EndsWith(basename, ".heap")) return n;
  const absl::string_view stem =
      basename.substr(0, basename.size() - std::strlen(".heap"));
  const std::vector<absl::string_view> parts = absl::StrSplit(stem, '.');
  if (parts.size() >= 4) {
    const absl::string_view kind = parts[parts.size() - 1];
    const absl::string_view pid = parts[parts.size() - 3];
    const absl::string_view seq = parts[parts.size() - 2];
    if (!kind.empty() && std::strchr("imuf", kind[0]) != nullptr &&
        (kind.size() == 1 || AllDigits(kind.substr(1))) && AllDigits(pid) &&
        AllDigits(seq)) {
      n.pid = ParseDecimal(pid);
      if (!n.pid) return OutOfRange(basename, "process id", pid);
      n.seq = ParseDecimal(seq);
      if (!n.seq) return OutOfRange(basename, "sequence number", seq);
      return n;
    }
  }
  if (absl::StartsWith(stem, "snapshot-")) {
    const absl::string_view seq = stem.substr(std::strlen("snapshot-"));
    if (AllDigits(seq)) {
      n.seq = ParseDecimal(seq);
      if (!n.seq) return OutOfRange(basename, "sequence number", seq);
    }
  }
  return n;
}

std::string FindPerfMapBeside(const std::string& snapshot_path) {
  const std::string dir = Dirname(snapshot_path);
  std::vector<std::string> maps;
  if (absl::StatusOr<std::vector<std::string>> names = ListDirectory(dir);
      names.ok()) {
    for (const std::string& n : *names) {
      if (absl::StartsWith(n, "perf-") && absl::EndsWith(n, ".map") &&
          IsRegularFile(dir + "/" + n)) {
        maps.push_back(dir + "/" + n);
      }
    }
  }
  const SnapshotName name =
      ParseSnapshotName(Basename(snapshot_path)).value_or(SnapshotName());
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
  return IsRegularFile(path) ? path : "";
}

absl::StatusOr<CodeOrigins> LoadCodeOriginsBeside(
    const std::string& snapshot_path) {
  const std::string path =
      absl::StrCat(Dirname(snapshot_path), "/", kJavaClassesMapName);
  absl::StatusOr<std::string> text = ReadFileToString(
      path, ReadOptions::InRunDirectory(kMaxJavaClassesMapBytes));
  if (absl::IsNotFound(text.status())) return CodeOrigins();
  if (!text.ok()) return text.status();
  return CodeOrigins::Load(*text, path);
}

absl::StatusOr<SeriesPlan> PlanSeries(const std::vector<std::string>& inputs) {
  SeriesPlan plan;
  if (inputs.empty()) {
    return absl::InvalidArgumentError(
        "no input: give a run directory or "
        ".heap files");
  }
  std::vector<std::string> files;
  std::string dir;
  // Files the user named are read as named (a link is theirs to give);
  // those a directory holds are not followed out of it.
  bool user_named = false;
  if (inputs.size() == 1 && IsDirectory(inputs[0])) {
    dir = inputs[0];
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    if (absl::Status st = ReadManifest(dir, &plan); !st.ok()) return st;
    absl::StatusOr<std::string> timeline =
        ReadFileToString(dir + "/timeline.jsonl",
                         ReadOptions::InRunDirectory(kMaxSmallFileBytes));
    if (timeline.ok()) {
      absl::Status st = PlanRunDirectory(dir, *timeline, &plan);
      if (!st.ok()) return st;
    } else if (!absl::IsNotFound(timeline.status())) {
      return timeline.status();
    } else {
      absl::StatusOr<std::vector<std::string>> names = ListDirectory(dir);
      if (!names.ok()) return names.status();
      for (const std::string& n : *names) {
        if (!absl::EndsWith(n, ".heap")) continue;
        if (!IsBareFileName(n)) {
          return absl::InvalidArgumentError(
              absl::StrCat(dir, "/", QuoteForMessage(n),
                           ": a file name with control characters"));
        }
        files.push_back(dir + "/" + n);
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
    user_named = true;
  }

  if (plan.time_source != TimeSource::kTimeline) {
    std::vector<Candidate> cands;
    for (const std::string& f : files) {
      Candidate c;
      c.path = f;
      absl::StatusOr<SnapshotName> name = ParseSnapshotName(Basename(f));
      if (!name.ok()) return name.status();
      c.name = *name;
      struct stat st;
      if ((user_named ? stat(f.c_str(), &st) : lstat(f.c_str(), &st)) != 0) {
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
      plan.warnings.push_back(absl::StrCat(
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
    plan.time_source =
        mtimes_usable ? TimeSource::kMtime : TimeSource::kSequence;
    if (!mtimes_usable && !all_seq) {
      plan.warnings.push_back(
          "file names carry no sequence numbers and file times are not "
          "distinct: snapshots ordered by name");
      std::stable_sort(cands.begin(), cands.end(),
                       [](const Candidate& a, const Candidate& b) {
                         return a.path < b.path;
                       });
    }
    for (size_t i = 0; i < cands.size(); ++i) {
      SnapshotMeta m;
      m.path = cands[i].path;
      m.seq = cands[i].name.seq.value_or(static_cast<int64_t>(i));
      m.time_seconds = mtimes_usable ? cands[i].mtime - cands[0].mtime
                                     : static_cast<double>(i);
      m.follow_symlinks = user_named;
      plan.snapshots.push_back(std::move(m));
    }
  }

  if (!plan.snapshots.empty()) {
    plan.perf_map_path = FindPerfMapBeside(plan.snapshots.back().path);
    plan.java_frames_map_path =
        FindJavaFramesMapBeside(plan.snapshots.back().path);
    // Without the map the analysis still stands: Java frames are told
    // apart by the --app rules alone.
    absl::StatusOr<CodeOrigins> origins =
        LoadCodeOriginsBeside(plan.snapshots.back().path);
    if (origins.ok()) {
      plan.code_origins = *std::move(origins);
    } else {
      plan.warnings.push_back(
          absl::StrCat(origins.status().message(),
                       "; Java frames classified by the --app rules alone"));
    }
  }
  return plan;
}

absl::Status ReadSnapshotText(const SnapshotMeta& snapshot, std::string* text) {
  ReadOptions options;
  options.max_bytes = kMaxHeapProfileBytes;
  options.follow_symlinks = snapshot.follow_symlinks;
  return ReadFileInto(snapshot.path, text, options);
}

absl::StatusOr<HeapProfile> ReadSnapshot(const SnapshotMeta& snapshot) {
  std::string text;
  if (absl::Status st = ReadSnapshotText(snapshot, &text); !st.ok()) return st;
  return ParseHeapProfile(text, snapshot.path);
}

int DefaultJobs() {
  const unsigned n = std::thread::hardware_concurrency();
  return static_cast<int>(std::clamp(n, 1u, 16u));
}

absl::Status ReadSnapshots(
    const std::vector<SnapshotMeta>& snapshots, int jobs,
    const std::function<absl::Status(size_t, HeapProfile&)>& consume,
    const std::function<void(size_t, size_t)>& progress,
    std::optional<ParsedSnapshot> parsed) {
  const size_t n = snapshots.size();
  if (jobs <= 0) jobs = DefaultJobs();
  jobs = static_cast<int>(std::min<size_t>(jobs, std::max<size_t>(n, 1)));
  // Workers parse ahead of the consumer by at most `window` snapshots, so
  // memory stays bounded however long the series; the profiles go back to
  // a pool and are parsed into again (ParseHeapProfileInto), so a long
  // series does not allocate every stack of every snapshot anew.
  const size_t window = 2 * static_cast<size_t>(jobs);
  struct Parsed {
    absl::Status status;
    std::unique_ptr<HeapProfile> profile;
  };
  std::mutex mu;
  std::condition_variable cv;
  size_t next = 0;      // the next snapshot a worker takes
  size_t consumed = 0;  // snapshots handed to `consume`
  bool stop = false;
  std::map<size_t, Parsed> ready;
  std::vector<std::unique_ptr<HeapProfile>> pool;
  // The one parsed already waits for its turn; no worker reads it.
  const size_t skip = parsed.has_value() ? parsed->index : n;
  if (skip < n) {
    ready.emplace(skip,
                  Parsed{absl::OkStatus(), std::make_unique<HeapProfile>(
                                               std::move(parsed->profile))});
  }

  auto worker = [&] {
    std::string text;  // reused
    while (true) {
      size_t i;
      std::unique_ptr<HeapProfile> profile;
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock,
                [&] { return stop || next >= n || next < consumed + window; });
        if (stop || next >= n) return;
        i = next++;
        if (i == skip) continue;
        if (!pool.empty()) {
          profile = std::move(pool.back());
          pool.pop_back();
        }
      }
      if (profile == nullptr) profile = std::make_unique<HeapProfile>();
      absl::Status st;
      // Nothing here throws by design; an allocation failure on a huge
      // profile must still end as an error, not std::terminate.
      try {
        st = ReadSnapshotText(snapshots[i], &text);
        if (st.ok())
          st = ParseHeapProfileInto(text, snapshots[i].path, &*profile);
      } catch (const std::exception& e) {
        st = absl::ResourceExhaustedError(
            absl::StrCat(snapshots[i].path, ": cannot read: ", e.what()));
      }
      {
        std::lock_guard<std::mutex> lock(mu);
        ready.emplace(i, Parsed{std::move(st), std::move(profile)});
      }
      cv.notify_all();
    }
  };
  std::vector<std::thread> threads;
  for (int j = 0; j < jobs; ++j) threads.emplace_back(worker);

  absl::Status status;
  for (size_t i = 0; i < n && status.ok(); ++i) {
    Parsed parsed;
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return ready.count(i) > 0; });
      auto it = ready.find(i);
      parsed = std::move(it->second);
      ready.erase(it);
      consumed = i + 1;
    }
    cv.notify_all();
    status = parsed.status.ok() ? consume(i, *parsed.profile) : parsed.status;
    if (status.ok() && progress) progress(i + 1, n);
    std::lock_guard<std::mutex> lock(mu);
    pool.push_back(std::move(parsed.profile));
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    stop = true;
  }
  cv.notify_all();
  for (std::thread& t : threads) t.join();
  return status;
}

absl::StatusOr<LoadedSeries> LoadSeries(
    const std::vector<std::string>& inputs,
    const std::function<void(size_t, size_t)>& progress) {
  absl::StatusOr<SeriesPlan> plan = PlanSeries(inputs);
  if (!plan.ok()) return plan.status();
  LoadedSeries series;
  series.snapshots.resize(plan->snapshots.size());
  absl::Status st = ReadSnapshots(
      plan->snapshots, 1,
      [&](size_t i, HeapProfile& profile) {
        SnapshotInput& s = series.snapshots[i];
        s.path = plan->snapshots[i].path;
        s.seq = plan->snapshots[i].seq;
        s.time_seconds = plan->snapshots[i].time_seconds;
        s.profile = std::move(profile);
        return absl::OkStatus();
      },
      progress);
  if (!st.ok()) return st;
  static_cast<SeriesContext&>(series) =
      std::move(static_cast<SeriesContext&>(*plan));
  return series;
}

}  // namespace jleak
