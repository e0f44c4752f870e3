// File: compare_report.cc
//
// Text, JSON and HTML reports of a Comparison (see compare_report.h).

#include "harness/report/compare_report.h"

#include <cmath>
#include <exception>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "harness/report/report_html.h"
#include "harness/report/report_json.h"
#include "nlohmann/json.hpp"
#include "profile/profile_report.h"

namespace jleak {
namespace {

using Json = nlohmann::ordered_json;

std::string Rate(double v, const Comparison& c) {
  if (!std::isfinite(v)) return "?";
  return absl::StrCat(v >= 0 ? "+" : "", FormatBytes(v),
                      c.time_source == TimeSource::kSequence ? "/snap" : "/s");
}

std::string RateOf(const std::optional<GrowthEstimate>& g,
                   const Comparison& c) {
  return g.has_value() ? Rate(g->slope, c) : "absent";
}

std::string Difference(const RateComparison& r, const Comparison& c) {
  return absl::StrCat(Rate(r.difference, c), " (", Rate(r.difference_low, c),
                      "..", Rate(r.difference_high, c), ")");
}

Json RateJson(const RateComparison& r, Json j) {
  j["base"] = r.base.has_value() ? GrowthJson(*r.base) : Json(nullptr);
  j["candidate"] =
      r.candidate.has_value() ? GrowthJson(*r.candidate) : Json(nullptr);
  j["difference"] = JsonNumber(r.difference);
  j["difference_low"] = JsonNumber(r.difference_low);
  j["difference_high"] = JsonNumber(r.difference_high);
  j["regression"] = r.regression;
  return j;
}

const char* Mark(const SiteComparison& s) {
  if (s.rate.regression) return "!";
  if (s.presence == SiteComparison::Presence::kNew) return "+";
  if (s.presence == SiteComparison::Presence::kVanished) return "-";
  return " ";
}

}  // namespace

void WriteCompareText(const Comparison& c, const CompareInputs& inputs,
                      std::ostream& out, size_t max_sites) {
  out << "jleak compare: "
      << absl::AsciiStrToUpper(CompareVerdictName(c.verdict)) << ": "
      << c.reason << "\n";
  out << "  base:      " << inputs.base << " (" << VerdictName(c.base_verdict)
      << ")\n";
  out << "  candidate: " << inputs.candidate << " ("
      << VerdictName(c.candidate_verdict) << ")\n";
  out << "  malloc'd memory, " << c.total_signal << ": "
      << RateOf(c.total.base, c) << " -> " << RateOf(c.total.candidate, c)
      << ", difference " << Difference(c.total, c) << "\n";
  if (!c.sites.empty()) {
    out << absl::StrFormat("\n  %-36s %-12s %-12s %s\n", "difference (95% CI)",
                           "base", "candidate", "site");
  }
  size_t shown = 0;
  for (const SiteComparison& s : c.sites) {
    if (shown++ == max_sites) {
      out << absl::StrFormat("  (%d more sites in the JSON report)\n",
                             c.sites.size() - max_sites);
      break;
    }
    out << absl::StrFormat(
        "%s %-36s %-12s %-12s %s%s\n", Mark(s), Difference(s.rate, c),
        RateOf(s.rate.base, c), RateOf(s.rate.candidate, c),
        s.presence == SiteComparison::Presence::kBoth
            ? ""
            : absl::StrCat("[", PresenceName(s.presence), "] "),
        s.headline);
    // A leak group's sites, under it.
    if (s.members.size() > 1) {
      for (const std::string& m : s.members) {
        out << absl::StrFormat("  %-36s %-12s %-12s   %s\n", "", "", "", m);
      }
    }
  }
  if (c.flat_sites > 0) {
    out << absl::StrFormat("  (%d sites flat in both runs not listed)\n",
                           c.flat_sites);
  }
  for (const std::string& w : c.warnings) out << "  warning: " << w << "\n";
}

absl::StatusOr<std::string> CompareJsonString(const Comparison& c,
                                              const CompareInputs& inputs) {
  try {
    Json j = Json::object();
    j["schema_version"] = 1;
    j["kind"] = "comparison";
    j["verdict"] = CompareVerdictName(c.verdict);
    j["reason"] = c.reason;
    j["rate_unit"] =
        c.time_source == TimeSource::kSequence ? "per_snapshot" : "per_second";
    j["budgets"] = {
        {"max_site_increase", JsonNumber(c.options.max_site_increase)},
        {"max_total_increase", JsonNumber(c.options.max_total_increase)}};
    j["base"] = {{"input", inputs.base},
                 {"verdict", VerdictName(c.base_verdict)}};
    j["candidate"] = {{"input", inputs.candidate},
                      {"verdict", VerdictName(c.candidate_verdict)}};
    Json total = Json::object();
    total["signal"] = c.total_signal;
    j["total"] = RateJson(c.total, std::move(total));
    Json sites = Json::array();
    for (const SiteComparison& s : c.sites) {
      Json site = Json::object();
      site["key"] = s.key;
      site["headline"] = s.headline;
      site["top_frame"] = s.top_frame;
      site["presence"] = PresenceName(s.presence);
      site["members"] = s.members;
      sites.push_back(RateJson(s.rate, std::move(site)));
    }
    j["sites"] = std::move(sites);
    j["flat_sites"] = c.flat_sites;
    j["warnings"] = c.warnings;
    return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) +
           "\n";
  } catch (const std::exception& e) {
    return absl::InternalError(
        absl::StrCat("cannot render the JSON comparison: ", e.what()));
  }
}

absl::Status WriteCompareHtml(const Comparison& c, const CompareInputs& inputs,
                              std::ostream& out) {
  const char* colour = c.verdict == CompareVerdict::kSame         ? "#dafbe1"
                       : c.verdict == CompareVerdict::kRegression ? "#ffebe9"
                                                                  : "#fff8c5";
  out << "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
         "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src "
         "'none'; style-src 'unsafe-inline'\">\n"
         "<title>jleak compare</title>\n<style>\n"
         "body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;"
         "max-width:1200px;padding:0 20px;color:#1f2328}\n"
         "header{padding:16px 20px;margin:20px 0;border-radius:8px}\n"
         "h1{margin:0 0 6px;font-size:20px}table{border-collapse:collapse;"
         "width:100%}\nth,td{text-align:left;padding:6px 8px;border-bottom:"
         "1px solid #d0d7de;vertical-align:top}\nth{font-size:12px;"
         "color:#656d76}\ntd.num{font-family:ui-monospace,monospace;"
         "white-space:nowrap}\ntr.regression td{background:#fff0ee}\n"
         ".mono{font-family:ui-monospace,monospace;word-break:break-all}\n"
         "</style></head><body>\n";
  out << "<header style=\"background:" << colour << "\"><h1>"
      << HtmlEscape(absl::AsciiStrToUpper(CompareVerdictName(c.verdict)))
      << "</h1><div>" << HtmlEscape(c.reason) << "</div></header>\n";
  out << "<p>Base: <span class=\"mono\">" << HtmlEscape(inputs.base)
      << "</span> (" << VerdictName(c.base_verdict)
      << ")<br>Candidate: <span class=\"mono\">" << HtmlEscape(inputs.candidate)
      << "</span> (" << VerdictName(c.candidate_verdict) << ")<br>"
      << "Malloc'd memory, " << HtmlEscape(c.total_signal) << ": "
      << HtmlEscape(RateOf(c.total.base, c)) << " &rarr; "
      << HtmlEscape(RateOf(c.total.candidate, c)) << ", difference "
      << HtmlEscape(Difference(c.total, c)) << "</p>\n";
  out << "<table><thead><tr><th>difference (95% CI)</th><th>base</th>"
         "<th>candidate</th><th>site</th></tr></thead><tbody>\n";
  for (const SiteComparison& s : c.sites) {
    out << "<tr" << (s.rate.regression ? " class=\"regression\"" : "")
        << "><td class=\"num\">" << HtmlEscape(Difference(s.rate, c))
        << "</td><td class=\"num\">" << HtmlEscape(RateOf(s.rate.base, c))
        << "</td><td class=\"num\">" << HtmlEscape(RateOf(s.rate.candidate, c))
        << "</td><td class=\"mono\">"
        << (s.presence == SiteComparison::Presence::kBoth
                ? ""
                : absl::StrCat("[", PresenceName(s.presence), "] "))
        << HtmlEscape(s.headline) << "</td></tr>\n";
  }
  out << "</tbody></table>\n";
  if (c.flat_sites > 0) {
    out << "<p>" << c.flat_sites
        << " sites flat in both runs not listed.</p>\n";
  }
  for (const std::string& w : c.warnings) {
    out << "<p>Warning: " << HtmlEscape(w) << "</p>\n";
  }
  out << "</body></html>\n";
  if (!out) return absl::DataLossError("cannot write the HTML comparison");
  return absl::OkStatus();
}

}  // namespace jleak
