// File: mapped_region.h
//
// The memory the engine's tables are preallocated in, and the checks of
// their sizes: one anonymous, zero-filled mapping per table, made at engine
// start (MAP_NORESERVE: a page costs memory only once touched), so nothing
// is ever allocated inside a hook.

#ifndef JLEAK_AGENT_SAMPLING_MAPPED_REGION_H_
#define JLEAK_AGENT_SAMPLING_MAPPED_REGION_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace jleak::agent::sampling {

inline bool IsPowerOfTwo(uint64_t x) { return x != 0 && (x & (x - 1)) == 0; }

// CheckPowerOfTwo: InvalidArgument ("<what> must be a power of two in
// [lo, hi], got <value>") unless it is one.
absl::Status CheckPowerOfTwo(uint64_t value, uint64_t lo, uint64_t hi,
                             absl::string_view what);

// CheckMaxProbe: a probe window of 1 to `capacity` slots.
absl::Status CheckMaxProbe(uint32_t max_probe, uint32_t capacity);

// MapZeroed maps `size` bytes read-write; ResourceExhausted names `what`.
absl::StatusOr<void*> MapZeroed(size_t size, absl::string_view what);

void Unmap(void* region, size_t size);

}  // namespace jleak::agent::sampling

#endif  // JLEAK_AGENT_SAMPLING_MAPPED_REGION_H_
