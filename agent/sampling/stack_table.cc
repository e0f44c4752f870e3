// File: stack_table.cc
//
// The lock-free stack table (see stack_table.h).

#include "agent/sampling/stack_table.h"

#include <cstring>
#include <new>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "agent/sampling/mapped_region.h"

namespace jleak::agent::sampling {
namespace {

// A published location is (arena offset + 1) << 8 | length (1..128);
// kFailed marks a claimed slot whose frames did not fit in the arena.
constexpr uint64_t kFailed = ~uint64_t{0};
constexpr int kSpins = 1 << 12;

uint64_t HashFrames(const uintptr_t* frames, uint32_t len) {
  uint64_t h = 0x243f6a8885a308d3ULL ^ len;
  for (uint32_t i = 0; i < len; ++i) {
    h = (h ^ frames[i]) * 0x100000001b3ULL;
    h ^= h >> 29;
  }
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 32;
  return h == 0 ? 1 : h;
}

inline void CpuRelax() { __builtin_ia32_pause(); }

}  // namespace

absl::StatusOr<std::unique_ptr<StackTable>> StackTable::Create(
    const Options& options) {
  // Ids must fit the live table's 20-bit stack field.
  absl::Status st =
      CheckPowerOfTwo(options.capacity, 16, 1u << 20, "stack table capacity");
  if (st.ok() && (options.arena_frames < StackTable::kMaxFrames ||
                  options.arena_frames > (uint64_t{1} << 40))) {
    st = absl::InvalidArgumentError(
        absl::StrCat("stack arena must hold 128 to 2^40 frames, got ",
                     options.arena_frames));
  }
  if (st.ok()) st = CheckMaxProbe(options.max_probe, options.capacity);
  if (!st.ok()) return st;
  const size_t size = size_t{options.capacity} * sizeof(Slot) +
                      options.arena_frames * sizeof(uint64_t);
  absl::StatusOr<void*> region = MapZeroed(size, "stack table");
  if (!region.ok()) return region.status();
  return std::unique_ptr<StackTable>(new StackTable(*region, size, options));
}

StackTable::StackTable(void* region, size_t region_size, const Options& options)
    : region_(region),
      region_size_(region_size),
      // Zero-filled memory: every slot free (trivial atomic constructors).
      slots_(new (region) Slot[options.capacity]),
      arena_(
          reinterpret_cast<uint64_t*>(static_cast<char*>(region) +
                                      size_t{options.capacity} * sizeof(Slot))),
      arena_frames_(options.arena_frames),
      mask_(options.capacity - 1),
      max_probe_(options.max_probe) {}

StackTable::~StackTable() { Unmap(region_, region_size_); }

uint32_t StackTable::Intern(const uintptr_t* frames, uint32_t len) {
  if (len == 0) return 0;
  if (len > kMaxFrames) len = kMaxFrames;
  const uint64_t hash = HashFrames(frames, len);
  for (uint32_t i = 0; i < max_probe_; ++i) {
    const uint32_t index = static_cast<uint32_t>(hash + i) & mask_;
    Slot& s = slots_[index];
    uint64_t seen = s.hash.load(std::memory_order_acquire);
    if (seen == 0) {
      if (s.hash.compare_exchange_strong(seen, hash, std::memory_order_acq_rel,
                                         std::memory_order_acquire)) {
        const uint64_t offset =
            arena_used_.fetch_add(len, std::memory_order_relaxed);
        if (offset + len > arena_frames_) {
          s.location.store(kFailed, std::memory_order_release);
          dropped_arena_full_.fetch_add(1, std::memory_order_relaxed);
          return 0;
        }
        std::memcpy(arena_ + offset, frames, len * sizeof(uint64_t));
        s.location.store((offset + 1) << 8 | len, std::memory_order_release);
        stacks_.fetch_add(1, std::memory_order_relaxed);
        return index + 1;
      }
      // Someone claimed it first; `seen` now holds their hash.
    }
    if (seen != hash) continue;
    uint64_t location = s.location.load(std::memory_order_acquire);
    for (int spin = 0; location == 0 && spin < kSpins; ++spin) {
      CpuRelax();
      location = s.location.load(std::memory_order_acquire);
    }
    if (location == 0) {
      // The claimer is slow; do not wait for it (we are inside malloc).
      duplicates_.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    if (location == kFailed || (location & 0xff) != len) continue;
    if (std::memcmp(arena_ + ((location >> 8) - 1), frames,
                    len * sizeof(uint64_t)) == 0) {
      return index + 1;
    }
  }
  dropped_table_full_.fetch_add(1, std::memory_order_relaxed);
  return 0;
}

bool StackTable::Frames(uint32_t id, std::vector<uint64_t>* out) const {
  out->clear();
  if (id == 0 || id > mask_ + 1) return false;
  const uint64_t location =
      slots_[id - 1].location.load(std::memory_order_acquire);
  if (location == 0 || location == kFailed) return false;
  const uint64_t* begin = arena_ + ((location >> 8) - 1);
  out->assign(begin, begin + (location & 0xff));
  return true;
}

StackTableStats StackTable::Stats() const {
  StackTableStats s;
  s.stacks = stacks_.load(std::memory_order_relaxed);
  s.dropped_table_full = dropped_table_full_.load(std::memory_order_relaxed);
  s.dropped_arena_full = dropped_arena_full_.load(std::memory_order_relaxed);
  s.duplicates = duplicates_.load(std::memory_order_relaxed);
  const uint64_t used = arena_used_.load(std::memory_order_relaxed);
  s.arena_frames_used = used < arena_frames_ ? used : arena_frames_;
  return s;
}

}  // namespace jleak::agent::sampling
