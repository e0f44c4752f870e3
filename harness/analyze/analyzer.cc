// File: analyzer.cc
//
// Snapshot series -> sites -> growth (see analyzer.h); the verdict is
// verdict.cc's.

#include "harness/analyze/analyzer.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <memory>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/types/span.h"
#include "harness/analyze/leak_groups.h"
#include "harness/analyze/memory_analysis.h"
#include "harness/analyze/site_origins.h"
#include "harness/analyze/timeline_growth.h"
#include "harness/analyze/verdict.h"
#include "profile/profile_report.h"

namespace jleak {
namespace {

// Sampling variance of a stack's unsampled bytes (see analyzer.h).
double NoiseVariance(const Counts& c, uint64_t period) {
  if (period == 0 || c.objects <= 0 || c.bytes <= 0) return 0;
  const double size = c.bytes / c.objects;
  const double p = -std::expm1(-size / static_cast<double>(period));
  if (p <= 0) return 0;
  return size * size * c.objects * (1 - p) / p;
}

}  // namespace

size_t SiteKeyFrames(const std::vector<NamedFrame>& frames, int site_frames,
                     int app_frame) {
  size_t n = 0;
  int physical = 0;
  while (n < frames.size() && physical < site_frames &&
         IsStableFrame(frames[n]) && !IsJavaFrame(frames[n])) {
    if (!frames[n].inlined) ++physical;
    ++n;
  }
  // Through the user's frame, however many runtime or JVM frames lead to it:
  // two callers of one std:: or JVM function are two sites.
  n = std::max<size_t>(n, UserFrameIndex(frames) + 1);
  // And through the Java method that called in, when the agent recorded
  // Java frames (stable across JIT compilation, unlike "[jit]" frames).
  n = std::max<size_t>(n, JavaFrameIndex(frames) + 1);
  // And through the application's first frame when a library's Java code
  // lies between: two application methods that call one library entry
  // (one closes what it opens, one forgets) are two sites, not one.
  if (app_frame >= 0) {
    n = std::max<size_t>(n, std::min<size_t>(app_frame + 1, frames.size()));
  }
  n = std::max<size_t>(n, frames.empty() ? 0 : 1);
  // An address's inlined frames go with it.
  while (n < frames.size() && frames[n - 1].inlined) ++n;
  return n;
}

std::string SiteKey(const std::vector<NamedFrame>& frames, int site_frames,
                    int app_frame) {
  const size_t k = SiteKeyFrames(frames, site_frames, app_frame);
  std::string key;
  for (size_t i = 0; i < k; ++i) {
    if (frames[i].inlined) continue;
    if (!key.empty()) key += ';';
    key += frames[i].function;
  }
  return key;
}

namespace {

// A distinct stack of the series, as its addresses say (plus the naming
// context of its profile): hashed once per snapshot it is in, named once.
struct AddressStackHash {
  using is_transparent = void;
  size_t operator()(absl::Span<const uint64_t> s) const {
    return absl::HashOf(s);
  }
};
struct AddressStackEq {
  using is_transparent = void;
  bool operator()(absl::Span<const uint64_t> a,
                  absl::Span<const uint64_t> b) const {
    return a == b;
  }
};

// One distinct named stack (NameProfile's merge unit): its frames, by
// pointer into the StackNamer's per-address table, and its site.
struct Shape {
  std::vector<const NamedFrame*> frames;
  size_t site = 0;
};

struct Site {
  std::string key;
  size_t display_shape = 0;
  int display_snapshot = -1;
  double display_bytes = 0;
  std::vector<double> bytes, objects, noise_var;  // one per snapshot
};

std::vector<NamedFrame> Materialize(const Shape& shape) {
  std::vector<NamedFrame> out;
  out.reserve(shape.frames.size());
  for (const NamedFrame* f : shape.frames) out.push_back(*f);
  return out;
}

}  // namespace

struct SeriesAccumulator::Impl {
  Impl(std::vector<SnapshotMeta> snapshots, Symbolizer& symbolizer,
       const FrameFilter& filter, const AnalyzerOptions& options)
      : metas(std::move(snapshots)),
        symbolizer(symbolizer),
        filter(filter),
        options(options),
        namer(symbolizer, filter, NameOptions{/*source_detail=*/false}),
        classifier(options.code_origins, options.app_rules, filter) {
    std::stable_sort(metas.begin(), metas.end(),
                     [](const SnapshotMeta& x, const SnapshotMeta& y) {
                       if (x.time_seconds != y.time_seconds) {
                         return x.time_seconds < y.time_seconds;
                       }
                       return x.seq < y.seq;
                     });
    if (metas.empty()) return;
    t0 = metas.front().time_seconds;
    const double span = metas.back().time_seconds - t0;
    warmup_seconds = options.warmup_seconds >= 0
                         ? options.warmup_seconds
                         : options.warmup_fraction * span;
    const double analyze_from = t0 + warmup_seconds;
    for (size_t i = 0; i < metas.size(); ++i) {
      if (metas[i].time_seconds >= analyze_from) analyzed.push_back(i);
    }
  }

  // AppFrameIndex: the first Java frame of the application's code
  // (site_origins.h), or -1; only when a library's or the JDK's Java frame
  // comes before it (otherwise the Java frame already ends the key).
  int AppFrameIndex(const std::vector<NamedFrame>& frames) const {
    bool other_java = false;
    for (size_t i = 0; i < frames.size(); ++i) {
      if (!IsJavaFrame(frames[i])) continue;
      if (classifier.Classify(frames[i].function).kind ==
          OriginKind::kApplication) {
        return other_java ? static_cast<int>(i) : -1;
      }
      other_java = true;
    }
    return -1;
  }

  // The shape of one stack of a profile whose naming context is
  // `context_id`.
  size_t ShapeOf(const StackSample& sample, uint64_t context_id) {
    key_buffer.clear();
    key_buffer.push_back(context_id);
    key_buffer.insert(key_buffer.end(), sample.frames.begin(),
                      sample.frames.end());
    auto it = shape_of_stack.find(absl::MakeConstSpan(key_buffer));
    if (it != shape_of_stack.end()) return it->second;

    namer.NameStack(sample.frames, contexts[context_id], &frame_buffer);
    // The stack's identity is its functions' names (StackKey), here as
    // interned name ids: a long key string per stack would cost more than
    // the rest of the stack.
    name_buffer.clear();
    for (const NamedFrame& f : frame_buffer) {
      const NamedFrame* own = namer.Frame(f.address);
      auto [id, unused] = name_ids.emplace(own->function, name_ids.size());
      name_buffer.push_back(id->second);
    }
    auto [named, inserted] = shape_index.emplace(name_buffer, shapes.size());
    if (inserted) {
      Shape shape;
      // Pointers into the namer's table: each frame is its address's own
      // (one per address without source detail).
      shape.frames.reserve(frame_buffer.size());
      for (const NamedFrame& f : frame_buffer) {
        shape.frames.push_back(namer.Frame(f.address));
      }
      std::string site_key = SiteKey(frame_buffer, options.site_frames,
                                     AppFrameIndex(frame_buffer));
      auto [site, new_site] = site_index.emplace(site_key, sites.size());
      if (new_site) {
        Site s;
        s.key = std::move(site_key);
        s.bytes.assign(metas.size(), 0);
        s.objects.assign(metas.size(), 0);
        s.noise_var.assign(metas.size(), 0);
        sites.push_back(std::move(s));
      }
      shape.site = site->second;
      shapes.push_back(std::move(shape));
    }
    stack_keys.emplace_back(key_buffer);
    shape_of_stack.emplace(absl::MakeConstSpan(stack_keys.back()),
                           named->second);
    return named->second;
  }

  uint64_t ContextId(const HeapProfile& profile) {
    ProfileNamingContext context = namer.Context(profile);
    for (size_t i = 0; i < contexts.size(); ++i) {
      if (contexts[i] == context) return i;
    }
    contexts.push_back(std::move(context));
    return contexts.size() - 1;
  }

  void Add(size_t i, const HeapProfile& profile) {
    const uint64_t context_id = ContextId(profile);
    // Stacks with the same names are merged first, in first-seen order, as
    // NameProfile merges them: the sums and the sampling noise are those
    // of the merged stack.
    ++epoch;
    touched.clear();
    for (const StackSample& sample : profile.stacks) {
      const size_t shape = ShapeOf(sample, context_id);
      if (shape >= slot_epoch.size()) {
        slot_epoch.resize(shapes.size(), 0);
        slot_counts.resize(shapes.size());
      }
      if (slot_epoch[shape] != epoch) {
        slot_epoch[shape] = epoch;
        slot_counts[shape] = Counts();
        touched.push_back(shape);
      }
      slot_counts[shape] += Unsample(sample.sampled, profile.sample_period);
    }
    any_samples = any_samples || !profile.stacks.empty();
    double total = 0;
    for (size_t shape : touched) {
      const Counts& c = slot_counts[shape];
      total += c.bytes;
      Site& site = sites[shapes[shape].site];
      site.bytes[i] += c.bytes;
      site.objects[i] += c.objects;
      site.noise_var[i] += NoiseVariance(c, profile.sample_period);
      // Show the biggest stack of the latest snapshot the site is in.
      if (static_cast<int>(i) > site.display_snapshot ||
          c.bytes > site.display_bytes) {
        site.display_snapshot = static_cast<int>(i);
        site.display_bytes = c.bytes;
        site.display_shape = shape;
      }
    }
    total_bytes.push_back(total);
    // The first analyzed and the last snapshot, as shapes and counts, for
    // growth_profile.
    const bool first_analyzed = !analyzed.empty() && i == analyzed.front();
    if (first_analyzed || i + 1 == metas.size()) {
      std::vector<std::pair<size_t, Counts>> kept;
      kept.reserve(touched.size());
      for (size_t shape : touched) kept.emplace_back(shape, slot_counts[shape]);
      if (first_analyzed) first_analyzed_counts = kept;
      if (i + 1 == metas.size()) {
        last_counts = std::move(kept);
        last_period = profile.sample_period;
        last_mappings = profile.mappings;
      }
    }
  }

  // GrowthProfile: the last snapshot minus `base`, as DiffProfiles makes
  // it (the newer stacks in order, then those only in the base, negated;
  // exact zeros dropped), with source detail.
  NamedProfile GrowthProfile(
      const std::vector<std::pair<size_t, Counts>>& base) {
    std::vector<std::pair<size_t, Counts>> diff = last_counts;
    absl::flat_hash_map<size_t, size_t> index;
    for (size_t j = 0; j < diff.size(); ++j) index.emplace(diff[j].first, j);
    for (const auto& [shape, counts] : base) {
      auto it = index.find(shape);
      if (it == index.end()) {
        diff.emplace_back(shape, Counts{} - counts);
      } else {
        diff[it->second].second = diff[it->second].second - counts;
      }
    }
    NamedProfile out;
    for (const auto& [shape, counts] : diff) {
      if (counts.bytes == 0 && counts.objects == 0) continue;
      NamedStack st;
      st.frames = namer.AddSourceDetail(Materialize(shapes[shape]));
      NameUnnamedJitFrames(st.frames);  // as the sites show them
      st.counts = counts;
      out.total += counts;
      out.stacks.push_back(std::move(st));
    }
    out.sample_period = last_period;
    out.mappings = last_mappings;
    return out;
  }

  // FinishGrowthProfile: the growth profile, when the options want it, with
  // source detail (what the reports show gets it); the counts kept for it
  // are released either way.
  NamedProfile FinishGrowthProfile() {
    NamedProfile out;
    if (options.growth_profile) {
      out =
          GrowthProfile(analyzed.empty() ? last_counts : first_analyzed_counts);
      SortByBytes(&out.stacks);
      out.warnings = symbolizer.Warnings();
    }
    std::vector<std::pair<size_t, Counts>>().swap(first_analyzed_counts);
    std::vector<std::pair<size_t, Counts>>().swap(last_counts);
    return out;
  }

  // SnapshotInfos: every snapshot as the reports list it, times from the
  // first.
  std::vector<SnapshotInfo> SnapshotInfos() const {
    std::vector<SnapshotInfo> out;
    for (size_t i = 0; i < metas.size(); ++i) {
      SnapshotInfo info;
      info.path = metas[i].path;
      info.seq = metas[i].seq;
      info.time_seconds = metas[i].time_seconds - t0;
      info.total_bytes = i < total_bytes.size() ? total_bytes[i] : 0;
      info.analyzed = metas[i].time_seconds >= t0 + warmup_seconds;
      out.push_back(std::move(info));
    }
    return out;
  }

  // FitIndices: the snapshots the fits use, every analyzed one or a
  // thinned selection of a very long series (ThinForFit).
  std::vector<size_t> FitIndices(const std::vector<SnapshotInfo>& snapshots,
                                 const FitLimits& limits) const {
    std::vector<double> t;
    for (size_t i : analyzed) t.push_back(snapshots[i].time_seconds);
    std::vector<size_t> fit;
    for (size_t j : ThinForFit(t, limits.max_points, limits.edge_seconds)) {
      fit.push_back(analyzed[j]);
    }
    return fit;
  }

  // NameSite: a site's key, and its frames with source detail as the
  // reports show them.
  SiteSeries NameSite(Site& s) {
    SiteSeries series;
    series.key = std::move(s.key);
    series.frames = namer.AddSourceDetail(Materialize(shapes[s.display_shape]));
    unnamed_jit_frames += NameUnnamedJitFrames(series.frames);
    series.user_frame = UserFrameIndex(series.frames);
    series.java_frame = JavaFrameIndex(series.frames);
    series.top_frame =
        series.frames.empty()
            ? ""
            : series.frames[std::max(series.user_frame, 0)].function;
    series.headline = SiteHeadline(series);
    return series;
  }

  // FitSites moves every site into a.sites, its growth fitted on the `fit`
  // snapshots, its suppression matched and its frames' origins classified
  // (site_origins.h), and fits a.total, the sum of the unsuppressed ones.
  // Sites of jleak's own agent go to a.jleak_footprint instead. In the
  // order sites were first seen, not the hash map's (seeded per process):
  // the total's floating-point sums, and so the reports, are the same on
  // every run over the same files.
  void FitSites(const std::vector<size_t>& fit, Analysis& a) {
    std::vector<double> t;
    for (size_t i : fit) t.push_back(a.snapshots[i].time_seconds);
    std::vector<double> total(fit.size(), 0), total_var(fit.size(), 0);
    std::vector<double> own(fit.size(), 0), own_var(fit.size(), 0);
    for (Site& s : sites) {
      SiteSeries series = NameSite(s);
      std::vector<double> y, sd;
      for (size_t i : fit) {
        y.push_back(s.bytes[i]);
        sd.push_back(std::sqrt(s.noise_var[i]));
      }
      if (IsJleakOwnStack(series.frames)) {
        ++a.jleak_footprint.sites;
        a.jleak_footprint.bytes += s.bytes.empty() ? 0 : s.bytes.back();
        for (size_t j = 0; j < fit.size(); ++j) {
          own[j] += y[j];
          own_var[j] += sd[j] * sd[j];
        }
        std::vector<double>().swap(s.noise_var);
        continue;
      }
      series.bytes = std::move(s.bytes);
      series.objects = std::move(s.objects);
      series.noise_sd.reserve(s.noise_var.size());
      for (double v : s.noise_var) series.noise_sd.push_back(std::sqrt(v));
      std::vector<double>().swap(s.noise_var);
      series.growth = EstimateGrowth(t, y, sd);
      ClassifySite(classifier, series);
      if (const Suppression* sup =
              MatchSuppression(options.suppressions, series.frames)) {
        series.suppressed = true;
        series.suppressed_by = sup->text;
      } else {
        for (size_t j = 0; j < fit.size(); ++j) {
          total[j] += y[j];
          total_var[j] += sd[j] * sd[j];
        }
      }
      a.sites.push_back(std::move(series));
    }
    for (double& v : total_var) v = std::sqrt(v);
    a.total = EstimateGrowth(t, total, total_var);
    if (a.jleak_footprint.sites > 0) {
      for (double& v : own_var) v = std::sqrt(v);
      a.jleak_footprint.growth = EstimateGrowth(t, own, own_var);
    }
  }

  std::vector<SnapshotMeta> metas;
  Symbolizer& symbolizer;
  const FrameFilter& filter;
  const AnalyzerOptions& options;
  StackNamer namer;
  const OriginClassifier classifier;  // whose code each Java frame is
  double t0 = 0;
  double warmup_seconds = 0;
  std::vector<size_t> analyzed;  // indices of snapshots after the warm-up
  int unnamed_jit_frames = 0;    // NameUnnamedJitFrames, over the sites

  std::vector<ProfileNamingContext> contexts;
  std::vector<uint64_t> key_buffer;
  std::vector<NamedFrame> frame_buffer;
  // Context id + addresses -> shape. The keys' storage is stack_keys (a
  // deque: its elements never move).
  std::deque<std::vector<uint64_t>> stack_keys;
  absl::flat_hash_map<absl::Span<const uint64_t>, size_t, AddressStackHash,
                      AddressStackEq>
      shape_of_stack;
  // Function name -> id; the views are into the namer's frames.
  absl::flat_hash_map<absl::string_view, uint32_t> name_ids;
  std::vector<uint32_t> name_buffer;
  // Name ids of a stack's frames (its StackKey) -> shape.
  absl::flat_hash_map<std::vector<uint32_t>, size_t> shape_index;
  std::vector<Shape> shapes;
  absl::flat_hash_map<std::string, size_t> site_index;  // site key -> site
  std::vector<Site> sites;  // in the order first seen

  // Per-snapshot merge of stacks by shape, reused across snapshots.
  uint64_t epoch = 0;
  std::vector<uint64_t> slot_epoch;
  std::vector<Counts> slot_counts;
  std::vector<size_t> touched;  // shapes of this snapshot, first-seen order

  std::vector<double> total_bytes;  // per snapshot
  bool any_samples = false;
  std::vector<std::pair<size_t, Counts>> first_analyzed_counts, last_counts;
  uint64_t last_period = 0;
  std::vector<Mapping> last_mappings;
};

SeriesAccumulator::SeriesAccumulator(std::vector<SnapshotMeta> snapshots,
                                     Symbolizer& symbolizer,
                                     const FrameFilter& filter,
                                     const AnalyzerOptions& options)
    : impl_(std::make_unique<Impl>(std::move(snapshots), symbolizer, filter,
                                   options)) {}

SeriesAccumulator::~SeriesAccumulator() = default;

const std::vector<SnapshotMeta>& SeriesAccumulator::snapshots() const {
  return impl_->metas;
}

void SeriesAccumulator::Add(size_t index, const HeapProfile& profile) {
  impl_->Add(index, profile);
}

Analysis Analyze(std::vector<SnapshotInput> snapshots, TimeSource time_source,
                 std::vector<TimelinePoint> timeline, Symbolizer& symbolizer,
                 const FrameFilter& filter, const AnalyzerOptions& options) {
  std::vector<SnapshotMeta> metas;
  metas.reserve(snapshots.size());
  for (const SnapshotInput& s : snapshots) {
    metas.push_back({s.path, s.seq, s.time_seconds});
  }
  // The accumulator orders them as this stable sort does.
  std::vector<size_t> order(snapshots.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
    if (snapshots[x].time_seconds != snapshots[y].time_seconds) {
      return snapshots[x].time_seconds < snapshots[y].time_seconds;
    }
    return snapshots[x].seq < snapshots[y].seq;
  });
  SeriesAccumulator acc(std::move(metas), symbolizer, filter, options);
  for (size_t i = 0; i < order.size(); ++i) {
    acc.Add(i, snapshots[order[i]].profile);
  }
  return std::move(acc).Finish(time_source, std::move(timeline));
}
Analysis SeriesAccumulator::Finish(TimeSource time_source,
                                   std::vector<TimelinePoint> timeline) && {
  Impl& m = *impl_;
  Analysis a;
  a.time_source = time_source;
  a.budgets = m.options.budgets;
  a.timeline = std::move(timeline);
  if (m.metas.empty()) {
    a.reason = "no heap snapshots to analyze";
    return a;
  }
  a.warmup_seconds = m.warmup_seconds;
  a.snapshots = m.SnapshotInfos();
  a.growth_profile = m.FinishGrowthProfile();

  VerdictWindow window;
  window.any_samples = m.any_samples;
  window.analyzed = m.analyzed.size();
  window.first = m.analyzed.empty() ? 0 : m.analyzed.front();
  window.last = m.analyzed.empty() ? 0 : m.analyzed.back();
  window.limits = {
      m.options.max_fit_points,
      time_source == TimeSource::kSequence ? 0 : m.options.edge_seconds};
  const std::vector<size_t> fit = m.FitIndices(a.snapshots, window.limits);
  if (!fit.empty()) {
    window.span = a.snapshots[fit.back()].time_seconds -
                  a.snapshots[fit.front()].time_seconds;
  }
  m.FitSites(fit, a);
  a.warnings = m.symbolizer.Warnings();
  if (m.unnamed_jit_frames > 0) a.warnings.push_back(kUnnamedJitHint);
  SortSites(window.first, window.last, a.sites);
  BuildLeakGroups(fit, a);
  FitTimelineSignals(window.limits, a);
  AnalyzeMemory(window.limits, m.options.alpha, a);
  if (time_source == TimeSource::kSequence) {
    a.warnings.push_back(
        "snapshot times unknown (no timeline, file times lost): ordered by "
        "the sequence number in the file names; rates are per snapshot");
  }
  DecideVerdict(m.options, window, a);
  NameLeakGroups(a);
  return a;
}

}  // namespace jleak
