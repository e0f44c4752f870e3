// File: leak_groups.cc
//
// Sites -> leak groups, and the groups' fits and names (see
// leak_groups.h).

#include "harness/analyze/leak_groups.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "profile/profile_report.h"

namespace jleak {
namespace {

bool HasAppFrame(const SiteSeries& s) {
  return s.app_frame >= 0 && s.app_frame < static_cast<int>(s.frames.size()) &&
         !s.app_native;
}

std::string Sites(size_t n) {
  return absl::StrCat(n, n == 1 ? " site" : " sites");
}

std::string Rate(double per_unit, TimeSource ts) {
  return absl::StrCat(FormatBytes(per_unit),
                      ts == TimeSource::kSequence ? "/snapshot" : "/s");
}

}  // namespace

std::string From(const LeakGroup& g) {
  return g.app_caller.empty() ? "" : absl::StrCat(" from ", g.app_caller);
}

std::string LeakGroupKey(const SiteSeries& site) {
  if (!HasAppFrame(site)) return absl::StrCat("site:", site.key);
  // The method, not its line: one method's calls are one mistake. The
  // entry's class, not the native library, which is the same for all of
  // an entry's allocations.
  return absl::StrCat("app:", site.frames[site.app_frame].function,
                      " through:", site.entry,
                      site.suppressed ? " suppressed" : "");
}

void BuildLeakGroups(const std::vector<size_t>& fit, Analysis& a) {
  a.groups.clear();
  absl::flat_hash_map<std::string, size_t> index;
  for (size_t i = 0; i < a.sites.size(); ++i) {
    SiteSeries& s = a.sites[i];
    auto [it, inserted] = index.emplace(LeakGroupKey(s), a.groups.size());
    if (inserted) {
      LeakGroup g;
      g.key = it->first;
      if (HasAppFrame(s)) {
        const NamedFrame& f = s.frames[s.app_frame];
        g.app_frame = FrameLabel(f);
        g.app_method = f.function;
        if (s.app_caller >= 0)
          g.app_caller = FrameLabel(s.frames[s.app_caller]);
        g.through = s.through;
      } else if (s.app_native && s.app_frame >= 0 &&
                 s.app_frame < static_cast<int>(s.frames.size())) {
        // The application's own JNI code: the site's headline stays (it
        // names the Java caller already), and the method is named for
        // those who read groups[].app_method.
        g.app_method = s.frames[s.app_frame].function;
      }
      g.suppressed = s.suppressed;
      g.bytes.assign(s.bytes.size(), 0);
      a.groups.push_back(std::move(g));
    }
    LeakGroup& g = a.groups[it->second];
    g.sites.push_back(i);
    for (size_t j = 0; j < g.bytes.size() && j < s.bytes.size(); ++j) {
      g.bytes[j] += s.bytes[j];
    }
  }
  std::vector<double> t;
  for (size_t i : fit) t.push_back(a.snapshots[i].time_seconds);
  for (LeakGroup& g : a.groups) {
    if (g.sites.size() == 1) {
      // The same sum and noise: the site's own fit.
      g.growth = a.sites[g.sites[0]].growth;
      continue;
    }
    std::vector<double> y, sd;
    for (size_t i : fit) {
      y.push_back(i < g.bytes.size() ? g.bytes[i] : 0);
      double var = 0;
      for (size_t m : g.sites) {
        const std::vector<double>& noise = a.sites[m].noise_sd;
        if (i < noise.size()) var += noise[i] * noise[i];
      }
      sd.push_back(std::sqrt(var));
    }
    g.growth = EstimateGrowth(t, y, sd);
  }
  // Like SortSites: unsuppressed first, by decreasing growth; ties keep
  // the order of their first (best-ranked) members.
  std::stable_sort(a.groups.begin(), a.groups.end(),
                   [](const LeakGroup& x, const LeakGroup& y) {
                     if (x.suppressed != y.suppressed) return !x.suppressed;
                     if (x.growth.growth != y.growth.growth) {
                       return x.growth.growth > y.growth.growth;
                     }
                     return x.sites.front() < y.sites.front();
                   });
  for (size_t gi = 0; gi < a.groups.size(); ++gi) {
    for (size_t m : a.groups[gi].sites) a.sites[m].group = static_cast<int>(gi);
  }
}

void GroupEachSiteAlone(Analysis& a) {
  a.groups.clear();
  for (size_t i = 0; i < a.sites.size(); ++i) {
    SiteSeries& s = a.sites[i];
    LeakGroup g;
    g.key = absl::StrCat("site:", s.key);
    g.headline = s.headline;
    g.sites = {i};
    g.bytes = s.bytes;
    g.growth = s.growth;
    g.suppressed = s.suppressed;
    g.over_budget = s.over_budget;
    g.likely = s.likely;
    s.group = static_cast<int>(i);
    a.groups.push_back(std::move(g));
  }
}

std::string GroupLabel(const Analysis& a, const LeakGroup& g) {
  if (g.app_frame.empty()) {
    return g.sites.empty() ? g.key : a.sites[g.sites[0]].headline;
  }
  return absl::StrCat(
      g.app_frame,
      g.through.empty() ? "" : absl::StrCat(" through ", g.through), " (",
      Sites(g.sites.size()), ")");
}

void NameLeakGroups(Analysis& a) {
  for (LeakGroup& g : a.groups) {
    if (g.app_frame.empty()) {
      g.headline = g.sites.empty() ? g.key : a.sites[g.sites[0]].headline;
      continue;
    }
    const double rate = g.growth.slope;
    std::string verb;
    if (g.over_budget) {
      verb = absl::StrCat("leaks ", Rate(rate, a.time_source));
    } else if (rate > 0) {
      verb = absl::StrCat("grows ", Rate(rate, a.time_source));
    } else if (rate < 0) {
      verb = absl::StrCat("shrinks ", Rate(-rate, a.time_source));
    } else {
      verb = "is flat";
    }
    g.headline = absl::StrCat(
        g.app_frame, From(g), " ", verb,
        g.through.empty() ? "" : absl::StrCat(" through ", g.through), " (",
        Sites(g.sites.size()), ")");
  }
}

}  // namespace jleak
