// File: stack_table.h
//
// StackTable: the distinct stacks of sampled allocations, each stored once
// in a preallocated arena and named by a small id (what the live table
// keeps per block).
//
//   auto stacks = StackTable::Create({});      // mmap, at engine start
//   uint32_t id = stacks->Intern(frames, n);   // in the malloc hook
//   stacks->Frames(id, &out);                  // in the snapshot writer
//
// Layout: one mmap'ed region made at Create: `capacity` slots (open
// addressing on a 64-bit hash of the frames, at most `max_probe` probes),
// then an arena of `arena_frames` 8-byte frames, handed out by one atomic
// bump pointer and never freed. Ids are slot index + 1; 0 means "no stack
// recorded" (no frames, table full, arena full).
//
// Concurrency: Intern is lock-free and allocation-free (it runs inside
// malloc). A slot's hash word goes 0 -> hash by compare-and-swap (the
// claim); the claimer copies the frames into its arena range and publishes
// the location word (release). Anyone who finds the same hash waits a
// bounded spin for the location (acquire; it then reads frames written
// before the release), compares, and returns the id on a match. If the
// claimer is slow (preempted) the spin gives up and the probe goes on, so a
// stack can, rarely, get two ids: counted as `duplicates`; the snapshot
// merges stacks by frames, so the profile is unchanged. Frames() reads only
// published slots. Slots and arena ranges are never reused, so an id, once
// returned, names the same frames for the life of the process.

#ifndef JLEAK_AGENT_SAMPLING_STACK_TABLE_H_
#define JLEAK_AGENT_SAMPLING_STACK_TABLE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"

namespace jleak::agent::sampling {

struct StackTableStats {
  uint64_t stacks = 0;              // distinct stacks stored
  uint64_t dropped_table_full = 0;  // no slot within max_probe
  uint64_t dropped_arena_full = 0;
  uint64_t duplicates = 0;  // a second id for one stack
  uint64_t arena_frames_used = 0;
};

class StackTable {
 public:
  // jemalloc's PROF_BT_MAX: longer stacks keep their innermost frames.
  static constexpr uint32_t kMaxFrames = 128;

  struct Options {
    uint32_t capacity = 1u << 16;      // a power of two; ids <= capacity
    uint64_t arena_frames = 1u << 21;  // 16 MiB of frames
    uint32_t max_probe = 128;
  };

  static absl::StatusOr<std::unique_ptr<StackTable>> Create(
      const Options& options);
  ~StackTable();
  StackTable(const StackTable&) = delete;
  StackTable& operator=(const StackTable&) = delete;

  // Intern returns the id of `frames[0..len)` (innermost first, at most
  // kMaxFrames used), storing it if new; 0 if it cannot be stored or len is
  // 0.
  uint32_t Intern(const uintptr_t* frames, uint32_t len);

  // Frames replaces *out with the frames of `id`; false for an unknown id.
  bool Frames(uint32_t id, std::vector<uint64_t>* out) const;

  StackTableStats Stats() const;
  uint32_t capacity() const { return mask_ + 1; }

 private:
  struct Slot {
    std::atomic<uint64_t> hash;      // 0: free
    std::atomic<uint64_t> location;  // 0: being written; see .cc
  };

  StackTable(void* region, size_t region_size, const Options& options);

  void* const region_;
  const size_t region_size_;
  Slot* const slots_;
  uint64_t* const arena_;
  const uint64_t arena_frames_;
  const uint32_t mask_;
  const uint32_t max_probe_;
  std::atomic<uint64_t> arena_used_{0};
  std::atomic<uint64_t> stacks_{0}, dropped_table_full_{0},
      dropped_arena_full_{0}, duplicates_{0};
};

}  // namespace jleak::agent::sampling

#endif  // JLEAK_AGENT_SAMPLING_STACK_TABLE_H_
