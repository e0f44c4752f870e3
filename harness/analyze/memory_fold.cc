// File: memory_fold.cc
//
// Grouping one memory snapshot by pattern (see memory_fold.h).

#include "harness/analyze/memory_fold.h"

#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace jleak {
namespace {

std::string FoldDigits(absl::string_view s, char mark) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] >= '0' && s[i] <= '9') {
      if (i == 0 || !(s[i - 1] >= '0' && s[i - 1] <= '9')) out += mark;
    } else {
      out += s[i];
    }
  }
  return out;
}

// Commonest: the most frequent of `stacks` (ties: the least in text order,
// so the choice does not depend on the file's thread order).
std::vector<std::string> Commonest(
    const std::map<std::vector<std::string>, int>& stacks) {
  const std::vector<std::string>* best = nullptr;
  int best_count = 0;
  for (const auto& [stack, count] : stacks) {
    if (stack.empty()) continue;
    if (count > best_count) {
      best = &stack;
      best_count = count;
    }
  }
  return best ? *best : std::vector<std::string>();
}

}  // namespace

std::string FoldPath(absl::string_view path) {
  absl::ConsumeSuffix(&path, " (deleted)");
  return FoldDigits(path, '*');
}

std::string FoldThreadName(absl::string_view name) {
  if (name.empty()) return "(unnamed)";
  return FoldDigits(name, '#');
}

std::string ParkedInFrame(const std::vector<std::string>& parked_in) {
  static constexpr const char* kPrimitives[] = {
      "jdk.internal.misc.Unsafe.",
      "sun.misc.Unsafe.",
      "java.util.concurrent.locks.",
      // Where JDK 17's blocking queues park (AQS's ConditionObject.await):
      // the queue's take() above them is what the thread waits in.
      "java.util.concurrent.ForkJoinPool.managedBlock",
      "java.util.concurrent.ForkJoinPool.unmanagedBlock",
      "java.lang.Object.wait",
      "java.lang.Thread.sleep",
      "java.lang.Thread.onSpinWait",
      "java.lang.ref.ReferenceQueue.remove",
  };
  for (const std::string& frame : parked_in) {
    bool primitive = false;
    for (const char* p : kPrimitives) {
      if (absl::StartsWith(frame, p)) primitive = true;
    }
    if (primitive) continue;
    const size_t paren = frame.find(" (");
    return paren == std::string::npos ? frame : frame.substr(0, paren);
  }
  return "";
}

std::string NamingFrame(const std::vector<std::string>& frames) {
  static constexpr const char* kJdk[] = {"java.", "javax.", "jdk.", "sun.",
                                         "com.sun."};
  auto is_jdk = [](const std::string& frame) {
    for (const char* p : kJdk) {
      if (absl::StartsWith(frame, p)) return true;
    }
    return false;
  };
  for (size_t i = 0; i < frames.size(); ++i) {
    if (is_jdk(frames[i])) continue;
    // The application's own native method (its JNI code did the mmap):
    // the Java method that called it is what to read first.
    if (absl::EndsWith(frames[i], "(Native Method)") && i + 1 < frames.size() &&
        !is_jdk(frames[i + 1])) {
      return frames[i + 1];
    }
    return frames[i];
  }
  return frames.empty() ? "" : frames[0];
}

std::string MmapSiteKey(const MemoryMmapSite& site) {
  const std::string frame =
      !site.java_frames.empty()     ? NamingFrame(site.java_frames)
      : !site.native_frames.empty() ? site.native_frames[0]
                                    : std::string("?");
  if (site.kind == "file") {
    return absl::StrCat("file ", FoldPath(site.path), " <- ", frame);
  }
  return absl::StrCat(site.kind, " <- ", frame);
}

MemoryPoint FoldMemorySnapshot(const MemorySnapshot& s) {
  MemoryPoint p;
  p.rss_bytes = s.rss_bytes;
  p.cost_ns = s.cost_ns;
  p.classes = s.classes;
  p.os_threads = s.os_threads;
  p.allocator = s.allocator;
  p.nmt = s.nmt;
  std::map<std::string, std::set<std::string>> paths;
  for (const MemoryFileEntry& f : s.files) {
    const std::string pattern = FoldPath(f.path);
    MemoryPoint::Files& g = p.files[pattern];
    g.mappings += f.mappings;
    g.rss_bytes += f.rss_bytes.value_or(0);
    g.size_bytes += f.size_bytes.value_or(0);
    g.deleted = g.deleted || f.deleted;
    paths[pattern].insert(f.path);
  }
  for (auto& [pattern, g] : p.files) g.paths = paths[pattern].size();

  std::map<std::string, std::map<std::vector<std::string>, int>> parked,
      started;
  for (const MemoryThread& t : s.threads) {
    const std::string pattern = FoldThreadName(t.name);
    MemoryPoint::Threads& g = p.threads[pattern];
    g.count += 1;
    g.stack_bytes += t.stack_bytes.value_or(0);
    ++parked[pattern][t.parked_in];
    ++started[pattern][t.started_from];
  }
  for (auto& [pattern, g] : p.threads) {
    g.parked_in = Commonest(parked[pattern]);
    g.started_from = Commonest(started[pattern]);
  }

  for (const MemoryClassLoader& l : s.class_loaders) {
    MemoryPoint::Loaders& g = p.class_loaders[l.type];
    g.loaders += l.loaders;
    g.classes += l.classes;
  }

  // The largest site of each file pattern names where it was mapped from.
  std::map<std::string, double> largest;
  for (const MemoryMmapSite& site : s.mmap_sites) {
    MemoryPoint::Mmaps& g = p.mmap_sites[MmapSiteKey(site)];
    if (g.kind.empty()) {
      g.kind = site.kind;
      g.pattern = site.kind == "file" ? FoldPath(site.path) : "";
      g.java_frames = site.java_frames;
      g.native_frames = site.native_frames;
    }
    g.mappings += site.mappings;
    g.bytes += site.bytes;
  }
  for (const auto& [key, g] : p.mmap_sites) {
    if (g.kind != "file" || g.java_frames.empty()) continue;
    auto f = p.files.find(g.pattern);
    if (f == p.files.end()) continue;
    auto [it, fresh] = largest.emplace(g.pattern, g.bytes);
    if (fresh || g.bytes > it->second) {
      it->second = g.bytes;
      f->second.mapped_from = g.java_frames;
    }
  }
  return p;
}

}  // namespace jleak
