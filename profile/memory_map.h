// File: memory_map.h
//
// Where a process's resident memory is: /proc/PID/smaps parsed into its
// mappings, and each mapping's resident bytes (Rss) put into one class of
// memory-SEQ.json (docs: spec of issue 20):
//
//   java_heap, class_metadata, code_cache, thread_stacks, malloc,
//   file_mapped, code_and_libraries, anon_other
//
// Pure: the caller reads the file and says what it knows of the process
// (ClassifyHints: the JVM's heap, code cache and class space, its threads'
// stack ranges, addresses inside metaspace). What no hint covers is told
// apart by what smaps shows: the path, the permissions, and VmFlags (`nr`
// for MAP_NORESERVE, which glibc arenas and jemalloc extents carry and
// HotSpot's committed memory does not; `nh` for MAP_STACK on kernels 6.7+).
// Used by the agent (in a JVM and in native programs) and by tests; the
// text is hostile input (bounded, never crashes, errors name the line).

#ifndef JLEAK_PROFILE_MEMORY_MAP_H_
#define JLEAK_PROFILE_MEMORY_MAP_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace jleak {

// One mapping of /proc/PID/smaps: its maps line and the fields used here.
struct SmapsEntry {
  uint64_t start = 0;
  uint64_t limit = 0;  // one past the last byte
  std::string perms;   // "rw-p"
  uint64_t inode = 0;
  std::string path;      // file path, "[heap]", "[stack]", ... or empty (anon)
  bool deleted = false;  // the path ended in " (deleted)" (removed here)
  int64_t rss_bytes = 0;
  int64_t anonymous_bytes = 0;
  int64_t swap_bytes = 0;
  bool noreserve = false;  // VmFlags "nr"
  bool no_huge = false;    // VmFlags "nh" (MAP_STACK since 6.7, or madvise)

  uint64_t size() const { return limit - start; }
  bool is_file() const { return !path.empty() && path[0] == '/'; }
  // Anonymous: no path, or a name given by prctl(PR_SET_VMA_ANON_NAME).
  bool is_anonymous() const;
  bool readable_writable() const {
    return perms.size() == 4 && perms[0] == 'r' && perms[1] == 'w';
  }
  bool inaccessible() const { return perms.rfind("---", 0) == 0; }
};

// Limits on what ParseSmaps accepts (hostile input).
inline constexpr size_t kMaxSmapsBytes = size_t{256} << 20;
inline constexpr size_t kMaxSmapsEntries = 1000000;  // max_map_count is 65530
inline constexpr size_t kMaxSmapsPathBytes = 4096;

// ParseSmaps parses the whole text of /proc/PID/smaps. Unknown fields are
// skipped (the set changes between kernels). Errors name `source_name` and
// the 1-based line.
absl::StatusOr<std::vector<SmapsEntry>> ParseSmaps(
    absl::string_view text, absl::string_view source_name);

enum class MemoryClass {
  kJavaHeap = 0,
  kClassMetadata,
  kCodeCache,
  kThreadStacks,
  kMalloc,
  kFileMapped,
  kCodeAndLibraries,
  kAnonOther,
};
inline constexpr int kMemoryClassCount = 8;

// MemoryClassName: the key in memory-SEQ.json ("java_heap", ...).
const char* MemoryClassName(MemoryClass c);

// An address range the caller knows the class of.
struct KnownRange {
  uint64_t start = 0;
  uint64_t limit = 0;
  MemoryClass cls = MemoryClass::kAnonOther;
};

struct ClassifyHints {
  // A JVM: turns on the HotSpot rules (metaspace nodes, class space, the
  // CDS archive); the JVM's classes are reported (else -1).
  bool jvm = false;
  // Known ranges, applied to anonymous memory only, the first match wins
  // where two overlap. A mapping partly covered is split by bytes.
  std::vector<KnownRange> ranges;
  // Addresses inside class metadata (Method* of loaded classes): the
  // anonymous mapping holding one, or the 64 MiB metaspace node around it,
  // is class_metadata.
  std::vector<uint64_t> class_metadata_addresses;
  // Start of the compressed class space (or of the gap before it, right
  // after the CDS archive); 0 if unknown. The contiguous anonymous
  // mappings from there that HotSpot reserved (committed rw without `nr`,
  // or inaccessible) are class_metadata, up to kMaxClassSpaceBytes.
  uint64_t class_space_start = 0;
  // Which classes the caller can tell at all: the JVM's three are -1
  // (unknown) unless `jvm` and the class's range was found.
  bool heap_known = false;
  bool code_cache_known = false;
};

inline constexpr uint64_t kMetaspaceNodeBytes = uint64_t{64} << 20;
inline constexpr uint64_t kMaxClassSpaceBytes = uint64_t{4} << 30;
// glibc's guard below a thread stack is one page; HotSpot's red, yellow
// and reserved zones are 4 pages on x86-64. Larger inaccessible mappings
// are reservations, not guards.
inline constexpr uint64_t kMaxGuardBytes = 64 << 10;

// A file mapped other than as code: one entry per path.
struct MappedFile {
  std::string path;
  int64_t mappings = 0;
  int64_t size_bytes = 0;
  int64_t rss_bytes = 0;
  bool deleted = false;
};

struct MemoryMap {
  int64_t rss_bytes = 0;  // sum of every mapping's Rss
  int64_t mappings = 0;
  // Resident bytes per class, indexed by MemoryClass; -1 when it could not
  // be told (the JVM's classes outside a JVM, or without their range).
  std::array<int64_t, kMemoryClassCount> classes{};
  std::vector<MappedFile> files;  // by rss_bytes, largest first
  // Resident bytes inside each of hints.ranges (a thread's stack_bytes).
  std::vector<int64_t> range_rss;
};

// ClassifyMappings puts every mapping's Rss into one class (or splits it
// where known ranges cover part of it). `entries` must be sorted by start,
// as smaps is. The classes add up to rss_bytes, counting -1 as 0.
MemoryMap ClassifyMappings(const std::vector<SmapsEntry>& entries,
                           const ClassifyHints& hints);

// CountAllocatorMmaps moves `mmapped_bytes` (glibc's blocks above its mmap
// threshold, 128 KiB by default: mallinfo2's hblkhd) from anon_other to
// malloc, at most what anon_other holds: each such block is a mapping of
// its own that smaps cannot tell from any other anonymous one, and the
// allocator's own count says how much of them is malloc's. Nothing for
// mmapped_bytes <= 0.
void CountAllocatorMmaps(int64_t mmapped_bytes, MemoryMap& map);

}  // namespace jleak

#endif  // JLEAK_PROFILE_MEMORY_MAP_H_
