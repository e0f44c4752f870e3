// File: live_table.cc
//
// The lock-free live table (see live_table.h for the layout and the races).

#include "agent/sampling/live_table.h"

#include <new>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "agent/sampling/mapped_region.h"

namespace jleak::agent::sampling {
namespace {

constexpr uint64_t kStateMask = (uint64_t{1} << 48) - 1;
constexpr uint64_t kIncarnationMask = ~kStateMask;
constexpr uint64_t kEmpty = 0;
constexpr uint64_t kTombstone = 1;
constexpr uint64_t kBusy = 2;
constexpr uintptr_t kMinAddress = 4096;

// How often a writer re-reads a slot that changed under it before it gives
// up (only a sweep or a double free can make a claim fail repeatedly).
constexpr int kMaxRetries = 64;

inline uint64_t State(uint64_t key) { return key & kStateMask; }
inline uint64_t WithState(uint64_t key, uint64_t state) {
  return (key & kIncarnationMask) | state;
}
// Publish: the next incarnation of the slot, holding `address`.
inline uint64_t Publish(uint64_t key, uintptr_t address) {
  return ((key & kIncarnationMask) + (uint64_t{1} << 48)) | address;
}
inline bool IsAddress(uint64_t state) { return state >= kMinAddress; }

int Log2(uint64_t x) { return 63 - __builtin_clzll(x); }

LiveEntry Decode(uintptr_t address, uint64_t value) {
  LiveEntry e;
  e.address = address;
  e.size = value & LiveTable::kMaxSize;
  e.stack = static_cast<uint32_t>(value >> 36) & LiveTable::kMaxStack;
  e.generation = static_cast<uint32_t>(value >> 56);
  return e;
}

}  // namespace

absl::StatusOr<std::unique_ptr<LiveTable>> LiveTable::Create(
    const Options& options) {
  absl::Status st =
      CheckPowerOfTwo(options.capacity, 64, 1u << 28, "live table capacity");
  if (st.ok()) {
    st = CheckPowerOfTwo(options.filter_counters, 64, 1u << 30,
                         "live table filter size");
  }
  if (st.ok()) st = CheckMaxProbe(options.max_probe, options.capacity);
  if (!st.ok()) return st;
  const size_t size =
      size_t{options.capacity} * sizeof(Slot) + size_t{options.filter_counters};
  absl::StatusOr<void*> region = MapZeroed(size, "live table");
  if (!region.ok()) return region.status();
  return std::unique_ptr<LiveTable>(new LiveTable(*region, size, options));
}

LiveTable::LiveTable(void* region, size_t region_size, const Options& options)
    : region_(region),
      region_size_(region_size),
      // The region is zero-filled: every slot empty, every counter zero.
      // std::atomic<uint64_t>'s default constructor is trivial, so these
      // placement-news only begin the objects' lifetimes.
      slots_(new (region) Slot[options.capacity]),
      filter_(new (static_cast<char*>(region) +
                   size_t{options.capacity} * sizeof(Slot))
                  std::atomic<uint8_t>[options.filter_counters]),
      mask_(options.capacity - 1),
      table_shift_(64 - Log2(options.capacity)),
      filter_shift_(64 - Log2(options.filter_counters)),
      max_probe_(options.max_probe) {}

LiveTable::~LiveTable() { Unmap(region_, region_size_); }

uint64_t LiveTable::Pack(uint64_t size, uint32_t stack, uint32_t generation) {
  if (size > kMaxSize) {
    size_clamped_.fetch_add(1, std::memory_order_relaxed);
    size = kMaxSize;
  }
  return uint64_t{generation & kGenerationMask} << 56 |
         uint64_t{stack & kMaxStack} << 36 | size;
}

void LiveTable::FilterAdd(uintptr_t address) {
  std::atomic<uint8_t>& c = filter_[FilterIndex(address)];
  uint8_t v = c.load(std::memory_order_relaxed);
  while (v != 255 && !c.compare_exchange_weak(v, static_cast<uint8_t>(v + 1),
                                              std::memory_order_relaxed)) {
  }
}

void LiveTable::FilterSub(uintptr_t address) {
  std::atomic<uint8_t>& c = filter_[FilterIndex(address)];
  uint8_t v = c.load(std::memory_order_relaxed);
  // 255 is sticky: once saturated the count is no longer exact.
  while (v != 255 && v != 0 &&
         !c.compare_exchange_weak(v, static_cast<uint8_t>(v - 1),
                                  std::memory_order_relaxed)) {
  }
}

bool LiveTable::Insert(uintptr_t address, uint64_t size, uint32_t stack) {
  return InsertValue(address, Pack(size, stack, generation()));
}

bool LiveTable::Reinsert(const LiveEntry& entry) {
  return InsertValue(entry.address,
                     Pack(entry.size, entry.stack, entry.generation));
}

bool LiveTable::InsertValue(uintptr_t address, uint64_t value) {
  if (address < kMinAddress || address > kStateMask) {
    dropped_address_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  const uint32_t home = Home(address);
  for (int attempt = 0; attempt < kMaxRetries; ++attempt) {
    Slot* free_slot = nullptr;
    uint64_t free_key = 0;
    bool changed = false;
    for (uint32_t i = 0; i < max_probe_; ++i) {
      Slot& s = slots_[(home + i) & mask_];
      uint64_t key = s.key.load(std::memory_order_acquire);
      const uint64_t state = State(key);
      if (state == address) {
        // A stale entry for this address: its free was never seen. Replace
        // it in place (the filter already counts it).
        if (s.key.compare_exchange_strong(key, WithState(key, kBusy),
                                          std::memory_order_acq_rel,
                                          std::memory_order_acquire)) {
          s.value.store(value, std::memory_order_release);
          s.key.store(Publish(key, address), std::memory_order_release);
          replaced_stale_.fetch_add(1, std::memory_order_relaxed);
          return true;
        }
        changed = true;
        break;
      }
      if (free_slot == nullptr && (state == kEmpty || state == kTombstone)) {
        free_slot = &s;
        free_key = key;
      }
      // No entry lies past an empty slot: slots never become empty again.
      if (state == kEmpty) break;
    }
    if (changed) continue;
    if (free_slot == nullptr) {
      dropped_full_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    uint64_t expected = free_key;
    if (free_slot->key.compare_exchange_strong(
            expected, WithState(free_key, kBusy), std::memory_order_acq_rel,
            std::memory_order_acquire)) {
      // Counted before it is published, so a free of this block (which
      // can only follow the malloc that returned it) sees the filter set.
      FilterAdd(address);
      free_slot->value.store(value, std::memory_order_release);
      free_slot->key.store(Publish(free_key, address),
                           std::memory_order_release);
      inserted_.fetch_add(1, std::memory_order_relaxed);
      return true;
    }
    // Another inserter took the slot first: scan again.
  }
  dropped_contended_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

bool LiveTable::Remove(uintptr_t address, LiveEntry* removed) {
  if (address < kMinAddress || address > kStateMask) return false;
  const uint32_t home = Home(address);
  int retries = 0;
  for (uint32_t i = 0; i < max_probe_; ++i) {
    Slot& s = slots_[(home + i) & mask_];
    uint64_t key = s.key.load(std::memory_order_acquire);
    const uint64_t state = State(key);
    if (state == kEmpty) break;
    if (state != address) continue;
    if (s.key.compare_exchange_strong(key, WithState(key, kBusy),
                                      std::memory_order_acq_rel,
                                      std::memory_order_acquire)) {
      const uint64_t value = s.value.load(std::memory_order_relaxed);
      s.key.store(WithState(key, kTombstone), std::memory_order_release);
      FilterSub(address);
      removed_.fetch_add(1, std::memory_order_relaxed);
      if (removed != nullptr) *removed = Decode(address, value);
      return true;
    }
    // The entry changed under us (a sweep took it, or a double free):
    // look at this slot again.
    if (++retries < kMaxRetries) --i;
  }
  return false;  // a filter false positive
}

size_t LiveTable::RemoveOtherGenerations() {
  const uint32_t current = generation();
  size_t n = 0;
  for (uint32_t i = 0; i <= mask_; ++i) {
    Slot& s = slots_[i];
    uint64_t key = s.key.load(std::memory_order_acquire);
    if (!IsAddress(State(key))) continue;
    if ((s.value.load(std::memory_order_acquire) >> 56) == current) continue;
    if (!s.key.compare_exchange_strong(key, WithState(key, kBusy),
                                       std::memory_order_acq_rel,
                                       std::memory_order_acquire)) {
      continue;  // removed or replaced meanwhile: no longer ours to sweep
    }
    // We own the slot: its value is the entry's, unchanged.
    if ((s.value.load(std::memory_order_relaxed) >> 56) == current) {
      s.key.store(key, std::memory_order_release);  // keep it, as it was
      continue;
    }
    s.key.store(WithState(key, kTombstone), std::memory_order_release);
    FilterSub(State(key));
    ++n;
  }
  swept_.fetch_add(n, std::memory_order_relaxed);
  return n;
}

void LiveTable::Snapshot(std::vector<LiveEntry>* out,
                         bool all_generations) const {
  const uint32_t current = generation();
  for (uint32_t i = 0; i <= mask_; ++i) {
    const Slot& s = slots_[i];
    for (int attempt = 0; attempt < 4; ++attempt) {
      const uint64_t k1 = s.key.load(std::memory_order_acquire);
      if (!IsAddress(State(k1))) break;
      const uint64_t value = s.value.load(std::memory_order_acquire);
      const uint64_t k2 = s.key.load(std::memory_order_relaxed);
      if (k1 != k2) continue;  // changed while read: read it again
      const LiveEntry e = Decode(State(k1), value);
      if (all_generations || e.generation == current) out->push_back(e);
      break;
    }
  }
}

LiveTableStats LiveTable::Stats() const {
  LiveTableStats s;
  s.inserted = inserted_.load(std::memory_order_relaxed);
  s.replaced_stale = replaced_stale_.load(std::memory_order_relaxed);
  s.removed = removed_.load(std::memory_order_relaxed);
  s.swept = swept_.load(std::memory_order_relaxed);
  const uint64_t counters = uint64_t{1} << (64 - filter_shift_);
  uint64_t set = 0;
  for (uint64_t i = 0; i < counters; ++i) {
    set += filter_[i].load(std::memory_order_relaxed) != 0;
  }
  s.filter_occupancy = static_cast<double>(set) / static_cast<double>(counters);
  s.dropped_full = dropped_full_.load(std::memory_order_relaxed);
  s.dropped_address = dropped_address_.load(std::memory_order_relaxed);
  s.dropped_contended = dropped_contended_.load(std::memory_order_relaxed);
  s.size_clamped = size_clamped_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace jleak::agent::sampling
