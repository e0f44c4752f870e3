// File: memory_record.h
//
// memory-SEQ.json: what one snapshot recorded of the process's memory
// outside the heap profile (format "jleak-memory 1", the contract of issue
// 20): resident bytes per class (memory_map.h), mapped files, threads,
// class loaders, the allocator's own figures, mmap call sites and NMT.
// Written by the agent next to each snapshot; this file only renders it.
//
//   {"format":"jleak-memory 1","seq":3,"pid":4711,"mono_ns":...,
//    "cost_ns":812345,"cost_cpu_ns":790000,"rss_bytes":...,"mappings":212,
//    "classes":{"java_heap":...,"class_metadata":...,...},
//    "files":[{"path":"/tmp/seg-12.idx","mappings":3,"size_bytes":...,
//              "rss_bytes":...,"deleted":false}],
//    "threads":[{"tid":123,"name":"pool-3-thread-1","java":true,
//                "daemon":false,"state":"WAITING","stack_bytes":8192,
//                "parked_in":["java.util.concurrent.locks.LockSupport.park
//                              (LockSupport.java:341)", ...],
//                "started_from":[]}],
//    "os_threads":24,
//    "class_loaders":[{"type":"java.net.URLClassLoader","loaders":40,
//                      "classes":400}],
//    "allocator":{"name":"jemalloc","allocated":...,...},
//    "mmap_sites":[],"nmt":{"Thread":...}}

#ifndef JLEAK_PROFILE_MEMORY_RECORD_H_
#define JLEAK_PROFILE_MEMORY_RECORD_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "profile/memory_map.h"

namespace jleak {

inline constexpr char kMemoryFormat[] = "jleak-memory 1";
// Bounds every writer and reader keeps to.
inline constexpr size_t kMaxMemoryArrayEntries = 100000;
inline constexpr size_t kMaxMemoryStringBytes = 4096;

struct MemoryThread {
  int64_t tid = -1;  // -1: not known (a Java thread not started yet)
  std::string name;
  bool java = false;
  bool daemon = false;
  std::string state;         // JVMTI's: "RUNNABLE", "WAITING", ...; or ""
  int64_t stack_bytes = -1;  // resident, -1 unknown
  // Frames as report.json's java_method: "pkg.Cls.method (Cls.java:42)".
  std::vector<std::string> parked_in;     // top Java frames, innermost first
  std::vector<std::string> started_from;  // creator's Java frames
};

struct ClassLoaderGroup {
  std::string type;  // the loader's class name, "<bootstrap>" for null
  int64_t loaders = 0;
  int64_t classes = 0;
};

// The allocator's own figures, in the order written.
struct AllocatorFigures {
  std::string name;  // "jemalloc" or "glibc"
  std::vector<std::pair<std::string, int64_t>> figures;
};

// A live mapping site of the mmap family (filled by native origins).
struct MmapSite {
  std::string kind;  // "file" or "anon"
  std::string path;
  int64_t mappings = 0;
  int64_t bytes = 0;
  std::vector<std::string> java_frames;
  std::vector<std::string> native_frames;
};

struct MemoryRecord {
  int seq = 0;
  int pid = 0;
  int64_t mono_ns = 0;
  int64_t cost_ns = 0;      // wall time the recording took
  int64_t cost_cpu_ns = 0;  // CPU time of it (the recording thread's)
  MemoryMap map;
  bool jvm = false;  // threads and class_loaders are written only then
  std::vector<MemoryThread> threads;
  int64_t os_threads = -1;
  std::vector<ClassLoaderGroup> class_loaders;
  std::optional<AllocatorFigures> allocator;
  std::vector<MmapSite> mmap_sites;
  std::map<std::string, int64_t> nmt;  // committed bytes per category
};

// FormatMemoryJson renders `r` as memory-SEQ.json (one line, '\n' ended).
// Arrays are cut at kMaxMemoryArrayEntries and strings at
// kMaxMemoryStringBytes; invalid UTF-8 is replaced.
std::string FormatMemoryJson(const MemoryRecord& r);

}  // namespace jleak

#endif  // JLEAK_PROFILE_MEMORY_RECORD_H_
