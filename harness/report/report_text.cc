// File: report_text.cc
//
// Terminal summary of an Analysis (see report_text.h).

#include "harness/report/report_text.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "harness/analyze/leak_groups.h"
#include "harness/report/memory_text.h"
#include "profile/profile_report.h"

namespace jleak {
namespace {

std::string Signed(double bytes) {
  return absl::StrCat(bytes >= 0 ? "+" : "", FormatBytes(bytes));
}

std::string Finite(double v, const std::string& unit) {
  if (!std::isfinite(v)) return "?";
  return absl::StrCat(FormatBytes(v), unit);
}

void Signal(const char* name, const std::optional<GrowthEstimate>& g,
            bool bytes, std::vector<std::string>* out) {
  if (!g.has_value()) return;
  if (bytes) {
    out->push_back(absl::StrFormat("%s %s -> %s (%s)", name,
                                   FormatBytes(g->first), FormatBytes(g->last),
                                   Signed(g->last - g->first)));
  } else {
    out->push_back(absl::StrFormat("%s %.0f -> %.0f", name, g->first, g->last));
  }
}

// The indent of the lines under a row: under its site column.
const std::string kIndent =
    absl::StrFormat("  %-11s %-30s %-8s   ", "", "", "");

// WriteRow: a row of the table: growth, rate with its interval, trend and
// name; "!" over budget, "?" the likely site.
void WriteRow(const GrowthEstimate& g, bool over_budget, bool likely,
              const std::string& unit, const std::string& name,
              std::ostream& out) {
  const std::string rate =
      absl::StrCat(Finite(g.slope, unit), " (", Finite(g.slope_low, ""), "..",
                   Finite(g.slope_high, ""), ")");
  const std::string trend =
      g.p_value < 0.001 ? "p<0.001" : absl::StrFormat("p=%.2f", g.p_value);
  out << absl::StrFormat("%s %-11s %-30s %-8s %s\n",
                         over_budget ? "!"
                         : likely    ? "?"
                                     : " ",
                         Signed(g.growth), rate, trend, name);
}

// WriteSite: a site's row, then the Java method that called in, the
// runtime and JVM frames it went through (folded), then its first callers.
void WriteSite(const SiteSeries& s, bool over_budget, bool likely,
               const std::string& unit, const TextSummaryOptions& options,
               std::ostream& out) {
  const bool named =
      s.user_frame >= 0 && s.user_frame < static_cast<int>(s.frames.size());
  WriteRow(s.growth, over_budget, likely, unit,
           named ? FrameLabel(s.frames[s.user_frame]) : s.top_frame, out);
  size_t next = named ? s.user_frame + 1 : 1;
  if (s.java_frame > s.user_frame && named) {
    out << kIndent << "from " << FrameLabel(s.frames[s.java_frame]) << "\n";
    next = s.java_frame + 1;
  }
  if (const std::string via = SiteVia(s); !via.empty()) {
    out << kIndent << "via " << via << "\n";
  }
  for (size_t i = next, shown_callers = 1;
       i < s.frames.size() && shown_callers < options.max_frames;
       ++i, ++shown_callers) {
    out << kIndent << "<- " << FrameLabel(s.frames[i]) << "\n";
  }
}

}  // namespace

void WriteTextSummary(const Analysis& a, const TextSummaryOptions& options,
                      std::ostream& out) {
  if (a.groups.empty() && !a.sites.empty()) {
    // Never grouped (an Analysis built by hand): each site is a group.
    Analysis grouped = a;
    GroupEachSiteAlone(grouped);
    WriteTextSummary(grouped, options, out);
    return;
  }
  const bool per_snapshot = a.time_source == TimeSource::kSequence;
  const std::string unit = per_snapshot ? "/snap" : "/s";
  std::string verdict = VerdictName(a.verdict);
  for (char& c : verdict) c = static_cast<char>(std::toupper(c));
  out << "jleak: " << verdict << ": " << a.reason << "\n";
  if (a.verdict == Verdict::kLeak) {
    out << "  " << GrowthKindSentence(a.kind) << "\n";
  }
  size_t analyzed = 0;
  for (const SnapshotInfo& s : a.snapshots) analyzed += s.analyzed;
  out << absl::StrFormat(
      "  %d snapshots, %d analyzed after a %.1f%s warm-up; times from %s\n",
      a.snapshots.size(), analyzed, a.warmup_seconds,
      per_snapshot ? "-snapshot" : " s", TimeSourceName(a.time_source));
  if (!a.command.empty()) out << "  command: " << a.command << "\n";
  if (!a.engine.empty()) {
    out << "  engine: " << a.engine
        << (a.engine_limit.empty() ? "" : ": " + a.engine_limit) << "\n";
  }

  // Groups (leak_groups.h), each the sites one application frame makes;
  // a group of one site without an application frame reads as the site.
  size_t shown = 0;
  for (const LeakGroup& g : a.groups) {
    if (shown == options.max_sites) break;
    // "?": the likely site of a leak found by jemalloc's exact count, shown
    // even when sampling gave it no fitted growth.
    if (g.suppressed || g.sites.empty() ||
        (g.growth.growth <= 0 && !g.over_budget && !g.likely)) {
      continue;
    }
    if (shown == 0) {
      out << absl::StrFormat("\n  %-11s %-30s %-8s %s\n", "growth",
                             "rate (95% CI)", "trend", "site");
    }
    ++shown;
    const SiteSeries& top = a.sites[g.sites.front()];
    if (g.app_frame.empty()) {
      WriteSite(top, g.over_budget, g.likely, unit, options, out);
      continue;
    }
    WriteRow(g.growth, g.over_budget, g.likely, unit, g.app_frame, out);
    if (!g.app_caller.empty())
      out << kIndent << "from " << g.app_caller << "\n";
    out << kIndent << (g.through.empty() ? "" : "through " + g.through)
        << (g.through.empty() ? "" : ", ") << g.sites.size()
        << (g.sites.size() == 1 ? " site:" : " sites:") << "\n";
    for (size_t i = 0; i < g.sites.size() && i < options.max_frames; ++i) {
      const SiteSeries& s = a.sites[g.sites[i]];
      out << kIndent << "  " << Signed(s.growth.growth) << " "
          << Finite(s.growth.slope, unit) << "  " << s.headline << "\n";
    }
    if (g.sites.size() > options.max_frames) {
      out << kIndent << "  (" << g.sites.size() - options.max_frames
          << " more)\n";
    }
  }
  if (shown == 0) out << "\n  no allocation site grew after the warm-up\n";
  size_t suppressed = 0, flat = 0;
  for (const SiteSeries& s : a.sites) {
    suppressed += s.suppressed;
    flat +=
        !s.suppressed && s.growth.growth <= 0 && !s.over_budget && !s.likely;
  }
  if (flat > 0) {
    out << absl::StrFormat("  (%d sites that did not grow not listed)\n", flat);
  }
  if (suppressed > 0) {
    out << absl::StrFormat("  (%d suppressed sites not judged)\n", suppressed);
  }
  if (const JleakFootprint& own = a.jleak_footprint; own.sites > 0) {
    out << absl::StrFormat(
        "  (jleak's own agent: %d sites, %s, %s%s; not counted)\n", own.sites,
        FormatBytes(own.bytes), Signed(own.growth.slope), unit);
  }

  std::vector<std::string> signals;
  Signal("RSS", a.rss_growth, true, &signals);
  Signal("jemalloc allocated", a.allocated_growth, true, &signals);
  Signal("direct buffers", a.direct_buffer_growth, true, &signals);
  Signal("threads", a.thread_growth, false, &signals);
  if (!signals.empty()) {
    out << "\n  after warm-up: ";
    for (size_t i = 0; i < signals.size(); ++i) {
      out << (i ? "; " : "") << signals[i];
    }
    out << "\n";
  }
  // The Native Memory Tracking categories that grew, largest first.
  std::vector<std::string> nmt;
  for (const auto& [category, g] : a.nmt_growth) {
    if (g.growth <= 0 || nmt.size() == 4) continue;
    nmt.push_back(absl::StrCat(category, " ", Signed(g.growth)));
  }
  if (!nmt.empty()) {
    out << "  NMT committed after warm-up: ";
    for (size_t i = 0; i < nmt.size(); ++i) out << (i ? "; " : "") << nmt[i];
    out << "\n";
  }
  WriteMemoryText(a, out);
  for (const std::string& w : a.warnings) out << "  warning: " << w << "\n";
}

}  // namespace jleak
