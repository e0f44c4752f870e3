// File: memory_map.h
//
// memory-SEQ.json: where a process's resident memory was at one snapshot
// (classes of mappings, file-backed mappings by path, threads, class
// loaders, the allocator's counters, mmap call sites, NMT), as the agent or
// `jleak run` writes it beside each heap snapshot (the contract is
// /work/notes/spec20.md; timeline.jsonl's record names the file in
// "memory_file"). This is its one reader. Pure: text in, a MemorySnapshot
// or an error out, never an exception, whatever the bytes
// (//harness/analyze:memory_map_fuzzer holds it to that).
//
//   absl::StatusOr<MemorySnapshot> m =
//       ParseMemorySnapshot(text, "run/memory-3.json");
//
// Run directories come from production hosts and are not trusted. Limits,
// each an error naming the file and what was wrong: at most
// kMaxMemoryFileBytes of text, JSON nested at most kMaxJsonDepth, at most
// kMaxMemoryEntries entries in any array (files, threads, a thread's
// frames, ...) and at most kMaxMemoryString bytes in any string. A file
// whose "format" is not "jleak-memory 1" is an error too (a newer writer's
// file is not guessed at). Within those limits, values of the wrong type,
// negative (-1: "could not be told") or not finite read as absent.

#ifndef JLEAK_HARNESS_ANALYZE_MEMORY_MAP_H_
#define JLEAK_HARNESS_ANALYZE_MEMORY_MAP_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace jleak {

inline constexpr size_t kMaxMemoryFileBytes = size_t{64} << 20;  // 64 MiB
inline constexpr size_t kMaxMemoryEntries = 100000;
inline constexpr size_t kMaxMemoryString = 4096;
inline constexpr char kMemoryFormat[] = "jleak-memory 1";

// The classes of resident memory memory-SEQ.json names, in the order the
// reports list them.
inline constexpr const char* kMemoryClasses[] = {
    "java_heap", "class_metadata", "code_cache", "thread_stacks",
    "malloc",    "file_mapped",    "anon_other", "code_and_libraries",
};

// A file-backed mapping (or several of one path).
struct MemoryFileEntry {
  std::string path;
  double mappings = 0;
  std::optional<double> size_bytes;
  std::optional<double> rss_bytes;
  bool deleted = false;
};

struct MemoryThread {
  int64_t tid = -1;
  std::string name;
  bool java = false;
  bool daemon = false;
  std::string state;
  std::optional<double> stack_bytes;
  std::vector<std::string> parked_in;     // innermost first
  std::vector<std::string> started_from;  // the starter's frames
};

struct MemoryClassLoader {
  std::string type;
  double loaders = 0;
  double classes = 0;
};

// jemalloc ("allocated", "active", "resident", "mapped", "retained") or
// glibc ("arenas", "in_use", "free", "top", "mmap", "mmap_count").
struct MemoryAllocator {
  std::string name;
  std::map<std::string, double> figures;
};

struct MemoryMmapSite {
  std::string kind;  // "file" or "anon"
  std::string path;  // "" for anonymous mappings
  double mappings = 0;
  double bytes = 0;
  std::vector<std::string> java_frames;
  std::vector<std::string> native_frames;
};

struct MemorySnapshot {
  int64_t seq = -1;
  std::optional<double> rss_bytes;
  std::optional<double> cost_ns;
  // Resident bytes per class (kMemoryClasses); classes that could not be
  // told (absent, -1) are not in the map.
  std::map<std::string, double> classes;
  std::vector<MemoryFileEntry> files;
  std::vector<MemoryThread> threads;
  std::optional<double> os_threads;
  std::vector<MemoryClassLoader> class_loaders;
  std::optional<MemoryAllocator> allocator;
  std::vector<MemoryMmapSite> mmap_sites;
  std::map<std::string, double> nmt;
};

// ParseMemorySnapshot reads memory-SEQ.json text by the rules above; errors
// are InvalidArgument (OutOfRange for a limit), one line, naming `path`.
absl::StatusOr<MemorySnapshot> ParseMemorySnapshot(absl::string_view text,
                                                   absl::string_view path);

}  // namespace jleak

#endif  // JLEAK_HARNESS_ANALYZE_MEMORY_MAP_H_
