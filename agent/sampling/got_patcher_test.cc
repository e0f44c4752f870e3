// File: got_patcher_test.cc
//
// GOT rewriting: the relocation reader on made-up objects (every bound an
// odd or corrupt object can break is checked: it is skipped, never read out
// of bounds) and on the real test libraries (lazy and BIND_NOW); then
// Patch, repair and Restore in this process with counting replacements.
// This test binary holds the replacements, so it is itself never patched:
// only the dlopen'ed libraries are.

#include "agent/sampling/got_patcher.h"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <malloc.h>
#include <stdlib.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "bazel/testing/runfiles.h"
#include "gtest/gtest.h"

namespace jleak::agent::sampling {
namespace {

using ::jleak::testing::Runfile;

// ------------------------------------------------------------ made up

// A fake object in one buffer: dynamic section at 0, symbols at 512,
// strings at 640, relocations at 768, slots at 1024. With bias 0 every
// d_ptr and r_offset is an absolute address; with bias = the buffer they
// are offsets (both forms occur in real processes).
struct FakeObject {
  alignas(4096) unsigned char mem[4096] = {};
  ElfW(Phdr) phdr[3] = {};
  uint16_t phnum = 2;
  bool relative = false;

  uintptr_t base() const { return reinterpret_cast<uintptr_t>(mem); }
  uintptr_t Ptr(size_t offset) const {
    return relative ? offset : base() + offset;
  }
  ElfW(Dyn) * dyn() { return reinterpret_cast<ElfW(Dyn)*>(mem); }
  ElfW(Sym) * sym() { return reinterpret_cast<ElfW(Sym)*>(mem + 512); }
  ElfW(Rela) * rela() { return reinterpret_cast<ElfW(Rela)*>(mem + 768); }
  uintptr_t slot(int i) const { return base() + 1024 + 8 * i; }

  explicit FakeObject(bool rel = false) : relative(rel) {
    static const char kStrings[] = "\0malloc\0free\0calloc";
    memcpy(mem + 640, kStrings, sizeof(kStrings));
    sym()[1].st_name = 1;   // malloc, undefined
    sym()[2].st_name = 8;   // free, undefined
    sym()[3].st_name = 13;  // calloc, defined here: not an import
    sym()[3].st_shndx = 5;
    rela()[0] = {Ptr(1024), ELF64_R_INFO(1, R_X86_64_JUMP_SLOT), 0};
    rela()[1] = {Ptr(1032), ELF64_R_INFO(2, R_X86_64_GLOB_DAT), 0};
    rela()[2] = {Ptr(1040), ELF64_R_INFO(3, R_X86_64_GLOB_DAT), 0};
    SetDynamic({{DT_SYMTAB, Ptr(512)},
                {DT_STRTAB, Ptr(640)},
                {DT_STRSZ, sizeof(kStrings)},
                {DT_SYMENT, sizeof(ElfW(Sym))},
                {DT_JMPREL, Ptr(768)},
                {DT_PLTRELSZ, sizeof(ElfW(Rela))},
                {DT_PLTREL, DT_RELA},
                {DT_RELA, Ptr(768 + sizeof(ElfW(Rela)))},
                {DT_RELASZ, 2 * sizeof(ElfW(Rela))},
                {DT_RELAENT, sizeof(ElfW(Rela))}});
    phdr[0].p_type = PT_LOAD;
    phdr[0].p_flags = PF_R | PF_W;
    phdr[0].p_vaddr = Ptr(0);
    phdr[0].p_memsz = sizeof(mem);
    phdr[1].p_type = PT_DYNAMIC;
    phdr[1].p_vaddr = Ptr(0);
    phdr[1].p_memsz = 16 * sizeof(ElfW(Dyn));
  }

  void SetDynamic(std::vector<std::pair<int64_t, uintptr_t>> entries) {
    memset(mem, 0, 16 * sizeof(ElfW(Dyn)));
    for (size_t i = 0; i < entries.size(); ++i) {
      dyn()[i].d_tag = entries[i].first;
      dyn()[i].d_un.d_val = entries[i].second;
    }
  }
  void SetTag(int64_t tag, uintptr_t value) {
    for (int i = 0; i < 16; ++i) {
      if (dyn()[i].d_tag == tag) dyn()[i].d_un.d_val = value;
    }
  }

  ObjectView view() const { return {relative ? base() : 0, phdr, phnum}; }
};

const char* const kNames[] = {"malloc", "free", "calloc"};

struct Found {
  std::vector<ImportSlot> slots;
};

ObjectCheck Scan(const FakeObject& o, Found* found) {
  return ForEachImportSlot(
      o.view(), kNames, 3,
      [](const ImportSlot& s, void* f) {
        static_cast<Found*>(f)->slots.push_back(s);
      },
      found);
}

TEST(ForEachImportSlot, WellFormedObjectAbsoluteAndRelative) {
  for (bool relative : {false, true}) {
    FakeObject o(relative);
    Found f;
    ASSERT_EQ(Scan(o, &f), ObjectCheck::kOk) << relative;
    ASSERT_EQ(f.slots.size(), 2u) << relative;  // calloc is defined here
    EXPECT_EQ(f.slots[0].address, o.slot(0));
    EXPECT_EQ(f.slots[0].name_index, 0u);
    EXPECT_EQ(f.slots[0].type, uint32_t{R_X86_64_JUMP_SLOT});
    EXPECT_EQ(f.slots[1].address, o.slot(1));
    EXPECT_EQ(f.slots[1].name_index, 1u);
    EXPECT_EQ(f.slots[1].type, uint32_t{R_X86_64_GLOB_DAT});
    EXPECT_FALSE(f.slots[0].relro);
  }
}

TEST(ForEachImportSlot, RelroSlotsAreMarked) {
  FakeObject o;
  o.phdr[2].p_type = PT_GNU_RELRO;
  o.phdr[2].p_vaddr = o.base();
  o.phdr[2].p_memsz = 4096;
  o.phnum = 3;
  Found f;
  ASSERT_EQ(Scan(o, &f), ObjectCheck::kOk);
  ASSERT_EQ(f.slots.size(), 2u);
  EXPECT_TRUE(f.slots[0].relro);
}

TEST(ForEachImportSlot, OutOfBoundsTablesMakeTheObjectMalformed) {
  struct Case {
    const char* what;
    void (*corrupt)(FakeObject*);
  };
  const Case cases[] = {
      {"huge DT_PLTRELSZ",
       [](FakeObject* o) { o->SetTag(DT_PLTRELSZ, uintptr_t{1} << 40); }},
      {"DT_PLTRELSZ not a multiple of an entry",
       [](FakeObject* o) { o->SetTag(DT_PLTRELSZ, 25); }},
      {"relocations past the segment",
       [](FakeObject* o) { o->SetTag(DT_RELASZ, 200 * sizeof(ElfW(Rela))); }},
      {"symbol table outside",
       [](FakeObject* o) { o->SetTag(DT_SYMTAB, 0x10); }},
      {"string table outside",
       [](FakeObject* o) { o->SetTag(DT_STRTAB, ~uintptr_t{0} - 4); }},
      {"string table size past the segment",
       [](FakeObject* o) { o->SetTag(DT_STRSZ, 1 << 20); }},
      {"odd symbol entry size",
       [](FakeObject* o) { o->SetTag(DT_SYMENT, 16); }},
      {"odd relocation entry size",
       [](FakeObject* o) { o->SetTag(DT_RELAENT, 16); }},
      {"DT_REL PLT relocations",
       [](FakeObject* o) { o->SetTag(DT_PLTREL, DT_REL); }},
      {"dynamic section outside the segments",
       [](FakeObject* o) { o->phdr[1].p_vaddr = 0x1000; }},
      {"dynamic section wrapping around",
       [](FakeObject* o) { o->phdr[1].p_memsz = ~uintptr_t{0}; }},
      {"no program headers", [](FakeObject* o) { o->phnum = 0; }},
      {"too many program headers", [](FakeObject* o) { o->phnum = 60000; }},
  };
  for (const Case& c : cases) {
    FakeObject o;
    c.corrupt(&o);
    Found f;
    EXPECT_EQ(Scan(o, &f), ObjectCheck::kMalformed) << c.what;
    EXPECT_TRUE(f.slots.empty()) << c.what;
  }
}

TEST(ForEachImportSlot, BadEntriesAreSkippedOneByOne) {
  struct Case {
    const char* what;
    void (*corrupt)(FakeObject*);
    size_t slots_left;
  };
  const Case cases[] = {
      {"symbol index past the segment",
       [](FakeObject* o) {
         o->rela()[0].r_info = ELF64_R_INFO(1u << 30, R_X86_64_JUMP_SLOT);
       },
       1},
      {"name offset past DT_STRSZ",
       [](FakeObject* o) { o->sym()[1].st_name = 500; }, 1},
      {"name not terminated inside DT_STRSZ",
       [](FakeObject* o) { o->SetTag(DT_STRSZ, 4); }, 0},
      {"slot outside the object",
       [](FakeObject* o) { o->rela()[0].r_offset = 0x10; }, 1},
      {"slot misaligned", [](FakeObject* o) { o->rela()[0].r_offset += 4; }, 1},
      {"slot in a read-only segment",
       [](FakeObject* o) { o->phdr[0].p_flags = PF_R; }, 0},
      {"another relocation type",
       [](FakeObject* o) {
         o->rela()[0].r_info = ELF64_R_INFO(1, R_X86_64_RELATIVE);
       },
       1},
      {"R_X86_64_64 with an addend",
       [](FakeObject* o) {
         o->rela()[1].r_info = ELF64_R_INFO(2, R_X86_64_64);
         o->rela()[1].r_addend = 8;
       },
       1},
      {"symbol 0",
       [](FakeObject* o) { o->rela()[0].r_info = ELF64_R_INFO(0, 7); }, 1},
  };
  for (const Case& c : cases) {
    FakeObject o;
    c.corrupt(&o);
    Found f;
    EXPECT_EQ(Scan(o, &f), ObjectCheck::kOk) << c.what;
    EXPECT_EQ(f.slots.size(), c.slots_left) << c.what;
  }
}

TEST(ForEachImportSlot, NoDynamicNoTerminatorNoRelocations) {
  FakeObject o;
  o.phdr[1].p_type = PT_NOTE;
  Found f;
  EXPECT_EQ(Scan(o, &f), ObjectCheck::kNoDynamic);

  // A dynamic section without DT_NULL: read up to its size only.
  FakeObject full;
  for (int i = 10; i < 16; ++i) full.dyn()[i] = {DT_DEBUG, {0}};
  EXPECT_EQ(Scan(full, &f), ObjectCheck::kOk);
  EXPECT_EQ(f.slots.size(), 2u);

  FakeObject none;
  none.SetDynamic({{DT_SYMTAB, none.Ptr(512)}});
  Found g;
  EXPECT_EQ(Scan(none, &g), ObjectCheck::kOk);
  EXPECT_TRUE(g.slots.empty());
}

// ------------------------------------------------------------ real

void* Open(const char* name, int mode) {
  void* h =
      dlopen(Runfile(std::string("agent/sampling/") + name).c_str(), mode);
  EXPECT_NE(h, nullptr) << dlerror();
  return h;
}

template <typename F>
F Sym(void* lib, const char* name) {
  return reinterpret_cast<F>(dlsym(lib, name));
}

std::atomic<int> g_mallocs{0};
std::atomic<int> g_frees{0};
std::atomic<int> g_others{0};

void* CountingMalloc(size_t n) {
  ++g_mallocs;
  return malloc(n);
}
void CountingFree(void* p) {
  ++g_frees;
  free(p);
}
void* CountingCalloc(size_t c, size_t n) {
  ++g_others;
  return calloc(c, n);
}
void* CountingRealloc(void* p, size_t n) {
  ++g_others;
  return realloc(p, n);
}
int CountingPosixMemalign(void** p, size_t a, size_t n) {
  ++g_others;
  return posix_memalign(p, a, n);
}
void* CountingAlignedAlloc(size_t a, size_t n) {
  ++g_others;
  return aligned_alloc(a, n);
}
void* CountingMemalign(size_t a, size_t n) {
  ++g_others;
  return memalign(a, n);
}

const GotHook kHooks[] = {
    {"malloc", reinterpret_cast<void*>(&CountingMalloc)},
    {"free", reinterpret_cast<void*>(&CountingFree)},
    {"calloc", reinterpret_cast<void*>(&CountingCalloc)},
    {"realloc", reinterpret_cast<void*>(&CountingRealloc)},
    {"posix_memalign", reinterpret_cast<void*>(&CountingPosixMemalign)},
    {"aligned_alloc", reinterpret_cast<void*>(&CountingAlignedAlloc)},
    {"memalign", reinterpret_cast<void*>(&CountingMemalign)},
};

GotPatcher& Patcher() {
  static GotPatcher* patcher = new GotPatcher(kHooks, 7);
  return *patcher;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::map<uintptr_t, SlotInfo> SlotsOf(const std::string& suffix) {
  std::map<uintptr_t, SlotInfo> out;
  for (SlotInfo& s : Patcher().ListSlots()) {
    if (EndsWith(s.object, suffix)) out[s.address] = s;
  }
  return out;
}

class GotPatcherTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    lazy_ = Open("libsampling_testlib_lazy.so", RTLD_LAZY);
    now_ = Open("libsampling_testlib_now.so", RTLD_NOW);
  }
  void TearDown() override { Patcher().Restore(); }
  static void* lazy_;
  static void* now_;
};
void* GotPatcherTest::lazy_ = nullptr;
void* GotPatcherTest::now_ = nullptr;

TEST_F(GotPatcherTest, FindsTheSlotsOfBothBindings) {
  const auto lazy = SlotsOf("libsampling_testlib_lazy.so");
  const auto now = SlotsOf("libsampling_testlib_now.so");
  std::map<std::string, std::set<uint32_t>> lazy_types, now_types;
  for (const auto& [a, s] : lazy) lazy_types[s.function].insert(s.type);
  for (const auto& [a, s] : now) {
    now_types[s.function].insert(s.type);
    EXPECT_TRUE(s.relro) << s.function;  // full RELRO: all read-only
  }
  EXPECT_EQ(lazy_types["malloc"], (std::set<uint32_t>{R_X86_64_GLOB_DAT}));
  EXPECT_EQ(lazy_types["free"],
            (std::set<uint32_t>{R_X86_64_JUMP_SLOT, R_X86_64_64}));
  EXPECT_EQ(lazy_types["calloc"], (std::set<uint32_t>{R_X86_64_JUMP_SLOT}));
  EXPECT_EQ(now_types["malloc"], (std::set<uint32_t>{R_X86_64_GLOB_DAT}));
  EXPECT_EQ(now_types["free"],
            (std::set<uint32_t>{R_X86_64_GLOB_DAT, R_X86_64_64}));
  EXPECT_EQ(now_types.size(), 7u);
  for (const auto& [a, s] : lazy) {
    // JUMP_SLOTs sit in the writable .got.plt, the rest in RELRO.
    EXPECT_EQ(s.relro, s.type != R_X86_64_JUMP_SLOT) << s.function;
  }
}

TEST_F(GotPatcherTest, ExcludesLibcLoaderVdsoAndSelf) {
  for (const SlotInfo& s : Patcher().ListSlots()) {
    EXPECT_EQ(s.object.find("libc.so"), std::string::npos);
    EXPECT_EQ(s.object.find("ld-linux"), std::string::npos);
    EXPECT_EQ(s.object.find("vdso"), std::string::npos);
    EXPECT_FALSE(s.object.empty()) << "the test binary holds the hooks";
  }
}

TEST_F(GotPatcherTest, PatchRoutesCallsAndRestorePutsEverySlotBack) {
  const auto before_lazy = SlotsOf("libsampling_testlib_lazy.so");
  const auto before_now = SlotsOf("libsampling_testlib_now.so");
  auto tl_malloc = Sym<void* (*)(size_t)>(lazy_, "tl_malloc");
  auto tl_free = Sym<void (*)(void*)>(lazy_, "tl_free");
  auto now_malloc = Sym<void* (*)(size_t)>(now_, "tl_malloc");
  auto now_free_ptr = Sym<void (*)(void*)>(now_, "tl_free_via_pointer");
  auto now_calloc = Sym<void* (*)(size_t, size_t)>(now_, "tl_calloc");
  auto now_malloc_address = Sym<void* (*)()>(now_, "tl_malloc_address");
  void* const real_malloc = now_malloc_address();

  EXPECT_GT(Patcher().Patch(), 0);
  for (const auto* slots : {&before_lazy, &before_now}) {
    for (const auto& [address, s] : *slots) {
      EXPECT_EQ(*reinterpret_cast<uintptr_t*>(address),
                reinterpret_cast<uintptr_t>(
                    Patcher().ReplacementFor(s.function.c_str())))
          << s.object << " " << s.function;
    }
  }
  const int mallocs = g_mallocs, frees = g_frees, others = g_others;
  tl_free(tl_malloc(10));
  now_free_ptr(now_malloc(20));
  tl_free(now_calloc(2, 8));
  EXPECT_EQ(g_mallocs - mallocs, 2);
  EXPECT_EQ(g_frees - frees, 3);
  EXPECT_EQ(g_others - others, 1);
  EXPECT_EQ(now_malloc_address(), reinterpret_cast<void*>(&CountingMalloc));

  // A second Patch finds nothing to do.
  EXPECT_EQ(Patcher().Patch(), 0);

  EXPECT_GT(Patcher().Restore(), 0);
  for (const auto* slots : {&before_lazy, &before_now}) {
    for (const auto& [address, s] : *slots) {
      EXPECT_EQ(*reinterpret_cast<uintptr_t*>(address), s.value)
          << s.object << " " << s.function;
    }
  }
  EXPECT_EQ(now_malloc_address(), real_malloc);
  const int mallocs_after = g_mallocs;
  tl_free(tl_malloc(10));
  EXPECT_EQ(g_mallocs, mallocs_after);
  const PatcherStats st = Patcher().Stats();
  EXPECT_EQ(st.slots_tracked, 0u);
  EXPECT_EQ(st.mprotect_failures, 0u);
}

TEST_F(GotPatcherTest, RelroPagesAreReadOnlyAgain) {
  Patcher().Patch();
  // Find a RELRO slot of the BIND_NOW library and its mapping's permissions.
  for (const auto& [address, s] : SlotsOf("libsampling_testlib_now.so")) {
    ASSERT_TRUE(s.relro);
    FILE* maps = fopen("/proc/self/maps", "r");
    ASSERT_NE(maps, nullptr);
    char line[512];
    bool found = false;
    while (fgets(line, sizeof(line), maps) != nullptr) {
      uintptr_t lo = 0, hi = 0;
      char perms[5] = {};
      if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3 && address >= lo &&
          address < hi) {
        EXPECT_STREQ(perms, "r--p") << line;
        found = true;
      }
    }
    fclose(maps);
    EXPECT_TRUE(found);
    break;
  }
}

TEST_F(GotPatcherTest, RepairsASlotThatLostItsReplacement) {
  ASSERT_GT(Patcher().Patch(), 0);
  // As glibc's lazy resolver would: a writable JUMP_SLOT gets the real
  // function back.
  const auto lazy = SlotsOf("libsampling_testlib_lazy.so");
  uintptr_t victim = 0;
  for (const auto& [address, s] : lazy) {
    if (s.type == R_X86_64_JUMP_SLOT && s.function == "free") victim = address;
  }
  ASSERT_NE(victim, 0u);
  *reinterpret_cast<uintptr_t*>(victim) = reinterpret_cast<uintptr_t>(&free);
  const uint64_t repaired = Patcher().Stats().slots_repaired;
  EXPECT_EQ(Patcher().Patch(), 1);
  EXPECT_EQ(Patcher().Stats().slots_repaired, repaired + 1);
  EXPECT_EQ(*reinterpret_cast<uintptr_t*>(victim),
            reinterpret_cast<uintptr_t>(&CountingFree));
  Patcher().Restore();
  // Restored to what it held when repaired: the real free.
  EXPECT_EQ(*reinterpret_cast<uintptr_t*>(victim),
            reinterpret_cast<uintptr_t>(&free));
}

TEST_F(GotPatcherTest, ForeignSlotIsLeftAlone) {
  ASSERT_GT(Patcher().Patch(), 0);
  uintptr_t victim = 0;
  for (const auto& [address, s] : SlotsOf("libsampling_testlib_lazy.so")) {
    if (s.type == R_X86_64_JUMP_SLOT && s.function == "calloc")
      victim = address;
  }
  ASSERT_NE(victim, 0u);
  // Another tool patched over ours.
  const uintptr_t other = reinterpret_cast<uintptr_t>(&CountingMalloc);
  *reinterpret_cast<uintptr_t*>(victim) = other;
  const uint64_t foreign = Patcher().Stats().slots_foreign;
  Patcher().Restore();
  EXPECT_EQ(*reinterpret_cast<uintptr_t*>(victim), other);
  EXPECT_EQ(Patcher().Stats().slots_foreign, foreign + 1);
  *reinterpret_cast<uintptr_t*>(victim) = reinterpret_cast<uintptr_t>(&calloc);
}

TEST_F(GotPatcherTest, UnloadedLibraryIsNeverWritten) {
  void* bare = Open("sampling_testlibs/libsampling_testlib_bare.so", RTLD_NOW);
  ASSERT_NE(bare, nullptr);
  Patcher().Patch();
  ASSERT_FALSE(SlotsOf("libsampling_testlib_bare.so").empty());
  ASSERT_EQ(dlclose(bare), 0);
  // Gone: nothing of it is listed, and Restore does not touch its slots.
  ASSERT_TRUE(SlotsOf("libsampling_testlib_bare.so").empty());
  const uint64_t unloaded = Patcher().Stats().objects_unloaded;
  Patcher().Restore();
  EXPECT_EQ(Patcher().Stats().objects_unloaded, unloaded + 1);
}

TEST_F(GotPatcherTest, LaterLibraryIsPatchedByTheNextPatch) {
  Patcher().Patch();
  void* late = Open("libsampling_testlib_late.so", RTLD_NOW);
  auto late_malloc = Sym<void* (*)(size_t)>(late, "tl_malloc");
  int mallocs = g_mallocs;
  free(late_malloc(1));
  EXPECT_EQ(g_mallocs, mallocs);  // not yet
  EXPECT_GT(Patcher().Patch(), 0);
  mallocs = g_mallocs;
  free(late_malloc(1));
  EXPECT_EQ(g_mallocs, mallocs + 1);
  Patcher().PatchIfIdle();  // nothing new: a no-op
  EXPECT_EQ(Patcher().Stats().mprotect_failures, 0u);
}

TEST_F(GotPatcherTest, AnExcludedObjectIsNeverPatched) {
  // A patcher of its own: the exclusion stays for its life.
  static GotPatcher* other = new GotPatcher(kHooks, 7);
  auto lazy_malloc_address = Sym<void* (*)()>(lazy_, "tl_malloc_address");
  auto now_malloc_address = Sym<void* (*)()>(now_, "tl_malloc_address");
  void* const real_malloc = now_malloc_address();
  ASSERT_EQ(lazy_malloc_address(), real_malloc);
  ASSERT_TRUE(other->ExcludeObjectContaining(
      reinterpret_cast<const void*>(lazy_malloc_address)));
  EXPECT_TRUE(other->ExcludeObjectContaining(
      reinterpret_cast<const void*>(lazy_malloc_address)));  // kept once
  EXPECT_FALSE(other->ExcludeObjectContaining(nullptr));
  EXPECT_GT(other->Patch(), 0);
  EXPECT_EQ(lazy_malloc_address(), real_malloc);
  EXPECT_EQ(now_malloc_address(), reinterpret_cast<void*>(&CountingMalloc));
  EXPECT_GT(other->Restore(), 0);
  EXPECT_EQ(now_malloc_address(), real_malloc);
}

}  // namespace
}  // namespace jleak::agent::sampling
