// File: planted_site_test.cc
//
// The planted leak of a synthetic series (profile/synthetic_profile.h) is
// the first site and over budget, alone, at every size of the scaling grid
// that fits a unit test: 1k, 10k and 100k stacks per profile, 10 to 1000
// snapshots (ci/bench/bench_scale.sh checks the whole grid through `jleak
// analyze` on files). Snapshots go through SeriesAccumulator one at a
// time, as `jleak analyze` streams them, 300 s apart.

#include <string>
#include <tuple>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/analyze/analyzer.h"
#include "profile/fake_symbolizer.h"
#include "profile/synthetic_profile.h"

namespace jleak {
namespace {

class PlantedSiteTest : public ::testing::TestWithParam<std::tuple<int, int>> {
};

TEST_P(PlantedSiteTest, IsTheOnlySiteOverBudget) {
  const auto [stacks, snapshots] = GetParam();
  SyntheticOptions o;
  o.stacks = stacks;
  o.snapshots = snapshots;
  o.seed = 17;
  SyntheticSeries series(o, MadeUpModule(4000));
  FakeSymbolizer symbols;
  for (const SyntheticFunction& f : series.module().functions) {
    symbols.Add(f.address, f.size, {f.name}, series.module().mapping.path);
  }
  std::vector<SnapshotMeta> metas;
  for (int i = 0; i < snapshots; ++i) {
    metas.push_back(
        {absl::StrCat("jeprof.1.", i, ".i", i, ".heap"), i, 300.0 * i});
  }
  FrameFilter filter;
  AnalyzerOptions options;
  SeriesAccumulator acc(metas, symbols, filter, options);
  for (int i = 0; i < snapshots; ++i) acc.Add(i, series.Snapshot(i));
  Analysis a = std::move(acc).Finish(TimeSource::kMtime, {});

  EXPECT_EQ(a.verdict, Verdict::kLeak) << a.reason;
  ASSERT_FALSE(a.sites.empty());
  EXPECT_EQ(a.sites[0].top_frame, series.planted_functions().at(0));
  EXPECT_TRUE(a.sites[0].over_budget);
  int over = 0;
  for (const SiteSeries& s : a.sites) over += s.over_budget;
  EXPECT_EQ(over, 1);
  // Groups of 4 stacks share a site.
  EXPECT_EQ(a.sites.size(), static_cast<size_t>((stacks + 3) / 4));
  EXPECT_EQ(a.snapshots.size(), static_cast<size_t>(snapshots));
  EXPECT_EQ(a.sites[0].bytes.size(), static_cast<size_t>(snapshots));
}

INSTANTIATE_TEST_SUITE_P(
    Sizes, PlantedSiteTest,
    ::testing::Values(std::make_tuple(1000, 10), std::make_tuple(1000, 100),
                      std::make_tuple(1000, 1000), std::make_tuple(10000, 10),
                      std::make_tuple(10000, 100), std::make_tuple(100000, 10)),
    [](const ::testing::TestParamInfo<std::tuple<int, int>>& info) {
      return absl::StrCat(std::get<0>(info.param), "_stacks_",
                          std::get<1>(info.param), "_snapshots");
    });

}  // namespace
}  // namespace jleak
