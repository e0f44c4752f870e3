// File: memory_map_fuzzer.cc
//
// libFuzzer target for the memory-SEQ.json reader and its folding: any
// bytes must give a MemorySnapshot or a one-line error naming the file,
// never a crash, an uncaught exception (nlohmann::json throws on a
// wrong-typed read), a hang or a sanitizer report; a snapshot read must
// fold whatever its paths, names and frames hold. Built with clang's
// -fsanitize=fuzzer,address,undefined by //harness/analyze:memory_map_fuzzer,
// run for a bounded time by //harness/analyze:memory_map_fuzz_test, or
// longer by ci/fuzz.sh.

#include <cstddef>
#include <cstdint>
#include <string>

#include "harness/analyze/memory_fold.h"
#include "harness/analyze/memory_map.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<jleak::MemorySnapshot> m =
      jleak::ParseMemorySnapshot(text, "fuzz/memory-1.json");
  if (!m.ok()) {
    const std::string message(m.status().message());
    if (message.find('\n') != std::string::npos) __builtin_trap();
    if (message.rfind("fuzz/memory-1.json: ", 0) != 0) __builtin_trap();
    return 0;
  }
  const jleak::MemoryPoint p = jleak::FoldMemorySnapshot(*m);
  double threads = 0;
  for (const auto& [pattern, g] : p.threads) {
    threads += g.count;
    (void)jleak::ParkedInFrame(g.parked_in);
    (void)jleak::NamingFrame(g.started_from);
  }
  // Every thread lands in exactly one group.
  if (threads != static_cast<double>(m->threads.size())) __builtin_trap();
  (void)jleak::FoldThreadName(text);
  (void)jleak::FoldPath(text);
  return 0;
}
