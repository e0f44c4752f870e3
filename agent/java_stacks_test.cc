// File: java_stacks_test.cc
//
// Tests of what java_stacks does without a JVM: the address encoding the
// reader relies on, the lock-free id table (also under concurrent use),
// name formatting, bci-to-line lookup and the map file.

#include "agent/java_stacks.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "profile/perf_map.h"

namespace jleak::agent {
namespace {

jmethodID Method(uintptr_t p) { return reinterpret_cast<jmethodID>(p); }

TEST(JavaFrameAddress, KernelHalfOddAndDecodable) {
  EXPECT_EQ(JavaFrameAddress(0), 0xffffa00000000001u);
  EXPECT_EQ(JavaFrameAddress(1), 0xffffa00000000003u);
  for (uint32_t id : {0u, 1u, 2u, 1000u, kJavaFrameMaxId}) {
    const uint64_t a = JavaFrameAddress(id);
    EXPECT_TRUE(IsJavaFrameAddress(a));
    EXPECT_TRUE(IsJavaFrameAddress(a - 1));  // a reader's pc - 1
    EXPECT_EQ(JavaFrameId(a), id);
    EXPECT_EQ(JavaFrameId(a - 1), id);
  }
  EXPECT_FALSE(IsJavaFrameAddress(0x7f0000001000));
  EXPECT_FALSE(IsJavaFrameAddress(kJavaFrameBase - 1));
  EXPECT_FALSE(IsJavaFrameAddress(JavaFrameAddress(kJavaFrameMaxId) + 1));
}

// A stack of `native` fake native frames 1, 2, ... with `java` Java ids
// 100, 101, ... laid out in a 128-entry vector, as the hook does.
std::vector<uint64_t> Layout(unsigned native, unsigned java) {
  void* vec[128];
  for (unsigned i = 0; i < native; ++i) {
    vec[i] = reinterpret_cast<void*>(uintptr_t{i + 1});
  }
  std::vector<uint32_t> ids;
  for (unsigned i = 0; i < java; ++i) ids.push_back(100 + i);
  const unsigned len = AppendJavaFrames(vec, native, 128, ids.data(), java);
  return std::vector<uint64_t>(reinterpret_cast<uint64_t*>(vec),
                               reinterpret_cast<uint64_t*>(vec) + len);
}

TEST(AppendJavaFrames, NativeThenJavaInnermostFirst) {
  const std::vector<uint64_t> v = Layout(3, 2);
  EXPECT_EQ(v, (std::vector<uint64_t>{1, 2, 3, JavaFrameAddress(100),
                                      JavaFrameAddress(101)}));
  EXPECT_EQ(Layout(5, 0), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
}

TEST(AppendJavaFrames, OverTheCapDropsOutermostNativeFrames) {
  // 100 native + 50 Java: 78 innermost native frames stay.
  std::vector<uint64_t> v = Layout(100, 50);
  ASSERT_EQ(v.size(), 128u);
  EXPECT_EQ(v[77], 78u);
  EXPECT_EQ(v[78], JavaFrameAddress(100));
  EXPECT_EQ(v[127], JavaFrameAddress(149));
  // The hook never asks for more than kMaxJavaFrames, leaving
  // kMinNativeFrames.
  v = Layout(128, kMaxJavaFrames);
  ASSERT_EQ(v.size(), 128u);
  EXPECT_EQ(v[kMinNativeFrames - 1], kMinNativeFrames);
  EXPECT_TRUE(IsJavaFrameAddress(v[kMinNativeFrames]));
  for (uint64_t a : v) {
    if (a > kMinNativeFrames) {
      EXPECT_TRUE(IsJavaFrameAddress(a));
    }
  }
}

TEST(JavaFrameTable, SameKeySameIdDistinctKeysDistinctIds) {
  JavaFrameTable table(64);
  const uint32_t a = table.Intern(Method(0x7f0000001000), 5);
  EXPECT_NE(a, kUnknownJavaFrameId);
  EXPECT_EQ(table.Intern(Method(0x7f0000001000), 5), a);
  const uint32_t b = table.Intern(Method(0x7f0000001000), 6);
  const uint32_t c = table.Intern(Method(0x7f0000001008), 5);
  const uint32_t native = table.Intern(Method(0x7f0000001000), -3);
  EXPECT_EQ(std::set<uint32_t>({a, b, c, native}).size(), 4u);
  // Every negative bci is "no bci".
  EXPECT_EQ(table.Intern(Method(0x7f0000001000), -1), native);

  std::vector<JavaFrameTable::Entry> entries = table.Entries();
  ASSERT_EQ(entries.size(), 4u);
  for (size_t i = 1; i < entries.size(); ++i) {
    EXPECT_LT(entries[i - 1].id, entries[i].id);
  }
  for (const JavaFrameTable::Entry& e : entries) {
    EXPECT_GE(e.id, 1u);
    EXPECT_LE(e.id, table.capacity());
    if (e.id == a) {
      EXPECT_EQ(e.method, Method(0x7f0000001000));
      EXPECT_EQ(e.bci, 5);
    }
    if (e.id == native) {
      EXPECT_EQ(e.bci, JavaFrameTable::kNoBci);
    }
  }
}

TEST(JavaFrameTable, UnusableKeysAndFullTableGiveUnknown) {
  JavaFrameTable table(8);
  EXPECT_EQ(table.Intern(nullptr, 1), kUnknownJavaFrameId);
  EXPECT_EQ(table.Intern(Method(uintptr_t{1} << 47), 1), kUnknownJavaFrameId);
  std::vector<uint32_t> ids;
  for (int bci = 0; bci < 8; ++bci) {
    ids.push_back(table.Intern(Method(0x1000), bci));
  }
  EXPECT_EQ(std::set<uint32_t>(ids.begin(), ids.end()).size(), 8u);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), kUnknownJavaFrameId), 0);
  // Full: a new key has no slot, keys already in keep theirs.
  EXPECT_EQ(table.Intern(Method(0x1000), 100), kUnknownJavaFrameId);
  EXPECT_EQ(table.Intern(Method(0x1000), 3), ids[3]);
}

TEST(JavaFrameTable, ConcurrentInternAgrees) {
  JavaFrameTable table(1 << 12);
  constexpr int kThreads = 8;
  constexpr int kKeys = 1000;
  std::vector<std::vector<uint32_t>> seen(kThreads,
                                          std::vector<uint32_t>(kKeys));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 3; ++round) {
        for (int k = 0; k < kKeys; ++k) {
          const int key = (k * 7 + t * 131) % kKeys;  // different orders
          seen[t][key] = table.Intern(Method(0x7f0000000000 + 8 * key), 1);
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::set<uint32_t> distinct;
  for (int k = 0; k < kKeys; ++k) {
    for (int t = 1; t < kThreads; ++t) EXPECT_EQ(seen[t][k], seen[0][k]);
    EXPECT_NE(seen[0][k], kUnknownJavaFrameId);
    distinct.insert(seen[0][k]);
  }
  EXPECT_EQ(distinct.size(), static_cast<size_t>(kKeys));
  EXPECT_EQ(table.Entries().size(), static_cast<size_t>(kKeys));
}

TEST(FormatJavaFrameName, LikeStackTraces) {
  EXPECT_EQ(FormatJavaFrameName("Ljleak/leakers/JniMalloc;", "leak",
                                "JniMalloc.java", 42, false),
            "jleak.leakers.JniMalloc.leak(JniMalloc.java:42)");
  EXPECT_EQ(FormatJavaFrameName("LA;", "f", "A.java", 0, false), "A.f(A.java)");
  EXPECT_EQ(FormatJavaFrameName("LA;", "f", "", 3, false),
            "A.f(Unknown Source)");
  EXPECT_EQ(
      FormatJavaFrameName("Ljava/util/zip/Deflater;", "init", "", 0, true),
      "java.util.zip.Deflater.init(Native Method)");
}

TEST(LineForBci, GreatestStartAtOrBefore) {
  // Line tables are not necessarily sorted.
  const jvmtiLineNumberEntry table[] = {{0, 10}, {12, 12}, {5, 11}, {20, 9}};
  EXPECT_EQ(LineForBci(table, 4, 0), 10);
  EXPECT_EQ(LineForBci(table, 4, 4), 10);
  EXPECT_EQ(LineForBci(table, 4, 5), 11);
  EXPECT_EQ(LineForBci(table, 4, 19), 12);
  EXPECT_EQ(LineForBci(table, 4, 300), 9);
  EXPECT_EQ(LineForBci(table, 0, 3), 0);
  const jvmtiLineNumberEntry late[] = {{4, 7}};
  EXPECT_EQ(LineForBci(late, 1, 2), 0);
}

TEST(FormatJavaFramesMap, PerfMapLinesCoverAddressAndAddressMinusOne) {
  const std::map<uint32_t, std::string> names = {{0, kUnknownJavaFrameName},
                                                 {41, "a.B.c(B.java:7)"}};
  const std::string text = FormatJavaFramesMap(names);
  EXPECT_EQ(text,
            "ffffa00000000000 2 [unknown Java frame]\n"
            "ffffa00000000052 2 a.B.c(B.java:7)\n");
  // The harness's reader resolves both the address and address - 1.
  absl::StatusOr<jleak::PerfMap> map = jleak::ParsePerfMap(text, "test");
  ASSERT_TRUE(map.ok()) << map.status();
  for (uint64_t a : {JavaFrameAddress(41), JavaFrameAddress(41) - 1}) {
    const jleak::PerfMapEntry* e = map->Find(a);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->name, "a.B.c(B.java:7)");
  }
  EXPECT_EQ(map->Find(JavaFrameAddress(41) + 1), nullptr);
  ASSERT_NE(map->Find(JavaFrameAddress(0)), nullptr);
  EXPECT_EQ(map->Find(JavaFrameAddress(0))->name, kUnknownJavaFrameName);
}

TEST(UnavailableJavaFrame, OnePlaceholderPerCodeAboveTheTable) {
  std::set<uint32_t> ids;
  for (int code = -1; code >= -12; --code) {
    const uint32_t id = UnavailableJavaFrameId(code);
    EXPECT_GT(id, kJavaFrameTableCapacity);
    EXPECT_LE(id, kJavaFrameMaxId);
    EXPECT_EQ(JavaFrameId(JavaFrameAddress(id)), id);
    EXPECT_EQ(
        UnavailableJavaFrameName(code).rfind(kUnavailableJavaFramesPrefix, 0),
        0u);
    ids.insert(id);
  }
  // -1 .. -10 each their own; -11 and below share "other".
  EXPECT_EQ(ids.size(), 11u);
  EXPECT_EQ(UnavailableJavaFrameId(-11), UnavailableJavaFrameId(-99));
  EXPECT_EQ(UnavailableJavaFrameName(-2),
            "[Java frames unavailable: GC active]");
  EXPECT_EQ(UnavailableJavaFrameName(-3),
            "[Java frames unavailable: in a VM call, no walkable Java frame]");
  EXPECT_EQ(AsgctCodeName(-3), "-3 unknown_not_Java");
  EXPECT_EQ(AsgctCodeName(-10), "-10 safepoint");
  EXPECT_EQ(AsgctCodeName(-42), "other");
  // A placeholder is a one-frame Java part after the native frames.
  void* vec[128];
  for (unsigned i = 0; i < 128; ++i) vec[i] = reinterpret_cast<void*>(i + 1);
  const uint32_t id = UnavailableJavaFrameId(-3);
  EXPECT_EQ(AppendJavaFrames(vec, 20, 128, &id, 1), 21u);
  EXPECT_EQ(reinterpret_cast<uint64_t>(vec[20]), JavaFrameAddress(id));
  EXPECT_EQ(AppendJavaFrames(vec, 128, 128, &id, 1), 128u);
  EXPECT_EQ(reinterpret_cast<uint64_t>(vec[127]), JavaFrameAddress(id));
}

TEST(WriteFileAtomically, ReplacesWholeFile) {
  const std::string path =
      std::string(std::getenv("TEST_TMPDIR")) + "/java-frames.map";
  ASSERT_TRUE(WriteFileAtomically(path, "first\nlonger text\n").ok());
  ASSERT_TRUE(WriteFileAtomically(path, "second\n").ok());
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), "second\n");
  std::ifstream tmp(path + ".tmp");
  EXPECT_FALSE(tmp.good());
  EXPECT_FALSE(WriteFileAtomically("/nonexistent-dir/x.map", "x").ok());
}

}  // namespace
}  // namespace jleak::agent
