// File: leak_groups.h
//
// Leak groups (issue 19): one forgotten close() makes several growing
// sites (a library's init allocation, its buffers, its compress buffer);
// a report that lists them as four problems misleads. Sites that share
// their first application frame (site_origins.h) and the library entry
// it called form one group; the verdict and the per-site budget judge
// groups (verdict.h). Pure: an Analysis in, its groups out.
//
// - A group's growth is fitted (EstimateGrowth, the sites' estimator) to
//   the SUM of its members' series, with the members' sampling noise
//   added in variance; never by adding their intervals, which would
//   overstate the uncertainty of a sum of correlated series.
// - A site without an application frame, or whose application frame
//   calls its own JNI code (SiteSeries::app_native), is a group of its
//   own: the site's headline of today names it.
// - Suppressed sites group apart from unsuppressed ones (the key says
//   which), so a suppression never hides a member of a judged group.
// - Groups are ordered like sites (SortSites): unsuppressed first, then by
//   decreasing fitted growth, ties by their first member's rank.

#ifndef JLEAK_HARNESS_ANALYZE_LEAK_GROUPS_H_
#define JLEAK_HARNESS_ANALYZE_LEAK_GROUPS_H_

#include <cstddef>
#include <string>
#include <vector>

#include "harness/analyze/analysis.h"

namespace jleak {

// LeakGroupKey: the key of the group a classified site (ClassifySite)
// belongs to: "app:METHOD through:ENTRY" (plus " suppressed"), or the
// site's own key.
std::string LeakGroupKey(const SiteSeries& site);

// BuildLeakGroups sets a.groups from a.sites (sorted, classified, with
// bytes and noise_sd per snapshot) and each site's `group`. Each group is
// fitted on the snapshots `fit` (indices into a.snapshots, whose times
// the fit uses). Headlines come later (NameLeakGroups), once the verdict
// has marked the groups over budget.
void BuildLeakGroups(const std::vector<size_t>& fit, Analysis& a);

// GroupEachSiteAlone: a.groups with one group per site, each with its
// site's series, growth, headline and marks (over budget, likely): for an
// Analysis whose sites were never grouped (built by hand, or by an older
// caller).
void GroupEachSiteAlone(Analysis& a);

// From: " from CALLER" when the group's application frame has an
// application caller (SiteSeries::app_caller), else "".
std::string From(const LeakGroup& g);

// GroupLabel: what a sentence calls a group: "pkg.Cls.m (Cls.java:18)
// through E → libx (4 sites)", or its site's headline.
std::string GroupLabel(const Analysis& a, const LeakGroup& g);

// NameLeakGroups sets every group's headline: "pkg.Cls.m (Cls.java:18)
// [from pkg.Cls.caller (Cls.java:30)] leaks 6.8 MiB/s through E → libx (4
// sites)" ("grows" when not over budget, "shrinks", "is flat"), or its site's
// headline.
void NameLeakGroups(Analysis& a);

}  // namespace jleak

#endif  // JLEAK_HARNESS_ANALYZE_LEAK_GROUPS_H_
