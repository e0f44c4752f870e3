// File: elf_symbolizer_test.cc
//
// Tests for ElfSymbolizer on real ELF objects: a Bazel-built test library
// (elf_symbolizer_testlib.cc) is dlopen'ed, /proc/self/maps gives the real
// mapping table, and known functions are symbolized. Redirection, separate
// debug files and every degraded case use copies of that library or
// hand-built mappings.

#include "profile/elf_symbolizer.h"

#include <dlfcn.h>
#include <elf.h>
#include <sys/stat.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bazel/testing/runfiles.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "profile/elf_symbolizer_testlib.h"
#include "profile/proc_maps.h"

namespace jleak {

// Readable gMock failure messages for frames.
void PrintTo(const SourceFrame& f, std::ostream* os) {
  *os << "{" << f.function << " at " << f.file << ":" << f.line << "}";
}

namespace {

using ::jleak::testing::Runfile;

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::StartsWith;

constexpr char kLibName[] = "libjleak_elf_symbolizer_testlib.so";
constexpr char kLibSource[] = "elf_symbolizer_testlib.cc";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

uint64_t Addr(const void* p) { return reinterpret_cast<uintptr_t>(p); }
template <typename F>
uint64_t FnAddr(F* f) {
  return reinterpret_cast<uintptr_t>(f);
}

auto Frame(const std::string& function, const std::string& file_suffix,
           int line) {
  return AllOf(Field(&SourceFrame::function, function),
               Field(&SourceFrame::file, EndsWith(file_suffix)),
               Field(&SourceFrame::line, line));
}

class ElfSymbolizerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    handle_ = dlopen(Runfile(absl::StrCat("profile/", kLibName)).c_str(),
                     RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(handle_, nullptr) << dlerror();
    auto api_fn = reinterpret_cast<const JleakTestlibApi* (*)()>(
        dlsym(handle_, "jleak_testlib_api"));
    ASSERT_NE(api_fn, nullptr) << dlerror();
    api_ = api_fn();
  }

  void SetUp() override {
    ASSERT_NE(api_, nullptr);
    absl::StatusOr<std::vector<Mapping>> maps =
        ParseMaps(ReadFile("/proc/self/maps"), "/proc/self/maps");
    ASSERT_TRUE(maps.ok()) << maps.status();
    maps_ = *std::move(maps);
    const Mapping* m = FindMapping(maps_, FnAddr(api_->leaf_function));
    ASSERT_NE(m, nullptr);
    lib_path_ = m->path;
    ASSERT_THAT(lib_path_, EndsWith(kLibName));
    tmp_ = fs::path(::testing::TempDir()) /
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(tmp_);
    fs::create_directories(tmp_);
  }

  // The real mapping table with the test library's path replaced, as if
  // the profile came from a machine where it lived at `path`.
  std::vector<Mapping> MapsWithLibraryAt(const std::string& path) const {
    std::vector<Mapping> maps = maps_;
    for (Mapping& m : maps) {
      if (m.path == lib_path_) m.path = path;
    }
    return maps;
  }

  // Copies `from` to `to`, creating directories.
  static void Copy(const std::string& from, const fs::path& to) {
    fs::create_directories(to.parent_path());
    fs::copy_file(from, to, fs::copy_options::overwrite_existing);
  }

  static std::string SplitLib() {
    return Runfile(absl::StrCat("profile/elf_symbolizer_testdata/", kLibName));
  }
  static std::string SplitDebug() { return SplitLib() + ".debug"; }

  static inline void* handle_ = nullptr;
  static inline const JleakTestlibApi* api_ = nullptr;
  std::vector<Mapping> maps_;
  std::string lib_path_;
  fs::path tmp_;
};

TEST_F(ElfSymbolizerTest, NamesAFunctionInANamespaceWithFileAndLine) {
  ElfSymbolizer symbolizer(maps_, {});
  const uint64_t leaf = FnAddr(api_->leaf_function);
  SymbolizedAddress s = symbolizer.Symbolize(leaf);
  EXPECT_TRUE(s.resolved);
  EXPECT_EQ(s.address, leaf);
  EXPECT_EQ(s.module, lib_path_);
  const Mapping* m = FindMapping(maps_, leaf);
  EXPECT_EQ(s.module_offset, leaf - m->start + m->offset);
  EXPECT_THAT(s.frames,
              ElementsAre(Frame("jleak_testlib::LeafFunction(int)", kLibSource,
                                jleak_testlib::kLeafEntryLine)));

  // One byte and a few bytes in: still the same function, a real line.
  for (uint64_t a : {leaf + 1, leaf + 4}) {
    SymbolizedAddress inside = symbolizer.Symbolize(a);
    EXPECT_TRUE(inside.resolved);
    ASSERT_THAT(inside.frames, SizeIs(1));
    EXPECT_EQ(inside.frames[0].function, "jleak_testlib::LeafFunction(int)");
    EXPECT_THAT(inside.frames[0].file, EndsWith(kLibSource));
    EXPECT_GE(inside.frames[0].line, jleak_testlib::kLeafEntryLine);
    EXPECT_LE(inside.frames[0].line, jleak_testlib::kLeafEntryLine + 4);
  }
  EXPECT_THAT(symbolizer.Warnings(), IsEmpty());
}

TEST_F(ElfSymbolizerTest, ReturnAddressInInlinedCodeGivesTheInlineChain) {
  ASSERT_EQ(api_->calls_inlined(2), (6 + 1) * 5 + 11);
  const uint64_t ret = Addr(api_->last_return_address());
  ElfSymbolizer symbolizer(maps_, {});
  // As callers of Symbolize do for return addresses: pc - 1 is inside the
  // call instruction, so the call's line and inlining are found.
  SymbolizedAddress s = symbolizer.Symbolize(ret - 1);
  EXPECT_TRUE(s.resolved);
  EXPECT_THAT(s.frames,
              ElementsAre(Frame("jleak_testlib::InlinedHelper(int)", kLibSource,
                                jleak_testlib::kHelperCallLine),
                          Frame("jleak_testlib::CallsInlined(int)", kLibSource,
                                jleak_testlib::kInlineSiteLine)));
}

TEST_F(ElfSymbolizerTest, NamesALocalFunctionFromSymtab) {
  ElfSymbolizer symbolizer(maps_, {});
  SymbolizedAddress s = symbolizer.Symbolize(FnAddr(api_->static_function));
  EXPECT_TRUE(s.resolved);
  ASSERT_THAT(s.frames, SizeIs(1));
  EXPECT_EQ(s.frames[0].function,
            "jleak_testlib::(anonymous namespace)::StaticFunction(int)");
}

TEST_F(ElfSymbolizerTest, OpensEachModuleOnceAndCachesAddresses) {
  ElfSymbolizer symbolizer(maps_, {});
  EXPECT_EQ(symbolizer.ModulesOpened(), 0);  // lazily
  const uint64_t leaf = FnAddr(api_->leaf_function);
  SymbolizedAddress first = symbolizer.Symbolize(leaf);
  symbolizer.Symbolize(FnAddr(api_->calls_inlined));
  symbolizer.Symbolize(FnAddr(api_->static_function));
  SymbolizedAddress again = symbolizer.Symbolize(leaf);
  EXPECT_EQ(symbolizer.ModulesOpened(), 1);
  EXPECT_EQ(again.frames[0].function, first.frames[0].function);
  EXPECT_EQ(again.frames[0].line, first.frames[0].line);
}

TEST_F(ElfSymbolizerTest, NamesComeFromSymbolTablesWithoutReadingDwarf) {
  ElfSymbolizer symbolizer(maps_, {});
  ASSERT_EQ(api_->calls_inlined(2), (6 + 1) * 5 + 11);
  const uint64_t ret = Addr(api_->last_return_address());
  // The name level: the function the code is in, no inlined frame, no
  // line, and no DWARF opened.
  SymbolizedAddress name = symbolizer.SymbolizeName(ret - 1);
  EXPECT_TRUE(name.resolved);
  EXPECT_THAT(name.frames,
              ElementsAre(Frame("jleak_testlib::CallsInlined(int)", "", 0)));
  EXPECT_EQ(symbolizer.DwarfModulesOpened(), 0);
  // The detail level adds the inlined call before it, keeping its name.
  SymbolizedAddress detail = symbolizer.Symbolize(ret - 1);
  ASSERT_THAT(detail.frames, SizeIs(2));
  EXPECT_EQ(detail.frames.back().function, name.frames[0].function);
  EXPECT_EQ(symbolizer.DwarfModulesOpened(), 1);
}

TEST_F(ElfSymbolizerTest, NoLinesNeverReadsDwarf) {
  ElfSymbolizerOptions options;
  options.read_dwarf = false;
  ElfSymbolizer symbolizer(maps_, options);
  EXPECT_THAT(symbolizer.Symbolize(FnAddr(api_->leaf_function)).frames,
              ElementsAre(Frame("jleak_testlib::LeafFunction(int)", "", 0)));
  EXPECT_EQ(symbolizer.DwarfModulesOpened(), 0);
}

TEST_F(ElfSymbolizerTest, SetMappingsKeepsTheModulesRead) {
  ElfSymbolizer symbolizer(maps_, {});
  const uint64_t leaf = FnAddr(api_->leaf_function);
  EXPECT_EQ(symbolizer.SymbolizeName(leaf).frames[0].function,
            "jleak_testlib::LeafFunction(int)");
  // The same library mapped 1 MiB higher in another process.
  std::vector<Mapping> moved = maps_;
  for (Mapping& m : moved) {
    if (m.path == lib_path_) {
      m.start += 1 << 20;
      m.limit += 1 << 20;
    }
  }
  symbolizer.SetMappings(moved);
  EXPECT_EQ(symbolizer.SymbolizeName(leaf + (1 << 20)).frames[0].function,
            "jleak_testlib::LeafFunction(int)");
  EXPECT_EQ(symbolizer.ModulesOpened(), 1);
}

TEST_F(ElfSymbolizerTest, NamesJitAddressesFromThePerfMap) {
  // The JVM's code cache: an anonymous executable mapping.
  std::vector<Mapping> maps = maps_;
  Mapping code_cache;
  code_cache.start = 0x10000000;
  code_cache.limit = 0x10100000;
  code_cache.perms = "rwxp";
  code_cache.device = "00:00";
  maps.push_back(code_cache);
  const std::string perf_map = (tmp_ / "perf-4242.map").string();
  {
    std::ofstream out(perf_map);
    out << "0x0000000010001000 0x0000000000000100 long Leaker.leak(int)\n"
           "10002000 80 Interpreter\n"
           "garbage line\n";
  }
  ElfSymbolizerOptions options;
  options.perf_map_path = perf_map;
  ElfSymbolizer symbolizer(maps, options);

  SymbolizedAddress s = symbolizer.Symbolize(0x10001010);
  EXPECT_TRUE(s.resolved);
  EXPECT_EQ(s.module, "[jit]");
  EXPECT_EQ(s.module_offset, 0x10u);
  EXPECT_THAT(s.frames, ElementsAre(Frame("long Leaker.leak(int)", "", 0)));
  EXPECT_EQ(symbolizer.Symbolize(0x1000207f).frames[0].function, "Interpreter");

  // In the code cache but not in the map, and outside every mapping.
  SymbolizedAddress unknown = symbolizer.Symbolize(0x10009000);
  EXPECT_FALSE(unknown.resolved);
  EXPECT_EQ(unknown.frames[0].function, "0x10009000");
  EXPECT_EQ(symbolizer.Symbolize(0x10).frames[0].function, "0x10");
  EXPECT_FALSE(symbolizer.Symbolize(0x10).resolved);

  // ELF frames still come from the ELF.
  EXPECT_EQ(
      symbolizer.Symbolize(FnAddr(api_->leaf_function)).frames[0].function,
      "jleak_testlib::LeafFunction(int)");
  EXPECT_THAT(symbolizer.Warnings(),
              ElementsAre(AllOf(HasSubstr("1 bad line(s) skipped"),
                                HasSubstr("perf-4242.map:3:"))));
}

TEST_F(ElfSymbolizerTest, PseudoMappingsAreNamedByModuleAndOffset) {
  Mapping vdso;
  vdso.start = 0x7fff0000;
  vdso.limit = 0x7fff2000;
  vdso.perms = "r-xp";
  vdso.path = "[vdso]";
  ElfSymbolizer symbolizer({vdso}, {});
  SymbolizedAddress s = symbolizer.Symbolize(0x7fff0110);
  EXPECT_FALSE(s.resolved);
  EXPECT_EQ(s.module, "[vdso]");
  EXPECT_EQ(s.frames[0].function, "[vdso]+0x110");
  EXPECT_EQ(symbolizer.ModulesOpened(), 0);
  EXPECT_THAT(symbolizer.Warnings(), IsEmpty());
}

TEST_F(ElfSymbolizerTest, MissingPerfMapIsAWarning) {
  ElfSymbolizerOptions options;
  options.perf_map_path = (tmp_ / "perf-1.map").string();
  ElfSymbolizer symbolizer(maps_, options);
  EXPECT_THAT(symbolizer.Warnings(),
              ElementsAre(AllOf(HasSubstr("perf map not used"),
                                HasSubstr("perf-1.map"))));
}

TEST_F(ElfSymbolizerTest, BinaryDirsFindACopyByBasename) {
  const std::string prod_path = absl::StrCat("/prod/app/lib/", kLibName);
  Copy(lib_path_, tmp_ / "bin" / kLibName);
  ElfSymbolizerOptions options;
  options.binary_dirs = {(tmp_ / "empty").string(), (tmp_ / "bin").string()};
  ElfSymbolizer symbolizer(MapsWithLibraryAt(prod_path), options);
  SymbolizedAddress s = symbolizer.Symbolize(FnAddr(api_->leaf_function));
  EXPECT_TRUE(s.resolved);
  EXPECT_EQ(s.module, prod_path);  // reported as mapped, read from the copy
  EXPECT_EQ(s.frames[0].function, "jleak_testlib::LeafFunction(int)");
  EXPECT_THAT(symbolizer.Warnings(), IsEmpty());
}

TEST_F(ElfSymbolizerTest, SysrootIsPrependedAndTheHostPathNotUsed) {
  Copy(lib_path_, fs::path(tmp_.string() + lib_path_));
  ElfSymbolizerOptions options;
  options.sysroot = tmp_.string();
  {
    ElfSymbolizer symbolizer(maps_, options);
    SymbolizedAddress s = symbolizer.Symbolize(FnAddr(api_->leaf_function));
    EXPECT_TRUE(s.resolved);
    EXPECT_EQ(s.frames[0].function, "jleak_testlib::LeafFunction(int)");
  }
  // An empty sysroot: the library exists on the host, but is not read.
  options.sysroot = (tmp_ / "empty-root").string();
  ElfSymbolizer symbolizer(maps_, options);
  SymbolizedAddress s = symbolizer.Symbolize(FnAddr(api_->leaf_function));
  EXPECT_FALSE(s.resolved);
  EXPECT_THAT(s.frames[0].function, StartsWith(absl::StrCat(kLibName, "+0x")));
}

TEST_F(ElfSymbolizerTest, MissingModuleDegradesToModulePlusOffsetOnce) {
  Mapping m;
  m.start = 0x10000;
  m.limit = 0x20000;
  m.offset = 0x1000;
  m.perms = "r-xp";
  m.device = "fe:01";
  m.inode = 7;
  m.path = "/nonexistent/lib/libfoo.so";
  ElfSymbolizer symbolizer({m}, {});
  SymbolizedAddress s = symbolizer.Symbolize(0x10234);
  EXPECT_FALSE(s.resolved);
  EXPECT_EQ(s.module, "/nonexistent/lib/libfoo.so");
  EXPECT_EQ(s.module_offset, 0x1234u);
  EXPECT_THAT(s.frames, ElementsAre(Frame("libfoo.so+0x1234", "", 0)));
  EXPECT_EQ(symbolizer.Symbolize(0x10300).frames[0].function,
            "libfoo.so+0x1300");
  EXPECT_THAT(symbolizer.Warnings(),
              ElementsAre(AllOf(StartsWith("libfoo.so: not symbolized"),
                                HasSubstr("No such file"))));
}

TEST_F(ElfSymbolizerTest, NonElfFileDegradesWithAWarning) {
  const fs::path fake = tmp_ / "libnotelf.so";
  {
    std::ofstream out(fake);
    out << "this is not an ELF file\n";
  }
  Mapping m;
  m.start = 0x7000000;
  m.limit = 0x7001000;
  m.perms = "r-xp";
  m.path = fake.string();
  ElfSymbolizer symbolizer({m}, {});
  SymbolizedAddress s = symbolizer.Symbolize(0x7000010);
  EXPECT_FALSE(s.resolved);
  EXPECT_EQ(s.frames[0].function, "libnotelf.so+0x10");
  EXPECT_THAT(symbolizer.Warnings(),
              ElementsAre(HasSubstr("not a usable ELF file")));
}

TEST_F(ElfSymbolizerTest, OtherArchitectureDegradesWithAWarning) {
  // The same library claiming to be for AArch64.
  const fs::path foreign = tmp_ / kLibName;
  Copy(lib_path_, foreign);
  {
    std::fstream f(foreign, std::ios::in | std::ios::out | std::ios::binary);
    const uint16_t machine = EM_AARCH64;
    f.seekp(offsetof(Elf64_Ehdr, e_machine));
    f.write(reinterpret_cast<const char*>(&machine), sizeof(machine));
  }
  ElfSymbolizer symbolizer(MapsWithLibraryAt(foreign.string()), {});
  SymbolizedAddress s = symbolizer.Symbolize(FnAddr(api_->leaf_function));
  EXPECT_FALSE(s.resolved);
  EXPECT_THAT(s.frames[0].function, StartsWith(absl::StrCat(kLibName, "+0x")));
  EXPECT_THAT(symbolizer.Warnings(),
              ElementsAre(HasSubstr("another architecture")));
}

TEST_F(ElfSymbolizerTest, BuildIdMismatchIsReportedAndTheFileNotTrusted) {
  absl::StatusOr<std::string> id = ReadElfBuildId(lib_path_);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->size(), 40u);  // sha1, as linked
  ElfSymbolizerOptions options;
  options.expected_build_ids[lib_path_] =
      "00112233445566778899aabbccddeeff00112233";
  {
    ElfSymbolizer symbolizer(maps_, options);
    SymbolizedAddress s = symbolizer.Symbolize(FnAddr(api_->leaf_function));
    EXPECT_FALSE(s.resolved);
    EXPECT_THAT(s.frames[0].function,
                StartsWith(absl::StrCat(kLibName, "+0x")));
    EXPECT_THAT(
        symbolizer.Warnings(),
        ElementsAre(AllOf(HasSubstr(*id),
                          HasSubstr("00112233445566778899aabbccddeeff00112233"),
                          HasSubstr("differs"))));
  }
  // The right id: used, nothing to say.
  options.expected_build_ids[lib_path_] = *id;
  ElfSymbolizer symbolizer(maps_, options);
  EXPECT_TRUE(symbolizer.Symbolize(FnAddr(api_->leaf_function)).resolved);
  EXPECT_THAT(symbolizer.Warnings(), IsEmpty());
}

TEST_F(ElfSymbolizerTest, BuildIdPicksTheMatchingCandidate) {
  // A stale copy in the first binary dir, the right one in the second.
  std::string stale = ReadFile(lib_path_);
  const fs::path stale_dir = tmp_ / "stale";
  Copy(SplitLib(), stale_dir / kLibName);  // same build-id: stripped copy
  absl::StatusOr<std::string> id = ReadElfBuildId(lib_path_);
  ASSERT_TRUE(id.ok());
  absl::StatusOr<std::string> stripped_id =
      ReadElfBuildId((stale_dir / kLibName).string());
  ASSERT_TRUE(stripped_id.ok());
  EXPECT_EQ(*stripped_id, *id);  // objcopy keeps the build-id note

  Copy("/proc/self/exe", tmp_ / "other" / kLibName);  // a different ELF
  Copy(lib_path_, tmp_ / "good" / kLibName);
  ElfSymbolizerOptions options;
  options.binary_dirs = {(tmp_ / "other").string(), (tmp_ / "good").string()};
  options.expected_build_ids[lib_path_] = *id;
  ElfSymbolizer symbolizer(maps_, options);
  SymbolizedAddress s = symbolizer.Symbolize(FnAddr(api_->leaf_function));
  EXPECT_TRUE(s.resolved);
  EXPECT_EQ(s.frames[0].function, "jleak_testlib::LeafFunction(int)");
}

TEST_F(ElfSymbolizerTest, StrippedWithoutDebugInfoUsesDynsymAndWarns) {
  // The stripped copy alone: no .symtab, no DWARF, no debug file beside it.
  Copy(SplitLib(), tmp_ / "bin" / kLibName);
  ElfSymbolizerOptions options;
  options.binary_dirs = {(tmp_ / "bin").string()};
  options.debug_dirs = {(tmp_ / "no-debug").string()};
  ElfSymbolizer symbolizer(maps_, options);
  // Exported: still named, from .dynsym, without a line.
  SymbolizedAddress leaf = symbolizer.Symbolize(FnAddr(api_->leaf_function));
  EXPECT_TRUE(leaf.resolved);
  EXPECT_THAT(leaf.frames,
              ElementsAre(Frame("jleak_testlib::LeafFunction(int)", "", 0)));
  // Local: not in .dynsym, and not misnamed after a neighbour either.
  SymbolizedAddress local = symbolizer.Symbolize(FnAddr(api_->static_function));
  EXPECT_FALSE(local.resolved);
  EXPECT_THAT(local.frames[0].function,
              StartsWith(absl::StrCat(kLibName, "+0x")));
  symbolizer.Symbolize(FnAddr(api_->static_function) + 2);
  EXPECT_THAT(symbolizer.Warnings(), ElementsAre(HasSubstr("stripped")));
}

TEST_F(ElfSymbolizerTest, FindsSeparateDebugInfoByGnuDebuglink) {
  Copy(SplitLib(), tmp_ / "bin" / kLibName);
  Copy(SplitDebug(), tmp_ / "bin" / absl::StrCat(kLibName, ".debug"));
  ElfSymbolizerOptions options;
  options.binary_dirs = {(tmp_ / "bin").string()};
  options.debug_dirs = {};
  ElfSymbolizer symbolizer(maps_, options);
  SymbolizedAddress local = symbolizer.Symbolize(FnAddr(api_->static_function));
  EXPECT_TRUE(local.resolved);
  EXPECT_EQ(local.frames[0].function,
            "jleak_testlib::(anonymous namespace)::StaticFunction(int)");
  EXPECT_THAT(local.frames[0].file, EndsWith(kLibSource));
  EXPECT_THAT(symbolizer.Symbolize(FnAddr(api_->leaf_function)).frames,
              ElementsAre(Frame("jleak_testlib::LeafFunction(int)", kLibSource,
                                jleak_testlib::kLeafEntryLine)));
  EXPECT_THAT(symbolizer.Warnings(), IsEmpty());
}

TEST_F(ElfSymbolizerTest, FindsSeparateDebugInfoByBuildIdUnderSysroot) {
  absl::StatusOr<std::string> id = ReadElfBuildId(SplitLib());
  ASSERT_TRUE(id.ok()) << id.status();
  const fs::path root = tmp_ / "root";
  Copy(SplitLib(), fs::path(root.string() + lib_path_));
  Copy(SplitDebug(), root / "usr/lib/debug/.build-id" / id->substr(0, 2) /
                         absl::StrCat(id->substr(2), ".debug"));
  ElfSymbolizerOptions options;
  options.sysroot = root.string();  // debug_dirs default: /usr/lib/debug
  ElfSymbolizer symbolizer(maps_, options);
  ASSERT_TRUE(api_->calls_inlined(3));
  SymbolizedAddress s =
      symbolizer.Symbolize(Addr(api_->last_return_address()) - 1);
  EXPECT_TRUE(s.resolved);
  EXPECT_THAT(s.frames,
              ElementsAre(Frame("jleak_testlib::InlinedHelper(int)", kLibSource,
                                jleak_testlib::kHelperCallLine),
                          Frame("jleak_testlib::CallsInlined(int)", kLibSource,
                                jleak_testlib::kInlineSiteLine)));
  EXPECT_THAT(symbolizer.Warnings(), IsEmpty());
}

TEST_F(ElfSymbolizerTest, DeletedSuffixIsIgnoredWhenLookingForTheFile) {
  ElfSymbolizer symbolizer(MapsWithLibraryAt(lib_path_ + " (deleted)"), {});
  SymbolizedAddress s = symbolizer.Symbolize(FnAddr(api_->leaf_function));
  EXPECT_TRUE(s.resolved);
  EXPECT_EQ(s.module, lib_path_);
}

TEST(ReadElfBuildIdTest, ExplainsFailures) {
  EXPECT_EQ(ReadElfBuildId("/nonexistent/x.so").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(ReadElfBuildId("/proc/self/maps").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(DemangleTest, DemanglesCxxAndLeavesOtherNames) {
  EXPECT_EQ(Demangle("_ZN13jleak_testlib12LeafFunctionEi"),
            "jleak_testlib::LeafFunction(int)");
  EXPECT_EQ(Demangle("deflateInit2_"), "deflateInit2_");
  EXPECT_EQ(Demangle("_Znot_valid"), "_Znot_valid");
  EXPECT_EQ(Demangle(""), "");
}

}  // namespace
}  // namespace jleak
