// File: heap_profile_fuzzer.cc
//
// libFuzzer target for the heap profile parser: any bytes must give a
// profile or an error, never a crash, hang or sanitizer report. Built with
// clang's -fsanitize=fuzzer,address,undefined by //profiler:heap_profile_fuzzer
// and run for a bounded time by //profiler:heap_profile_fuzz_test:
//
//   bazel build //profiler:heap_profile_fuzzer
//   bazel-bin/profiler/heap_profile_fuzzer -max_total_time=60 CORPUS_DIR

#include <cstddef>
#include <cstdint>

#include "profiler/heap_profile.h"
#include "profiler/proc_maps.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<jleak::HeapProfile> profile =
      jleak::ParseHeapProfile(text, "fuzz");
  if (profile.ok()) {
    jleak::Counts total = jleak::TotalUnsampled(*profile);
    (void)total;
    for (const jleak::StackSample& s : profile->stacks) {
      for (uint64_t pc : s.frames) jleak::FindMapping(profile->mappings, pc);
    }
  }
  return 0;
}
