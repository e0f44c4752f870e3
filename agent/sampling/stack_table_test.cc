// File: stack_table_test.cc
//
// Interning stacks: one id per distinct stack, frames read back as stored,
// full table and arena counted, and concurrent interning of one set of
// stacks from several threads.

#include "agent/sampling/stack_table.h"

#include <cstdint>
#include <map>
#include <memory>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace jleak::agent::sampling {
namespace {

std::unique_ptr<StackTable> MakeTable(uint32_t capacity = 1 << 10,
                                      uint64_t arena = 1 << 16,
                                      uint32_t max_probe = 64) {
  absl::StatusOr<std::unique_ptr<StackTable>> t =
      StackTable::Create({capacity, arena, max_probe});
  EXPECT_TRUE(t.ok()) << t.status();
  return std::move(*t);
}

std::vector<uintptr_t> Stack(int seed, int len) {
  std::vector<uintptr_t> v;
  for (int i = 0; i < len; ++i) {
    v.push_back(0x7f0000000000 + uintptr_t(seed) * 0x1000 + uintptr_t(i) * 8);
  }
  return v;
}

TEST(StackTable, SameStackSameId) {
  auto t = MakeTable();
  const auto a = Stack(1, 10);
  const auto b = Stack(2, 10);
  const uint32_t ia = t->Intern(a.data(), a.size());
  const uint32_t ib = t->Intern(b.data(), b.size());
  EXPECT_NE(ia, 0u);
  EXPECT_NE(ib, 0u);
  EXPECT_NE(ia, ib);
  EXPECT_EQ(t->Intern(a.data(), a.size()), ia);
  // A prefix is another stack.
  EXPECT_NE(t->Intern(a.data(), 9), ia);
  std::vector<uint64_t> out;
  ASSERT_TRUE(t->Frames(ia, &out));
  EXPECT_EQ(out, std::vector<uint64_t>(a.begin(), a.end()));
  EXPECT_EQ(t->Stats().stacks, 3u);
}

TEST(StackTable, EmptyAndLongStacks) {
  auto t = MakeTable();
  EXPECT_EQ(t->Intern(nullptr, 0), 0u);
  const auto long_stack = Stack(3, 300);
  const uint32_t id = t->Intern(long_stack.data(), long_stack.size());
  std::vector<uint64_t> out;
  ASSERT_TRUE(t->Frames(id, &out));
  ASSERT_EQ(out.size(), StackTable::kMaxFrames);  // innermost kept
  EXPECT_EQ(out[0], long_stack[0]);
  EXPECT_FALSE(t->Frames(0, &out));
  EXPECT_FALSE(t->Frames(t->capacity() + 1, &out));
  EXPECT_FALSE(t->Frames(id + 1, &out));  // never assigned
}

TEST(StackTable, FullArenaAndTableDrop) {
  auto t = MakeTable(16, 256, 16);
  int stored = 0;
  for (int i = 0; i < 10; ++i) {
    const auto s = Stack(i, 100);
    stored += t->Intern(s.data(), s.size()) != 0;
  }
  EXPECT_EQ(stored, 2);  // 256 frames hold two stacks of 100
  EXPECT_EQ(t->Stats().dropped_arena_full, 8u);

  auto small = MakeTable(16, 1 << 12, 16);
  stored = 0;
  for (int i = 0; i < 40; ++i) {
    const auto s = Stack(i, 2);
    stored += small->Intern(s.data(), s.size()) != 0;
  }
  EXPECT_EQ(stored, 16);
  EXPECT_EQ(small->Stats().dropped_table_full, 24u);
}

TEST(StackTable, BadOptions) {
  EXPECT_FALSE(StackTable::Create({100, 1 << 12, 8}).ok());
  EXPECT_FALSE(StackTable::Create({1u << 21, 1 << 12, 8}).ok());
  EXPECT_FALSE(StackTable::Create({64, 10, 8}).ok());
  EXPECT_FALSE(StackTable::Create({64, 1 << 12, 0}).ok());
}

TEST(StackTableConcurrency, ThreadsAgreeOnFrames) {
  auto t = MakeTable(1 << 12, 1 << 20, 128);
  constexpr int kStacks = 500;
  constexpr int kThreads = 4;
  std::vector<std::vector<uintptr_t>> stacks;
  for (int i = 0; i < kStacks; ++i) stacks.push_back(Stack(i, 1 + i % 40));
  std::vector<std::map<int, uint32_t>> ids(kThreads);
  std::vector<std::thread> threads;
  for (int w = 0; w < kThreads; ++w) {
    threads.emplace_back([&, w] {
      for (int round = 0; round < 20; ++round) {
        for (int j = 0; j < kStacks; ++j) {
          const int i = (j * 7 + w * 131 + round) % kStacks;
          const uint32_t id = t->Intern(stacks[i].data(), stacks[i].size());
          if (ids[w].count(i) == 0) ids[w][i] = id;
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  std::vector<uint64_t> out;
  std::map<uint32_t, int> stack_of_id;
  for (int w = 0; w < kThreads; ++w) {
    ASSERT_EQ(ids[w].size(), static_cast<size_t>(kStacks));
    for (const auto& [i, id] : ids[w]) {
      ASSERT_NE(id, 0u);
      ASSERT_TRUE(t->Frames(id, &out));
      EXPECT_EQ(out, std::vector<uint64_t>(stacks[i].begin(), stacks[i].end()));
      // An id never names two stacks.
      auto [it, fresh] = stack_of_id.emplace(id, i);
      if (!fresh) {
        EXPECT_EQ(it->second, i);
      }
    }
  }
  const StackTableStats s = t->Stats();
  EXPECT_GE(s.stacks, static_cast<uint64_t>(kStacks));
  EXPECT_LE(s.stacks, kStacks + s.duplicates);
  EXPECT_EQ(s.dropped_table_full + s.dropped_arena_full, 0u);
}

}  // namespace
}  // namespace jleak::agent::sampling
