// File: sampler.cc
//
// The waits of the Poisson byte sampler (see sampler.h for the maths).

#include "agent/sampling/sampler.h"

#include <time.h>
#include <unistd.h>

#include <cmath>

namespace jleak::agent::sampling {
namespace {

int ClampLg(int lg) {
  if (lg < 0) return 0;
  if (lg > Sampler::kMaxLgSample) return Sampler::kMaxLgSample;
  return lg;
}

// SplitMix64: spreads a counter into well-mixed 64-bit seeds.
uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t ClockSeed() {
  timespec ts = {};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return SplitMix64(static_cast<uint64_t>(ts.tv_sec) * 1000000007ULL ^
                    static_cast<uint64_t>(ts.tv_nsec) ^
                    static_cast<uint64_t>(getpid()) << 40);
}

}  // namespace

Sampler::Sampler(int lg_sample, uint64_t seed)
    : lg_sample_(ClampLg(lg_sample)), seed_(seed == 0 ? ClockSeed() : seed) {}

void Sampler::Reset(int lg_sample, uint64_t seed) {
  lg_sample_.store(ClampLg(lg_sample), std::memory_order_relaxed);
  seed_.store(seed == 0 ? ClockSeed() : seed, std::memory_order_relaxed);
}

uint64_t Sampler::NextWait(uint64_t* prng) const {
  const int lg = lg_sample();
  if (lg == 0) return 1;
  const uint64_t r = NextRandom53(prng);
  const double u = r == 0 ? 1.0 : static_cast<double>(r) * 0x1p-53;
  // jemalloc writes log(1.0 - 1/2^lg); log1p is the same value where that
  // is exact and stays finite for lg >= 53, where 1 - 2^-lg rounds to 1.
  const double w = std::floor(std::log(u) / std::log1p(-std::ldexp(1.0, -lg)));
  constexpr double kMaxWait = 0x1p62;
  return (w < kMaxWait ? static_cast<uint64_t>(w) : uint64_t{1} << 62) + 1;
}

bool Sampler::SampleSlow(ThreadSamplerState* state, uint64_t n) const {
  if (state->seeded == 0) {
    const uint64_t thread =
        threads_seeded_.fetch_add(1, std::memory_order_relaxed);
    state->prng = SplitMix64(seed_.load(std::memory_order_relaxed) +
                             thread * 0xd1b54a32d192ed03ULL);
    state->seeded = 1;
    state->bytes_until_sample = NextWait(&state->prng);
    if (n < state->bytes_until_sample) {
      state->bytes_until_sample -= n;
      return false;
    }
  }
  state->bytes_until_sample = NextWait(&state->prng);
  return true;
}

double SamplingProbability(uint64_t n, int lg_sample) {
  const int lg = ClampLg(lg_sample);
  if (lg == 0) return n == 0 ? 0.0 : 1.0;
  return -std::expm1(static_cast<double>(n) *
                     std::log1p(-std::ldexp(1.0, -lg)));
}

}  // namespace jleak::agent::sampling
