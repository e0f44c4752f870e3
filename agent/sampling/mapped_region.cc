// File: mapped_region.cc
//
// Preallocated table memory (see mapped_region.h).

#include "agent/sampling/mapped_region.h"

#include <sys/mman.h>

#include "absl/strings/str_cat.h"

namespace jleak::agent::sampling {

absl::Status CheckPowerOfTwo(uint64_t value, uint64_t lo, uint64_t hi,
                             absl::string_view what) {
  if (IsPowerOfTwo(value) && value >= lo && value <= hi) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      what, " must be a power of two in [", lo, ", ", hi, "], got ", value));
}

absl::Status CheckMaxProbe(uint32_t max_probe, uint32_t capacity) {
  if (max_probe >= 1 && max_probe <= capacity) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("max_probe must be in [1, capacity], got ", max_probe));
}

absl::StatusOr<void*> MapZeroed(size_t size, absl::string_view what) {
  void* region = mmap(nullptr, size, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (region == MAP_FAILED) {
    return absl::ResourceExhaustedError(
        absl::StrCat("mmap of ", size, " bytes for the ", what, " failed"));
  }
  return region;
}

void Unmap(void* region, size_t size) { munmap(region, size); }

}  // namespace jleak::agent::sampling
