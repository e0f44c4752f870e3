// File: memory_json.cc
//
// The JSON report's `memory` object (see memory_json.h).

#include "harness/report/memory_json.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "harness/analyze/memory_fold.h"
#include "harness/report/report_json.h"

namespace jleak {
namespace {

using Json = nlohmann::ordered_json;

Json Series(const std::vector<double>& v, bool bytes) {
  Json j = Json::array();
  for (double x : v) j.push_back(bytes ? JsonBytes(x) : JsonNumber(x));
  return j;
}

Json Growth(const std::optional<GrowthEstimate>& g) {
  return g.has_value() ? GrowthJson(*g) : Json(nullptr);
}

Json Strings(const std::vector<std::string>& v) {
  Json j = Json::array();
  for (const std::string& s : v) j.push_back(s);
  return j;
}

// FromNamingFrame: `frames` from the one that names the caller
// (NamingFrame: the JDK's own innermost frames, ThreadPoolExecutor.addWorker
// or FileChannelImpl.map, left out) outwards.
Json FromNamingFrame(const std::vector<std::string>& frames) {
  const std::string naming = NamingFrame(frames);
  auto it = std::find(frames.begin(), frames.end(), naming);
  return Strings(std::vector<std::string>(it, frames.end()));
}

double LastKnown(const std::vector<double>& v) {
  for (auto it = v.rbegin(); it != v.rend(); ++it) {
    if (!std::isnan(*it)) return *it;
  }
  return 0;
}

}  // namespace

Json MemoryJson(const MemoryReport& m) {
  Json j = Json::object();
  j["recorded"] = m.recorded;
  if (!m.recorded) {
    j["reason"] = m.reason;
    return j;
  }
  j["snapshots"] = m.snapshots;
  j["median_cost_ns"] = JsonNumber(m.median_cost_ns);
  Json classes = Json::array();
  for (const MemoryClassReport& c : m.classes) {
    Json cj = Json::object();
    cj["name"] = c.name;
    cj["label"] = c.label;
    cj["rss_bytes"] = Series(c.rss_bytes, true);
    cj["growth"] = Growth(c.growth);
    cj["over_budget"] = c.over_budget;
    classes.push_back(std::move(cj));
  }
  j["classes"] = std::move(classes);

  Json files = Json::array();
  for (const MemoryFileReport& f : m.files) {
    Json fj = Json::object();
    fj["pattern"] = f.pattern;
    fj["mappings"] = JsonNumber(f.last_mappings);
    fj["paths"] = JsonNumber(f.last_paths);
    fj["deleted"] = f.deleted;
    fj["rss_bytes"] = Series(f.rss_bytes, true);
    fj["mapping_counts"] = Series(f.mappings, false);
    fj["growth"] = Growth(f.growth);
    fj["mapping_growth"] = Growth(f.mapping_growth);
    fj["mapped_from"] = FromNamingFrame(f.mapped_from);
    fj["mapped_from_frames"] = Strings(f.mapped_from);
    files.push_back(std::move(fj));
  }
  j["files"] = std::move(files);
  j["files_omitted"] = m.files_omitted;

  Json threads = Json::array();
  for (const MemoryThreadReport& t : m.threads) {
    Json tj = Json::object();
    tj["pattern"] = t.pattern;
    tj["live"] = JsonNumber(LastKnown(t.count));
    tj["count"] = Series(t.count, false);
    tj["growth"] = Growth(t.growth);
    tj["stack_bytes"] = JsonBytes(t.last_stack_bytes);
    tj["parked_in_frame"] = t.parked_in_frame;
    tj["parked_in"] = Strings(t.parked_in);
    tj["started_from"] = FromNamingFrame(t.started_from);
    tj["started_from_frames"] = Strings(t.started_from);
    threads.push_back(std::move(tj));
  }
  j["threads"] = std::move(threads);
  j["threads_omitted"] = m.threads_omitted;

  Json loaders = Json::array();
  for (const MemoryLoaderReport& l : m.class_loaders) {
    Json lj = Json::object();
    lj["type"] = l.type;
    lj["loaders"] = Series(l.loaders, false);
    lj["classes"] = Series(l.classes, false);
    lj["growth"] = Growth(l.growth);
    lj["loader_growth"] = Growth(l.loader_growth);
    loaders.push_back(std::move(lj));
  }
  j["class_loaders"] = std::move(loaders);
  j["class_loaders_omitted"] = m.class_loaders_omitted;

  Json sites = Json::array();
  for (const MemoryMmapReport& s : m.mmap_sites) {
    Json sj = Json::object();
    sj["kind"] = s.kind;
    sj["pattern"] = s.pattern;
    sj["mappings"] = JsonNumber(s.last_mappings);
    sj["bytes"] = Series(s.bytes, true);
    sj["growth"] = Growth(s.growth);
    sj["java_frames"] = Strings(s.java_frames);
    sj["native_frames"] = Strings(s.native_frames);
    sites.push_back(std::move(sj));
  }
  j["mmap_sites"] = std::move(sites);
  j["mmap_sites_omitted"] = m.mmap_sites_omitted;

  if (m.allocator.has_value()) {
    const MemoryAllocatorReport& a = *m.allocator;
    Json aj = Json::object();
    aj["name"] = a.name;
    Json figures = Json::object();
    for (const auto& [name, series] : a.figures) {
      figures[name] = Series(series, name != "arenas" && name != "mmap_count");
    }
    aj["figures"] = std::move(figures);
    aj["allocated_growth"] = Growth(a.allocated_growth);
    aj["retention_growth"] = Growth(a.retention_growth);
    aj["finding_kind"] = a.finding_kind;
    aj["finding"] = a.finding;
    j["allocator"] = std::move(aj);
  } else {
    j["allocator"] = nullptr;
  }
  return j;
}

}  // namespace jleak
