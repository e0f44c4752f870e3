// File: series_accumulator_benchmark.cc
//
// How fast `jleak analyze`'s in-process parts go at scale, on synthetic
// series (profile/synthetic_profile.h) named by a FakeSymbolizer, so the
// figures are the analyzer's own work:
// - BM_Add: one snapshot of 1k, 10k or 100k stacks reduced to per-site
//   counts (SeriesAccumulator::Add), the cost per snapshot of a series;
// - BM_Series: a whole series of 1k stacks x 10, 100 or 1000 snapshots, Add
//   and Finish (the fits): how the total grows with the series' length;
// - BM_EstimateGrowth: one fit of 30, 256 or 1000 points, why long series
//   are thinned (ThinForFit) to max_fit_points (256).
//
//   bazel run -c opt //harness/analyze:series_accumulator_benchmark

#include <benchmark/benchmark.h>

#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "harness/analyze/analyzer.h"
#include "harness/analyze/growth.h"
#include "profile/fake_symbolizer.h"
#include "profile/synthetic_profile.h"

namespace jleak {
namespace {

FakeSymbolizer SymbolsFor(const SyntheticSeries& series) {
  FakeSymbolizer symbols;
  for (const SyntheticFunction& f : series.module().functions) {
    symbols.Add(f.address, f.size, {f.name}, series.module().mapping.path);
  }
  return symbols;
}

std::vector<SnapshotMeta> Metas(int snapshots) {
  std::vector<SnapshotMeta> metas;
  for (int i = 0; i < snapshots; ++i) {
    metas.push_back({absl::StrCat("s", i, ".heap"), i, 300.0 * i});
  }
  return metas;
}

constexpr int kAddIterations = 32;

void BM_Add(benchmark::State& state) {
  SyntheticOptions o;
  o.stacks = static_cast<int>(state.range(0));
  o.snapshots = 64;
  const SyntheticSeries series(o, MadeUpModule(4000));
  std::vector<HeapProfile> profiles;
  for (int i = 0; i < 8; ++i) profiles.push_back(series.Snapshot(i));
  FakeSymbolizer symbols = SymbolsFor(series);
  const FrameFilter filter;
  const AnalyzerOptions options;
  // One accumulator for as many snapshots as the benchmark adds (each site
  // holds a number per snapshot). The distinct stacks are named on the
  // first snapshot, outside the timing; the others look them up, as every
  // snapshot after the first of a series does.
  const int capacity = kAddIterations + 1;
  SeriesAccumulator acc(Metas(capacity), symbols, filter, options);
  acc.Add(0, profiles[0]);
  int i = 1;
  for (auto _ : state) {
    if (i == capacity) {
      state.SkipWithError("more iterations than snapshots");
      break;
    }
    acc.Add(i, profiles[i % profiles.size()]);
    ++i;
  }
  state.SetItemsProcessed(state.iterations() * o.stacks);
}
BENCHMARK(BM_Add)
    ->ArgName("stacks")
    ->Arg(1000)
    ->Arg(10000)
    ->Arg(100000)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(kAddIterations);

void BM_Series(benchmark::State& state) {
  SyntheticOptions o;
  o.stacks = 1000;
  o.snapshots = static_cast<int>(state.range(0));
  const SyntheticSeries series(o, MadeUpModule(4000));
  std::vector<HeapProfile> profiles;
  for (int i = 0; i < o.snapshots; ++i) profiles.push_back(series.Snapshot(i));
  FakeSymbolizer symbols = SymbolsFor(series);
  const FrameFilter filter;
  const AnalyzerOptions options;
  for (auto _ : state) {
    SeriesAccumulator acc(Metas(o.snapshots), symbols, filter, options);
    for (int i = 0; i < o.snapshots; ++i) acc.Add(i, profiles[i]);
    Analysis a = std::move(acc).Finish(TimeSource::kMtime, {});
    benchmark::DoNotOptimize(a);
  }
  state.SetItemsProcessed(state.iterations() * o.snapshots);
}
BENCHMARK(BM_Series)
    ->ArgName("snapshots")
    ->Arg(10)
    ->Arg(100)
    ->Arg(1000)
    ->Unit(benchmark::kMillisecond);

void BM_EstimateGrowth(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  std::vector<double> t, y, sd;
  for (int i = 0; i < n; ++i) {
    t.push_back(300.0 * i);
    y.push_back(1e6 + 1000.0 * i + 5e4 * std::sin(i));
    sd.push_back(1e4);
  }
  for (auto _ : state) {
    GrowthEstimate g = EstimateGrowth(t, y, sd);
    benchmark::DoNotOptimize(g);
  }
}
BENCHMARK(BM_EstimateGrowth)->ArgName("points")->Arg(30)->Arg(256)->Arg(1000);

}  // namespace
}  // namespace jleak
