// File: memory_map.cc
//
// The memory-SEQ.json reader (see memory_map.h).

#include "harness/analyze/memory_map.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "harness/io/file_io.h"
#include "harness/io/json_read.h"
#include "nlohmann/json.hpp"

namespace jleak {
namespace {

using json = nlohmann::json;

// SafeKey: a key from the file as an error may quote it (keys of the
// format are plain words; anything else is quoted and escaped).
std::string SafeKey(const std::string& key) {
  for (char c : key) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) {
      return QuoteForMessage(key, 40);
    }
  }
  return key.empty() ? "''" : key;
}

// CheckLimits: every array and object of `j` holds at most
// kMaxMemoryEntries entries and every string (keys too) at most
// kMaxMemoryString bytes; else the first offender, located as
// "threads[3].name". Recursion is bounded by ParseBoundedJson's depth.
absl::Status CheckLimits(const json& j, const std::string& where) {
  auto name = [&where]() { return where.empty() ? "the document" : where; };
  if (j.is_string()) {
    const size_t n = j.get_ref<const std::string&>().size();
    if (n > kMaxMemoryString) {
      return absl::OutOfRangeError(
          absl::StrCat(name(), ": a string of ", n, " bytes, over the ",
                       kMaxMemoryString, "-byte limit"));
    }
    return absl::OkStatus();
  }
  if (!j.is_array() && !j.is_object()) return absl::OkStatus();
  if (j.size() > kMaxMemoryEntries) {
    return absl::OutOfRangeError(absl::StrCat(name(), ": ", j.size(),
                                              " entries, over the ",
                                              kMaxMemoryEntries, " limit"));
  }
  if (j.is_array()) {
    size_t i = 0;
    for (const json& v : j) {
      if (absl::Status st = CheckLimits(v, absl::StrCat(where, "[", i, "]"));
          !st.ok()) {
        return st;
      }
      ++i;
    }
    return absl::OkStatus();
  }
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key().size() > kMaxMemoryString) {
      return absl::OutOfRangeError(
          absl::StrCat(name(), ": a key of ", it.key().size(),
                       " bytes, over the ", kMaxMemoryString, "-byte limit"));
    }
    const std::string key = SafeKey(it.key());
    const std::string child =
        where.empty() ? key : absl::StrCat(where, ".", key);
    if (absl::Status st = CheckLimits(it.value(), child); !st.ok()) return st;
  }
  return absl::OkStatus();
}

// Typed reads: a key of the wrong type reads as absent, never throws.
std::optional<double> Figure(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  const double v = it->get<double>();
  if (!(v >= 0) || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::string Text(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

bool Flag(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

std::vector<std::string> Strings(const json& j, const char* key) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return out;
  for (const json& v : *it) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

// Array: the objects of array `key` (other entries skipped).
std::vector<const json*> Objects(const json& j, const char* key) {
  std::vector<const json*> out;
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return out;
  for (const json& v : *it) {
    if (v.is_object()) out.push_back(&v);
  }
  return out;
}

std::map<std::string, double> FigureMap(const json& j, const char* key) {
  std::map<std::string, double> out;
  auto it = j.find(key);
  if (it == j.end() || !it->is_object()) return out;
  for (auto f = it->begin(); f != it->end(); ++f) {
    if (!f.value().is_number()) continue;
    const double v = f.value().get<double>();
    if (v >= 0 && std::isfinite(v)) out[f.key()] = v;
  }
  return out;
}

MemorySnapshot Read(const json& j) {
  MemorySnapshot m;
  const double seq = Figure(j, "seq").value_or(-1);
  // 2^53: every integer below is exact in a double and fits an int64.
  m.seq =
      seq >= 0 && seq <= 9007199254740992.0 ? static_cast<int64_t>(seq) : -1;
  m.rss_bytes = Figure(j, "rss_bytes");
  m.cost_ns = Figure(j, "cost_ns");
  m.classes = FigureMap(j, "classes");
  for (const json* f : Objects(j, "files")) {
    MemoryFileEntry e;
    e.path = Text(*f, "path");
    if (e.path.empty()) continue;
    e.mappings = Figure(*f, "mappings").value_or(1);
    e.size_bytes = Figure(*f, "size_bytes");
    e.rss_bytes = Figure(*f, "rss_bytes");
    e.deleted = Flag(*f, "deleted");
    m.files.push_back(std::move(e));
  }
  for (const json* t : Objects(j, "threads")) {
    MemoryThread th;
    th.tid = static_cast<int64_t>(
        std::min(Figure(*t, "tid").value_or(-1), 9007199254740992.0));
    th.name = Text(*t, "name");
    th.java = Flag(*t, "java");
    th.daemon = Flag(*t, "daemon");
    th.state = Text(*t, "state");
    th.stack_bytes = Figure(*t, "stack_bytes");
    th.parked_in = Strings(*t, "parked_in");
    th.started_from = Strings(*t, "started_from");
    m.threads.push_back(std::move(th));
  }
  m.os_threads = Figure(j, "os_threads");
  for (const json* l : Objects(j, "class_loaders")) {
    MemoryClassLoader cl;
    cl.type = Text(*l, "type");
    if (cl.type.empty()) continue;
    cl.loaders = Figure(*l, "loaders").value_or(0);
    cl.classes = Figure(*l, "classes").value_or(0);
    m.class_loaders.push_back(std::move(cl));
  }
  if (auto a = j.find("allocator"); a != j.end() && a->is_object()) {
    MemoryAllocator alloc;
    alloc.name = Text(*a, "name");
    for (auto f = a->begin(); f != a->end(); ++f) {
      if (!f.value().is_number()) continue;
      const double v = f.value().get<double>();
      if (v >= 0 && std::isfinite(v)) alloc.figures[f.key()] = v;
    }
    if (!alloc.name.empty()) m.allocator = std::move(alloc);
  }
  for (const json* s : Objects(j, "mmap_sites")) {
    MemoryMmapSite site;
    site.kind = Text(*s, "kind");
    if (site.kind != "file" && site.kind != "anon") continue;
    site.path = Text(*s, "path");
    site.mappings = Figure(*s, "mappings").value_or(1);
    site.bytes = Figure(*s, "bytes").value_or(0);
    site.java_frames = Strings(*s, "java_frames");
    site.native_frames = Strings(*s, "native_frames");
    m.mmap_sites.push_back(std::move(site));
  }
  m.nmt = FigureMap(j, "nmt");
  return m;
}

}  // namespace

absl::StatusOr<MemorySnapshot> ParseMemorySnapshot(absl::string_view text,
                                                   absl::string_view path) {
  if (text.size() > kMaxMemoryFileBytes) {
    return absl::OutOfRangeError(
        absl::StrCat(path, ": ", text.size(), " bytes, over the ",
                     kMaxMemoryFileBytes, "-byte limit of a memory file"));
  }
  absl::StatusOr<json> parsed = ParseBoundedJson(text);
  if (!parsed.ok()) {
    return absl::Status(parsed.status().code(),
                        absl::StrCat(path, ": ", parsed.status().message()));
  }
  if (!parsed->is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not a JSON object"));
  }
  if (absl::Status st = CheckLimits(*parsed, ""); !st.ok()) {
    return absl::OutOfRangeError(absl::StrCat(path, ": ", st.message()));
  }
  const std::string format = Text(*parsed, "format");
  if (format != kMemoryFormat) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": format ", format.empty() ? "missing" : QuoteForMessage(format),
        ", not '", kMemoryFormat, "'"));
  }
  return Read(*parsed);
}

}  // namespace jleak
