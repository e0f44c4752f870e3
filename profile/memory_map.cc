// File: memory_map.cc
//
// Parsing /proc/PID/smaps and classifying its mappings (see memory_map.h).

#include "profile/memory_map.h"

#include <algorithm>
#include <iterator>
#include <map>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "profile/proc_maps.h"

namespace jleak {
namespace {

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

// "Rss:     1234 kB" -> bytes; false if the value does not read.
bool ParseKbField(absl::string_view value, int64_t* bytes) {
  value = absl::StripAsciiWhitespace(value);
  absl::ConsumeSuffix(&value, "kB");
  int64_t kb = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(value), &kb) || kb < 0 ||
      kb > (int64_t{1} << 52)) {
    return false;
  }
  *bytes = kb * 1024;
  return true;
}

// A piece of the address space whose class is known (disjoint pieces).
struct Piece {
  uint64_t limit;
  MemoryClass cls;
  int range_index;  // index in hints.ranges, or -1 for derived ranges
};
using PieceMap = std::map<uint64_t, Piece>;  // by start

// AddRange inserts [start, limit) where nothing is known yet: earlier
// ranges win where they overlap.
void AddRange(PieceMap* pieces, uint64_t start, uint64_t limit, MemoryClass cls,
              int index) {
  if (limit <= start) return;
  // The first piece that may overlap: the one before `start`, if it
  // reaches past it.
  auto it = pieces->upper_bound(start);
  if (it != pieces->begin()) {
    auto prev = std::prev(it);
    if (prev->second.limit > start) start = prev->second.limit;
  }
  while (start < limit) {
    it = pieces->lower_bound(start);
    const uint64_t gap_end =
        it == pieces->end() ? limit : std::min(limit, it->first);
    if (gap_end > start) {
      (*pieces)[start] = Piece{gap_end, cls, index};
    }
    if (it == pieces->end() || it->first >= limit) break;
    start = it->second.limit;
  }
}

bool IsPseudoCode(absl::string_view path) {
  return path == "[vdso]" || path == "[vvar]" || path == "[vvar_vclock]" ||
         path == "[vsyscall]" || path == "[uprobes]";
}

// CodeLikePath: files that are the program's code or read-only data of
// the runtime rather than data the program maps: shared objects, jars and
// the JDK's module image, locale and gconv tables, ld.so's cache.
bool CodeLikePath(absl::string_view path) {
  return absl::EndsWith(path, ".so") || absl::StrContains(path, ".so.") ||
         absl::EndsWith(path, ".jar") || absl::EndsWith(path, "/lib/modules") ||
         absl::StartsWith(path, "/usr/lib/locale/") ||
         absl::StrContains(path, "/gconv/") ||
         absl::EndsWith(path, "/ld.so.cache");
}

int64_t Share(int64_t rss, uint64_t part, uint64_t whole) {
  if (whole == 0) return 0;
  return static_cast<int64_t>(static_cast<unsigned __int128>(rss) * part /
                              whole);
}

// The entry containing `address` in sorted `entries`, or null.
const SmapsEntry* Containing(const std::vector<SmapsEntry>& entries,
                             uint64_t address) {
  auto it = std::upper_bound(
      entries.begin(), entries.end(), address,
      [](uint64_t a, const SmapsEntry& e) { return a < e.start; });
  if (it == entries.begin()) return nullptr;
  --it;
  return address < it->limit ? &*it : nullptr;
}

// HotSpotCommitted: memory HotSpot committed inside one of its
// reservations: os::commit_memory maps without MAP_NORESERVE, while glibc
// and jemalloc memory keeps the `nr` of its reservation.
bool HotSpotReservationPart(const SmapsEntry& e) {
  if (!e.is_anonymous()) return false;
  if (e.perms.size() == 4 && e.perms[2] == 'x') return false;
  if (e.inaccessible()) return true;
  return e.readable_writable() && !e.noreserve;
}

// MetaspaceNodes: [start, limit) of each 64 MiB non-class metaspace node
// (metaspaceSettings.hpp: virtual space nodes of 8M words): a reservation
// ending in an inaccessible `nr` mapping, all HotSpot's, with its base
// committed (chunks are handed out from the bottom). When addresses inside
// metadata are known, only nodes holding one count: a GC's side table of
// the same size looks alike.
std::vector<std::pair<uint64_t, uint64_t>> MetaspaceNodes(
    const std::vector<SmapsEntry>& entries,
    const std::vector<uint64_t>& sorted_hints) {
  std::vector<std::pair<uint64_t, uint64_t>> nodes;
  for (size_t i = 0; i < entries.size(); ++i) {
    const SmapsEntry& tail = entries[i];
    if (!tail.is_anonymous() || !tail.inaccessible() || !tail.noreserve ||
        tail.limit < kMetaspaceNodeBytes) {
      continue;
    }
    const uint64_t start = tail.limit - kMetaspaceNodeBytes;
    const SmapsEntry* base = Containing(entries, start);
    if (base == nullptr || !base->readable_writable() || base->noreserve ||
        !base->is_anonymous()) {
      continue;
    }
    bool all_hotspot = true;
    uint64_t expect = base->start;
    for (const SmapsEntry* e = base; e <= &tail; ++e) {
      if (e->start != expect || !HotSpotReservationPart(*e)) {
        all_hotspot = false;
        break;
      }
      expect = e->limit;
    }
    if (!all_hotspot) continue;
    if (!sorted_hints.empty()) {
      auto h =
          std::lower_bound(sorted_hints.begin(), sorted_hints.end(), start);
      if (h == sorted_hints.end() || *h >= tail.limit) continue;
    }
    nodes.emplace_back(start, tail.limit);
  }
  return nodes;
}

// ClassSpaceLimit: the end of the contiguous run of HotSpot-reserved
// anonymous mappings from `start`.
uint64_t ClassSpaceLimit(const std::vector<SmapsEntry>& entries,
                         uint64_t start) {
  auto it = std::upper_bound(
      entries.begin(), entries.end(), start,
      [](uint64_t a, const SmapsEntry& e) { return a < e.limit; });
  if (it == entries.end() || it->start > start) return start;
  uint64_t limit = start;
  for (; it != entries.end(); ++it) {
    if (limit != start && it->start != limit) break;  // a hole ends it
    if (!HotSpotReservationPart(*it) || it->no_huge) break;
    limit = it->limit;
    if (limit - start >= kMaxClassSpaceBytes) break;
  }
  return std::min(limit, start + kMaxClassSpaceBytes);
}

// LooksLikeThreadStack: a writable private mapping that is a thread's
// stack by its shape: MAP_STACK's `nh` (kernels 6.7+), or a guard right
// below it (glibc's one page, HotSpot's four).
bool LooksLikeThreadStack(const std::vector<SmapsEntry>& entries, size_t i) {
  const SmapsEntry& e = entries[i];
  if (!e.readable_writable() || e.noreserve) return false;
  if (e.no_huge) return true;
  if (i == 0) return false;
  const SmapsEntry& below = entries[i - 1];
  return below.limit == e.start && below.is_anonymous() &&
         below.inaccessible() && below.size() <= kMaxGuardBytes;
}

}  // namespace

bool SmapsEntry::is_anonymous() const {
  return path.empty() || absl::StartsWith(path, "[anon:") ||
         absl::StartsWith(path, "[anon_shmem:");
}

const char* MemoryClassName(MemoryClass c) {
  switch (c) {
    case MemoryClass::kJavaHeap:
      return "java_heap";
    case MemoryClass::kClassMetadata:
      return "class_metadata";
    case MemoryClass::kCodeCache:
      return "code_cache";
    case MemoryClass::kThreadStacks:
      return "thread_stacks";
    case MemoryClass::kMalloc:
      return "malloc";
    case MemoryClass::kFileMapped:
      return "file_mapped";
    case MemoryClass::kCodeAndLibraries:
      return "code_and_libraries";
    case MemoryClass::kAnonOther:
      return "anon_other";
  }
  return "anon_other";
}

absl::StatusOr<std::vector<SmapsEntry>> ParseSmaps(
    absl::string_view text, absl::string_view source_name) {
  if (text.size() > kMaxSmapsBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(source_name, ": larger than ", kMaxSmapsBytes, " bytes"));
  }
  std::vector<SmapsEntry> entries;
  int64_t total_rss = 0;  // bounded so that sums of classes cannot overflow
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    if (line.empty()) continue;
    auto error = [&](absl::string_view what) {
      return absl::InvalidArgumentError(
          absl::StrCat(source_name, ":", line_no, ": ", what));
    };
    if (IsHexDigit(line[0])) {
      absl::StatusOr<Mapping> m = ParseMapsLine(line);
      if (!m.ok()) return error(m.status().message());
      if (entries.size() >= kMaxSmapsEntries) {
        return error(absl::StrCat("more than ", kMaxSmapsEntries, " mappings"));
      }
      if (!entries.empty() && m->start < entries.back().limit) {
        return error("mappings out of order or overlapping");
      }
      if (m->path.size() > kMaxSmapsPathBytes) {
        return error(
            absl::StrCat("path longer than ", kMaxSmapsPathBytes, " bytes"));
      }
      SmapsEntry e;
      e.start = m->start;
      e.limit = m->limit;
      e.perms = std::move(m->perms);
      e.inode = m->inode;
      e.path = std::move(m->path);
      absl::string_view path(e.path);
      if (absl::ConsumeSuffix(&path, " (deleted)")) {
        e.deleted = true;
        e.path.resize(path.size());
      }
      entries.push_back(std::move(e));
      continue;
    }
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) {
      return error("expected 'Field: value' or a mapping line");
    }
    if (entries.empty()) return error("field before the first mapping");
    SmapsEntry& e = entries.back();
    const absl::string_view key = line.substr(0, colon);
    const absl::string_view value = line.substr(colon + 1);
    int64_t* target = nullptr;
    if (key == "Rss") {
      target = &e.rss_bytes;
    } else if (key == "Anonymous") {
      target = &e.anonymous_bytes;
    } else if (key == "Swap") {
      target = &e.swap_bytes;
    } else if (key == "VmFlags") {
      for (absl::string_view flag :
           absl::StrSplit(value, ' ', absl::SkipEmpty())) {
        if (flag == "nr") e.noreserve = true;
        if (flag == "nh") e.no_huge = true;
      }
      continue;
    } else {
      continue;  // fields this classifier does not use
    }
    if (!ParseKbField(value, target)) {
      return error(absl::StrCat("bad ", key, " value"));
    }
    if (*target > static_cast<int64_t>(e.size())) {
      return error(absl::StrCat(key, " larger than the mapping"));
    }
    if (target == &e.rss_bytes) {
      total_rss += e.rss_bytes;
      if (total_rss > (int64_t{1} << 56)) return error("Rss total too large");
    }
  }
  return entries;
}

MemoryMap ClassifyMappings(const std::vector<SmapsEntry>& entries,
                           const ClassifyHints& hints) {
  MemoryMap out;
  out.classes.fill(0);
  out.range_rss.assign(hints.ranges.size(), 0);
  auto add = [&out](MemoryClass c, int64_t bytes) {
    out.classes[static_cast<int>(c)] += bytes;
  };

  // Paths with any executable mapping: all of their mappings are code
  // (a library's read-only and data segments).
  std::set<absl::string_view> code_paths;
  for (const SmapsEntry& e : entries) {
    if (e.is_file() && e.perms.size() == 4 && e.perms[2] == 'x') {
      code_paths.insert(e.path);
    }
  }

  // The known pieces, in order of precedence.
  PieceMap pieces;
  for (size_t i = 0; i < hints.ranges.size(); ++i) {
    const KnownRange& r = hints.ranges[i];
    AddRange(&pieces, r.start, r.limit, r.cls, static_cast<int>(i));
  }
  if (hints.jvm) {
    if (hints.class_space_start != 0) {
      AddRange(&pieces, hints.class_space_start,
               ClassSpaceLimit(entries, hints.class_space_start),
               MemoryClass::kClassMetadata, -1);
    }
    std::vector<uint64_t> sorted_hints = hints.class_metadata_addresses;
    std::sort(sorted_hints.begin(), sorted_hints.end());
    const std::vector<std::pair<uint64_t, uint64_t>> nodes =
        MetaspaceNodes(entries, sorted_hints);
    for (const auto& [start, limit] : nodes) {
      AddRange(&pieces, start, limit, MemoryClass::kClassMetadata, -1);
    }
    // A hint outside every node (one of another size, or one whose shape
    // merged with its neighbours): the whole mapping holding it.
    for (uint64_t a : sorted_hints) {
      bool in_node = false;
      for (const auto& [start, limit] : nodes) {
        in_node |= a >= start && a < limit;
      }
      if (in_node) continue;
      const SmapsEntry* e = Containing(entries, a);
      if (e != nullptr && e->is_anonymous() && e->readable_writable()) {
        AddRange(&pieces, e->start, e->limit, MemoryClass::kClassMetadata, -1);
      }
    }
  }

  std::map<absl::string_view, MappedFile> files;
  for (size_t i = 0; i < entries.size(); ++i) {
    const SmapsEntry& e = entries[i];
    out.rss_bytes += e.rss_bytes;
    ++out.mappings;
    if (e.path == "[heap]") {
      add(MemoryClass::kMalloc, e.rss_bytes);
      continue;
    }
    if (e.path == "[stack]") {
      add(MemoryClass::kThreadStacks, e.rss_bytes);
      continue;
    }
    if (IsPseudoCode(e.path)) {
      add(MemoryClass::kCodeAndLibraries, e.rss_bytes);
      continue;
    }
    const bool cds_archive = hints.jvm && absl::EndsWith(e.path, ".jsa");
    if (!e.is_anonymous() && !cds_archive) {
      if (!e.is_file()) {
        add(MemoryClass::kAnonOther, e.rss_bytes);
      } else if (code_paths.count(e.path) != 0 || CodeLikePath(e.path)) {
        add(MemoryClass::kCodeAndLibraries, e.rss_bytes);
      } else {
        add(MemoryClass::kFileMapped, e.rss_bytes);
        MappedFile& f = files[e.path];
        f.path = e.path;
        ++f.mappings;
        f.size_bytes += static_cast<int64_t>(e.size());
        f.rss_bytes += e.rss_bytes;
        f.deleted |= e.deleted;
      }
      continue;
    }
    // Anonymous memory (and the CDS archive, which sits partly inside the
    // Java heap): known pieces first, the rest by its shape.
    int64_t assigned = 0;
    auto it = pieces.upper_bound(e.start);
    if (it != pieces.begin()) --it;
    for (; it != pieces.end() && it->first < e.limit; ++it) {
      const uint64_t lo = std::max(it->first, e.start);
      const uint64_t hi = std::min(it->second.limit, e.limit);
      if (hi <= lo) continue;
      const int64_t bytes = Share(e.rss_bytes, hi - lo, e.size());
      add(it->second.cls, bytes);
      if (it->second.range_index >= 0) {
        out.range_rss[it->second.range_index] += bytes;
      }
      assigned += bytes;
    }
    const int64_t rest = e.rss_bytes - assigned;
    if (rest <= 0) continue;
    MemoryClass c = MemoryClass::kAnonOther;
    if (cds_archive) {
      c = MemoryClass::kClassMetadata;
    } else if (e.readable_writable() && e.noreserve) {
      c = MemoryClass::kMalloc;  // glibc arenas, jemalloc extents
    } else if (LooksLikeThreadStack(entries, i)) {
      c = MemoryClass::kThreadStacks;
    }
    add(c, rest);
  }

  for (auto& [path, f] : files) out.files.push_back(std::move(f));
  std::stable_sort(out.files.begin(), out.files.end(),
                   [](const MappedFile& a, const MappedFile& b) {
                     return a.rss_bytes > b.rss_bytes;
                   });
  // Classes that could not be told are -1, unless bytes were put there
  // all the same (a caller's range): the classes must add up.
  auto unknown = [&out](MemoryClass c) {
    int64_t& v = out.classes[static_cast<int>(c)];
    if (v == 0) v = -1;
  };
  if (!hints.jvm || !hints.heap_known) unknown(MemoryClass::kJavaHeap);
  if (!hints.jvm || !hints.code_cache_known) unknown(MemoryClass::kCodeCache);
  if (!hints.jvm) unknown(MemoryClass::kClassMetadata);
  return out;
}

void CountAllocatorMmaps(int64_t mmapped_bytes, MemoryMap& map) {
  int64_t& anon = map.classes[static_cast<int>(MemoryClass::kAnonOther)];
  int64_t& malloc = map.classes[static_cast<int>(MemoryClass::kMalloc)];
  if (mmapped_bytes <= 0 || anon <= 0) return;
  const int64_t moved = std::min(mmapped_bytes, anon);
  anon -= moved;
  malloc = std::max<int64_t>(malloc, 0) + moved;
}

}  // namespace jleak
