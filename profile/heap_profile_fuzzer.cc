// File: heap_profile_fuzzer.cc
//
// libFuzzer target for the heap profile parser and the stack namer: any
// bytes must give a profile or an error, never a crash, hang or sanitizer
// report; and a profile that parses must name (NameProfile, with and
// without source detail, over a symbolizer that knows every address or
// none) and diff without one. Built with clang's
// -fsanitize=fuzzer,address,undefined by //profile:heap_profile_fuzzer and
// run for a bounded time by //profile:heap_profile_fuzz_test, or longer by
// ci/fuzz.sh:
//
//   bazel build //profile:heap_profile_fuzzer
//   bazel-bin/profile/heap_profile_fuzzer -max_total_time=60 CORPUS_DIR

#include <cstddef>
#include <cstdint>

#include "profile/fake_symbolizer.h"
#include "profile/frame_filter.h"
#include "profile/heap_profile.h"
#include "profile/named_profile.h"
#include "profile/proc_maps.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<jleak::HeapProfile> profile =
      jleak::ParseHeapProfile(text, "fuzz");
  if (!profile.ok()) return 0;
  jleak::Counts total = jleak::TotalUnsampled(*profile);
  (void)total;
  for (const jleak::StackSample& s : profile->stacks) {
    for (uint64_t pc : s.frames) jleak::FindMapping(profile->mappings, pc);
  }
  // Parsing into a profile that holds another must give the same profile.
  jleak::HeapProfile reused = *profile;
  reused.stacks.resize(reused.stacks.size() + 3);
  if (!jleak::ParseHeapProfileInto(text, "fuzz", &reused).ok() ||
      reused.stacks.size() != profile->stacks.size()) {
    __builtin_trap();
  }
  // Names: every mapped address inside a function with an inlined frame,
  // so trimming, the Java cut and merging all run.
  jleak::FakeSymbolizer symbols;
  for (const jleak::Mapping& m : profile->mappings) {
    if (m.limit > m.start) {
      symbols.Add(m.start, m.limit - m.start, {"inlined", "malloc"}, m.path);
    }
  }
  const jleak::FrameFilter filter;
  for (bool detail : {false, true}) {
    jleak::NamedProfile named =
        jleak::NameProfile(*profile, symbols, filter, {detail});
    jleak::NamedProfile diff = jleak::DiffProfiles(named, named);
    jleak::SortByBytes(&named.stacks);
    if (!detail) jleak::AddSourceDetail(&named, symbols, filter);
    (void)diff;
  }
  return 0;
}
