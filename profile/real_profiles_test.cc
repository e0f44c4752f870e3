// File: real_profiles_test.cc
//
// The whole reading path (ParseHeapProfile -> ElfSymbolizer -> NameProfile
// -> DiffProfiles) on real JVM profiles from testdata/profiles (how they were
// made: testdata/README.md):
//   - the known allocation sites are named: Java_jleak_smoke_Smoke_retain in
//     the smoke JNI library, deflateInit2_ in libz under
//     Java_java_util_zip_Deflater_init for the Deflater leak;
//   - no frame is ever "??" or empty;
//   - unsampled totals agree with jeprof's (<dir>/jeprof_totals.txt) within
//     0.5%, for every set of real profiles.
//
//   bazel test //profile:real_profiles_test
//
// The smoke profiles map libsmoke_jni.so from the bazel-out of the machine
// that recorded them; the test reads the runfiles copy of
// //leakers/smoke:libsmoke_jni.so through binary_dirs, as `jleak profile
// --binary-dir` does. System libraries (libjvm, libzip, libz) are this
// machine's; no separate debug files are used (debug_dirs empty), so the
// names do not depend on which -dbg packages are installed.

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "profile/elf_symbolizer.h"
#include "profile/frame_filter.h"
#include "profile/heap_profile.h"
#include "profile/named_profile.h"

namespace jleak {
namespace {

constexpr char kSmokeDir[] = "testdata/profiles/smoke/";
constexpr char kZlibDir[] = "testdata/profiles/zlib/";
constexpr char kJniLibDir[] = "leakers/smoke";

// The smoke workload retains blocks of 1,999,993 bytes (a prime), which
// jemalloc serves from its 2 MiB size class; the profiles count usable
// sizes.
constexpr double kSmokeBlockUsableBytes = 2 << 20;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

HeapProfile Parse(const std::string& path) {
  absl::StatusOr<HeapProfile> p = ParseHeapProfile(ReadFile(path), path);
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *std::move(p) : HeapProfile();
}

NamedProfile Name(const HeapProfile& profile) {
  ElfSymbolizerOptions options;
  options.binary_dirs = {kJniLibDir};
  options.debug_dirs = {};
  ElfSymbolizer symbolizer(profile.mappings, options);
  NamedProfile named = NameProfile(profile, symbolizer, FrameFilter());
  SortByBytes(&named.stacks);
  return named;
}

std::string Basename(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Sum of the stacks whose first (allocating) frame is `function`.
Counts FlatCounts(const NamedProfile& p, const std::string& function) {
  Counts sum;
  for (const NamedStack& s : p.stacks) {
    if (!s.frames.empty() && s.frames[0].function == function) {
      sum += s.counts;
    }
  }
  return sum;
}

// SampledObjectsIn sums the raw (sampled) objects of the stacks of `p` that
// pass through the executable mapping whose path contains `path_part`: read
// straight from the file, independently of the symbolizer.
double SampledObjectsIn(const HeapProfile& p, const std::string& path_part) {
  uint64_t start = 0, limit = 0;
  for (const Mapping& m : p.mappings) {
    if (m.executable() && absl::StrContains(m.path, path_part)) {
      start = m.start;
      limit = m.limit;
    }
  }
  double objects = 0;
  for (const StackSample& s : p.stacks) {
    for (uint64_t pc : s.frames) {
      if (pc > start && pc <= limit) {  // return addresses
        objects += s.sampled.objects;
        break;
      }
    }
  }
  return objects;
}

TEST(RealProfilesTest, SmokeJniSiteIsNamedAndSized) {
  const HeapProfile profile =
      Parse(absl::StrCat(kSmokeDir, "jeprof.18581.3.f.heap"));
  const NamedProfile named = Name(profile);
  ASSERT_FALSE(named.stacks.empty());
  // The leak is the largest stack, and trimming leaves the JNI function
  // as its first frame, in the JNI library.
  const NamedStack& top = named.stacks[0];
  ASSERT_FALSE(top.frames.empty());
  EXPECT_EQ(top.frames[0].function, "Java_jleak_smoke_Smoke_retain")
      << "if this is libsmoke_jni.so+0x..., the library in runfiles is not "
         "the one the profiles were recorded with (testdata/README.md)";
  EXPECT_EQ(Basename(top.frames[0].module), "libsmoke_jni.so");
  // 24 blocks retained (as the raw file says); each is sampled almost
  // surely (2 MiB >> the 128 KiB period), so the estimate is near exact.
  EXPECT_EQ(SampledObjectsIn(profile, "libsmoke_jni.so"), 24);
  EXPECT_NEAR(top.counts.bytes, 24 * kSmokeBlockUsableBytes,
              0.005 * 24 * kSmokeBlockUsableBytes);
  EXPECT_NEAR(top.counts.objects, 24, 0.2);
  // The JVM's own allocations are named from libjvm's symbol table.
  EXPECT_GT(FlatCounts(named, "G1CollectedHeap::G1CollectedHeap()").bytes, 0);
}

TEST(RealProfilesTest, SmokeDiffIsTheJniSiteGrowth) {
  const HeapProfile older =
      Parse(absl::StrCat(kSmokeDir, "jeprof.18581.0.i0.heap"));
  const HeapProfile newer =
      Parse(absl::StrCat(kSmokeDir, "jeprof.18581.3.f.heap"));
  const double blocks = SampledObjectsIn(newer, "libsmoke_jni.so") -
                        SampledObjectsIn(older, "libsmoke_jni.so");
  ASSERT_EQ(blocks, 19);  // 5 blocks at the first dump, 24 at exit
  NamedProfile diff = DiffProfiles(Name(newer), Name(older));
  SortByBytes(&diff.stacks);
  ASSERT_FALSE(diff.stacks.empty());
  EXPECT_EQ(diff.stacks[0].frames[0].function, "Java_jleak_smoke_Smoke_retain");
  EXPECT_NEAR(diff.stacks[0].counts.bytes, blocks * kSmokeBlockUsableBytes,
              0.005 * blocks * kSmokeBlockUsableBytes);
  // The site is nearly all the growth.
  EXPECT_GT(diff.stacks[0].counts.bytes, 0.95 * diff.total.bytes);
}

// Every smoke dump, not only the last, has the JNI site on top.
TEST(RealProfilesTest, SmokeJniSiteIsTopInEveryDump) {
  for (const char* name : {"jeprof.18581.0.i0.heap", "jeprof.18581.1.i1.heap",
                           "jeprof.18581.2.i2.heap", "jeprof.18581.3.f.heap"}) {
    const NamedProfile named = Name(Parse(absl::StrCat(kSmokeDir, name)));
    ASSERT_FALSE(named.stacks.empty()) << name;
    EXPECT_EQ(named.stacks[0].frames[0].function,
              "Java_jleak_smoke_Smoke_retain")
        << name;
  }
}

TEST(RealProfilesTest, DeflaterLeakIsNamedDeflateInit2InLibz) {
  const NamedProfile named =
      Name(Parse(absl::StrCat(kZlibDir, "jeprof.7416.2.f.heap")));
  ASSERT_FALSE(named.stacks.empty());
  const NamedStack& top = named.stacks[0];
  ASSERT_GE(top.frames.size(), 2u);
  EXPECT_EQ(top.frames[0].function, "deflateInit2_");
  EXPECT_TRUE(absl::StartsWith(Basename(top.frames[0].module), "libz.so"))
      << top.frames[0].module;
  EXPECT_EQ(top.frames[1].function, "Java_java_util_zip_Deflater_init");
  EXPECT_EQ(Basename(top.frames[1].module), "libzip.so");
  // 120 Deflaters kept (the workload's summary line), about 268,288 bytes
  // each (four 64 KiB buffers and the state; leakers/README.md). 64 KiB
  // objects at a 128 KiB period are sampled with p = 0.39, so a profile of
  // ~600 of them is within about 15% (3 sigma).
  const double expected = 120 * 268288.0;
  const Counts site = FlatCounts(named, "deflateInit2_");
  EXPECT_NEAR(site.bytes, expected, 0.15 * expected);
  EXPECT_GT(site.bytes, 0.75 * named.total.bytes);  // the leak dominates
}

TEST(RealProfilesTest, DeflaterDiffGrowsAtDeflateInit2) {
  NamedProfile diff = DiffProfiles(
      Name(Parse(absl::StrCat(kZlibDir, "jeprof.7416.2.f.heap"))),
      Name(Parse(absl::StrCat(kZlibDir, "jeprof.7416.0.i0.heap"))));
  SortByBytes(&diff.stacks);
  ASSERT_FALSE(diff.stacks.empty());
  EXPECT_EQ(diff.stacks[0].frames[0].function, "deflateInit2_");
  EXPECT_GT(diff.stacks[0].counts.bytes, 20e6);
  EXPECT_GT(FlatCounts(diff, "deflateInit2_").bytes, 0.8 * diff.total.bytes);
}

// Frames that cannot be named print as module+0xoffset (or 0x<address>
// outside every mapping, e.g. JIT code without a perf map), never "??".
TEST(RealProfilesTest, EveryFrameHasAName) {
  for (const std::string& path :
       {absl::StrCat(kSmokeDir, "jeprof.18581.3.f.heap"),
        absl::StrCat(kZlibDir, "jeprof.7416.2.f.heap")}) {
    const NamedProfile named = Name(Parse(path));
    int unnamed_in_module = 0;
    for (const NamedStack& s : named.stacks) {
      for (const NamedFrame& f : s.frames) {
        ASSERT_FALSE(f.function.empty()) << path;
        ASSERT_THAT(f.function, ::testing::Not(::testing::HasSubstr("??")))
            << path;
        if (absl::StrContains(f.function, ".so") &&
            absl::StrContains(f.function, "+0x")) {
          ++unnamed_in_module;
          EXPECT_TRUE(absl::StartsWith(f.function,
                                       absl::StrCat(Basename(f.module), "+0x")))
              << f.function << " in " << f.module;
        }
      }
    }
    // libc and libstdc++ have no .symtab without their -dbg packages.
    EXPECT_GT(unnamed_in_module, 0) << path;
  }
}

// Unsampled totals agree with `jeprof --text --show_bytes` (the "Total:"
// line) within 0.5% on every real profile, listed in each set's
// jeprof_totals.txt.
TEST(RealProfilesTest, TotalsAgreeWithJeprof) {
  int checked = 0;
  for (const std::string& dir :
       {std::string(kSmokeDir), std::string(kZlibDir)}) {
    std::istringstream totals(ReadFile(dir + "jeprof_totals.txt"));
    std::string name;
    double jeprof_total = 0;
    int in_dir = 0;
    while (totals >> name >> jeprof_total) {
      const HeapProfile p = Parse(dir + name);
      const double ours = TotalUnsampled(p).bytes;
      EXPECT_NEAR(ours, jeprof_total, 0.005 * jeprof_total) << dir << name;
      // NameProfile keeps every byte: trimming and merging move bytes
      // between stacks, never drop them.
      EXPECT_NEAR(Name(p).total.bytes, ours, 1e-6 * ours) << dir << name;
      ++in_dir;
    }
    EXPECT_GE(in_dir, 3) << dir;
    checked += in_dir;
  }
  EXPECT_EQ(checked, 7);
}

}  // namespace
}  // namespace jleak
