// File: analyzer.cc
//
// Snapshot series -> sites -> growth -> verdict (see analyzer.h).

#include "harness/analyze/analyzer.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <memory>
#include <set>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/types/span.h"
#include "harness/io/file_io.h"
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

std::string Rate(double per_unit, TimeSource ts) {
  return absl::StrCat(FormatBytes(per_unit),
                      ts == TimeSource::kSequence ? "/snapshot" : "/s");
}

std::string PValue(double p) {
  return p < 0.001 ? "p<0.001" : absl::StrFormat("p=%.3f", p);
}

bool SignificantlyAbove(const GrowthEstimate& g, double budget, double alpha) {
  return g.points >= 3 && g.p_value < alpha && g.slope_low > budget;
}

const Suppression* MatchSuppression(const std::vector<Suppression>& list,
                                    const std::vector<NamedFrame>& frames) {
  for (const Suppression& s : list) {
    for (const NamedFrame& f : frames) {
      const bool hit = s.kind == Suppression::Kind::kFunction
                           ? f.function == s.text
                           : RE2::PartialMatch(f.function, *s.regex);
      if (hit) return &s;
    }
  }
  return nullptr;
}

// How FitSignal thins a long timeline (ThinForFit).
struct FitLimits {
  size_t max_points = 0;
  double edge_seconds = 0;
};

// FitSignal fits one timeline signal from time `from` on; `value` returns
// it for a point, or nullopt where it is absent (negative means unknown).
template <typename Value>
std::optional<GrowthEstimate> FitSignal(
    const std::vector<TimelinePoint>& timeline, double from,
    const FitLimits& limits, Value value) {
  std::vector<double> t, y;
  for (const TimelinePoint& p : timeline) {
    const std::optional<double> v = value(p);
    if (p.time_seconds >= from && v.has_value() && *v >= 0) {
      t.push_back(p.time_seconds);
      y.push_back(*v);
    }
  }
  if (t.size() < 3) return std::nullopt;
  if (limits.max_points != 0 && t.size() > limits.max_points) {
    std::vector<double> tt, yy;
    for (size_t i : ThinForFit(t, limits.max_points, limits.edge_seconds)) {
      tt.push_back(t[i]);
      yy.push_back(y[i]);
    }
    t.swap(tt);
    y.swap(yy);
  }
  return EstimateGrowth(t, y);
}

std::optional<GrowthEstimate> FitSignal(
    const std::vector<TimelinePoint>& timeline, double from,
    const FitLimits& limits, std::optional<double> TimelinePoint::*field) {
  return FitSignal(timeline, from, limits,
                   [field](const TimelinePoint& p) { return p.*field; });
}

// FitLateHalf fits `field` over the second half of the analyzed window. A
// JVM settles after warm-up (heap committed, metaspace and code cache
// filled, malloc'd structures built), fast at first and then slower: growth
// that is a leak still shows there.
std::optional<GrowthEstimate> FitLateHalf(
    const Analysis& a, const FitLimits& limits,
    std::optional<double> TimelinePoint::*field) {
  if (a.timeline.empty()) return std::nullopt;
  return FitSignal(a.timeline,
                   (a.warmup_seconds + a.timeline.back().time_seconds) / 2,
                   limits, field);
}

FitLimits LimitsOf(const AnalyzerOptions& options, TimeSource ts) {
  return {options.max_fit_points,
          ts == TimeSource::kSequence ? 0 : options.edge_seconds};
}

// The sampled bytes a site gained over the analyzed window (snapshots
// `first` to `last`) and over the whole series. Sites tied in fitted growth
// (most often 0: one sampled object fits a zero Theil-Sen slope) are
// ordered by them, and the likely site's sentence quotes them.
struct BytesGained {
  double window = 0;
  double run = 0;
  bool operator!=(const BytesGained& o) const {
    return window != o.window || run != o.run;
  }
  bool operator>(const BytesGained& o) const {
    return window != o.window ? window > o.window : run > o.run;
  }
};
BytesGained Gained(const SiteSeries& s, size_t first, size_t last) {
  if (s.bytes.empty()) return {};
  return {s.bytes[last] - s.bytes[first], s.bytes.back() - s.bytes.front()};
}

// NmtGrowth fits every Native Memory Tracking category of the timeline.
std::vector<std::pair<std::string, GrowthEstimate>> NmtGrowth(
    const std::vector<TimelinePoint>& timeline, double from,
    const FitLimits& limits) {
  std::set<std::string> categories;
  for (const TimelinePoint& p : timeline) {
    for (const auto& [category, bytes] : p.nmt_committed) {
      categories.insert(category);
    }
  }
  std::vector<std::pair<std::string, GrowthEstimate>> out;
  for (const std::string& category : categories) {
    std::optional<GrowthEstimate> g =
        FitSignal(timeline, from, limits,
                  [&category](const TimelinePoint& p) -> std::optional<double> {
                    auto it = p.nmt_committed.find(category);
                    if (it == p.nmt_committed.end()) return std::nullopt;
                    return it->second;
                  });
    if (g.has_value()) out.emplace_back(category, *g);
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& x, const auto& y) {
    return x.second.growth > y.second.growth;
  });
  return out;
}

// NmtSentence: "; NMT: Thread +35.2 MiB, Class +1.1 MiB" for the categories
// (not the total) that grew significantly, the largest two; "" if none.
std::string NmtSentence(const Analysis& a, double alpha) {
  std::vector<std::string> parts;
  for (const auto& [category, g] : a.nmt_growth) {
    if (category == "Total" || g.growth <= 0 || g.p_value >= alpha) continue;
    parts.push_back(absl::StrCat(category, " +", FormatBytes(g.growth)));
    if (parts.size() == 2) break;
  }
  if (parts.empty()) return "";
  return absl::StrCat("; Native Memory Tracking: ", absl::StrJoin(parts, ", "));
}

// DisplayName: how a sentence names a site.
std::string DisplayName(const SiteSeries& site) { return site.headline; }

// JudgeExactMallocGrowth: when jemalloc's exact allocated count grows past
// max_allocated_rate (see Analyze), sets the leak verdict, its reason and
// the likely site, and returns true.
// `first` and `last` are the analyzed window's snapshots.
bool JudgeExactMallocGrowth(const AnalyzerOptions& options,
                            const std::string& window_text, size_t first,
                            size_t last, Analysis& a) {
  const Budgets& b = options.budgets;
  if (b.max_allocated_rate <= 0 || !a.allocated_growth.has_value() ||
      a.timeline.empty()) {
    return false;
  }
  const GrowthEstimate& g = *a.allocated_growth;
  double suppressed_slope = 0;
  for (const SiteSeries& s : a.sites) {
    if (s.suppressed) suppressed_slope += std::max(0.0, s.growth.slope);
  }
  const std::optional<GrowthEstimate> late = FitLateHalf(
      a, LimitsOf(options, a.time_source), &TimelinePoint::jemalloc_allocated);
  if (g.points < options.min_snapshots || g.p_value >= options.alpha ||
      g.slope_low - suppressed_slope <= b.max_allocated_rate ||
      !late.has_value() ||
      late->slope - suppressed_slope <= b.max_allocated_rate) {
    return false;
  }
  const TimeSource ts = TimeSource::kTimeline;
  std::string reason =
      absl::StrCat("leak: malloc'd memory grows ", Rate(g.slope, ts),
                   " by jemalloc's exact count (95% CI ", Rate(g.slope_low, ts),
                   " to ", Rate(g.slope_high, ts), ", ", PValue(g.p_value),
                   "), ", FormatBytes(g.growth), " over ", window_text,
                   "; budget ", Rate(b.max_allocated_rate, ts));
  if (suppressed_slope > 0) {
    absl::StrAppend(&reason, " after ", Rate(suppressed_slope, ts),
                    " of suppressed sites");
  }
  // Sites are sorted by fitted growth, then bytes gained (see Analyze): the
  // first one is the likeliest if it gained anything at all.
  SiteSeries* likely = a.sites.empty() ? nullptr : &a.sites[0];
  const BytesGained gained =
      likely ? Gained(*likely, first, last) : BytesGained();
  if (likely != nullptr &&
      (likely->suppressed ||
       (likely->growth.growth <= 0 && gained.window <= 0 && gained.run <= 0))) {
    likely = nullptr;
  }
  if (likely != nullptr) {
    likely->likely = true;
    absl::StrAppend(
        &reason, "; most likely at ", DisplayName(*likely), " (sampled +",
        FormatBytes(gained.window > 0
                        ? gained.window
                        : std::max(gained.run, likely->growth.growth)),
        gained.window > 0 ? " over the window" : " since the first snapshot",
        ": too few samples to be sure)");
  } else {
    absl::StrAppend(&reason,
                    "; no sampled site shows it: sample finer "
                    "(jleak run --sample-bytes 65536) to name the site");
  }
  a.verdict = Verdict::kLeak;
  a.kind = GrowthKind::kMalloc;
  a.reason = std::move(reason);
  return true;
}

}  // namespace

absl::StatusOr<Suppression> MakeFrameSuppression(const std::string& regex) {
  absl::StatusOr<std::shared_ptr<const RE2>> re = CompileFrameRegex(regex);
  if (!re.ok()) return re.status();
  Suppression s;
  s.kind = Suppression::Kind::kFrameRegex;
  s.text = regex;
  s.regex = *std::move(re);
  return s;
}

absl::StatusOr<std::shared_ptr<const RE2>> CompileFrameRegex(
    const std::string& regex) {
  RE2::Options options;
  options.set_log_errors(false);  // the error is returned, once
  auto re = std::make_shared<const RE2>(regex, options);
  if (!re->ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad regular expression ", QuoteForMessage(regex, 200),
                     ": ", re->error(), " (RE2 syntax)"));
  }
  return re;
}

absl::StatusOr<std::vector<Suppression>> ParseSuppressions(
    absl::string_view text, absl::string_view source_name) {
  std::vector<Suppression> out;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#') continue;
    const size_t space = line.find_first_of(" \t");
    const absl::string_view kind = line.substr(0, space);
    const std::string arg(absl::StripAsciiWhitespace(
        space == absl::string_view::npos ? "" : line.substr(space)));
    const std::string where = absl::StrCat(source_name, ":", line_number, ": ");
    if (arg.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, "expected 'function <name>' or 'frame <regex>', got '", line,
          "'"));
    }
    if (kind == "function") {
      Suppression s;
      s.text = arg;
      out.push_back(std::move(s));
    } else if (kind == "frame") {
      absl::StatusOr<Suppression> s = MakeFrameSuppression(arg);
      if (!s.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, s.status().message()));
      }
      out.push_back(*std::move(s));
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "unknown suppression kind '", kind,
                       "' (expected 'function' or 'frame')"));
    }
  }
  return out;
}

size_t SiteKeyFrames(const std::vector<NamedFrame>& frames, int site_frames) {
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
  n = std::max<size_t>(n, frames.empty() ? 0 : 1);
  // An address's inlined frames go with it.
  while (n < frames.size() && frames[n - 1].inlined) ++n;
  return n;
}

std::string SiteKey(const std::vector<NamedFrame>& frames, int site_frames) {
  const size_t k = SiteKeyFrames(frames, site_frames);
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
        namer(symbolizer, filter, NameOptions{/*source_detail=*/false}) {
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
      std::string site_key = SiteKey(frame_buffer, options.site_frames);
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
      st.counts = counts;
      out.total += counts;
      out.stacks.push_back(std::move(st));
    }
    out.sample_period = last_period;
    out.mappings = last_mappings;
    return out;
  }

  std::vector<SnapshotMeta> metas;
  Symbolizer& symbolizer;
  const FrameFilter& filter;
  const AnalyzerOptions& options;
  StackNamer namer;
  double t0 = 0;
  double warmup_seconds = 0;
  std::vector<size_t> analyzed;  // indices of snapshots after the warm-up

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
  const AnalyzerOptions& options = m.options;
  Analysis a;
  a.time_source = time_source;
  a.budgets = options.budgets;
  a.timeline = std::move(timeline);
  const size_t n = m.metas.size();
  if (n == 0) {
    a.reason = "no heap snapshots to analyze";
    return a;
  }
  a.warmup_seconds = m.warmup_seconds;
  const std::vector<size_t>& analyzed = m.analyzed;
  for (size_t i = 0; i < n; ++i) {
    SnapshotInfo info;
    info.path = m.metas[i].path;
    info.seq = m.metas[i].seq;
    info.time_seconds = m.metas[i].time_seconds - m.t0;
    info.total_bytes = i < m.total_bytes.size() ? m.total_bytes[i] : 0;
    info.analyzed = m.metas[i].time_seconds >= m.t0 + m.warmup_seconds;
    a.snapshots.push_back(std::move(info));
  }
  const bool any_samples = m.any_samples;
  // What the reports show gets source detail: the growth profile (flame
  // graph, --pprof) and each site's frames below.
  if (options.growth_profile) {
    a.growth_profile = m.GrowthProfile(
        analyzed.empty() ? m.last_counts : m.first_analyzed_counts);
    SortByBytes(&a.growth_profile.stacks);
    a.growth_profile.warnings = m.symbolizer.Warnings();
  }
  std::vector<std::pair<size_t, Counts>>().swap(m.first_analyzed_counts);
  std::vector<std::pair<size_t, Counts>>().swap(m.last_counts);

  // The fits use every analyzed snapshot, or a thinned selection of a very
  // long series (ThinForFit).
  std::vector<double> t_analyzed;
  for (size_t i : analyzed) t_analyzed.push_back(a.snapshots[i].time_seconds);
  const double edge =
      time_source == TimeSource::kSequence ? 0 : options.edge_seconds;
  std::vector<size_t> fit;  // indices into the snapshots
  for (size_t j : ThinForFit(t_analyzed, options.max_fit_points, edge)) {
    fit.push_back(analyzed[j]);
  }
  std::vector<double> t;
  for (size_t i : fit) t.push_back(a.snapshots[i].time_seconds);
  std::vector<double> total(fit.size(), 0), total_var(fit.size(), 0);
  // In the order sites were first seen, not the hash map's (seeded per
  // process): the totals' floating-point sums, and so the reports, are the
  // same on every run over the same files.
  for (Site& s : m.sites) {
    SiteSeries series;
    series.key = std::move(s.key);
    series.frames =
        m.namer.AddSourceDetail(Materialize(m.shapes[s.display_shape]));
    series.user_frame = UserFrameIndex(series.frames);
    series.java_frame = JavaFrameIndex(series.frames);
    series.top_frame =
        series.frames.empty()
            ? ""
            : series.frames[std::max(series.user_frame, 0)].function;
    series.headline = SiteHeadline(series);
    std::vector<double> y, sd;
    for (size_t i : fit) {
      y.push_back(s.bytes[i]);
      sd.push_back(std::sqrt(s.noise_var[i]));
    }
    series.bytes = std::move(s.bytes);
    series.objects = std::move(s.objects);
    std::vector<double>().swap(s.noise_var);
    series.growth = EstimateGrowth(t, y, sd);
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
    series.over_budget =
        !series.suppressed &&
        SignificantlyAbove(series.growth, options.budgets.max_site_rate,
                           options.alpha);
    a.sites.push_back(std::move(series));
  }
  a.warnings = m.symbolizer.Warnings();
  // Ties in fitted growth go to the site that gained the most bytes (see
  // BytesGained), so that the first site is the likeliest one even when
  // sampling saw little of it.
  const size_t first = analyzed.empty() ? 0 : analyzed.front();
  const size_t last = analyzed.empty() ? 0 : analyzed.back();
  std::sort(a.sites.begin(), a.sites.end(),
            [&](const SiteSeries& x, const SiteSeries& y) {
              if (x.suppressed != y.suppressed) return !x.suppressed;
              if (x.growth.growth != y.growth.growth) {
                return x.growth.growth > y.growth.growth;
              }
              const BytesGained gx = Gained(x, first, last);
              const BytesGained gy = Gained(y, first, last);
              if (gx != gy) return gx > gy;
              return x.key < y.key;
            });
  for (double& v : total_var) v = std::sqrt(v);
  a.total = EstimateGrowth(t, total, total_var);

  const FitLimits limits = LimitsOf(options, time_source);
  const double window_from = a.warmup_seconds;
  a.rss_growth =
      FitSignal(a.timeline, window_from, limits, &TimelinePoint::rss_bytes);
  a.allocated_growth = FitSignal(a.timeline, window_from, limits,
                                 &TimelinePoint::jemalloc_allocated);
  a.resident_growth = FitSignal(a.timeline, window_from, limits,
                                &TimelinePoint::jemalloc_resident);
  a.direct_buffer_growth = FitSignal(a.timeline, window_from, limits,
                                     &TimelinePoint::direct_buffer_bytes);
  a.thread_growth =
      FitSignal(a.timeline, window_from, limits, &TimelinePoint::threads);
  a.nmt_growth = NmtGrowth(a.timeline, window_from, limits);

  if (time_source == TimeSource::kSequence) {
    a.warnings.push_back(
        "snapshot times unknown (no timeline, file times lost): ordered by "
        "the sequence number in the file names; rates are per snapshot");
  }

  // Verdict.
  const Budgets& b = options.budgets;
  const TimeSource ts = time_source;
  if (!any_samples) {
    a.verdict = Verdict::kInconclusive;
    a.reason =
        "no profile holds any allocation sample: was profiling on "
        "(MALLOC_CONF=prof:true) and the profiling jemalloc preloaded?";
    return a;
  }
  if (static_cast<int>(analyzed.size()) < options.min_snapshots) {
    a.verdict = Verdict::kInconclusive;
    a.reason = absl::StrFormat(
        "too few snapshots after the %.1f%s warm-up: %d of the %d needed; "
        "run longer or take snapshots more often",
        a.warmup_seconds, ts == TimeSource::kSequence ? "-snapshot" : " s",
        analyzed.size(), options.min_snapshots);
    return a;
  }
  const double window = t.back() - t.front();
  const std::string window_text =
      ts == TimeSource::kSequence
          ? absl::StrFormat("%d snapshots", analyzed.size())
          : absl::StrFormat("%.1f s", window);

  // Resident growth that malloc'd memory does not explain comes first: a
  // thread leak also grows malloc (the JVM's thread structures) by a small
  // fraction of its stacks, and naming that malloc site would mislead.
  // RSS also rises while the JVM settles: the second half of the window
  // must still grow faster than the budget (FitLateHalf).
  const std::optional<GrowthEstimate> rss_late =
      a.rss_growth.has_value()
          ? FitLateHalf(a, limits, &TimelinePoint::rss_bytes)
          : std::nullopt;
  const bool rss_over =
      a.rss_growth.has_value() &&
      SignificantlyAbove(*a.rss_growth, b.max_rss_rate, options.alpha) &&
      rss_late.has_value() && rss_late->slope > b.max_rss_rate;
  if (rss_over && a.total.slope < 0.5 * a.rss_growth->slope) {
    const double allocated_slope =
        a.allocated_growth.has_value() ? a.allocated_growth->slope : 0;
    const bool retention =
        a.resident_growth.has_value() &&
        a.resident_growth->slope - allocated_slope >= 0.5 * a.rss_growth->slope;
    a.verdict = Verdict::kLeak;
    a.kind = retention ? GrowthKind::kAllocatorRetention
                       : GrowthKind::kOutsideMalloc;
    a.reason = absl::StrCat(
        "leak: RSS grows ", Rate(a.rss_growth->slope, ts), " (",
        FormatBytes(a.rss_growth->growth), " over ", window_text, ", ",
        PValue(a.rss_growth->p_value), ") and malloc'd memory explains ",
        absl::StrFormat(
            "%.0f%%", 100 * std::max(0.0, a.total.slope) / a.rss_growth->slope),
        " of it: ",
        retention ? "allocator retention (jemalloc resident grows)"
                  : "growth outside malloc");
    if (a.thread_growth.has_value() &&
        a.thread_growth->last > a.thread_growth->first) {
      absl::StrAppend(&a.reason, absl::StrFormat("; threads %.0f -> %.0f",
                                                 a.thread_growth->first,
                                                 a.thread_growth->last));
    }
    absl::StrAppend(&a.reason, NmtSentence(a, options.alpha));
    return a;
  }
  // jemalloc's exact count bounds what the sampled sites may claim: when
  // the process's malloc'd memory provably grows slower than a budget, a
  // site or total that seems to grow faster (a cache at capacity whose
  // sampled objects drift as its entries are replaced) is sampling noise.
  auto exact_rules_out = [&](double rate) {
    return a.allocated_growth.has_value() &&
           a.allocated_growth->points >= options.min_snapshots &&
           a.allocated_growth->slope_high < rate;
  };
  if (exact_rules_out(b.max_site_rate)) {
    for (SiteSeries& s : a.sites) {
      if (!s.over_budget) continue;
      s.over_budget = false;
      a.warnings.push_back(absl::StrCat(
          "the sampled growth of ", DisplayName(s), " (",
          Rate(s.growth.slope, ts),
          ") is not borne out by jemalloc's exact count (malloc'd memory "
          "grows at most ",
          Rate(a.allocated_growth->slope_high, ts),
          "): taken as sampling noise"));
    }
  }
  const SiteSeries* top = nullptr;
  for (const SiteSeries& s : a.sites) {
    if (s.over_budget) {
      top = &s;
      break;
    }
  }
  const bool total_over =
      (SignificantlyAbove(a.total, b.max_total_rate, options.alpha) &&
       !exact_rules_out(b.max_total_rate)) ||
      (b.max_total_growth > 0 && a.total.p_value < options.alpha &&
       a.total.growth > b.max_total_growth &&
       !exact_rules_out(b.max_total_growth / std::max(window, 1e-9)));
  if (top != nullptr) {
    a.verdict = Verdict::kLeak;
    a.kind = GrowthKind::kMalloc;
    const GrowthEstimate& g = top->growth;
    a.reason = absl::StrCat(
        "leak: ", DisplayName(*top), " grows ", Rate(g.slope, ts), " (95% CI ",
        Rate(g.slope_low, ts), " to ", Rate(g.slope_high, ts), ", ",
        PValue(g.p_value), "), ", FormatBytes(g.growth), " over ", window_text,
        "; budget ", Rate(b.max_site_rate, ts), " per site");
    return a;
  }
  if (total_over) {
    a.verdict = Verdict::kLeak;
    a.kind = GrowthKind::kMalloc;
    a.reason = absl::StrCat(
        "leak: malloc'd memory grows ", Rate(a.total.slope, ts), " (",
        FormatBytes(a.total.growth), " over ", window_text, ", ",
        PValue(a.total.p_value),
        ") though no single site exceeds its budget; the top sites share it");
    return a;
  }
  // jemalloc counts allocated bytes exactly (the timeline's
  // stats.allocated after each snapshot's forced GC), so a leak too slow
  // for the sampled sites to show with confidence (a few sampled objects
  // per window) still stands out there with a narrow interval. The
  // suppressed sites' sampled growth is taken off first, the second half of
  // the window must still grow (a JVM's malloc'd memory settles after
  // warm-up), and the sampled profile only names where it most likely is.
  if (JudgeExactMallocGrowth(options, window_text, first, last, a)) return a;
  a.verdict = Verdict::kClean;
  a.kind = GrowthKind::kNone;
  a.reason = absl::StrCat(
      "clean: no site grows faster than ", Rate(b.max_site_rate, ts),
      " with confidence; malloc'd total ", a.total.growth >= 0 ? "+" : "",
      FormatBytes(a.total.growth), " over ", window_text);
  return a;
}

}  // namespace jleak
