// File: live_table_test.cc
//
// The live table alone, then under concurrent writers and a reader: the
// invariants of live_table.h (an entry live during an iteration is seen
// exactly once with its own value, nothing is lost or removed twice, the
// filter returns to zero) are checked by the test itself, without TSan.

#include "agent/sampling/live_table.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace jleak::agent::sampling {
namespace {

std::unique_ptr<LiveTable> MakeTable(uint32_t capacity = 1 << 12,
                                     uint32_t filter = 1 << 12,
                                     uint32_t max_probe = 64) {
  absl::StatusOr<std::unique_ptr<LiveTable>> t =
      LiveTable::Create({capacity, filter, max_probe});
  EXPECT_TRUE(t.ok()) << t.status();
  return std::move(*t);
}

TEST(LiveTable, InsertRemoveOnce) {
  auto table = MakeTable();
  const uintptr_t p = 0x7f0012345670;
  EXPECT_FALSE(table->MayContain(p));
  ASSERT_TRUE(table->Insert(p, 4096, 17));
  EXPECT_TRUE(table->MayContain(p));

  std::vector<LiveEntry> entries;
  table->Snapshot(&entries);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].address, p);
  EXPECT_EQ(entries[0].size, 4096u);
  EXPECT_EQ(entries[0].stack, 17u);

  LiveEntry removed;
  ASSERT_TRUE(table->Remove(p, &removed));
  EXPECT_EQ(removed.address, p);
  EXPECT_EQ(removed.size, 4096u);
  EXPECT_EQ(removed.stack, 17u);
  EXPECT_FALSE(table->Remove(p));  // a double free removes nothing
  EXPECT_FALSE(table->MayContain(p));
  entries.clear();
  table->Snapshot(&entries);
  EXPECT_TRUE(entries.empty());
  EXPECT_EQ(table->Stats().inserted, 1u);
  EXPECT_EQ(table->Stats().removed, 1u);
}

TEST(LiveTable, FilterNeverMissesAndRarelyFiresForOthers) {
  auto table = MakeTable(1 << 14, 1 << 16);
  std::vector<uintptr_t> sampled;
  for (int i = 0; i < 1000; ++i) {
    sampled.push_back(0x7f0000000000 + uintptr_t(i) * 4096 * 7 + 16);
    ASSERT_TRUE(table->Insert(sampled.back(), 64, 1));
  }
  for (uintptr_t p : sampled) EXPECT_TRUE(table->MayContain(p));
  // Others, 16-aligned like malloc's results: at most 1000 of 65536
  // counters are set, so about 1.5% can say "maybe".
  int maybe = 0;
  constexpr int kOthers = 100000;
  for (int i = 0; i < kOthers; ++i) {
    maybe += table->MayContain(0x5600000000 + uintptr_t(i) * 48);
  }
  EXPECT_LT(maybe, kOthers * 3 / 100);
  // The occupancy is that rate's expectation.
  const double occupancy = table->Stats().filter_occupancy;
  EXPECT_GT(occupancy, 0.0);
  EXPECT_LE(occupancy, 1000.0 / (1 << 16));
  EXPECT_NEAR(static_cast<double>(maybe) / kOthers, occupancy, 0.01);
  for (uintptr_t p : sampled) EXPECT_TRUE(table->Remove(p));
  for (uintptr_t p : sampled) EXPECT_FALSE(table->MayContain(p));
}

TEST(LiveTable, StaleEntryIsReplacedInPlace) {
  auto table = MakeTable();
  const uintptr_t p = 0x600000001000;
  ASSERT_TRUE(table->Insert(p, 10, 1));
  // The block was freed unseen, reused, and sampled again.
  ASSERT_TRUE(table->Insert(p, 20, 2));
  std::vector<LiveEntry> entries;
  table->Snapshot(&entries);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].size, 20u);
  EXPECT_EQ(entries[0].stack, 2u);
  EXPECT_EQ(table->Stats().replaced_stale, 1u);
  EXPECT_TRUE(table->Remove(p));
  EXPECT_FALSE(table->MayContain(p));  // counted once, not twice
}

TEST(LiveTable, GenerationsKeepSessionsApart) {
  auto table = MakeTable();
  table->set_generation(1);
  ASSERT_TRUE(table->Insert(0x100000, 1, 1));
  ASSERT_TRUE(table->Insert(0x200000, 2, 1));
  table->set_generation(2);
  ASSERT_TRUE(table->Insert(0x300000, 3, 2));

  std::vector<LiveEntry> entries;
  table->Snapshot(&entries);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].address, 0x300000u);
  EXPECT_EQ(entries[0].generation, 2u);
  entries.clear();
  table->Snapshot(&entries, /*all_generations=*/true);
  EXPECT_EQ(entries.size(), 3u);

  // A block of the old session freed in the new one is still removed.
  EXPECT_TRUE(table->Remove(0x200000));
  EXPECT_EQ(table->RemoveOtherGenerations(), 1u);
  EXPECT_FALSE(table->MayContain(0x100000));
  entries.clear();
  table->Snapshot(&entries, /*all_generations=*/true);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].address, 0x300000u);

  // 256 generations wrap.
  table->set_generation(258);
  EXPECT_EQ(table->generation(), 2u);
}

TEST(LiveTable, ReinsertKeepsTheEntry) {
  auto table = MakeTable();
  table->set_generation(5);
  ASSERT_TRUE(table->Insert(0x700000, 99, 3));
  LiveEntry e;
  ASSERT_TRUE(table->Remove(0x700000, &e));
  table->set_generation(6);
  ASSERT_TRUE(table->Reinsert(e));
  std::vector<LiveEntry> entries;
  table->Snapshot(&entries, true);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].generation, 5u);
  EXPECT_EQ(entries[0].size, 99u);
}

TEST(LiveTable, FullTableDropsAndCounts) {
  auto table = MakeTable(64, 64, 8);
  std::vector<uintptr_t> in;
  for (int i = 0; i < 200; ++i) {
    const uintptr_t p = 0x10000 + uintptr_t(i) * 16;
    if (table->Insert(p, 1, 1)) in.push_back(p);
  }
  EXPECT_LE(in.size(), 64u);
  EXPECT_EQ(table->Stats().dropped_full, 200 - in.size());
  for (uintptr_t p : in) EXPECT_TRUE(table->Remove(p)) << p;
  std::vector<LiveEntry> entries;
  table->Snapshot(&entries);
  EXPECT_TRUE(entries.empty());
  // Tombstones are reused.
  for (int i = 0; i < 32; ++i) {
    EXPECT_TRUE(table->Insert(0x900000 + uintptr_t(i) * 16, 1, 1));
  }
}

TEST(LiveTable, OddAddressesAndSizes) {
  auto table = MakeTable();
  EXPECT_FALSE(table->Insert(0, 1, 1));
  EXPECT_FALSE(table->Insert(100, 1, 1));
  EXPECT_FALSE(table->Insert(uintptr_t{1} << 50, 1, 1));
  EXPECT_EQ(table->Stats().dropped_address, 3u);
  EXPECT_FALSE(table->Remove(0));
  ASSERT_TRUE(table->Insert(0x5000, uint64_t{1} << 40, 1));
  EXPECT_EQ(table->Stats().size_clamped, 1u);
  LiveEntry e;
  ASSERT_TRUE(table->Remove(0x5000, &e));
  EXPECT_EQ(e.size, LiveTable::kMaxSize);
}

TEST(LiveTable, BadOptions) {
  EXPECT_FALSE(LiveTable::Create({100, 64, 8}).ok());
  EXPECT_FALSE(LiveTable::Create({64, 100, 8}).ok());
  EXPECT_FALSE(LiveTable::Create({64, 64, 0}).ok());
  EXPECT_FALSE(LiveTable::Create({64, 64, 65}).ok());
}

// ------------------------------------------------------------ concurrency

constexpr int kWriters = 4;
constexpr uint32_t kAddressesPerWriter = 1024;
constexpr uint32_t kStablePerWriter = 128;  // live during all reads

uintptr_t AddressOf(int writer, uint32_t i) {
  return 0x7f0000000000 + (uintptr_t(writer) << 32) + uintptr_t(i) * 16;
}

// The value of an entry is tied to its address and incarnation, so a value
// read with another entry's key would show: size = index << 16 | round,
// stack = a hash of the size.
uint32_t StackFor(uint64_t size) {
  return static_cast<uint32_t>((size * 0x9e3779b97f4a7c15ULL) >> 44);
}

struct Decoded {
  int writer = -1;
  uint32_t index = 0;
};

Decoded DecodeAddress(uintptr_t a) {
  Decoded d;
  const uintptr_t base = a - 0x7f0000000000;
  const int writer = static_cast<int>(base >> 32);
  const uintptr_t offset = base & 0xffffffff;
  if (writer < 0 || writer >= kWriters || offset % 16 != 0 ||
      offset / 16 >= kAddressesPerWriter) {
    return d;
  }
  d.writer = writer;
  d.index = static_cast<uint32_t>(offset / 16);
  return d;
}

TEST(LiveTableConcurrency, WritersAndAReaderKeepTheInvariants) {
  // A small table, so slots are claimed, freed and reused all the time.
  auto table = MakeTable(1 << 14, 1 << 12, 64);
  for (int w = 0; w < kWriters; ++w) {
    for (uint32_t i = 0; i < kStablePerWriter; ++i) {
      const uint64_t size = uint64_t{i} << 16;
      ASSERT_TRUE(table->Insert(AddressOf(w, i), size, StackFor(size)));
    }
  }

  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::atomic<int64_t> snapshots{0};
  std::thread reader([&] {
    std::vector<LiveEntry> entries;
    while (!stop.load() || snapshots.load() < 20) {
      entries.clear();
      table->Snapshot(&entries);
      std::set<uintptr_t> seen;
      int stable = 0;
      for (const LiveEntry& e : entries) {
        const Decoded d = DecodeAddress(e.address);
        const bool ok = d.writer >= 0 && seen.insert(e.address).second &&
                        (e.size >> 16) == d.index &&
                        e.stack == StackFor(e.size);
        if (!ok) failures.fetch_add(1);
        if (d.writer >= 0 && d.index < kStablePerWriter) {
          ++stable;
          if (e.size != uint64_t{d.index} << 16) failures.fetch_add(1);
        }
      }
      if (stable != kWriters * static_cast<int>(kStablePerWriter)) {
        failures.fetch_add(1);
      }
      snapshots.fetch_add(1);
    }
  });

  std::vector<std::set<uint32_t>> live(kWriters);
  std::vector<std::thread> writers;
  std::atomic<int> double_removals{0};
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      std::set<uint32_t>& mine = live[w];
      uint64_t x = 1234567 + w;
      for (int round = 0; round < 300000; ++round) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        const uint32_t i =
            kStablePerWriter +
            static_cast<uint32_t>((x >> 33) %
                                  (kAddressesPerWriter - kStablePerWriter));
        const uintptr_t a = AddressOf(w, i);
        if (mine.count(i) != 0) {
          LiveEntry e;
          if (!table->MayContain(a) || !table->Remove(a, &e)) {
            failures.fetch_add(1);  // lost
          } else if ((e.size >> 16) != i) {
            failures.fetch_add(1);  // someone else's value
          }
          if (table->Remove(a)) double_removals.fetch_add(1);
          // Every 7th: a realloc that failed puts the entry back.
          if (round % 7 == 0 && table->Reinsert(e)) continue;
          mine.erase(i);
        } else {
          const uint64_t size = uint64_t{i} << 16 | (round & 0xffff);
          if (table->Insert(a, size, StackFor(size))) mine.insert(i);
        }
      }
    });
  }
  for (std::thread& t : writers) t.join();
  stop.store(true);
  reader.join();

  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(double_removals.load(), 0);
  EXPECT_GE(snapshots.load(), 20);

  // What the table holds is exactly what the writers think they hold.
  std::vector<LiveEntry> entries;
  table->Snapshot(&entries);
  std::vector<std::set<uint32_t>> in_table(kWriters);
  for (const LiveEntry& e : entries) {
    const Decoded d = DecodeAddress(e.address);
    ASSERT_GE(d.writer, 0);
    if (d.index >= kStablePerWriter) in_table[d.writer].insert(d.index);
  }
  for (int w = 0; w < kWriters; ++w) EXPECT_EQ(in_table[w], live[w]);

  // Removing everything leaves every filter counter at zero.
  for (const LiveEntry& e : entries) ASSERT_TRUE(table->Remove(e.address));
  for (int w = 0; w < kWriters; ++w) {
    for (uint32_t i = 0; i < kAddressesPerWriter; ++i) {
      EXPECT_FALSE(table->MayContain(AddressOf(w, i)));
    }
  }
  const LiveTableStats s = table->Stats();
  EXPECT_EQ(s.dropped_full + s.dropped_contended, 0u);
  EXPECT_EQ(s.inserted, s.removed);
}

}  // namespace
}  // namespace jleak::agent::sampling
