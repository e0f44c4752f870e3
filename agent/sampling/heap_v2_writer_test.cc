// File: heap_v2_writer_test.cc
//
// The heap_v2 writer: jemalloc 5.3's numbers for known objects, the exact
// text, and the round trip through //profile:heap_profile (ParseHeapProfile
// + Unsample), whose estimates must equal the unbiased sums c_out, s_out up
// to the two roundings of the printed values.

#include "agent/sampling/heap_v2_writer.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "profile/heap_profile.h"

namespace jleak::agent::sampling {
namespace {

constexpr uint64_t kPeriod = 1 << 19;

constexpr char kMaps[] =
    "55d0c0a00000-55d0c0a01000 r--p 00000000 fe:01 1234 /usr/bin/java\n"
    "7f5ec0200000-7f5ec0400000 r-xp 00012000 fe:01 99 /usr/lib/libz.so.1\n";

TEST(ObjectSums, JemallocsWeights) {
  // z = R: w = 1 / (1 - 1/e) = 1.5819767...
  const UnbiasedSums s = ObjectSums(kPeriod, kPeriod);
  EXPECT_EQ(s.shifted_objects, 13u);  // round(12.6558)
  EXPECT_EQ(s.bytes,
            static_cast<uint64_t>(std::round(kPeriod / (1 - std::exp(-1.0)))));
  // 4 KiB at 512 KiB: w = 128.50...
  const UnbiasedSums small = ObjectSums(4096, kPeriod);
  EXPECT_EQ(small.shifted_objects, 1028u);
  EXPECT_EQ(small.bytes, 526339u);
  EXPECT_EQ(ObjectSums(0, kPeriod).shifted_objects, 0u);
}

TEST(PrintedFromSums, IsProfDoUnbias) {
  // Two 4 KiB objects: c_out = 257, s_out = 1052678, printed 2: 8192.
  const PrintedCounts p = PrintedFromSums({2056, 1052678}, kPeriod);
  EXPECT_EQ(p.objects, 2u);
  EXPECT_EQ(p.bytes, 8192u);
  EXPECT_EQ(PrintedFromSums({0, 5}, kPeriod).objects, 0u);
  EXPECT_EQ(PrintedFromSums({5, 0}, kPeriod).bytes, 0u);
}

TEST(FormatHeapV2, ExactText) {
  // Numbers computed independently (Python, the formulas of the header).
  const std::vector<SampledStack> stacks = {
      {{0x7f5ec0201234, 0x55d0c0a00100}, {4096, 4096}},
      {{0x7f5ec0205678}, {1 << 20}},
      {{0x7f5ec0209999}, {}},  // no live objects: left out
  };
  EXPECT_EQ(FormatHeapV2(stacks, kPeriod, kMaps),
            "heap_v2/524288\n"
            "  t*: 4: 37605 [0: 0]\n"
            "@ 0x7f5ec0201234 0x55d0c0a00100\n"
            "  t*: 2: 8192 [0: 0]\n"
            "@ 0x7f5ec0205678\n"
            "  t*: 1: 1057519 [0: 0]\n"
            "\n"
            "MAPPED_LIBRARIES:\n" +
                std::string(kMaps));
}

TEST(FormatHeapV2, EmptyProfileAndNoFrames) {
  EXPECT_EQ(FormatHeapV2({}, kPeriod, ""),
            "heap_v2/524288\n  t*: 0: 0 [0: 0]\n\nMAPPED_LIBRARIES:\n");
  const std::string text =
      FormatHeapV2({{{}, {100}}}, kPeriod, "no newline at end");
  EXPECT_NE(text.find("@ 0xffffb00000000001\n"), std::string::npos);
  EXPECT_EQ(text.back(), '\n');
}

// Expected: the writer's own unbiased sums, as doubles.
struct Expected {
  double c_out = 0;
  double s_out = 0;
  double tolerance = 0;  // relative, from the printed values' roundings
};

Expected ExpectedFor(const std::vector<uint64_t>& sizes) {
  UnbiasedSums sums;
  for (uint64_t z : sizes) sums += ObjectSums(z, kPeriod);
  Expected e;
  e.c_out = static_cast<double>(sums.shifted_objects) / 8;
  e.s_out = static_cast<double>(sums.bytes);
  // The printed values before rounding, and their rounding errors δc, δs.
  const double x = e.s_out / e.c_out;
  const double y = e.s_out * (1 - std::exp(-x / kPeriod));
  const double dc = std::abs(std::round(y / x) - y / x) / (y / x);
  const double ds = std::abs(std::round(y) - y) / y;
  // Unsample gives c' = c_in k', s' = s_in k' with k' = 1 / g(s_in / c_in),
  // g(x) = 1 - exp(-x/R). With x' = x (1 + δs - δc) and 0 < x g'(x) / g(x)
  // <= 1, to first order |c'/c_out - 1| <= 2 δc + δs and |s'/s_out - 1| <=
  // δs + |δs - δc|: both within 2 (δc + δs).
  e.tolerance = 1.01 * 2 * (dc + ds) + 1e-12;
  return e;
}

void ExpectRoundTrip(const std::vector<SampledStack>& stacks,
                     double max_tolerance) {
  const std::string text = FormatHeapV2(stacks, kPeriod, kMaps);
  absl::StatusOr<HeapProfile> p = ParseHeapProfile(text, "written.heap");
  ASSERT_TRUE(p.ok()) << p.status() << "\n" << text;
  EXPECT_EQ(p->sample_period, kPeriod);
  ASSERT_EQ(p->stacks.size(), stacks.size());
  ASSERT_EQ(p->mappings.size(), 2u);
  EXPECT_EQ(p->mappings[1].path, "/usr/lib/libz.so.1");
  double worst = 0;
  for (size_t i = 0; i < stacks.size(); ++i) {
    EXPECT_EQ(p->stacks[i].frames, stacks[i].frames);
    const Expected e = ExpectedFor(stacks[i].sizes);
    EXPECT_LE(e.tolerance, max_tolerance) << "stack " << i;
    worst = std::max(worst, e.tolerance);
    const Counts u = Unsample(p->stacks[i].sampled, p->sample_period);
    EXPECT_NEAR(u.objects / e.c_out, 1.0, e.tolerance) << "stack " << i;
    EXPECT_NEAR(u.bytes / e.s_out, 1.0, e.tolerance) << "stack " << i;
  }
  std::printf("worst relative tolerance: %g\n", worst);
}

TEST(FormatHeapV2, RoundTripOneSizeStacks) {
  std::vector<SampledStack> stacks;
  uint64_t pc = 0x7f5ec0201000;
  for (uint64_t size : {16, 1000, 4096, 65536, 200000}) {
    for (int n : {1, 3, 50}) {
      stacks.push_back(
          {{pc += 0x40, 0x55d0c0a00100}, std::vector<uint64_t>(n, size)});
    }
  }
  // One size: the printed count is n up to jemalloc's x8 count rounding,
  // the bytes n z up to a byte; the bound is tighter for smaller objects.
  ExpectRoundTrip(stacks, 5e-3);
}

TEST(FormatHeapV2, RoundTripMixedSizeStacks) {
  // Mixed sizes are where jemalloc 5.3's unbiasing beats jeprof's per-record
  // average; here the printed count is a rounding of a non-integer, whose
  // error is at most 0.5 / c_in: many objects per stack keep it small.
  std::vector<SampledStack> stacks;
  uint64_t x = 12345;
  for (int s = 0; s < 20; ++s) {
    SampledStack st;
    st.frames = {0x7f5ec0202000 + uint64_t(s) * 0x10, 0x55d0c0a00200};
    for (int i = 0; i < 200 + 37 * s; ++i) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      st.sizes.push_back(uint64_t{8} << ((x >> 40) % 17));  // 8 B .. 512 KiB
    }
    stacks.push_back(st);
  }
  ExpectRoundTrip(stacks, 5e-3);
}

TEST(FormatHeapV2, LargeObjectsCarryJemallocsCountQuantization) {
  // Objects at or above the period weigh ~1: their x8 count rounds off by
  // up to 1/16 of an object (jemalloc's own design), so a single 1 MiB
  // object is printed as 1: 1057519 and reads back within a few percent.
  const std::vector<SampledStack> stacks = {{{0x7f5ec0205678}, {1 << 20}}};
  const std::string text = FormatHeapV2(stacks, kPeriod, kMaps);
  absl::StatusOr<HeapProfile> p = ParseHeapProfile(text, "big.heap");
  ASSERT_TRUE(p.ok()) << p.status();
  const Counts u = Unsample(p->stacks[0].sampled, p->sample_period);
  EXPECT_NEAR(u.bytes, 1 << 20, 0.2 * (1 << 20));
  EXPECT_NEAR(u.objects, 1.0 / (1 - std::exp(-2.0)), 0.2);
}

}  // namespace
}  // namespace jleak::agent::sampling
