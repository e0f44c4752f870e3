// File: memory_fold.h
//
// One memory-SEQ.json (memory_map.h) grouped the way a person reads it and
// the statistics fit it: file paths and thread names with their numbers
// folded, so that the 85 mappings of /tmp/segments-1.idx ...
// /tmp/segments-85.idx are one pattern, /tmp/segments-*.idx, whose bytes
// and mapping count can grow, and pool-1-thread-1 ... pool-40-thread-3 are
// one group, pool-#-thread-#, whose count can. Class loaders by type, mmap
// call sites by kind, path pattern and calling frame. Pure.
//
//   MemoryPoint p = FoldMemorySnapshot(*ParseMemorySnapshot(text, path));

#ifndef JLEAK_HARNESS_ANALYZE_MEMORY_FOLD_H_
#define JLEAK_HARNESS_ANALYZE_MEMORY_FOLD_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "harness/analyze/memory_map.h"

namespace jleak {

// FoldPath: every run of digits as '*' ("/tmp/segments-12.idx" ->
// "/tmp/segments-*.idx"); a trailing " (deleted)" is dropped.
std::string FoldPath(absl::string_view path);

// FoldThreadName: every run of digits as '#' ("pool-3-thread-14" ->
// "pool-#-thread-#"); "" as "(unnamed)".
std::string FoldThreadName(absl::string_view name);

// ParkedInFrame: the frame a thread waits in as a person names it: the
// first of `parked_in` (innermost first) that is not a parking primitive
// (Unsafe.park, LockSupport, java.util.concurrent.locks, Object.wait,
// Thread.sleep), without its "(File.java:L)"; "" for none.
std::string ParkedInFrame(const std::vector<std::string>& parked_in);

// NamingFrame: the frame that names who mapped a file or started a thread:
// the first of `frames` (innermost first) outside the JDK (java., javax.,
// jdk., sun., com.sun.), so that FileChannelImpl.map or
// ThreadPoolExecutor.addWorker give way to the caller, and the
// application's own native method (JNI code that mapped) to its Java
// caller; frames[0] when all are the JDK's; "" for none.
std::string NamingFrame(const std::vector<std::string>& frames);

// One snapshot's memory, grouped.
struct MemoryPoint {
  std::optional<double> rss_bytes;
  std::optional<double> cost_ns;
  std::map<std::string, double> classes;  // as MemorySnapshot::classes

  struct Files {
    double mappings = 0;
    double rss_bytes = 0;
    double size_bytes = 0;
    double paths = 0;  // distinct paths folded into the pattern
    bool deleted = false;
    // The Java frames of the largest mmap call site of the pattern
    // (mmap_sites), innermost first; empty when none was recorded.
    std::vector<std::string> mapped_from;
  };
  std::map<std::string, Files> files;  // by FoldPath

  struct Threads {
    double count = 0;
    double stack_bytes = 0;  // resident, known stacks only
    // The commonest stack the group's threads are parked in and the
    // commonest one that started them (ties: the first in text order).
    std::vector<std::string> parked_in;
    std::vector<std::string> started_from;
  };
  std::map<std::string, Threads> threads;  // by FoldThreadName
  std::optional<double> os_threads;

  struct Loaders {
    double loaders = 0;
    double classes = 0;
  };
  std::map<std::string, Loaders> class_loaders;  // by type

  std::optional<MemoryAllocator> allocator;

  struct Mmaps {
    std::string kind;     // "file" or "anon"
    std::string pattern;  // FoldPath of the path; "" for anonymous
    double mappings = 0;
    double bytes = 0;
    std::vector<std::string> java_frames;
    std::vector<std::string> native_frames;
  };
  // By MmapSiteKey: kind, pattern and the first Java (else native) frame.
  std::map<std::string, Mmaps> mmap_sites;
  std::map<std::string, double> nmt;
};

// MmapSiteKey: "anon <- Java_Foo_mapAnon", "file /tmp/seg-*.idx <-
// com.example.Index.open (Index.java:33)": how mmap sites are grouped.
std::string MmapSiteKey(const MemoryMmapSite& site);

MemoryPoint FoldMemorySnapshot(const MemorySnapshot& snapshot);

}  // namespace jleak

#endif  // JLEAK_HARNESS_ANALYZE_MEMORY_FOLD_H_
