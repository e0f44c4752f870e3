// File: memory_analysis.cc
//
// Where RSS went: series, fits and sentences (see memory_analysis.h).

#include "harness/analyze/memory_analysis.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "harness/analyze/memory_fold.h"
#include "harness/analyze/memory_map.h"
#include "profile/profile_report.h"

namespace jleak {
namespace {

constexpr double kUnknown = std::numeric_limits<double>::quiet_NaN();

using Getter = std::function<std::optional<double>(const MemoryPoint&)>;

// Series: `get` of each timeline point's memory, NaN where unknown.
std::vector<double> Series(const Analysis& a, const Getter& get) {
  std::vector<double> out;
  out.reserve(a.timeline.size());
  for (const TimelinePoint& p : a.timeline) {
    std::optional<double> v;
    if (p.memory != nullptr) v = get(*p.memory);
    out.push_back(v.value_or(kUnknown));
  }
  return out;
}

std::optional<GrowthEstimate> FitFrom(const Analysis& a, double from,
                                      const FitLimits& limits,
                                      const Getter& get) {
  return FitValue(a.timeline, from, limits,
                  [&get](const TimelinePoint& p) -> std::optional<double> {
                    if (p.memory == nullptr) return std::nullopt;
                    return get(*p.memory);
                  });
}

// In a group's series a snapshot where the group is absent counts as 0
// (the mappings were unmapped, the threads ended): only snapshots without
// a memory file are unknown.
template <typename Map, typename Field>
Getter GroupGetter(Map MemoryPoint::*groups, std::string key, Field field) {
  return [groups, key = std::move(key),
          field](const MemoryPoint& m) -> std::optional<double> {
    auto it = (m.*groups).find(key);
    return it == (m.*groups).end() ? 0.0 : field(it->second);
  };
}

double GrowthOf(const std::optional<GrowthEstimate>& g) {
  return g.has_value() ? g->growth : -std::numeric_limits<double>::infinity();
}

// Keep the kMaxMemoryRows that grew most; returns how many were left out.
template <typename Row, typename Key>
size_t KeepTop(std::vector<Row>& rows, Key key) {
  std::stable_sort(rows.begin(), rows.end(),
                   [&](const Row& x, const Row& y) { return key(x) > key(y); });
  const size_t omitted =
      rows.size() > kMaxMemoryRows ? rows.size() - kMaxMemoryRows : 0;
  rows.resize(std::min(rows.size(), kMaxMemoryRows));
  return omitted;
}

// The last known value of a series (0 if none).
double Last(const std::vector<double>& v) {
  for (auto it = v.rbegin(); it != v.rend(); ++it) {
    if (!std::isnan(*it)) return *it;
  }
  return 0;
}

std::string PerSecond(double bytes_per_second) {
  return absl::StrCat(bytes_per_second >= 0 ? "+" : "",
                      FormatBytes(bytes_per_second), "/s");
}

std::string PValue(double p) {
  return p < 0.001 ? "p<0.001" : absl::StrFormat("p=%.3f", p);
}

bool Significant(const std::optional<GrowthEstimate>& g, double alpha) {
  return g.has_value() && g->points >= 3 && g->p_value < alpha && g->slope > 0;
}

void AnalyzeClasses(const FitLimits& limits, Analysis& a) {
  std::set<std::string> seen;
  for (const TimelinePoint& p : a.timeline) {
    if (p.memory == nullptr) continue;
    for (const auto& [name, bytes] : p.memory->classes) seen.insert(name);
  }
  std::vector<std::string> order;
  for (const char* name : kMemoryClasses) {
    if (seen.erase(name) > 0) order.push_back(name);
  }
  order.insert(order.end(), seen.begin(), seen.end());  // unknown classes
  for (const std::string& name : order) {
    const Getter get = [name](const MemoryPoint& m) -> std::optional<double> {
      auto it = m.classes.find(name);
      if (it == m.classes.end()) return std::nullopt;
      return it->second;
    };
    MemoryClassReport c;
    c.name = name;
    c.label = MemoryClassLabel(name);
    c.rss_bytes = Series(a, get);
    c.growth = FitFrom(a, a.warmup_seconds, limits, get);
    a.memory.classes.push_back(std::move(c));
  }
}

void AnalyzeFiles(const FitLimits& limits, Analysis& a) {
  std::set<std::string> patterns;
  for (const TimelinePoint& p : a.timeline) {
    if (p.memory == nullptr) continue;
    for (const auto& [pattern, g] : p.memory->files) patterns.insert(pattern);
  }
  std::vector<MemoryFileReport>& rows = a.memory.files;
  for (const std::string& pattern : patterns) {
    MemoryFileReport r;
    r.pattern = pattern;
    const Getter rss = GroupGetter(&MemoryPoint::files, pattern,
                                   [](const auto& g) { return g.rss_bytes; });
    const Getter mappings = GroupGetter(
        &MemoryPoint::files, pattern, [](const auto& g) { return g.mappings; });
    r.rss_bytes = Series(a, rss);
    r.mappings = Series(a, mappings);
    r.last_mappings = Last(r.mappings);
    r.growth = FitFrom(a, a.warmup_seconds, limits, rss);
    r.mapping_growth = FitFrom(a, a.warmup_seconds, limits, mappings);
    // Where it was mapped from, and its path count: the latest snapshot
    // that has the pattern says.
    for (auto it = a.timeline.rbegin(); it != a.timeline.rend(); ++it) {
      if (it->memory == nullptr) continue;
      auto f = it->memory->files.find(pattern);
      if (f == it->memory->files.end()) continue;
      r.mapped_from = f->second.mapped_from;
      r.last_paths = f->second.paths;
      r.deleted = f->second.deleted;
      break;
    }
    rows.push_back(std::move(r));
  }
  a.memory.files_omitted = KeepTop(rows, [](const MemoryFileReport& r) {
    return std::make_pair(GrowthOf(r.growth), GrowthOf(r.mapping_growth));
  });
}

void AnalyzeThreads(const FitLimits& limits, Analysis& a) {
  std::set<std::string> patterns;
  for (const TimelinePoint& p : a.timeline) {
    if (p.memory == nullptr) continue;
    for (const auto& [pattern, g] : p.memory->threads) patterns.insert(pattern);
  }
  std::vector<MemoryThreadReport>& rows = a.memory.threads;
  for (const std::string& pattern : patterns) {
    MemoryThreadReport r;
    r.pattern = pattern;
    const Getter count = GroupGetter(&MemoryPoint::threads, pattern,
                                     [](const auto& g) { return g.count; });
    r.count = Series(a, count);
    r.growth = FitFrom(a, a.warmup_seconds, limits, count);
    for (auto it = a.timeline.rbegin(); it != a.timeline.rend(); ++it) {
      if (it->memory == nullptr) continue;
      auto t = it->memory->threads.find(pattern);
      if (t == it->memory->threads.end()) continue;
      r.parked_in = t->second.parked_in;
      r.started_from = t->second.started_from;
      r.last_stack_bytes = t->second.stack_bytes;
      break;
    }
    r.parked_in_frame = ParkedInFrame(r.parked_in);
    rows.push_back(std::move(r));
  }
  a.memory.threads_omitted = KeepTop(rows, [](const MemoryThreadReport& r) {
    return std::make_pair(GrowthOf(r.growth), Last(r.count));
  });
}

void AnalyzeLoaders(const FitLimits& limits, Analysis& a) {
  std::set<std::string> types;
  for (const TimelinePoint& p : a.timeline) {
    if (p.memory == nullptr) continue;
    for (const auto& [type, g] : p.memory->class_loaders) types.insert(type);
  }
  std::vector<MemoryLoaderReport>& rows = a.memory.class_loaders;
  for (const std::string& type : types) {
    MemoryLoaderReport r;
    r.type = type;
    const Getter classes = GroupGetter(&MemoryPoint::class_loaders, type,
                                       [](const auto& g) { return g.classes; });
    const Getter loaders = GroupGetter(&MemoryPoint::class_loaders, type,
                                       [](const auto& g) { return g.loaders; });
    r.classes = Series(a, classes);
    r.loaders = Series(a, loaders);
    r.growth = FitFrom(a, a.warmup_seconds, limits, classes);
    r.loader_growth = FitFrom(a, a.warmup_seconds, limits, loaders);
    rows.push_back(std::move(r));
  }
  a.memory.class_loaders_omitted =
      KeepTop(rows, [](const MemoryLoaderReport& r) {
        return std::make_pair(GrowthOf(r.growth), Last(r.classes));
      });
}

void AnalyzeMmapSites(const FitLimits& limits, Analysis& a) {
  std::set<std::string> keys;
  for (const TimelinePoint& p : a.timeline) {
    if (p.memory == nullptr) continue;
    for (const auto& [key, g] : p.memory->mmap_sites) keys.insert(key);
  }
  std::vector<MemoryMmapReport>& rows = a.memory.mmap_sites;
  for (const std::string& key : keys) {
    MemoryMmapReport r;
    const Getter bytes = GroupGetter(&MemoryPoint::mmap_sites, key,
                                     [](const auto& g) { return g.bytes; });
    r.bytes = Series(a, bytes);
    r.growth = FitFrom(a, a.warmup_seconds, limits, bytes);
    for (auto it = a.timeline.rbegin(); it != a.timeline.rend(); ++it) {
      if (it->memory == nullptr) continue;
      auto s = it->memory->mmap_sites.find(key);
      if (s == it->memory->mmap_sites.end()) continue;
      r.kind = s->second.kind;
      r.pattern = s->second.pattern;
      r.last_mappings = s->second.mappings;
      r.java_frames = s->second.java_frames;
      r.native_frames = s->second.native_frames;
      break;
    }
    rows.push_back(std::move(r));
  }
  a.memory.mmap_sites_omitted = KeepTop(rows, [](const MemoryMmapReport& r) {
    return std::make_pair(GrowthOf(r.growth), Last(r.bytes));
  });
}

// The allocator's figures: from the memory files, else (jemalloc) from the
// timeline's own counters.
void AnalyzeAllocator(const FitLimits& limits, double alpha, Analysis& a) {
  std::string name;
  std::set<std::string> figures;
  for (const TimelinePoint& p : a.timeline) {
    if (p.memory == nullptr || !p.memory->allocator.has_value()) continue;
    if (name.empty()) name = p.memory->allocator->name;
    for (const auto& [f, v] : p.memory->allocator->figures) figures.insert(f);
  }
  if (name.empty()) return;
  const bool glibc = name == "glibc";
  auto figure = [](std::string f) -> Getter {
    return [f = std::move(f)](const MemoryPoint& m) -> std::optional<double> {
      if (!m.allocator.has_value()) return std::nullopt;
      auto it = m.allocator->figures.find(f);
      if (it == m.allocator->figures.end()) return std::nullopt;
      return it->second;
    };
  };
  MemoryAllocatorReport r;
  r.name = name;
  for (const std::string& f : figures) r.figures[f] = Series(a, figure(f));
  const Getter allocated = figure(glibc ? "in_use" : "allocated");
  // What it holds beyond the allocated bytes.
  const Getter held = [glibc, figure](const MemoryPoint& m) {
    std::optional<double> x = figure(glibc ? "free" : "resident")(m);
    std::optional<double> y = figure(glibc ? "top" : "allocated")(m);
    if (!x.has_value() || !y.has_value()) return std::optional<double>();
    return std::optional<double>(glibc ? *x + *y : *x - *y);
  };
  r.allocated_growth = FitFrom(a, a.warmup_seconds, limits, allocated);
  r.retention_growth = FitFrom(a, a.warmup_seconds, limits, held);
  const std::optional<GrowthEstimate>& al = r.allocated_growth;
  const std::optional<GrowthEstimate>& re = r.retention_growth;
  const char* allocated_name = glibc ? "in use" : "allocated";
  if (Significant(re, alpha) &&
      (!Significant(al, alpha) || al->slope < 0.25 * re->slope)) {
    r.finding_kind = "retention";
    r.finding = absl::StrCat(
        name, glibc ? " holds free chunks" : " holds resident pages",
        " beyond what is allocated: ",
        glibc ? "free + top " : "resident - allocated ", FormatBytes(re->first),
        " -> ", FormatBytes(re->last), " (", PerSecond(re->slope), ", ",
        PValue(re->p_value), ") while ", allocated_name, " stays at ",
        al.has_value() ? FormatBytes(al->first) : std::string("?"), " -> ",
        al.has_value() ? FormatBytes(al->last) : std::string("?"),
        ": fragmentation or retained pages, not live objects");
  } else if (Significant(al, alpha) && a.total.slope < 0.5 * al->slope) {
    r.finding_kind = "allocated_not_profiled";
    r.finding = absl::StrCat(
        name, " ", allocated_name, " grows ", FormatBytes(al->first), " -> ",
        FormatBytes(al->last), " (", PerSecond(al->slope), ", ",
        PValue(al->p_value), ") while the profiled heap grows ",
        PerSecond(std::max(0.0, a.total.slope)), ": ");
    const bool threads_grow = a.thread_growth.has_value() &&
                              a.thread_growth->last > a.thread_growth->first;
    if (!glibc && threads_grow) {
      absl::StrAppend(
          &r.finding, "blocks freed into the thread caches (tcache) of the ",
          absl::StrFormat("%.0f",
                          a.thread_growth->last - a.thread_growth->first),
          " new threads still count as allocated (up to 4.4 MiB a thread); "
          "the profile drops them at free");
    } else if (!glibc) {
      absl::StrAppend(&r.finding,
                      "blocks freed into thread caches (tcache) count as "
                      "allocated, and allocations too small or too few to be "
                      "sampled are not in the profile");
    } else {
      absl::StrAppend(&r.finding,
                      "glibc's malloc is not the profiled one: these bytes "
                      "are not in the profile");
    }
  }
  a.memory.allocator = std::move(r);
}

const MemoryClassReport* FindClass(const Analysis& a, const std::string& name) {
  for (const MemoryClassReport& c : a.memory.classes) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::string FramesSuffix(const std::vector<std::string>& java,
                         const std::vector<std::string>& native) {
  if (!java.empty() && !native.empty()) {
    return absl::StrCat(", mapped from ", NamingFrame(java), " via ",
                        native[0]);
  }
  if (!java.empty()) return absl::StrCat(", mapped from ", NamingFrame(java));
  if (!native.empty()) return absl::StrCat(", mapped from ", native[0]);
  return "";
}

std::string ThreadSentence(const MemoryThreadReport& t) {
  std::string s = absl::StrCat(
      "threads ", t.pattern, ": ",
      absl::StrFormat("%+.1f/s", t.growth.has_value() ? t.growth->slope : 0),
      absl::StrFormat(", %.0f live", Last(t.count)));
  if (!t.parked_in_frame.empty()) {
    absl::StrAppend(&s, ", parked in ", t.parked_in_frame);
  }
  if (!t.started_from.empty()) {
    absl::StrAppend(&s, ", started from ", NamingFrame(t.started_from));
  }
  return s;
}

// Specifics: the sentence naming class `c` and what in it grows.
std::string Specifics(const Analysis& a, const MemoryClassReport& c,
                      double alpha) {
  const double rate = c.growth.has_value() ? c.growth->slope : 0;
  if (c.name == "file_mapped") {
    for (const MemoryFileReport& f : a.memory.files) {
      if (!Significant(f.growth, alpha) &&
          !Significant(f.mapping_growth, alpha)) {
        continue;
      }
      return absl::StrCat(
          "mapped files ", f.pattern, ": ",
          absl::StrFormat("%.0f mapping%s", f.last_mappings,
                          f.last_mappings == 1 ? "" : "s"),
          ", ", PerSecond(f.growth.has_value() ? f.growth->slope : rate),
          f.deleted ? ", deleted files" : "", FramesSuffix(f.mapped_from, {}));
    }
  }
  if (c.name == "thread_stacks") {
    for (const MemoryThreadReport& t : a.memory.threads) {
      if (Significant(t.growth, alpha)) {
        return absl::StrCat(ThreadSentence(t), "; thread stacks ",
                            PerSecond(rate));
      }
    }
  }
  if (c.name == "class_metadata") {
    for (const MemoryLoaderReport& l : a.memory.class_loaders) {
      if (!Significant(l.growth, alpha) &&
          !Significant(l.loader_growth, alpha)) {
        continue;
      }
      return absl::StrCat(
          "class metadata ", PerSecond(rate), ": loaders of type ", l.type,
          absl::StrFormat(" %.0f -> %.0f, their classes %.0f -> %.0f",
                          l.loader_growth ? l.loader_growth->first : 0,
                          l.loader_growth ? l.loader_growth->last : 0,
                          l.growth ? l.growth->first : 0,
                          l.growth ? l.growth->last : 0));
    }
  }
  if (c.name == "anon_other" || c.name == "file_mapped") {
    for (const MemoryMmapReport& m : a.memory.mmap_sites) {
      if (!Significant(m.growth, alpha)) continue;
      if ((m.kind == "anon") != (c.name == "anon_other")) continue;
      return absl::StrCat(
          m.kind == "anon" ? "anonymous mappings" : "mapped files " + m.pattern,
          ": ",
          absl::StrFormat("%.0f mapping%s", m.last_mappings,
                          m.last_mappings == 1 ? "" : "s"),
          ", ", PerSecond(m.growth->slope),
          FramesSuffix(m.java_frames, m.native_frames));
    }
  }
  return absl::StrCat(c.label, " ", PerSecond(rate));
}

}  // namespace

std::string MemoryClassLabel(const std::string& name) {
  static const std::map<std::string, std::string>* labels =
      new std::map<std::string, std::string>{
          {"java_heap", "Java heap"},
          {"class_metadata", "class metadata"},
          {"code_cache", "code cache"},
          {"thread_stacks", "thread stacks"},
          {"malloc", "malloc"},
          {"file_mapped", "mapped files"},
          {"anon_other", "other anonymous"},
          {"code_and_libraries", "code and libraries"},
      };
  auto it = labels->find(name);
  return it == labels->end() ? name : it->second;
}

bool IsOutsideMallocClass(const std::string& name) {
  return name != "malloc" && name != "java_heap";
}

void AnalyzeMemory(const FitLimits& limits, double alpha, Analysis& a) {
  a.memory = MemoryReport();
  std::vector<double> costs;
  for (const TimelinePoint& p : a.timeline) {
    if (p.memory == nullptr) continue;
    ++a.memory.snapshots;
    if (p.memory->cost_ns.has_value()) costs.push_back(*p.memory->cost_ns);
  }
  if (a.memory.snapshots == 0) {
    a.memory.recorded = false;
    a.memory.reason =
        a.timeline.empty()
            ? absl::StrCat(kNothingOutsideMalloc,
                           ": heap profiles only (no run directory's "
                           "timeline or memory-SEQ.json files)")
            : absl::StrCat(kNothingOutsideMalloc,
                           ": the run directory has no memory-SEQ.json "
                           "files (recorded by an older agent)");
    return;
  }
  a.memory.recorded = true;
  if (!costs.empty()) {
    std::nth_element(costs.begin(), costs.begin() + costs.size() / 2,
                     costs.end());
    a.memory.median_cost_ns = costs[costs.size() / 2];
  }
  AnalyzeClasses(limits, a);
  AnalyzeFiles(limits, a);
  AnalyzeThreads(limits, a);
  AnalyzeLoaders(limits, a);
  AnalyzeMmapSites(limits, a);
  AnalyzeAllocator(limits, alpha, a);
}

std::optional<OutsideFinding> TopOutsideGrowth(const Analysis& a, double alpha,
                                               bool over_budget_only) {
  if (!a.memory.recorded) return std::nullopt;
  const MemoryClassReport* top = nullptr;
  for (const MemoryClassReport& c : a.memory.classes) {
    if (!IsOutsideMallocClass(c.name) || !Significant(c.growth, alpha) ||
        (over_budget_only && !c.over_budget)) {
      continue;
    }
    if (top == nullptr || c.growth->slope > top->growth->slope) top = &c;
  }
  if (top != nullptr) {
    return OutsideFinding{top->name, top->growth->slope,
                          Specifics(a, *top, alpha)};
  }
  if (over_budget_only) return std::nullopt;
  for (const MemoryThreadReport& t : a.memory.threads) {
    if (Significant(t.growth, alpha)) {
      const MemoryClassReport* stacks = FindClass(a, "thread_stacks");
      return OutsideFinding{
          "thread_stacks", stacks && stacks->growth ? stacks->growth->slope : 0,
          ThreadSentence(t)};
    }
  }
  return std::nullopt;
}

bool MarkOutsideOverBudget(double budget, double alpha, const FitLimits& limits,
                           Analysis& a) {
  bool any = false;
  if (!a.memory.recorded || budget <= 0 || a.timeline.empty()) return false;
  const double late_from =
      (a.warmup_seconds + a.timeline.back().time_seconds) / 2;
  for (MemoryClassReport& c : a.memory.classes) {
    c.over_budget = false;
    if (!IsOutsideMallocClass(c.name) || !c.growth.has_value() ||
        c.growth->points < 3 || c.growth->p_value >= alpha ||
        c.growth->slope_low <= budget) {
      continue;
    }
    const std::string name = c.name;
    const std::optional<GrowthEstimate> late =
        FitFrom(a, late_from, limits, [&name](const MemoryPoint& m) {
          auto it = m.classes.find(name);
          return it == m.classes.end() ? std::optional<double>()
                                       : std::optional<double>(it->second);
        });
    c.over_budget = late.has_value() && late->slope > budget;
    any = any || c.over_budget;
  }
  return any;
}

}  // namespace jleak
