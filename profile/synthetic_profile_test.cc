// File: synthetic_profile_test.cc
//
// Synthetic series: the text is what the parser reads back as the
// in-memory profile; snapshots are reproducible one by one; planted stacks
// grow, the rest stay flat; an ELF module's functions are named by the real
// symbolizer as the generator says.

#include "profile/synthetic_profile.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "profile/elf_symbolizer.h"

namespace jleak {
namespace {

SyntheticOptions Small() {
  SyntheticOptions o;
  o.stacks = 200;
  o.snapshots = 5;
  return o;
}

TEST(SyntheticSeriesTest, TextParsesBackToTheSameProfile) {
  SyntheticSeries series(Small(), MadeUpModule(100));
  for (int i : {0, 4}) {
    HeapProfile direct = series.Snapshot(i);
    absl::StatusOr<HeapProfile> parsed =
        ParseHeapProfile(series.SnapshotText(i), "synthetic");
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(parsed->sample_period, direct.sample_period);
    ASSERT_EQ(parsed->stacks.size(), direct.stacks.size());
    for (size_t k = 0; k < direct.stacks.size(); ++k) {
      EXPECT_EQ(parsed->stacks[k].frames, direct.stacks[k].frames);
      EXPECT_EQ(parsed->stacks[k].sampled.bytes,
                direct.stacks[k].sampled.bytes);
      EXPECT_EQ(parsed->stacks[k].sampled.objects,
                direct.stacks[k].sampled.objects);
    }
    EXPECT_EQ(parsed->total_sampled.bytes, direct.total_sampled.bytes);
    ASSERT_EQ(parsed->mappings.size(), 2u);
    EXPECT_EQ(parsed->mappings[1].path, "/opt/synthetic/libsynthetic.so");
  }
}

TEST(SyntheticSeriesTest, SnapshotsAreReproducibleAndPlantedStacksGrow) {
  SyntheticSeries a(Small(), MadeUpModule(100));
  SyntheticSeries b(Small(), MadeUpModule(100));
  EXPECT_EQ(a.SnapshotText(3), b.SnapshotText(3));
  ASSERT_EQ(a.planted_functions().size(), 1u);
  // The first stack is the planted one: 4 more 1 MiB objects a snapshot.
  const HeapProfile first = a.Snapshot(0), last = a.Snapshot(4);
  EXPECT_EQ(last.stacks[0].sampled.bytes - first.stacks[0].sampled.bytes,
            16.0 * (1 << 20));
  // Other stacks never move by more than one object.
  for (size_t k = 1; k < 40 && k < first.stacks.size(); ++k) {
    EXPECT_LE(last.stacks[k].sampled.objects,
              first.stacks[k].sampled.objects + 2);
  }
  SyntheticOptions o = Small();
  o.seed = 2;
  EXPECT_NE(SyntheticSeries(o, MadeUpModule(100)).SnapshotText(3),
            a.SnapshotText(3));
}

TEST(SyntheticSeriesTest, ElfModuleFunctionsAreNamedAsTheGeneratorSays) {
  // This test binary itself: any ELF with sized function symbols will do.
  absl::StatusOr<SyntheticModule> module = ElfModule("/proc/self/exe", 50);
  ASSERT_TRUE(module.ok()) << module.status();
  ASSERT_FALSE(module->functions.empty());
  SyntheticOptions o = Small();
  o.stacks = 20;
  SyntheticSeries series(o, *module);
  ElfSymbolizerOptions so;
  so.read_dwarf = false;
  // /proc/self/exe is a symlink: the mapping names the link, which opens.
  ElfSymbolizer symbolizer(series.mappings(), so);
  for (const SyntheticFunction& f : module->functions) {
    EXPECT_EQ(symbolizer.SymbolizeName(f.address + 1).frames[0].function,
              f.name);
  }
}

}  // namespace
}  // namespace jleak
