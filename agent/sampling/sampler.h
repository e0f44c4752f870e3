// File: sampler.h
//
// Sampler: which allocations the sampling engine records. Poisson sampling
// by bytes with jemalloc 5.3's maths (src/prof.c, prof_sample_new_event_wait),
// so that every unsampling formula downstream (heap_v2's, jeprof's,
// profile/heap_profile.h's Unsample) stays valid:
//
//   - every byte a thread allocates is a sampling point with probability
//     p = 2^-lg_sample, independently: the wait between two points is
//     geometric, W = floor(ln(u) / ln(1 - p)) + 1 with u uniform in (0, 1],
//     P(W > k) = (1 - p)^k, mean 2^lg_sample bytes (default lg 19 = 512 KiB,
//     jemalloc's lg_prof_sample);
//   - an allocation of n bytes is sampled when it contains a point, so with
//     probability 1 - (1 - p)^n ~= 1 - exp(-n / 2^lg_sample), and, the wait
//     being memoryless, independently of every other allocation;
//   - after each sample a fresh wait is drawn (the rest of the sampled
//     allocation is not carried over), as jemalloc does.
//
// u is the top 53 bits of jemalloc's 64-bit LCG (prng.h: a =
// 6364136223846793005, c = 1442695040888963407), 1.0 when they are all zero.
//
//   Sampler sampler(19, /*seed=*/42);
//   ThreadSamplerState state = {};  // one per thread, zero-initialized
//   if (sampler.Sample(&state, n)) { /* record the allocation */ }
//
// Concurrency: a ThreadSamplerState belongs to one thread (the engine keeps
// it in a __thread variable, zero until the thread's first allocation, so
// threads that predate the attach get theirs lazily). The common path,
// Sample() when the allocation is not sampled, is one compare and one
// subtraction on that state: no lock, no shared write, no allocation. The
// Sampler itself is shared: its fields are atomics read with relaxed loads,
// and the only read-modify-write (the count of seeded threads) happens once
// per thread.

#ifndef JLEAK_AGENT_SAMPLING_SAMPLER_H_
#define JLEAK_AGENT_SAMPLING_SAMPLER_H_

#include <atomic>
#include <cstdint>

namespace jleak::agent::sampling {

// ThreadSamplerState is one thread's sampling state. All-zero is the valid
// initial state ("not seeded yet"): it sends the first allocation to the slow
// path, which seeds it.
struct ThreadSamplerState {
  uint64_t bytes_until_sample;  // the rest of the current wait
  uint64_t prng;                // jemalloc's LCG state
  uint32_t seeded;              // 0 until the first allocation
  uint32_t busy;                // the reentrancy guard (ReentrancyGuard)
};

class Sampler {
 public:
  static constexpr int kDefaultLgSample = 19;  // 512 KiB, as jemalloc
  static constexpr int kMaxLgSample = 62;

  // Sampler draws waits of mean 2^lg_sample bytes (lg_sample is clamped to
  // [0, kMaxLgSample]; 0 samples every allocation). Thread i (in the order
  // threads first allocate) is seeded from `seed` and i, so a seed makes a
  // single-threaded run deterministic; seed 0 takes one from the clock.
  explicit Sampler(int lg_sample = kDefaultLgSample, uint64_t seed = 0);

  // Reset changes the mean and the seed for waits drawn from now on (the
  // current wait of each thread runs out first). Safe to call while other
  // threads sample.
  void Reset(int lg_sample, uint64_t seed);

  int lg_sample() const { return lg_sample_.load(std::memory_order_relaxed); }
  uint64_t period() const { return uint64_t{1} << lg_sample(); }

  // Sample counts `n` allocated bytes against `state` and says whether this
  // allocation is sampled.
  bool Sample(ThreadSamplerState* state, uint64_t n) const {
    if (__builtin_expect(n < state->bytes_until_sample, 1)) {
      state->bytes_until_sample -= n;
      return false;
    }
    return SampleSlow(state, n);
  }

  // NextWait draws one wait in bytes (>= 1) from `*prng`.
  uint64_t NextWait(uint64_t* prng) const;

  // NextRandom53 advances jemalloc's LCG and returns its top 53 bits.
  static uint64_t NextRandom53(uint64_t* prng) {
    *prng = *prng * 6364136223846793005ULL + 1442695040888963407ULL;
    return *prng >> 11;
  }

 private:
  // SampleSlow seeds a new thread's state, or ends the current wait.
  bool SampleSlow(ThreadSamplerState* state, uint64_t n) const;

  std::atomic<int> lg_sample_;
  std::atomic<uint64_t> seed_;
  mutable std::atomic<uint64_t> threads_seeded_{0};
};

// ReentrancyGuard marks the current thread as inside the engine's sampling
// work (stack walk, table insert, snapshot): allocations it makes there are
// never sampled, so the engine never recurses into itself. Nested guards
// are no-ops; entered() says whether this one took the mark.
class ReentrancyGuard {
 public:
  explicit ReentrancyGuard(ThreadSamplerState* state)
      : state_(state), entered_(state->busy == 0) {
    if (entered_) state_->busy = 1;
  }
  ~ReentrancyGuard() {
    if (entered_) state_->busy = 0;
  }
  ReentrancyGuard(const ReentrancyGuard&) = delete;
  ReentrancyGuard& operator=(const ReentrancyGuard&) = delete;

  bool entered() const { return entered_; }

 private:
  ThreadSamplerState* const state_;
  const bool entered_;
};

// SamplingProbability is the probability that one allocation of `n` bytes is
// sampled at mean period 2^lg_sample: 1 - (1 - 2^-lg)^n.
double SamplingProbability(uint64_t n, int lg_sample);

}  // namespace jleak::agent::sampling

#endif  // JLEAK_AGENT_SAMPLING_SAMPLER_H_
