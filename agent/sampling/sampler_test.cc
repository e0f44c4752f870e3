// File: sampler_test.cc
//
// Statistical tests of the byte sampler. Every test uses a fixed seed, so
// each run draws the same numbers and no assertion is timed; the tolerances
// are still derived from the variance (5 standard deviations), so a seed
// change would fail only with probability ~6e-7 per assertion.

#include "agent/sampling/sampler.h"

#include <cmath>
#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

namespace jleak::agent::sampling {
namespace {

TEST(Sampler, LcgIsJemallocs) {
  uint64_t state = 1;
  uint64_t expected = 1;
  for (int i = 0; i < 5; ++i) {
    expected = expected * 6364136223846793005ULL + 1442695040888963407ULL;
    EXPECT_EQ(Sampler::NextRandom53(&state), expected >> 11);
    EXPECT_EQ(state, expected);
  }
}

TEST(Sampler, WaitsAreGeometricWithTheMeanOfThePeriod) {
  constexpr int kLg = 12;
  constexpr int kDraws = 200000;
  const Sampler sampler(kLg, 7);
  uint64_t prng = 12345;
  const double period = std::ldexp(1.0, kLg);
  double sum = 0;
  int longer_than_period = 0;
  uint64_t min_wait = UINT64_MAX;
  for (int i = 0; i < kDraws; ++i) {
    const uint64_t w = sampler.NextWait(&prng);
    sum += static_cast<double>(w);
    if (w > period) ++longer_than_period;
    if (w < min_wait) min_wait = w;
  }
  EXPECT_GE(min_wait, 1u);
  // Geometric with p = 1/P: mean P, standard deviation sqrt(1 - p) P.
  const double sd_mean = period / std::sqrt(kDraws);
  EXPECT_NEAR(sum / kDraws, period, 5 * sd_mean);
  // P(W > P) = (1 - 1/P)^P, about 1/e.
  const double q = std::pow(1 - 1 / period, period);
  EXPECT_NEAR(static_cast<double>(longer_than_period) / kDraws, q,
              5 * std::sqrt(q * (1 - q) / kDraws));
}

// CountSamples allocates `sizes` in turn `rounds` times from one thread.
struct SamplingRun {
  int64_t samples = 0;
  double expected = 0;  // sum of sampling probabilities
  double variance = 0;  // of the sample count (independent Bernoullis)
  double true_bytes = 0;
  double estimated_bytes = 0;  // sum over samples of n / q(n)
  double estimate_variance = 0;
};

SamplingRun CountSamples(const Sampler& sampler,
                         const std::vector<uint64_t>& sizes, int rounds) {
  SamplingRun run;
  ThreadSamplerState state = {};
  for (int r = 0; r < rounds; ++r) {
    for (uint64_t n : sizes) {
      const double q = SamplingProbability(n, sampler.lg_sample());
      run.expected += q;
      run.variance += q * (1 - q);
      run.true_bytes += static_cast<double>(n);
      run.estimate_variance +=
          static_cast<double>(n) * static_cast<double>(n) * (1 - q) / q;
      if (sampler.Sample(&state, n)) {
        ++run.samples;
        run.estimated_bytes += static_cast<double>(n) / q;
      }
    }
  }
  return run;
}

TEST(Sampler, OneSizeSampleCountMatchesTheBinomialMean) {
  // 10^6 allocations of 4 KiB at the default 512 KiB: q = 0.00778, about
  // 7,780 samples, standard deviation 88.
  const Sampler sampler(Sampler::kDefaultLgSample, 42);
  const SamplingRun run = CountSamples(sampler, {4096}, 1000000);
  EXPECT_NEAR(run.expected, 7782.0, 1.0);
  EXPECT_NEAR(static_cast<double>(run.samples), run.expected,
              5 * std::sqrt(run.variance));
  EXPECT_NEAR(run.estimated_bytes, run.true_bytes,
              5 * std::sqrt(run.estimate_variance));
}

TEST(Sampler, MixedSizesSampleCountAndBytesEstimate) {
  // Sizes from 8 bytes to 4 MiB (some above the 512 KiB period, sampled
  // almost surely) in a fixed pseudo-random order.
  std::vector<uint64_t> sizes;
  uint64_t x = 99;
  for (int i = 0; i < 1000; ++i) {
    x = x * 6364136223846793005ULL + 1;
    sizes.push_back(uint64_t{8} << ((x >> 33) % 20));
  }
  const Sampler sampler(Sampler::kDefaultLgSample, 4242);
  const SamplingRun run = CountSamples(sampler, sizes, 1000);
  EXPECT_GT(run.samples, 1000);
  EXPECT_NEAR(static_cast<double>(run.samples), run.expected,
              5 * std::sqrt(run.variance));
  EXPECT_NEAR(run.estimated_bytes, run.true_bytes,
              5 * std::sqrt(run.estimate_variance));
}

TEST(Sampler, SmallPeriodManySamples) {
  const Sampler sampler(10, 5);
  const SamplingRun run = CountSamples(sampler, {100, 1000, 3000}, 100000);
  EXPECT_NEAR(static_cast<double>(run.samples), run.expected,
              5 * std::sqrt(run.variance));
}

TEST(Sampler, ZeroStateIsSeededLazilyAndDeterministically) {
  const Sampler a(8, 77);
  const Sampler b(8, 77);
  ThreadSamplerState sa = {};
  ThreadSamplerState sb = {};
  std::vector<bool> seq_a, seq_b;
  for (int i = 0; i < 2000; ++i) {
    seq_a.push_back(a.Sample(&sa, 100));
    seq_b.push_back(b.Sample(&sb, 100));
  }
  EXPECT_EQ(sa.seeded, 1u);
  EXPECT_EQ(seq_a, seq_b);

  // A second thread's state (seeded second) draws another sequence.
  ThreadSamplerState sa2 = {};
  std::vector<bool> seq_a2;
  for (int i = 0; i < 2000; ++i) seq_a2.push_back(a.Sample(&sa2, 100));
  EXPECT_NE(seq_a, seq_a2);
}

TEST(Sampler, PeriodOneSamplesEveryByte) {
  const Sampler sampler(0, 1);
  ThreadSamplerState state = {};
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(sampler.Sample(&state, 1));
  EXPECT_EQ(SamplingProbability(1, 0), 1.0);
}

TEST(Sampler, HugePeriodStaysFinite) {
  const Sampler sampler(Sampler::kMaxLgSample, 3);
  uint64_t prng = 9;
  for (int i = 0; i < 1000; ++i) {
    const uint64_t w = sampler.NextWait(&prng);
    EXPECT_GE(w, 1u);
    EXPECT_LE(w, (uint64_t{1} << 62) + 1);
  }
  ThreadSamplerState state = {};
  int samples = 0;
  for (int i = 0; i < 100000; ++i) samples += sampler.Sample(&state, 1 << 20);
  EXPECT_EQ(samples, 0);
}

TEST(Sampler, ResetChangesThePeriod) {
  Sampler sampler(19, 1);
  EXPECT_EQ(sampler.period(), 524288u);
  sampler.Reset(10, 2);
  EXPECT_EQ(sampler.lg_sample(), 10);
  EXPECT_EQ(sampler.period(), 1024u);
  sampler.Reset(-3, 2);
  EXPECT_EQ(sampler.lg_sample(), 0);
  sampler.Reset(99, 2);
  EXPECT_EQ(sampler.lg_sample(), Sampler::kMaxLgSample);
}

TEST(SamplingProbability, MatchesOneMinusExp) {
  // gperftools' sampler.h figures at 512 KiB: 4 KiB 0.00778, 1 MiB 0.865.
  EXPECT_NEAR(SamplingProbability(4096, 19), 0.00778, 0.00001);
  EXPECT_NEAR(SamplingProbability(1 << 20, 19), 0.865, 0.001);
  EXPECT_EQ(SamplingProbability(0, 19), 0.0);
}

TEST(ReentrancyGuard, NestedGuardIsANoOp) {
  ThreadSamplerState state = {};
  {
    ReentrancyGuard outer(&state);
    EXPECT_TRUE(outer.entered());
    EXPECT_EQ(state.busy, 1u);
    {
      ReentrancyGuard inner(&state);
      EXPECT_FALSE(inner.entered());
    }
    EXPECT_EQ(state.busy, 1u);  // the inner guard did not clear it
  }
  EXPECT_EQ(state.busy, 0u);
}

}  // namespace
}  // namespace jleak::agent::sampling
