// File: memory_map_fuzzer.cc
//
// libFuzzer target for the smaps parser and classifier: any bytes must
// give mappings or an error, never a crash, hang or sanitizer report; and
// whatever parses must classify into classes that add up to its Rss, with
// hints derived from the input itself (so ranges and addresses land on
// real mappings). Built by //profile:memory_map_fuzzer, run for a bounded
// time by //profile:memory_map_fuzz_test:
//
//   bazel build //profile:memory_map_fuzzer
//   bazel-bin/profile/memory_map_fuzzer -max_total_time=60 CORPUS_DIR

#include <cstddef>
#include <cstdint>

#include "profile/memory_map.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::vector<jleak::SmapsEntry>> entries =
      jleak::ParseSmaps(text, "fuzz");
  if (!entries.ok()) return 0;
  for (bool jvm : {false, true}) {
    jleak::ClassifyHints hints;
    hints.jvm = jvm;
    hints.heap_known = jvm;
    for (size_t i = 0; i < entries->size(); i += 3) {
      const jleak::SmapsEntry& e = (*entries)[i];
      // Ranges that straddle mappings, overlap each other, or are empty.
      hints.ranges.push_back({e.start + e.size() / 2, e.limit + 4096,
                              static_cast<jleak::MemoryClass>(i % 8)});
      hints.class_metadata_addresses.push_back(e.start + 8);
      if (i == 3) hints.class_space_start = e.start;
    }
    jleak::MemoryMap map = jleak::ClassifyMappings(*entries, hints);
    int64_t sum = 0;
    for (int64_t v : map.classes) sum += v < 0 ? 0 : v;
    if (sum != map.rss_bytes) __builtin_trap();
    if (map.range_rss.size() != hints.ranges.size()) __builtin_trap();
  }
  return 0;
}
