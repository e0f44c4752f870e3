// File: run_metadata.cc
//
// timeline.jsonl and manifest.json readers (see run_metadata.h).

#include "harness/analyze/run_metadata.h"

#include <cmath>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "harness/io/file_io.h"
#include "harness/io/json_read.h"
#include "nlohmann/json.hpp"

namespace jleak {
namespace {

using json = nlohmann::json;

// A number from a timeline field; -1, absent and not finite mean unknown.
std::optional<double> Figure(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  const double v = it->get<double>();
  if (!(v >= 0) || !std::isfinite(v)) return std::nullopt;
  return v;
}

// A sequence number: a whole number that fits, else unknown (-1).
int64_t Sequence(const json& j) {
  const double v = Figure(j, "seq").value_or(-1);
  // 2^53: every integer below is exact in a double and fits an int64.
  if (v < 0 || v > 9007199254740992.0) return -1;
  return static_cast<int64_t>(v);
}

}  // namespace

absl::StatusOr<std::vector<TimelineLine>> ParseTimeline(
    absl::string_view text, absl::string_view path) {
  std::vector<TimelineLine> out;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    if (line.empty()) continue;
    absl::StatusOr<json> parsed = ParseBoundedJson(line);
    if (absl::IsOutOfRange(parsed.status())) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", line_number, ": ", parsed.status().message(),
                       " (timeline.jsonl)"));
    }
    json j = parsed.ok() ? *std::move(parsed) : json();
    if (!j.is_object()) {
      // The last line of a run killed mid-write may be torn: skip it.
      if (line_number > 1 && text.back() != '\n') continue;
      return absl::InvalidArgumentError(absl::StrCat(
          path, ":", line_number, ": not a JSON object (timeline.jsonl)"));
    }
    TimelineLine t;
    // Typed reads: a key of the wrong type reads as absent, never throws.
    auto file = j.find("file");
    t.file =
        file != j.end() && file->is_string() ? file->get<std::string>() : "";
    // The snapshot's name is read beside the timeline: a bare file name,
    // never a path out of the run directory.
    if (!t.file.empty() && !IsBareFileName(t.file)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", line_number, ": snapshot file name ",
                       QuoteForMessage(t.file),
                       " is not a bare file name in the run directory"));
    }
    auto dumped = j.find("dumped");
    t.dumped = dumped != j.end() && dumped->is_boolean() && dumped->get<bool>();
    t.point.seq = Sequence(j);
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

absl::StatusOr<ManifestInfo> ParseManifest(absl::string_view text,
                                           absl::string_view path) {
  absl::StatusOr<json> parsed = ParseBoundedJson(text);
  if (absl::IsOutOfRange(parsed.status())) {
    return absl::OutOfRangeError(
        absl::StrCat(path, ": ", parsed.status().message()));
  }
  if (!parsed.ok() || !parsed->is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not valid JSON; ignored"));
  }
  const json& j = *parsed;
  ManifestInfo info;
  // `jleak run` writes the workload's argv under settings.command.
  json command;
  if (auto s = j.find("settings"); s != j.end() && s->is_object()) {
    if (auto c = s->find("command"); c != s->end()) command = *c;
  }
  if (command.is_string()) {
    info.command = command.get<std::string>();
  } else if (command.is_array()) {
    std::vector<std::string> argv;
    for (const json& a : command) {
      if (a.is_string()) argv.push_back(a.get<std::string>());
    }
    info.command = absl::StrJoin(argv, " ");
  }
  if (auto e = j.find("engine"); e != j.end() && e->is_object()) {
    auto name = e->find("name");
    auto limit = e->find("limit");
    if (name != e->end() && name->is_string()) info.engine = *name;
    if (limit != e->end() && limit->is_string()) info.engine_limit = *limit;
  }
  if (auto b = j.find("build_ids"); b != j.end() && b->is_object()) {
    for (auto it = b->begin(); it != b->end(); ++it) {
      if (it.value().is_string()) {
        info.build_ids[it.key()] = it.value().get<std::string>();
      }
    }
  }
  return info;
}

}  // namespace jleak
