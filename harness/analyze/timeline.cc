// File: timeline.cc
//
// The timeline.jsonl reader (see timeline.h).

#include "harness/analyze/timeline.h"

#include <cmath>
#include <limits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
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

// An integer read exactly (nanoseconds since 1970 do not fit a double's
// 53 bits); 0 when absent, not an integer or out of range.
int64_t Nanoseconds(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return 0;
  if (it->is_number_unsigned() &&
      it->get<uint64_t>() >
          static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return 0;
  }
  return it->get<int64_t>();
}

std::string Text(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

void ReadFigures(const json& j, TimelinePoint& p) {
  p.seq = Sequence(j);
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
  auto jv = j.find("java");
  if (jv == j.end() || !jv->is_object()) return;
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

// ParseLine: one line as a record, or why it is not one.
absl::StatusOr<TimelineLine> ParseLine(absl::string_view line) {
  absl::StatusOr<json> parsed = ParseBoundedJson(line);
  if (absl::IsOutOfRange(parsed.status())) {
    return absl::InvalidArgumentError(
        absl::StrCat(parsed.status().message(), " (timeline.jsonl)"));
  }
  if (!parsed.ok() || !parsed->is_object()) {
    return absl::InvalidArgumentError("not a JSON object (timeline.jsonl)");
  }
  const json& j = *parsed;
  TimelineLine t;
  // Typed reads: a key of the wrong type reads as absent, never throws.
  t.file = Text(j, "file");
  // The snapshot's name is read beside the timeline: a bare file name,
  // never a path out of the run directory.
  if (!t.file.empty() && !IsBareFileName(t.file)) {
    return absl::InvalidArgumentError(
        absl::StrCat("snapshot file name ", QuoteForMessage(t.file),
                     " is not a bare file name in the run directory"));
  }
  t.memory_file = Text(j, "memory_file");
  if (!t.memory_file.empty() && !IsBareFileName(t.memory_file)) {
    return absl::InvalidArgumentError(
        absl::StrCat("memory file name ", QuoteForMessage(t.memory_file),
                     " is not a bare file name in the run directory"));
  }
  t.kind = Text(j, "kind");
  t.error = Text(j, "error");
  auto dumped = j.find("dumped");
  t.dumped = dumped != j.end() && dumped->is_boolean() && dumped->get<bool>();
  t.wall_time_ns = Nanoseconds(j, "wall_time_ns");
  t.mono_seconds = Figure(j, "mono_ns").value_or(0) / 1e9;
  t.elapsed_s = Figure(j, "elapsed_s").value_or(0);
  ReadFigures(j, t.point);
  return t;
}

}  // namespace

absl::StatusOr<std::vector<TimelineLine>> ParseTimeline(
    absl::string_view text, absl::string_view path) {
  std::vector<TimelineLine> out;
  int line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const size_t end = text.find('\n');
    const bool whole = end != absl::string_view::npos;
    const absl::string_view line = text.substr(0, end);
    text.remove_prefix(whole ? end + 1 : text.size());
    if (line.empty()) continue;
    absl::StatusOr<TimelineLine> record = ParseLine(line);
    if (record.ok()) {
      out.push_back(*std::move(record));
    } else if (whole) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ":", line_number, ": ", record.status().message()));
    }
    // else: the last line, still being written (see timeline.h).
  }
  return out;
}

}  // namespace jleak
