// File: memory_text.cc
//
// "Where RSS went" as text (see memory_text.h).

#include "harness/report/memory_text.h"

#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "harness/analyze/memory_fold.h"
#include "profile/profile_report.h"

namespace jleak {
namespace {

// Groups listed per kind: the ones that grew most.
constexpr size_t kShown = 3;

std::string Signed(double bytes) {
  return absl::StrCat(bytes >= 0 ? "+" : "", FormatBytes(bytes));
}

std::string Bound(double v) {
  return std::isfinite(v) ? FormatBytes(v) : std::string("?");
}

std::string Trend(double p) {
  return p < 0.001 ? "p<0.001" : absl::StrFormat("p=%.2f", p);
}

double LastKnown(const std::vector<double>& v) {
  for (auto it = v.rbegin(); it != v.rend(); ++it) {
    if (!std::isnan(*it)) return *it;
  }
  return 0;
}

bool Grew(const std::optional<GrowthEstimate>& g) {
  return g.has_value() && g->growth > 0;
}

void ClassRows(const MemoryReport& m, std::ostream& out) {
  out << absl::StrFormat("  %-20s %-23s %-11s %-38s %s\n", "  class (resident)",
                         "after warm-up", "growth", "rate (95% CI)", "trend");
  for (const MemoryClassReport& c : m.classes) {
    if (!c.growth.has_value()) {
      out << absl::StrFormat("  %s %-18s %-23s\n", c.over_budget ? "!" : " ",
                             c.label, FormatBytes(LastKnown(c.rss_bytes)));
      continue;
    }
    const GrowthEstimate& g = *c.growth;
    out << absl::StrFormat(
        "  %s %-18s %-23s %-11s %-38s %s\n", c.over_budget ? "!" : " ", c.label,
        absl::StrCat(FormatBytes(g.first), " -> ", FormatBytes(g.last)),
        Signed(g.growth),
        absl::StrCat(Signed(g.slope), "/s (", Bound(g.slope_low), "..",
                     Bound(g.slope_high), ")"),
        Trend(g.p_value));
  }
}

std::string FromFrames(const std::vector<std::string>& java,
                       const std::vector<std::string>& native) {
  std::string s;
  if (!java.empty()) s = absl::StrCat(", from ", NamingFrame(java));
  if (!native.empty()) {
    absl::StrAppend(&s, java.empty() ? ", from " : " via ", native[0]);
  }
  return s;
}

void GroupRows(const MemoryReport& m, std::ostream& out) {
  size_t shown = 0;
  for (const MemoryFileReport& f : m.files) {
    if (shown == kShown || !(Grew(f.growth) || Grew(f.mapping_growth))) break;
    ++shown;
    out << absl::StrFormat(
        "    mapped files %s: %.0f mappings%s, %s resident (%s/s)%s%s\n",
        f.pattern, f.last_mappings,
        f.mapping_growth.has_value()
            ? absl::StrFormat(" (%+.1f/s)", f.mapping_growth->slope)
            : "",
        FormatBytes(LastKnown(f.rss_bytes)),
        Signed(f.growth.has_value() ? f.growth->slope : 0),
        f.deleted ? ", deleted files" : "",
        f.mapped_from.empty()
            ? ""
            : absl::StrCat(", mapped from ", NamingFrame(f.mapped_from)));
  }
  shown = 0;
  for (const MemoryThreadReport& t : m.threads) {
    if (shown == kShown || !Grew(t.growth)) break;
    ++shown;
    out << absl::StrFormat(
        "    threads %s: %.0f live (%+.1f/s)%s%s\n", t.pattern,
        LastKnown(t.count), t.growth->slope,
        t.parked_in_frame.empty()
            ? ""
            : absl::StrCat(", parked in ", t.parked_in_frame),
        t.started_from.empty()
            ? ""
            : absl::StrCat(", started from ", NamingFrame(t.started_from)));
  }
  shown = 0;
  for (const MemoryLoaderReport& l : m.class_loaders) {
    if (shown == kShown || !(Grew(l.growth) || Grew(l.loader_growth))) break;
    ++shown;
    out << absl::StrFormat(
        "    class loaders %s: %.0f loaders (%+.1f/s), %.0f classes "
        "(%+.1f/s)\n",
        l.type, LastKnown(l.loaders),
        l.loader_growth.has_value() ? l.loader_growth->slope : 0,
        LastKnown(l.classes), l.growth.has_value() ? l.growth->slope : 0);
  }
  shown = 0;
  for (const MemoryMmapReport& s : m.mmap_sites) {
    if (shown == kShown || !Grew(s.growth)) break;
    ++shown;
    out << absl::StrFormat(
        "    mmap %s: %.0f mappings, %s (%s/s)%s\n",
        s.kind == "anon" ? "anonymous" : absl::StrCat("file ", s.pattern),
        s.last_mappings, FormatBytes(LastKnown(s.bytes)),
        Signed(s.growth->slope), FromFrames(s.java_frames, s.native_frames));
  }
  if (m.allocator.has_value()) {
    const MemoryAllocatorReport& a = *m.allocator;
    std::string figures;
    for (const auto& [name, series] : a.figures) {
      absl::StrAppend(&figures, figures.empty() ? "" : ", ", name, " ",
                      name == "arenas" || name == "mmap_count"
                          ? absl::StrFormat("%.0f", LastKnown(series))
                          : FormatBytes(LastKnown(series)));
    }
    out << "    " << a.name << ": " << figures << "\n";
    if (!a.finding.empty()) out << "      " << a.finding << "\n";
  }
}

}  // namespace

void WriteMemoryText(const Analysis& a, std::ostream& out) {
  const MemoryReport& m = a.memory;
  if (!m.recorded) {
    out << "\n  where RSS went: "
        << (m.reason.empty() ? "nothing outside malloc was recorded" : m.reason)
        << "\n";
    return;
  }
  out << absl::StrFormat("\n  where RSS went (%d memory maps, %.1f ms each):\n",
                         m.snapshots, m.median_cost_ns / 1e6);
  ClassRows(m, out);
  GroupRows(m, out);
}

}  // namespace jleak
