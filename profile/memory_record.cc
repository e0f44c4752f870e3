// File: memory_record.cc
//
// Rendering memory-SEQ.json (see memory_record.h).

#include "profile/memory_record.h"

#include <string>

#include "nlohmann/json.hpp"

namespace jleak {
namespace {

using Json = nlohmann::ordered_json;

std::string Cut(const std::string& s) {
  if (s.size() <= kMaxMemoryStringBytes) return s;
  // Do not end inside a UTF-8 sequence.
  size_t n = kMaxMemoryStringBytes;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xc0) == 0x80) --n;
  return s.substr(0, n);
}

Json Strings(const std::vector<std::string>& v) {
  Json a = Json::array();
  for (size_t i = 0; i < v.size() && i < kMaxMemoryArrayEntries; ++i) {
    a.push_back(Cut(v[i]));
  }
  return a;
}

}  // namespace

std::string FormatMemoryJson(const MemoryRecord& r) {
  Json j;
  j["format"] = kMemoryFormat;
  j["seq"] = r.seq;
  j["pid"] = r.pid;
  j["mono_ns"] = r.mono_ns;
  j["cost_ns"] = r.cost_ns;
  j["cost_cpu_ns"] = r.cost_cpu_ns;
  j["rss_bytes"] = r.map.rss_bytes;
  j["mappings"] = r.map.mappings;
  Json classes = Json::object();
  for (int c = 0; c < kMemoryClassCount; ++c) {
    classes[MemoryClassName(static_cast<MemoryClass>(c))] = r.map.classes[c];
  }
  j["classes"] = std::move(classes);
  Json files = Json::array();
  for (size_t i = 0; i < r.map.files.size() && i < kMaxMemoryArrayEntries;
       ++i) {
    const MappedFile& f = r.map.files[i];
    files.push_back({{"path", Cut(f.path)},
                     {"mappings", f.mappings},
                     {"size_bytes", f.size_bytes},
                     {"rss_bytes", f.rss_bytes},
                     {"deleted", f.deleted}});
  }
  j["files"] = std::move(files);
  Json threads = Json::array();
  for (size_t i = 0; i < r.threads.size() && i < kMaxMemoryArrayEntries; ++i) {
    const MemoryThread& t = r.threads[i];
    threads.push_back({{"tid", t.tid},
                       {"name", Cut(t.name)},
                       {"java", t.java},
                       {"daemon", t.daemon},
                       {"state", t.state},
                       {"stack_bytes", t.stack_bytes},
                       {"parked_in", Strings(t.parked_in)},
                       {"started_from", Strings(t.started_from)}});
  }
  j["threads"] = std::move(threads);
  j["os_threads"] = r.os_threads;
  if (r.jvm) {
    Json loaders = Json::array();
    for (size_t i = 0; i < r.class_loaders.size() && i < kMaxMemoryArrayEntries;
         ++i) {
      const ClassLoaderGroup& g = r.class_loaders[i];
      loaders.push_back({{"type", Cut(g.type)},
                         {"loaders", g.loaders},
                         {"classes", g.classes}});
    }
    j["class_loaders"] = std::move(loaders);
  }
  if (r.allocator.has_value()) {
    Json a;
    a["name"] = r.allocator->name;
    for (const auto& [key, value] : r.allocator->figures) a[key] = value;
    j["allocator"] = std::move(a);
  }
  Json sites = Json::array();
  for (size_t i = 0; i < r.mmap_sites.size() && i < kMaxMemoryArrayEntries;
       ++i) {
    const MmapSite& s = r.mmap_sites[i];
    sites.push_back({{"kind", s.kind},
                     {"path", Cut(s.path)},
                     {"mappings", s.mappings},
                     {"bytes", s.bytes},
                     {"java_frames", Strings(s.java_frames)},
                     {"native_frames", Strings(s.native_frames)}});
  }
  j["mmap_sites"] = std::move(sites);
  if (!r.nmt.empty()) j["nmt"] = r.nmt;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
         "\n";
}

}  // namespace jleak
