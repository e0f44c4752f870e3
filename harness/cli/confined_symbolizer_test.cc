// File: confined_symbolizer_test.cc
//
// The confined symbolizer names this process's own libc through a helper
// (as root: chrooted to this process's root, as its user), and refuses
// malformed or hostile answers.

#include "harness/cli/confined_symbolizer.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdint>
#include <string>

#include "gtest/gtest.h"
#include "harness/io/file_io.h"
#include "harness/run/target_process.h"

namespace jleak {
namespace {

TEST(ConfinedSymbolizer, NamesLibcThroughTheHelper) {
  absl::StatusOr<TargetProcess> t = InspectTarget(getpid());
  ASSERT_TRUE(t.ok()) << t.status();
  absl::StatusOr<TargetHandles> h = OpenTargetHandles(*t);
  ASSERT_TRUE(h.ok()) << h.status();
  absl::StatusOr<std::string> maps = ReadFileToString("/proc/self/maps");
  ASSERT_TRUE(maps.ok());
  absl::StatusOr<std::vector<Mapping>> mappings = ParseMaps(*maps, "maps");
  ASSERT_TRUE(mappings.ok()) << mappings.status();
  absl::StatusOr<std::unique_ptr<ConfinedSymbolizer>> s =
      ConfinedSymbolizer::Start(*h, *mappings, ElfSymbolizerOptions());
  ASSERT_TRUE(s.ok()) << s.status();
  const uint64_t getpid_address =
      reinterpret_cast<uint64_t>(dlsym(RTLD_DEFAULT, "getpid"));
  SymbolizedAddress a = (*s)->SymbolizeName(getpid_address);
  ASSERT_EQ(a.frames.size(), 1u);
  EXPECT_TRUE(a.resolved);
  EXPECT_NE(a.frames[0].function.find("getpid"), std::string::npos)
      << a.frames[0].function;
  EXPECT_NE(a.module.find("libc.so"), std::string::npos) << a.module;
  h->Close();
}

TEST(ConfinedSymbolizer, AnswersRoundTripAndAreCleaned) {
  SymbolizedAddress s;
  s.module = "/lib/x.so";
  s.module_offset = 0x1234;
  s.resolved = true;
  s.frames = {{"inlined\x1b[2J\nname", "x.cc", 7}, {"outer", "", 0}};
  absl::StatusOr<SymbolizedAddress> back =
      DecodeSymbolizedAddress(42, EncodeSymbolizedAddress(s));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->address, 42u);
  EXPECT_EQ(back->module_offset, 0x1234u);
  ASSERT_EQ(back->frames.size(), 2u);
  EXPECT_EQ(back->frames[0].function, "inlined?[2J?name");
  EXPECT_EQ(back->frames[0].line, 7);
  EXPECT_FALSE(DecodeSymbolizedAddress(1, {}).ok());
  EXPECT_FALSE(
      DecodeSymbolizedAddress(1, {"m", "short", "1", "f", "", "x"}).ok());
  std::vector<std::string> huge = {"m", EncodeU64(0), "1"};
  for (int i = 0; i < 1000; ++i) {
    huge.insert(huge.end(), {"f", "", EncodeU64(1)});
  }
  EXPECT_FALSE(DecodeSymbolizedAddress(1, huge).ok());
}

}  // namespace
}  // namespace jleak
