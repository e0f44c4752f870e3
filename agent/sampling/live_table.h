// File: live_table.h
//
// LiveTable: the sampled blocks that are still live, by address:
//   address -> (size, stack id, generation)
// written inside the malloc/free hooks, read by the snapshot writer.
//
//   auto table = LiveTable::Create({});           // mmap, at engine start
//   table->Insert(p, n, stack_id);                // a sampled allocation
//   if (table->MayContain(p)) table->Remove(p);   // every free, before the
//                                                 // real free
//   table->Snapshot(&entries);                    // the current session's
//
// ---------------------------------------------------------------- layout
// One mmap'ed region made at Create and never resized: an open-addressing
// array of `capacity` slots (linear probing, at most `max_probe` slots from
// an address's home slot), then a counting filter of `filter_counters`
// bytes. A slot is two 64-bit atomics:
//   key   = incarnation << 48 | state, where state is 0 (empty), 1
//           (tombstone), 2 (busy: a writer owns the slot) or the address
//           (4096 <= address < 2^48, the x86-64 user half);
//   value = generation << 56 | stack << 36 | size, written only while the
//           slot is busy.
// The incarnation counts publications of the slot (mod 2^16); it makes two
// equal reads of a key mean "the same entry", not just the same address.
//
// ---------------------------------------------------------------- free path
// A free of an address that was never sampled (nearly all of them) must not
// touch the table: MayContain reads one byte of the filter, a counter per
// hash bucket of addresses incremented by Insert and decremented by Remove
// (saturating at 255, then sticky). Zero means "certainly not in the table"
// (Insert increments before it publishes, and a block is freed only after
// malloc returned it, so after its Insert). Non-zero sends the free to
// Remove, which probes; a miss there is a filter false positive (Stats()
// reports the filter's occupancy, the rate of those for unsampled frees).
//
// ---------------------------------------------------------------- races
// - A block is removed BEFORE the real free (the engine's contract): once
//   freed, the allocator may hand the same address to another thread, which
//   may sample it and insert it; a removal made after the real free could
//   delete that new entry.
// - Because of that, an address is live in the table at most once, and only
//   its owner (the thread that frees it) removes it: Remove claims the slot
//   with one compare-and-swap (address -> busy), so a double free or a racing
//   sweep removes the entry exactly once.
// - A free the engine never saw (an object freed through a path that was not
//   hooked, or before a re-attach) leaves a stale entry; when the allocator
//   reuses the address and it is sampled again, Insert finds the stale entry
//   (it scans the whole probe window up to the first empty slot) and
//   replaces it in place instead of inserting a second key.
// - Slots are never moved (no resize, no backward-shift deletion) and
//   tombstones never become empty again, so an entry that stays live while a
//   reader iterates is seen exactly once, at its slot, and a lookup may stop
//   at the first empty slot.
// - Readers take no lock: key (acquire), value (acquire), key again; equal
//   keys (with the incarnation) mean the value belongs to that entry, since
//   a value is written only between a claim (key -> busy) and the next
//   publication (key -> address, incarnation + 1), and an acquire load that
//   sees a newer value makes the second key read see that claim or later.
//   Entries inserted or removed during the iteration may or may not appear.
//
// Every shared field is a std::atomic, so the code is data-race-free under
// the C++ memory model (what ThreadSanitizer checks) by construction; the
// concurrency test checks the invariants above without needing TSan.
//
// Generation: the engine bumps it at each attach. Snapshot keeps the
// current generation only, so a re-attach never reports blocks sampled in an
// older session (whose frees it may not have seen); RemoveOtherGenerations
// sweeps them.
//
// Full table: Insert returns false and counts a drop; nothing blocks. Sizes
// above kMaxSize (64 GiB) are clamped and counted.

#ifndef JLEAK_AGENT_SAMPLING_LIVE_TABLE_H_
#define JLEAK_AGENT_SAMPLING_LIVE_TABLE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"

namespace jleak::agent::sampling {

struct LiveEntry {
  uintptr_t address = 0;
  uint64_t size = 0;
  uint32_t stack = 0;
  uint32_t generation = 0;
};

struct LiveTableStats {
  uint64_t inserted = 0;
  uint64_t replaced_stale = 0;  // an entry whose free was never seen
  uint64_t removed = 0;
  uint64_t swept = 0;  // RemoveOtherGenerations
  // Non-zero filter counters / all: the chance that the free of an
  // unsampled address probes the table (misses are not counted: that
  // would be a shared write on the free path).
  double filter_occupancy = 0;
  uint64_t dropped_full = 0;       // no free slot within max_probe
  uint64_t dropped_address = 0;    // address outside [4096, 2^48)
  uint64_t dropped_contended = 0;  // claim lost repeatedly
  uint64_t size_clamped = 0;
};

class LiveTable {
 public:
  static constexpr uint64_t kMaxSize = (uint64_t{1} << 36) - 1;
  static constexpr uint32_t kMaxStack = (uint32_t{1} << 20) - 1;
  static constexpr uint32_t kGenerationMask = 0xff;

  struct Options {
    uint32_t capacity = 1u << 18;         // slots, a power of two (16 B each)
    uint32_t filter_counters = 1u << 18;  // a power of two (1 B each)
    uint32_t max_probe = 64;
  };

  // Create maps the table (zeroed memory: every slot empty). Errors:
  // InvalidArgument for bad options, ResourceExhausted if mmap fails.
  static absl::StatusOr<std::unique_ptr<LiveTable>> Create(
      const Options& options);
  ~LiveTable();
  LiveTable(const LiveTable&) = delete;
  LiveTable& operator=(const LiveTable&) = delete;

  // set_generation: entries inserted from now on carry `g` (mod 256).
  void set_generation(uint32_t g) {
    generation_.store(g & kGenerationMask, std::memory_order_relaxed);
  }
  uint32_t generation() const {
    return generation_.load(std::memory_order_relaxed);
  }

  // Insert records a sampled block of the current generation. `stack` is
  // taken modulo kMaxStack + 1 (callers pass ids <= kMaxStack). False when
  // the block could not be recorded (counted in Stats()).
  bool Insert(uintptr_t address, uint64_t size, uint32_t stack);

  // Reinsert puts back an entry that Remove returned, with its generation
  // (realloc that failed after its old block was taken out).
  bool Reinsert(const LiveEntry& entry);

  // MayContain is the pre-check of every free: false means `address` is
  // certainly not in the table. One load, no write.
  bool MayContain(uintptr_t address) const {
    return filter_[FilterIndex(address)].load(std::memory_order_relaxed) != 0;
  }

  // Remove takes `address` out of the table; true (and *removed filled if
  // not null) when it was there. Callers check MayContain first.
  bool Remove(uintptr_t address, LiveEntry* removed = nullptr);

  // RemoveOtherGenerations removes every entry of another generation than
  // the current one; returns how many.
  size_t RemoveOtherGenerations();

  // Snapshot appends the live entries (of the current generation only,
  // unless `all_generations`) in slot order. Allocates: not for hooks.
  void Snapshot(std::vector<LiveEntry>* out,
                bool all_generations = false) const;

  LiveTableStats Stats() const;
  uint32_t capacity() const { return mask_ + 1; }

 private:
  struct Slot {
    std::atomic<uint64_t> key;
    std::atomic<uint64_t> value;
  };

  LiveTable(void* region, size_t region_size, const Options& options);

  uint32_t Home(uintptr_t address) const {
    return static_cast<uint32_t>((address * 0x9e3779b97f4a7c15ULL) >>
                                 table_shift_);
  }
  uint32_t FilterIndex(uintptr_t address) const {
    return static_cast<uint32_t>((address * 0xc2b2ae3d27d4eb4fULL) >>
                                 filter_shift_);
  }
  bool InsertValue(uintptr_t address, uint64_t value);
  void FilterAdd(uintptr_t address);
  void FilterSub(uintptr_t address);
  uint64_t Pack(uint64_t size, uint32_t stack, uint32_t generation);

  void* const region_;
  const size_t region_size_;
  Slot* const slots_;
  std::atomic<uint8_t>* const filter_;
  const uint32_t mask_;
  const int table_shift_;
  const int filter_shift_;
  const uint32_t max_probe_;
  std::atomic<uint32_t> generation_{0};

  // Counters, touched on sampled paths only (never on an unsampled free).
  mutable std::atomic<uint64_t> inserted_{0}, replaced_stale_{0}, removed_{0},
      swept_{0}, dropped_full_{0}, dropped_address_{0}, dropped_contended_{0},
      size_clamped_{0};
};

}  // namespace jleak::agent::sampling

#endif  // JLEAK_AGENT_SAMPLING_LIVE_TABLE_H_
