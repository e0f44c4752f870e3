// File: heap_profile.h
//
// HeapProfile: one jemalloc heap profile (`heap_v2` format, jemalloc 4.0+),
// parsed from bytes, and the maths that turns its sampled counts into
// estimates of true bytes and objects.
//
//   absl::StatusOr<HeapProfile> p = ParseHeapProfile(text, "x.0.f.heap");
//   Counts truth = Unsample(p->stacks[0].sampled, p->sample_period);
//
// The format, as written by jemalloc's prof_data.c (prof_dump_header,
// prof_tctx_dump, prof_dump_maps):
//
//   heap_v2/<sample period>              mean bytes between samples
//     t*: <objs>: <bytes> [<0>: <0>]     all threads
//     t<N>: <objs>: <bytes> [...]        one line per thread
//   @ 0x<pc> 0x<pc> ...                  one stack, innermost frame first
//     t*: <objs>: <bytes> [...]
//     t<N>: <objs>: <bytes> [...]
//   ...
//   (blank line)
//   MAPPED_LIBRARIES:
//   <a verbatim copy of /proc/<pid>/maps>
//
// The bracketed accumulated counts are zero unless prof_accum was on.

#ifndef JLEAK_PROFILE_HEAP_PROFILE_H_
#define JLEAK_PROFILE_HEAP_PROFILE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "profile/proc_maps.h"

namespace jleak {

// Objects and bytes, either sampled (as in the file) or estimated true.
struct Counts {
  double objects = 0;
  double bytes = 0;

  Counts& operator+=(const Counts& o) {
    objects += o.objects;
    bytes += o.bytes;
    return *this;
  }
  friend Counts operator-(Counts a, const Counts& b) {
    a.objects -= b.objects;
    a.bytes -= b.bytes;
    return a;
  }
};

// One "t<N>:" line. thread is -1 for the "t*:" (all threads) line.
struct ThreadCounts {
  int64_t thread = -1;
  Counts sampled;
  Counts accumulated;  // the bracketed pair; zero unless prof_accum
};

// One "@ ..." record: a distinct allocation stack and its live samples.
struct StackSample {
  // Return addresses as written, innermost first. The first frames are
  // jemalloc's own (see frame_filter.h).
  std::vector<uint64_t> frames;
  Counts sampled;                     // its "t*:" line
  std::vector<ThreadCounts> threads;  // its "t<N>:" lines
};

struct HeapProfile {
  // 2^lg_prof_sample: the mean number of bytes between samples.
  uint64_t sample_period = 0;
  Counts total_sampled;                     // header "t*:" line
  std::vector<ThreadCounts> thread_totals;  // header "t<N>:" lines
  std::vector<StackSample> stacks;
  std::vector<Mapping> mappings;  // MAPPED_LIBRARIES; may be empty
};

// ParseHeapProfile parses a whole heap_v2 profile. `source_name` (usually
// the file name) only labels error messages, which say which line and what
// was expected, e.g.
//   "x.heap:3: expected 't<thread>: <objects>: <bytes> [...]', got '...'".
// A gperftools profile ("heap profile: ...") is recognised and rejected
// with a message saying so.
absl::StatusOr<HeapProfile> ParseHeapProfile(absl::string_view text,
                                             absl::string_view source_name);

// ParseHeapProfileInto is ParseHeapProfile into an existing profile, whose
// vectors are reused: a reader of a long series parses every snapshot into
// the same few profiles instead of allocating each stack anew. On error,
// `*out` holds what was parsed before it.
absl::Status ParseHeapProfileInto(absl::string_view text,
                                  absl::string_view source_name,
                                  HeapProfile* out);

// Unsample estimates the true counts behind one sampled record.
//
// jemalloc samples allocations with a Poisson process of mean period P
// bytes (prof.c: prof_sample_threshold_update draws geometric intervals),
// so an allocation of size S is sampled with probability 1 - exp(-S/P).
// A record with n sampled objects totalling B bytes has mean size
// S = B / n, and the unbiased estimate of its true totals is
//
//     ratio = 1 / (1 - exp(-S / P))
//     true bytes = B * ratio,  true objects = n * ratio
//
// This is the correction jeprof applies (AdjustSamples, heap_v2 branch)
// and jemalloc documents in prof_data.c's prof_leakcheck. A record with no
// objects or P == 0 (every allocation sampled) is returned unchanged.
Counts Unsample(const Counts& sampled, uint64_t sample_period);

// TotalUnsampled sums Unsample() over every stack: the profile's estimate
// of live bytes and objects (per-record correction, as jeprof does; the
// header's own t*: line cannot be unsampled as a whole).
Counts TotalUnsampled(const HeapProfile& profile);

}  // namespace jleak

#endif  // JLEAK_PROFILE_HEAP_PROFILE_H_
