// File: heap_v2_writer.h
//
// FormatHeapV2: a jemalloc `heap_v2` heap profile from the sampling engine's
// live samples, written exactly as jemalloc 5.3 writes one with
// opt_prof_unbias (its default), so that //profile:heap_profile, jeprof and
// every jleak report read it unchanged.
//
//   std::vector<SampledStack> stacks = ...;  // frames + sizes of live samples
//   std::string text = FormatHeapV2(stacks, /*period=*/1 << 19, maps_text);
//
// ---------------------------------------------------------------- maths
// jemalloc 5.3 (src/prof.c prof_unbias_map_init, src/prof_data.c
// prof_do_unbias): each sampled object of size z, sampled with probability
// 1 - exp(-z/R) at period R, adds
//     shifted count  round(8 / (1 - exp(-z/R)))      (counts kept x8)
//     bytes          round(z / (1 - exp(-z/R)))
// to its stack's sums C (shifted) and S. At dump, with c_out = C/8,
// s_out = S, x = s_out / c_out:
//     printed bytes    s_in = round(s_out * (1 - exp(-x/R)))
//     printed objects  c_in = round(s_in_unrounded / x)
// which jeprof's (and Unsample's) per-record correction k = 1/(1 -
// exp(-(s_in/c_in)/R)) turns back into c_out, s_out: the unbiased estimate
// of the true live objects and bytes, exact for mixed sizes too (up to the
// two roundings). jemalloc rounds per size class; the engine has no size
// classes and uses the requested size.
//
// ---------------------------------------------------------------- format
//   heap_v2/<R>
//     t*: <c_in>: <s_in> [0: 0]          unbias of the sums over all stacks
//   @ 0x<pc> 0x<pc> ...                  one stack, innermost first
//     t*: <c_in>: <s_in> [0: 0]
//   ...
//   (blank line)
//   MAPPED_LIBRARIES:
//   <maps text, verbatim>
// The bracketed pair (prof_accum) is always 0: 0. jemalloc also writes one
// `t<thread>:` line per thread under the header and under each stack; the
// engine does not keep threads, and readers use the t*: lines only. A
// stack with no recorded frames is written as the one synthetic frame
// kNoStackFrame.

#ifndef JLEAK_AGENT_SAMPLING_HEAP_V2_WRITER_H_
#define JLEAK_AGENT_SAMPLING_HEAP_V2_WRITER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace jleak::agent::sampling {

// The frame of a stack that could not be recorded (stack table full, no
// frame found): a kernel-half address no code occupies, odd so that a
// reader's `pc - 1` lookup and a `pc` lookup agree (as profile/java_frame.h
// does for Java frames, whose range 0xffffa... it does not overlap).
inline constexpr uint64_t kNoStackFrame = 0xffffb00000000001ULL;

// One stack and the sizes of its live sampled objects.
struct SampledStack {
  std::vector<uint64_t> frames;  // innermost first; empty: kNoStackFrame
  std::vector<uint64_t> sizes;
};

// jemalloc's internal, unbiased sums for a set of objects.
struct UnbiasedSums {
  uint64_t shifted_objects = 0;  // sum of round(8 / (1 - exp(-z/R)))
  uint64_t bytes = 0;            // sum of round(z / (1 - exp(-z/R)))

  UnbiasedSums& operator+=(const UnbiasedSums& o) {
    shifted_objects += o.shifted_objects;
    bytes += o.bytes;
    return *this;
  }
};

// The objects and bytes a profile line prints.
struct PrintedCounts {
  uint64_t objects = 0;
  uint64_t bytes = 0;
};

// ObjectSums: one sampled object of `size` bytes at `period`.
UnbiasedSums ObjectSums(uint64_t size, uint64_t period);

// PrintedFromSums: prof_do_unbias (0: 0 when either sum is 0).
PrintedCounts PrintedFromSums(const UnbiasedSums& sums, uint64_t period);

// FormatHeapV2 writes the whole profile. Stacks are written in the given
// order; stacks with no sizes are left out (as jemalloc leaves out stacks
// with no live objects). `maps` is copied verbatim (a trailing newline is
// added if it lacks one and is not empty).
std::string FormatHeapV2(const std::vector<SampledStack>& stacks,
                         uint64_t period, absl::string_view maps);

}  // namespace jleak::agent::sampling

#endif  // JLEAK_AGENT_SAMPLING_HEAP_V2_WRITER_H_
