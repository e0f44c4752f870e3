// File: report_json.cc
//
// The JSON report of an Analysis (schema in report_json.h and
// report_schema.md), built with nlohmann::ordered_json so that keys keep
// the documented order.

#include "harness/report/report_json.h"

#include <cmath>
#include <cstdint>
#include <exception>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "harness/analyze/leak_groups.h"
#include "harness/report/memory_json.h"
#include "nlohmann/json.hpp"

namespace jleak {
namespace {

using Json = nlohmann::ordered_json;

// Number: JSON has no NaN or Infinity; an unbounded interval is null.
Json Number(double v) {
  if (!std::isfinite(v)) return nullptr;
  return v;
}

// Bytes: unsampled byte counts are estimates with a fractional part that
// means nothing; integers keep files small and readable. Beyond 2^53 a
// double is already an integer and prints as one.
Json Bytes(double v) {
  if (!std::isfinite(v)) return nullptr;
  const double r = std::round(v);
  if (std::fabs(r) < 9007199254740992.0) return static_cast<int64_t>(r);
  return r;
}

Json Growth(const GrowthEstimate& g) {
  Json j = Json::object();
  j["points"] = g.points;
  j["growth"] = Number(g.growth);
  j["rate"] = Number(g.slope);
  j["rate_low"] = Number(g.slope_low);
  j["rate_high"] = Number(g.slope_high);
  j["first"] = Number(g.first);
  j["last"] = Number(g.last);
  j["intercept"] = Number(g.intercept);
  j["p_value"] = Number(g.p_value);
  j["monotonicity"] = Number(g.monotonicity);
  j["r_squared"] = Number(g.r_squared);
  return j;
}

Json Frame(const NamedFrame& f, const std::string& origin) {
  Json j = Json::object();
  j["function"] = f.function;
  j["file"] = f.file;
  j["line"] = f.line;
  j["module"] = f.module;
  j["kind"] = FrameKindName(f.kind);
  j["origin"] = origin;
  return j;
}

// The growth keys of a site, also a group's.
void AddGrowth(const GrowthEstimate& g, const std::vector<double>& series,
               Json& j) {
  j["growth_bytes"] = Bytes(g.growth);
  j["bytes_per_second"] = Number(g.slope);
  j["bytes_per_second_low"] = Number(g.slope_low);
  j["bytes_per_second_high"] = Number(g.slope_high);
  j["p_value"] = Number(g.p_value);
  j["monotonicity"] = Number(g.monotonicity);
  j["r_squared"] = Number(g.r_squared);
  j["points"] = g.points;
  j["first_bytes"] = Bytes(g.first);
  j["last_bytes"] = Bytes(g.last);
  Json bytes = Json::array();
  for (double b : series) bytes.push_back(Bytes(b));
  j["bytes"] = std::move(bytes);
}

Json Group(const Analysis& a, const LeakGroup& g, size_t rank) {
  Json j = Json::object();
  j["rank"] = rank;
  j["key"] = g.key;
  j["app_frame"] = g.app_frame;
  j["app_method"] = g.app_method;
  j["app_caller"] = g.app_caller;
  j["through"] = g.through;
  j["headline"] = g.headline.empty() ? GroupLabel(a, g) : g.headline;
  Json sites = Json::array();
  for (size_t i : g.sites) sites.push_back(i);
  j["sites"] = std::move(sites);
  AddGrowth(g.growth, g.bytes, j);
  j["over_budget"] = g.over_budget;
  j["suppressed"] = g.suppressed;
  j["likely"] = g.likely;
  // jleak's own sites are never grouped (Analysis::jleak_footprint).
  j["jleak_own"] = false;
  return j;
}

Json Site(const SiteSeries& s, size_t rank) {
  Json j = Json::object();
  j["rank"] = rank;
  j["key"] = s.key;
  j["top_frame"] = s.top_frame;
  j["headline"] = s.headline;
  j["via"] = SiteVia(s);
  j["user_frame"] = s.user_frame;
  j["java_frame"] = s.java_frame;
  j["java_method"] =
      s.java_frame >= 0 ? FrameLabel(s.frames[s.java_frame]) : "";
  Json frames = Json::array();
  for (size_t i = 0; i < s.frames.size(); ++i) {
    // A site never classified (built by hand): its Java frames' origin
    // is not known.
    const std::string origin = i < s.origins.size()       ? s.origins[i]
                               : IsJavaFrame(s.frames[i]) ? "unknown"
                                                          : "";
    frames.push_back(Frame(s.frames[i], origin));
  }
  j["frames"] = std::move(frames);
  AddGrowth(s.growth, s.bytes, j);
  j["suppressed"] = s.suppressed;
  j["suppressed_by"] = s.suppressed_by;
  j["over_budget"] = s.over_budget;
  j["likely"] = s.likely;
  j["group"] = s.group;
  return j;
}

void AddIfPresent(Json& j, const char* name, const std::optional<double>& v) {
  if (v.has_value()) j[name] = Number(*v);
}

void AddBytesIfPresent(Json& j, const char* name,
                       const std::optional<double>& v) {
  if (v.has_value()) j[name] = Bytes(*v);
}

Json TimelinePointJson(const TimelinePoint& p) {
  Json j = Json::object();
  j["seq"] = p.seq;
  j["time_seconds"] = Number(p.time_seconds);
  AddBytesIfPresent(j, "rss_bytes", p.rss_bytes);
  AddBytesIfPresent(j, "anon_rss_bytes", p.anon_rss_bytes);
  AddBytesIfPresent(j, "jemalloc_allocated", p.jemalloc_allocated);
  AddBytesIfPresent(j, "jemalloc_active", p.jemalloc_active);
  AddBytesIfPresent(j, "jemalloc_resident", p.jemalloc_resident);
  AddBytesIfPresent(j, "jemalloc_mapped", p.jemalloc_mapped);
  AddBytesIfPresent(j, "jemalloc_retained", p.jemalloc_retained);
  AddBytesIfPresent(j, "java_heap_used", p.java_heap_used);
  AddBytesIfPresent(j, "direct_buffer_bytes", p.direct_buffer_bytes);
  AddIfPresent(j, "direct_buffer_count", p.direct_buffer_count);
  AddIfPresent(j, "threads", p.threads);
  return j;
}

Json Report(const Analysis& a, const JsonReportOptions& options) {
  Json j = Json::object();
  j["schema_version"] = kJsonReportSchemaVersion;
  j["verdict"] = VerdictName(a.verdict);
  j["reason"] = a.reason;
  j["kind"] = GrowthKindName(a.kind);
  j["kind_sentence"] = GrowthKindSentence(a.kind);
  j["command"] = a.command;
  if (!a.engine.empty()) {
    j["engine"] = {{"name", a.engine}, {"limit", a.engine_limit}};
  }
  j["time_source"] = TimeSourceName(a.time_source);
  j["rate_unit"] =
      a.time_source == TimeSource::kSequence ? "per_snapshot" : "per_second";
  j["warmup_seconds"] = Number(a.warmup_seconds);

  Json budgets = Json::object();
  budgets["max_site_rate"] = Number(a.budgets.max_site_rate);
  budgets["max_total_rate"] = Number(a.budgets.max_total_rate);
  budgets["max_allocated_rate"] = Number(a.budgets.max_allocated_rate);
  budgets["max_rss_rate"] = Number(a.budgets.max_rss_rate);
  budgets["max_outside_rate"] = Number(a.budgets.max_outside_rate);
  budgets["max_total_growth"] = Bytes(a.budgets.max_total_growth);
  j["budgets"] = std::move(budgets);

  Json snapshots = Json::array();
  for (const SnapshotInfo& s : a.snapshots) {
    Json sj = Json::object();
    sj["path"] = s.path;
    sj["seq"] = s.seq;
    sj["time_seconds"] = Number(s.time_seconds);
    sj["total_bytes"] = Bytes(s.total_bytes);
    sj["analyzed"] = s.analyzed;
    snapshots.push_back(std::move(sj));
  }
  j["snapshots"] = std::move(snapshots);

  Json timeline = Json::array();
  for (const TimelinePoint& p : a.timeline) {
    timeline.push_back(TimelinePointJson(p));
  }
  j["timeline"] = std::move(timeline);

  j["total"] = Growth(a.total);
  Json signals = Json::object();
  if (a.rss_growth) signals["rss"] = Growth(*a.rss_growth);
  if (a.allocated_growth) {
    signals["jemalloc_allocated"] = Growth(*a.allocated_growth);
  }
  if (a.resident_growth) {
    signals["jemalloc_resident"] = Growth(*a.resident_growth);
  }
  if (a.direct_buffer_growth) {
    signals["direct_buffers"] = Growth(*a.direct_buffer_growth);
  }
  if (a.thread_growth) signals["threads"] = Growth(*a.thread_growth);
  if (!a.nmt_growth.empty()) {
    Json nmt = Json::object();
    for (const auto& [category, g] : a.nmt_growth) nmt[category] = Growth(g);
    signals["nmt_committed"] = std::move(nmt);
  }
  j["signals"] = std::move(signals);
  j["memory"] = MemoryJson(a.memory);

  const std::vector<size_t> shown = SitesToReport(a, options.max_sites);
  j["site_count"] = a.sites.size();
  j["sites_omitted"] = a.sites.size() - shown.size();
  Json sites = Json::array();
  for (size_t i : shown) sites.push_back(Site(a.sites[i], i));
  j["sites"] = std::move(sites);
  // The groups with a reported member, in the analysis' order.
  std::vector<bool> reported(a.groups.size(), false);
  for (size_t i : shown) {
    const int g = a.sites[i].group;
    if (g >= 0 && static_cast<size_t>(g) < reported.size()) reported[g] = true;
  }
  Json groups = Json::array();
  for (size_t g = 0; g < a.groups.size(); ++g) {
    if (reported[g]) groups.push_back(Group(a, a.groups[g], g));
  }
  j["groups"] = std::move(groups);
  const JleakFootprint& own = a.jleak_footprint;
  j["jleak_footprint"] = {{"bytes", Bytes(own.bytes)},
                          {"bytes_per_second", Number(own.growth.slope)},
                          {"sites", own.sites}};

  Json warnings = Json::array();
  for (const std::string& w : a.warnings) warnings.push_back(w);
  j["warnings"] = std::move(warnings);
  return j;
}

}  // namespace

nlohmann::ordered_json JsonNumber(double v) { return Number(v); }
nlohmann::ordered_json JsonBytes(double v) { return Bytes(v); }
nlohmann::ordered_json GrowthJson(const GrowthEstimate& g) { return Growth(g); }

std::vector<size_t> SitesToReport(const Analysis& analysis, size_t max_sites) {
  std::vector<size_t> shown;
  for (size_t i = 0; i < analysis.sites.size(); ++i) {
    const SiteSeries& s = analysis.sites[i];
    // Every member of a group the verdict names.
    const bool judged = s.group >= 0 &&
                        static_cast<size_t>(s.group) < analysis.groups.size() &&
                        (analysis.groups[s.group].over_budget ||
                         analysis.groups[s.group].likely);
    if (max_sites == 0 || i < max_sites || s.over_budget || s.likely ||
        judged) {
      shown.push_back(i);
    }
  }
  return shown;
}

absl::StatusOr<std::string> JsonReportString(const Analysis& analysis,
                                             const JsonReportOptions& options) {
  if (analysis.groups.empty() && !analysis.sites.empty()) {
    // Never grouped (an Analysis built by hand): each site is a group.
    Analysis grouped = analysis;
    GroupEachSiteAlone(grouped);
    return JsonReportString(grouped, options);
  }
  // nlohmann throws (e.g. type_error 316 on invalid UTF-8, which a
  // symbol table may well contain); `replace` avoids that one, and the
  // catch keeps any other from crossing our API.
  try {
    return Report(analysis, options)
        .dump(options.indent, ' ', /*ensure_ascii=*/false,
              Json::error_handler_t::replace);
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("JSON report: ", e.what()));
  }
}

absl::Status WriteJsonReport(const Analysis& analysis, std::ostream& out,
                             const JsonReportOptions& options) {
  absl::StatusOr<std::string> json = JsonReportString(analysis, options);
  if (!json.ok()) return json.status();
  out << *json << '\n';
  out.flush();
  if (!out) return absl::DataLossError("JSON report: write failed");
  return absl::OkStatus();
}

}  // namespace jleak
