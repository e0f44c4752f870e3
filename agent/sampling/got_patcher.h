// File: got_patcher.h
//
// GotPatcher: interposes functions (the malloc family and dlopen) in a
// running process by rewriting the import slots of every loaded ELF object
// (its GOT), and puts every slot back on Restore (detach).
//
//   static GotPatcher patcher(hooks, n);  // large: static or heap, not stack
//   patcher.Patch();       // attach: every loaded object
//   patcher.PatchIfIdle(); // from a dlopen hook: objects loaded since
//   patcher.Restore();     // detach: every slot holds its original value
//
// ---------------------------------------------------------------- what
// An object's import slots are found in its PT_DYNAMIC as mapped in memory
// (not in its file, which may be gone): relocations of DT_JMPREL (size
// DT_PLTRELSZ; R_X86_64_JUMP_SLOT, the PLT's slots) and DT_RELA (DT_RELASZ;
// R_X86_64_GLOB_DAT, what -fno-plt calls and `&malloc` load, and
// R_X86_64_64 with addend 0, a function pointer in data) whose symbol is
// undefined in the object and named as a hook. Every number read from
// memory is bounded: tables, symbols, names and slots must lie inside the
// object's PT_LOAD segments (slots in a writable one, 8-aligned), counts are
// capped; an object that does not fit is skipped as malformed, never read
// out of bounds (ForEachImportSlot is pure, and tested on made-up objects).
//
// Never patched: libc (its internal calls stay its own), the dynamic loader
// (heaptrack: "strange crashes due to overwriting the free symbol"; it
// allocates through __rtld_malloc anyway), the vDSO, the object holding the
// hooks (our own DSO: the hooks call the real functions through its
// untouched slots) and the object defining the allocator that DSO resolved
// `malloc` to (a preloaded allocator keeps its internals).
//
// ---------------------------------------------------------------- how
// - A slot is written with one aligned 8-byte store (atomic on x86-64): a
//   thread calling through it at that moment jumps to the old or the new
//   target, never a torn one. Slots in PT_GNU_RELRO pages (full RELRO, e.g.
//   libjvm's whole .got) are made writable with mprotect for the store and
//   read-only again, as the loader left them; other slots (lazy .got.plt of
//   partial-RELRO libraries) are stored directly.
// - Each (slot, original value) is recorded in a bounded array preallocated
//   inside the patcher (kMaxObjects objects, kMaxSlotsPerObject slots
//   each); a slot that does not fit is not patched (counted). Restore puts
//   the original back only where the slot still holds our replacement
//   (compare-and-swap), so another tool's later patch is left alone.
// - Objects are walked with dl_iterate_phdr, whose lock keeps them mapped
//   during the callback. A new object is patched only after
//   dlopen(name, RTLD_NOLOAD) returned it: that waits for any dlopen in
//   progress (so we never patch a half-relocated object whose RELRO the
//   loader has not protected yet) and pins it against dlclose meanwhile.
//   Objects already patched are re-checked on every Patch: a slot that lost
//   its replacement (glibc's lazy resolver racing our store, or the object
//   reloaded at the same address) is found again in the relocations and
//   re-patched. Records of objects that were unloaded are dropped, never
//   written.
// - Patch and Restore hold one mutex; they allocate nothing. PatchIfIdle,
//   for dlopen hooks, never waits for it: if a Patch is running it asks that
//   one to scan again before it returns (a dlopen hook that blocked on the
//   mutex could deadlock with a Patch waiting in dlopen(RTLD_NOLOAD) for the
//   loader lock that the hook's own thread holds). The malloc hooks never
//   touch the patcher.

#ifndef JLEAK_AGENT_SAMPLING_GOT_PATCHER_H_
#define JLEAK_AGENT_SAMPLING_GOT_PATCHER_H_

#include <link.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace jleak::agent::sampling {

// GotHook: every import slot of `name` gets `replacement`.
struct GotHook {
  const char* name;
  void* replacement;
};

// ObjectView: a loaded object as dl_iterate_phdr describes it.
struct ObjectView {
  uintptr_t bias = 0;  // dlpi_addr: load address minus link-time address
  const ElfW(Phdr) * phdr = nullptr;
  uint16_t phnum = 0;
};

// ImportSlot: one slot found in an object's relocations.
struct ImportSlot {
  uintptr_t address = 0;  // of the 8-byte slot
  unsigned name_index = 0;
  uint32_t type = 0;   // R_X86_64_JUMP_SLOT, R_X86_64_GLOB_DAT, R_X86_64_64
  bool relro = false;  // in the pages PT_GNU_RELRO made read-only
};

using ImportSlotVisitor = void (*)(const ImportSlot& slot, void* context);

enum class ObjectCheck {
  kOk,         // relocations read (maybe no slot matched)
  kNoDynamic,  // no PT_DYNAMIC: nothing to patch
  kMalformed,  // something out of bounds: skipped
};

// ForEachImportSlot calls `visit` for every import slot of one of `names`
// in `object`, reading only inside its PT_LOAD segments. On kMalformed no
// slot was visited.
ObjectCheck ForEachImportSlot(const ObjectView& object,
                              const char* const* names, unsigned n_names,
                              ImportSlotVisitor visit, void* context);

struct PatcherStats {
  uint64_t scans = 0;             // dl_iterate_phdr passes
  uint64_t objects_patched = 0;   // processed (new or repaired)
  uint64_t objects_excluded = 0;  // libc, ld.so, vDSO, self, allocator
  uint64_t objects_malformed = 0;
  uint64_t objects_unpinned = 0;  // dlopen(RTLD_NOLOAD) did not hold them
  uint64_t objects_unloaded = 0;  // records dropped: object gone
  uint64_t objects_dropped = 0;   // object table full
  uint64_t slots_patched = 0;
  uint64_t slots_repaired = 0;  // had lost the replacement
  uint64_t slots_restored = 0;
  uint64_t slots_foreign = 0;  // at Restore, held neither ours nor kept
  uint64_t slots_dropped = 0;  // per-object record array full
  uint64_t mprotect_failures = 0;
  uint32_t objects_tracked = 0;  // now
  uint32_t slots_tracked = 0;    // now
};

// SlotInfo: one import slot as it is now (diagnostics and tests).
struct SlotInfo {
  std::string object;  // dlpi_name ("" for the main program)
  uintptr_t address = 0;
  uintptr_t value = 0;
  std::string function;
  uint32_t type = 0;
  bool relro = false;
};

class GotPatcher {
 public:
  static constexpr unsigned kMaxHooks = 16;
  static constexpr unsigned kMaxObjects = 1024;
  static constexpr unsigned kMaxSlotsPerObject = 32;
  static constexpr unsigned kMaxPending = 32;  // new objects per round
  static constexpr unsigned kMaxName = 4096;   // object paths

  // `hooks` (at most kMaxHooks; names and replacement code must stay mapped
  // for the life of the process) are copied.
  GotPatcher(const GotHook* hooks, unsigned n_hooks);
  GotPatcher(const GotPatcher&) = delete;
  GotPatcher& operator=(const GotPatcher&) = delete;

  // Patch writes the replacements into every import slot of every loaded
  // object (but the excluded ones) that does not hold it yet. Returns the
  // number of slots written.
  int Patch();

  // PatchIfIdle is Patch for dlopen hooks: it never blocks on another
  // Patch or Restore (see above).
  void PatchIfIdle();

  // Restore writes every recorded slot's original value back (where it
  // still holds the replacement) and forgets the records. Returns the
  // number of slots restored.
  int Restore();

  // ListSlots: every import slot of a hooked name in every object that is
  // not excluded, with its value now. Allocates.
  std::vector<SlotInfo> ListSlots();

  PatcherStats Stats();

  // ReplacementFor: the replacement of a hooked name, or null.
  void* ReplacementFor(const char* name) const;

  // ExcludeObjectContaining: the object mapped at `address` is never
  // patched either (native_origins keeps libjvm's own mmap calls out).
  // Call it before the first Patch: an object patched already keeps its
  // slots until Restore. False when kMaxExtraExclusions are taken.
  static constexpr unsigned kMaxExtraExclusions = 4;
  bool ExcludeObjectContaining(const void* address);

 private:
  struct SlotRecord {
    uintptr_t address;
    uintptr_t original;
    uint8_t hook;
    uint8_t relro;
    uint8_t patched;  // our replacement was written
  };
  struct ObjectRecord {
    uint32_t n_slots;
    SlotRecord slots[kMaxSlotsPerObject];
  };
  struct Pending {
    uintptr_t base;
    uint64_t name_hash;
    void* handle;  // pinned by dlopen(RTLD_NOLOAD); kMainProgram for ""
    char name[kMaxName];
  };

  // Callbacks of dl_iterate_phdr.
  static int FindNewObjects(dl_phdr_info* info, size_t size, void* self);
  static int PatchPinnedObjects(dl_phdr_info* info, size_t size, void* self);
  static int RestoreObjects(dl_phdr_info* info, size_t size, void* self);
  static int CollectSlots(dl_phdr_info* info, size_t size, void* out);
  static void VisitSlotToPatch(const ImportSlot& slot, void* context);

  void InitExclusions();
  bool Excluded(const dl_phdr_info* info) const;
  int FindObject(uintptr_t base, uint64_t name_hash) const;
  int AddObject(uintptr_t base, uint64_t name_hash);
  void DropObject(int index);
  bool AllSlotsHooked(int index, const ObjectView& view) const;
  int PatchLocked();
  bool WriteSlot(uintptr_t address, uintptr_t value, bool relro);
  bool RestoreSlot(const SlotRecord& slot);

  GotHook hooks_[kMaxHooks];
  const char* names_[kMaxHooks];
  unsigned n_hooks_ = 0;
  uintptr_t page_size_ = 4096;

  std::mutex mu_;
  std::atomic<bool> rescan_requested_{false};
  bool exclusions_ready_ = false;
  uintptr_t libc_base_ = 0;
  bool libc_known_ = false;
  // Objects containing one of these addresses are never patched.
  uintptr_t excluded_addresses_[kMaxHooks + 4] = {};
  unsigned n_excluded_addresses_ = 0;
  std::atomic<uintptr_t> extra_excluded_[kMaxExtraExclusions] = {};

  // The records, in arrays indexed alike; a base of 0 is a free entry (no
  // loaded object has bias 0 and is also named like another: the main
  // program of a non-PIE build has bias 0 and name "", hash kept apart).
  uintptr_t object_base_[kMaxObjects] = {};
  uint64_t object_hash_[kMaxObjects] = {};
  bool object_used_[kMaxObjects] = {};
  uint32_t object_mark_[kMaxObjects] = {};
  ObjectRecord objects_[kMaxObjects];
  unsigned n_objects_ = 0;  // high-water mark of used entries
  uint32_t epoch_ = 0;

  Pending pending_[kMaxPending];
  unsigned n_pending_ = 0;
  bool more_pending_ = false;

  // Per-object context of the patching visitor.
  int current_object_ = -1;
  int written_ = 0;

  PatcherStats stats_;
};

}  // namespace jleak::agent::sampling

#endif  // JLEAK_AGENT_SAMPLING_GOT_PATCHER_H_
