// File: profile_report.cc
//
// jeprof-style text and collapsed-stack reports (see profile_report.h).

#include "profile/profile_report.h"

#include <algorithm>
#include <cmath>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_format.h"

namespace jleak {
namespace {

double Value(const Counts& c, bool by_objects) {
  return by_objects ? c.objects : c.bytes;
}

}  // namespace

std::string FormatBytes(double bytes) {
  const double a = std::fabs(bytes);
  if (a < 1024) return absl::StrFormat("%.0f B", bytes);
  if (a < 1024.0 * 1024) return absl::StrFormat("%.1f KiB", bytes / 1024);
  if (a < 1024.0 * 1024 * 1024) {
    return absl::StrFormat("%.1f MiB", bytes / (1024.0 * 1024));
  }
  return absl::StrFormat("%.2f GiB", bytes / (1024.0 * 1024 * 1024));
}

std::vector<FunctionTotals> FunctionTable(const NamedProfile& profile,
                                          bool sort_by_cumulative,
                                          bool by_objects) {
  absl::flat_hash_map<std::string, size_t> index;
  std::vector<FunctionTotals> table;
  auto entry = [&](const std::string& fn) -> FunctionTotals& {
    auto [it, inserted] = index.emplace(fn, table.size());
    if (inserted) table.push_back({fn, {}, {}});
    return table[it->second];
  };
  for (const NamedStack& s : profile.stacks) {
    if (s.frames.empty()) continue;
    entry(s.frames.front().function).flat += s.counts;
    absl::flat_hash_set<absl::string_view> seen;
    for (const NamedFrame& f : s.frames) {
      if (seen.insert(f.function).second)
        entry(f.function).cumulative += s.counts;
    }
  }
  std::stable_sort(
      table.begin(), table.end(),
      [&](const FunctionTotals& a, const FunctionTotals& b) {
        const Counts& x = sort_by_cumulative ? a.cumulative : a.flat;
        const Counts& y = sort_by_cumulative ? b.cumulative : b.flat;
        const double vx = std::fabs(Value(x, by_objects));
        const double vy = std::fabs(Value(y, by_objects));
        if (vx != vy) return vx > vy;
        return a.function < b.function;
      });
  return table;
}

void WriteText(const NamedProfile& profile, const TextReportOptions& options,
               std::ostream& out) {
  const bool objs = options.show_objects;
  const double total = Value(profile.total, objs);
  auto fmt = [&](double v) {
    if (objs) return absl::StrFormat("%.0f", v);
    if (options.show_bytes) return absl::StrFormat("%.0f", v);
    return absl::StrFormat("%.1f", v / (1024.0 * 1024));
  };
  auto pct = [&](double v) { return total == 0 ? 0.0 : 100.0 * v / total; };
  const char* unit = objs ? "objects" : options.show_bytes ? "B" : "MiB";
  out << absl::StrFormat("Total: %s %s\n", fmt(total), unit);
  const std::vector<FunctionTotals> table =
      FunctionTable(profile, options.sort_by_cumulative, objs);
  double running = 0;
  size_t lines = 0;
  for (const FunctionTotals& t : table) {
    if (options.max_lines != 0 && lines++ >= options.max_lines) break;
    const double flat = Value(t.flat, objs);
    const double cum = Value(t.cumulative, objs);
    running += flat;
    out << absl::StrFormat("%10s %6.1f%% %6.1f%% %10s %6.1f%% %s\n", fmt(flat),
                           pct(flat), pct(running), fmt(cum), pct(cum),
                           t.function);
  }
  for (const std::string& w : profile.warnings) {
    out << "warning: " << w << "\n";
  }
}

void WriteCollapsed(const NamedProfile& profile, bool by_objects,
                    std::ostream& out) {
  for (const NamedStack& s : profile.stacks) {
    const double v = std::round(Value(s.counts, by_objects));
    if (v == 0 || s.frames.empty()) continue;
    std::string line;
    for (auto it = s.frames.rbegin(); it != s.frames.rend(); ++it) {
      if (!line.empty()) line += ';';
      // ';' and ' ' separate fields in this format.
      for (char c : it->function) line += (c == ';' || c == '\n') ? ':' : c;
    }
    out << line << absl::StrFormat(" %.0f\n", v);
  }
}

}  // namespace jleak
