// File: timeline.cc
//
// JSON rendering of timeline records (see timeline.h).

#include "agent/timeline.h"

#include <string>

#include "nlohmann/json.hpp"

namespace jleak::agent {

std::string FormatTimelineLine(const TimelineRecord& r) {
  nlohmann::ordered_json j;
  j["seq"] = r.seq;
  j["kind"] = r.kind;
  j["file"] = r.file;
  j["dumped"] = r.dumped;
  if (!r.error.empty()) j["error"] = r.error;
  j["pid"] = r.pid;
  j["wall_time_ns"] = r.wall_time_ns;
  j["mono_ns"] = r.mono_ns;
  j["elapsed_s"] = r.elapsed_s;
  j["rss_bytes"] = r.proc.rss_bytes;
  j["anon_rss_bytes"] = r.proc.anon_rss_bytes;
  j["os_threads"] = r.proc.os_threads;
  j["jemalloc"] = {{"allocated", r.jemalloc.allocated},
                   {"active", r.jemalloc.active},
                   {"resident", r.jemalloc.resident},
                   {"mapped", r.jemalloc.mapped},
                   {"retained", r.jemalloc.retained}};
  if (r.java.has_value()) {
    const JavaStats& js = *r.java;
    nlohmann::ordered_json java;
    java["gc_forced"] = js.gc_forced;
    java["gc_ms"] = js.gc_ms;
    java["heap_used_bytes"] = js.heap_used_bytes;
    java["direct_buffers"] = {{"count", js.direct_buffer_count},
                              {"bytes", js.direct_buffer_bytes}};
    java["threads"] = js.java_threads;
    if (!js.nmt_committed.empty()) java["nmt_committed"] = js.nmt_committed;
    j["java"] = std::move(java);
  }
  if (!r.memory_file.empty()) j["memory_file"] = r.memory_file;
  // Invalid UTF-8 in an error message must not throw inside the JVM.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
         "\n";
}

}  // namespace jleak::agent
