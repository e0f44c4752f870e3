// File: got_patcher.cc
//
// GOT rewriting in a live process (see got_patcher.h for the design and the
// concurrency argument).

#include "agent/sampling/got_patcher.h"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

namespace jleak::agent::sampling {
namespace {

// ---------------------------------------------------------------- bounds

constexpr unsigned kMaxPhdrs = 64;
constexpr unsigned kMaxLoads = 16;
constexpr size_t kMaxDynamicEntries = 4096;
constexpr uint64_t kMaxRelocations = uint64_t{1} << 24;
void* const kMainProgram = reinterpret_cast<void*>(1);

// The mapped segments of one object, from its program headers.
struct Segments {
  struct Load {
    uintptr_t start;
    uintptr_t end;
    uint32_t flags;
  };
  Load loads[kMaxLoads];
  unsigned n_loads = 0;
  uintptr_t dynamic = 0;
  uintptr_t dynamic_size = 0;
  uintptr_t relro_start = 0;  // the pages the loader made read-only
  uintptr_t relro_end = 0;
  bool ok = false;

  // Inside(a, len, flag): [a, a + len) lies in one segment with `flag`.
  bool Inside(uintptr_t a, uintptr_t len, uint32_t flag) const {
    for (unsigned i = 0; i < n_loads; ++i) {
      const Load& l = loads[i];
      if ((l.flags & flag) != 0 && a >= l.start && a <= l.end &&
          len <= l.end - a) {
        return true;
      }
    }
    return false;
  }
  bool Readable(uintptr_t a, uintptr_t len) const {
    return Inside(a, len, PF_R);
  }
  bool Writable(uintptr_t a, uintptr_t len) const {
    return Inside(a, len, PF_W);
  }
  bool Contains(uintptr_t a) const {
    for (unsigned i = 0; i < n_loads; ++i) {
      if (a >= loads[i].start && a < loads[i].end) return true;
    }
    return false;
  }
};

uintptr_t PageSize() {
  const long ps = sysconf(_SC_PAGESIZE);
  return ps > 0 ? static_cast<uintptr_t>(ps) : 4096;
}

Segments ReadSegments(const ObjectView& object) {
  Segments s;
  if (object.phdr == nullptr || object.phnum == 0 || object.phnum > kMaxPhdrs) {
    return s;
  }
  const uintptr_t page = PageSize();
  for (unsigned i = 0; i < object.phnum; ++i) {
    const ElfW(Phdr)& p = object.phdr[i];
    uintptr_t start = 0;
    if (__builtin_add_overflow(object.bias, p.p_vaddr, &start)) return s;
    uintptr_t end = 0;
    if (__builtin_add_overflow(start, p.p_memsz, &end)) return s;
    switch (p.p_type) {
      case PT_LOAD:
        if (p.p_memsz == 0) break;
        if (s.n_loads == kMaxLoads) return s;
        s.loads[s.n_loads++] = {start, end, p.p_flags};
        break;
      case PT_DYNAMIC:
        s.dynamic = start;
        s.dynamic_size = p.p_memsz;
        break;
      case PT_GNU_RELRO:
        // As glibc's _dl_protect_relro: whole pages, the last partial page
        // stays writable.
        s.relro_start = start & ~(page - 1);
        s.relro_end = end & ~(page - 1);
        break;
      default:
        break;
    }
  }
  s.ok = true;
  return s;
}

// Resolve: a d_ptr value as an address in the object. glibc adds the load
// bias in place for most objects; the vDSO and read-only dynamic sections
// keep link-time values. Either way the result must be readable.
uintptr_t Resolve(const Segments& s, uintptr_t bias, uintptr_t value,
                  uintptr_t len) {
  if (s.Readable(value, len)) return value;
  uintptr_t relocated = 0;
  if (!__builtin_add_overflow(bias, value, &relocated) &&
      s.Readable(relocated, len)) {
    return relocated;
  }
  return 0;
}

struct DynamicInfo {
  uintptr_t symtab = 0, strtab = 0, strsz = 0, syment = 0;
  uintptr_t jmprel = 0, pltrelsz = 0, pltrel = DT_RELA;
  uintptr_t rela = 0, relasz = 0, relaent = 0;
};

bool NameMatches(const char* name, size_t max_len, const char* want) {
  for (size_t i = 0; i < max_len; ++i) {
    if (name[i] != want[i]) return false;
    if (name[i] == '\0') return true;
  }
  return false;  // not terminated inside the string table
}

// VisitTable walks one relocation table. False when it is out of bounds.
bool VisitTable(const Segments& s, const ObjectView& object,
                const DynamicInfo& d, uintptr_t table, uintptr_t size,
                const char* const* names, unsigned n_names, ImportSlot* found,
                unsigned* n_found, unsigned max_found) {
  if (size == 0) return true;
  if (size % sizeof(ElfW(Rela)) != 0) return false;
  const uint64_t count = size / sizeof(ElfW(Rela));
  if (count > kMaxRelocations || !s.Readable(table, size)) return false;
  const auto* rela = reinterpret_cast<const ElfW(Rela)*>(table);
  for (uint64_t i = 0; i < count; ++i) {
    const uint32_t type = ELF64_R_TYPE(rela[i].r_info);
    if (type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT &&
        type != R_X86_64_64) {
      continue;
    }
    if (type == R_X86_64_64 && rela[i].r_addend != 0) continue;
    const uint64_t sym_index = ELF64_R_SYM(rela[i].r_info);
    if (sym_index == 0) continue;
    uintptr_t sym_addr = 0;
    if (__builtin_mul_overflow(sym_index, sizeof(ElfW(Sym)), &sym_addr) ||
        __builtin_add_overflow(sym_addr, d.symtab, &sym_addr) ||
        !s.Readable(sym_addr, sizeof(ElfW(Sym)))) {
      continue;  // a bad index: this relocation only
    }
    const auto* sym = reinterpret_cast<const ElfW(Sym)*>(sym_addr);
    if (sym->st_shndx != SHN_UNDEF || sym->st_name >= d.strsz) continue;
    const char* name = reinterpret_cast<const char*>(d.strtab + sym->st_name);
    const size_t max_len = d.strsz - sym->st_name;
    for (unsigned h = 0; h < n_names; ++h) {
      if (!NameMatches(name, max_len, names[h])) continue;
      uintptr_t slot = 0;
      if (__builtin_add_overflow(object.bias, rela[i].r_offset, &slot) ||
          (slot & 7) != 0 || !s.Writable(slot, 8)) {
        break;
      }
      if (*n_found < max_found) {
        ImportSlot& f = found[(*n_found)++];
        f.address = slot;
        f.name_index = h;
        f.type = type;
        f.relro = slot >= s.relro_start && slot < s.relro_end;
      }
      break;
    }
  }
  return true;
}

// ---------------------------------------------------------------- helpers

uint64_t NameHash(const char* name) {
  uint64_t h = 0xcbf29ce484222325ULL;
  if (name == nullptr) return h;
  for (size_t i = 0; i < GotPatcher::kMaxName && name[i] != '\0'; ++i) {
    h = (h ^ static_cast<unsigned char>(name[i])) * 0x100000001b3ULL;
  }
  return h;
}

inline uintptr_t LoadSlot(uintptr_t address) {
  return __atomic_load_n(reinterpret_cast<uintptr_t*>(address),
                         __ATOMIC_ACQUIRE);
}

// A function of this file: the patcher's own object is never patched.
__attribute__((noinline)) void PatcherMarker() { asm volatile(""); }

}  // namespace

ObjectCheck ForEachImportSlot(const ObjectView& object,
                              const char* const* names, unsigned n_names,
                              ImportSlotVisitor visit, void* context) {
  const Segments s = ReadSegments(object);
  if (!s.ok) return ObjectCheck::kMalformed;
  if (s.dynamic == 0) return ObjectCheck::kNoDynamic;
  if (s.dynamic_size < sizeof(ElfW(Dyn)) ||
      !s.Readable(s.dynamic, s.dynamic_size)) {
    return ObjectCheck::kMalformed;
  }
  const auto* dyn = reinterpret_cast<const ElfW(Dyn)*>(s.dynamic);
  size_t n_dyn = s.dynamic_size / sizeof(ElfW(Dyn));
  if (n_dyn > kMaxDynamicEntries) n_dyn = kMaxDynamicEntries;
  DynamicInfo raw;
  for (size_t i = 0; i < n_dyn && dyn[i].d_tag != DT_NULL; ++i) {
    const uintptr_t v = dyn[i].d_un.d_val;
    switch (dyn[i].d_tag) {
      case DT_SYMTAB:
        raw.symtab = v;
        break;
      case DT_STRTAB:
        raw.strtab = v;
        break;
      case DT_STRSZ:
        raw.strsz = v;
        break;
      case DT_SYMENT:
        raw.syment = v;
        break;
      case DT_JMPREL:
        raw.jmprel = v;
        break;
      case DT_PLTRELSZ:
        raw.pltrelsz = v;
        break;
      case DT_PLTREL:
        raw.pltrel = v;
        break;
      case DT_RELA:
        raw.rela = v;
        break;
      case DT_RELASZ:
        raw.relasz = v;
        break;
      case DT_RELAENT:
        raw.relaent = v;
        break;
      default:
        break;
    }
  }
  if (raw.pltrelsz == 0 && raw.relasz == 0) return ObjectCheck::kOk;
  if ((raw.syment != 0 && raw.syment != sizeof(ElfW(Sym))) ||
      (raw.relaent != 0 && raw.relaent != sizeof(ElfW(Rela))) ||
      (raw.pltrelsz != 0 && raw.pltrel != DT_RELA) || raw.strsz == 0) {
    return ObjectCheck::kMalformed;
  }
  DynamicInfo d = raw;
  d.symtab = Resolve(s, object.bias, raw.symtab, sizeof(ElfW(Sym)));
  d.strtab = Resolve(s, object.bias, raw.strtab, raw.strsz);
  d.jmprel =
      raw.pltrelsz == 0 ? 0 : Resolve(s, object.bias, raw.jmprel, raw.pltrelsz);
  d.rela = raw.relasz == 0 ? 0 : Resolve(s, object.bias, raw.rela, raw.relasz);
  if (d.symtab == 0 || d.strtab == 0 || (raw.pltrelsz != 0 && d.jmprel == 0) ||
      (raw.relasz != 0 && d.rela == 0)) {
    return ObjectCheck::kMalformed;
  }
  // Collected first, visited after: a malformed table visits nothing.
  constexpr unsigned kMaxFound = 256;
  ImportSlot found[kMaxFound];
  unsigned n_found = 0;
  if (!VisitTable(s, object, d, d.jmprel, raw.pltrelsz, names, n_names, found,
                  &n_found, kMaxFound) ||
      !VisitTable(s, object, d, d.rela, raw.relasz, names, n_names, found,
                  &n_found, kMaxFound)) {
    return ObjectCheck::kMalformed;
  }
  for (unsigned i = 0; i < n_found; ++i) visit(found[i], context);
  return ObjectCheck::kOk;
}

// ---------------------------------------------------------------- patcher

GotPatcher::GotPatcher(const GotHook* hooks, unsigned n_hooks) {
  n_hooks_ = n_hooks < kMaxHooks ? n_hooks : kMaxHooks;
  for (unsigned i = 0; i < n_hooks_; ++i) {
    hooks_[i] = hooks[i];
    names_[i] = hooks[i].name;
  }
  page_size_ = PageSize();
}

void* GotPatcher::ReplacementFor(const char* name) const {
  for (unsigned i = 0; i < n_hooks_; ++i) {
    if (strcmp(hooks_[i].name, name) == 0) return hooks_[i].replacement;
  }
  return nullptr;
}

void GotPatcher::InitExclusions() {
  if (exclusions_ready_) return;
  exclusions_ready_ = true;
  unsigned n = 0;
  // The dynamic loader (its load address), the vDSO (its ELF header).
  excluded_addresses_[n++] = getauxval(AT_BASE);
  excluded_addresses_[n++] = getauxval(AT_SYSINFO_EHDR);
  // The allocator our own object calls: libc's malloc, or a preloaded one.
  excluded_addresses_[n++] = reinterpret_cast<uintptr_t>(&::malloc);
  excluded_addresses_[n++] = reinterpret_cast<uintptr_t>(&PatcherMarker);
  for (unsigned i = 0; i < n_hooks_; ++i) {
    excluded_addresses_[n++] =
        reinterpret_cast<uintptr_t>(hooks_[i].replacement);
  }
  n_excluded_addresses_ = n;
  // libc itself, by its link map's load address.
  void* libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
  if (libc != nullptr) {
    link_map* map = nullptr;
    if (dlinfo(libc, RTLD_DI_LINKMAP, &map) == 0 && map != nullptr) {
      libc_base_ = map->l_addr;
      libc_known_ = true;
    }
    dlclose(libc);
  }
}

bool GotPatcher::Excluded(const dl_phdr_info* info) const {
  if (libc_known_ && info->dlpi_addr == libc_base_) return true;
  const Segments s =
      ReadSegments({info->dlpi_addr, info->dlpi_phdr, info->dlpi_phnum});
  for (unsigned i = 0; i < n_excluded_addresses_; ++i) {
    if (excluded_addresses_[i] != 0 && s.Contains(excluded_addresses_[i])) {
      return true;
    }
  }
  for (const std::atomic<uintptr_t>& extra : extra_excluded_) {
    const uintptr_t a = extra.load(std::memory_order_acquire);
    if (a != 0 && s.Contains(a)) return true;
  }
  return false;
}

bool GotPatcher::ExcludeObjectContaining(const void* address) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(address);
  if (a == 0) return false;
  for (std::atomic<uintptr_t>& extra : extra_excluded_) {
    uintptr_t expected = 0;
    if (extra.compare_exchange_strong(expected, a) || expected == a) {
      return true;
    }
  }
  return false;
}

int GotPatcher::FindObject(uintptr_t base, uint64_t name_hash) const {
  for (unsigned i = 0; i < n_objects_; ++i) {
    if (object_used_[i] && object_base_[i] == base &&
        object_hash_[i] == name_hash) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

int GotPatcher::AddObject(uintptr_t base, uint64_t name_hash) {
  unsigned i = 0;
  while (i < n_objects_ && object_used_[i]) ++i;
  if (i == kMaxObjects) return -1;
  if (i == n_objects_) ++n_objects_;
  object_used_[i] = true;
  object_base_[i] = base;
  object_hash_[i] = name_hash;
  object_mark_[i] = epoch_;
  objects_[i].n_slots = 0;
  return static_cast<int>(i);
}

void GotPatcher::DropObject(int index) {
  object_used_[index] = false;
  objects_[index].n_slots = 0;
  while (n_objects_ > 0 && !object_used_[n_objects_ - 1]) --n_objects_;
}

bool GotPatcher::AllSlotsHooked(int index, const ObjectView& view) const {
  const Segments s = ReadSegments(view);
  const ObjectRecord& o = objects_[index];
  for (uint32_t i = 0; i < o.n_slots; ++i) {
    const SlotRecord& r = o.slots[i];
    if (!r.patched) continue;  // could not be written: not retried forever
    if (!s.Writable(r.address, 8)) return false;
    if (LoadSlot(r.address) !=
        reinterpret_cast<uintptr_t>(hooks_[r.hook].replacement)) {
      return false;
    }
  }
  return true;
}

bool GotPatcher::WriteSlot(uintptr_t address, uintptr_t value, bool relro) {
  const uintptr_t page = address & ~(page_size_ - 1);
  if (relro && mprotect(reinterpret_cast<void*>(page), page_size_,
                        PROT_READ | PROT_WRITE) != 0) {
    ++stats_.mprotect_failures;
    return false;
  }
  // One aligned 8-byte store: a concurrent caller sees old or new.
  __atomic_store_n(reinterpret_cast<uintptr_t*>(address), value,
                   __ATOMIC_RELEASE);
  if (relro) mprotect(reinterpret_cast<void*>(page), page_size_, PROT_READ);
  return true;
}

bool GotPatcher::RestoreSlot(const SlotRecord& slot) {
  const uintptr_t ours =
      reinterpret_cast<uintptr_t>(hooks_[slot.hook].replacement);
  // Checked before any mprotect: a slot that is not ours is not touched.
  if (LoadSlot(slot.address) != ours) return false;
  const uintptr_t page = slot.address & ~(page_size_ - 1);
  if (slot.relro && mprotect(reinterpret_cast<void*>(page), page_size_,
                             PROT_READ | PROT_WRITE) != 0) {
    ++stats_.mprotect_failures;
    return false;
  }
  uintptr_t expected = ours;
  const bool swapped = __atomic_compare_exchange_n(
      reinterpret_cast<uintptr_t*>(slot.address), &expected, slot.original,
      /*weak=*/false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
  if (slot.relro) {
    mprotect(reinterpret_cast<void*>(page), page_size_, PROT_READ);
  }
  return swapped;
}

// Pass 1: which objects need patching (new, or a slot lost its hook), and
// which records belong to objects that are gone.
int GotPatcher::FindNewObjects(dl_phdr_info* info, size_t, void* arg) {
  auto* self = static_cast<GotPatcher*>(arg);
  if (self->Excluded(info)) {
    ++self->stats_.objects_excluded;
    return 0;
  }
  const char* name = info->dlpi_name != nullptr ? info->dlpi_name : "";
  const uint64_t hash = NameHash(name);
  const ObjectView view{info->dlpi_addr, info->dlpi_phdr, info->dlpi_phnum};
  const int index = self->FindObject(info->dlpi_addr, hash);
  if (index >= 0) {
    self->object_mark_[index] = self->epoch_;
    if (self->AllSlotsHooked(index, view)) return 0;
  }
  const size_t len = strnlen(name, kMaxName);
  if (len == kMaxName) {
    ++self->stats_.objects_unpinned;  // a path we cannot hold: skipped
    return 0;
  }
  if (self->n_pending_ == kMaxPending) {
    self->more_pending_ = true;
    return 0;
  }
  Pending& p = self->pending_[self->n_pending_++];
  p.base = info->dlpi_addr;
  p.name_hash = hash;
  p.handle = nullptr;
  memcpy(p.name, name, len + 1);
  return 0;
}

void GotPatcher::VisitSlotToPatch(const ImportSlot& slot, void* arg) {
  auto* self = static_cast<GotPatcher*>(arg);
  ObjectRecord& o = self->objects_[self->current_object_];
  const uintptr_t ours =
      reinterpret_cast<uintptr_t>(self->hooks_[slot.name_index].replacement);
  const uintptr_t value = LoadSlot(slot.address);
  if (value == ours) return;
  SlotRecord* record = nullptr;
  for (uint32_t i = 0; i < o.n_slots; ++i) {
    if (o.slots[i].address == slot.address) record = &o.slots[i];
  }
  if (record != nullptr) {
    // It lost our replacement (lazy resolver, reload): what it holds now is
    // as good an original as the one recorded.
    if (record->patched) ++self->stats_.slots_repaired;
  } else {
    if (o.n_slots == kMaxSlotsPerObject) {
      ++self->stats_.slots_dropped;  // never patched what we cannot restore
      return;
    }
    record = &o.slots[o.n_slots++];
    record->address = slot.address;
    record->hook = static_cast<uint8_t>(slot.name_index);
    record->relro = slot.relro;
  }
  record->original = value;
  record->patched = self->WriteSlot(slot.address, ours, slot.relro);
  if (record->patched) {
    ++self->stats_.slots_patched;
    ++self->written_;
  }
}

// Pass 2: patch the objects that pass 1 found and dlopen(RTLD_NOLOAD) holds.
int GotPatcher::PatchPinnedObjects(dl_phdr_info* info, size_t, void* arg) {
  auto* self = static_cast<GotPatcher*>(arg);
  const char* name = info->dlpi_name != nullptr ? info->dlpi_name : "";
  const uint64_t hash = NameHash(name);
  bool pinned = false;
  for (unsigned i = 0; i < self->n_pending_; ++i) {
    const Pending& p = self->pending_[i];
    if (p.handle != nullptr && p.base == info->dlpi_addr &&
        p.name_hash == hash) {
      pinned = true;
    }
  }
  if (!pinned) return 0;
  int index = self->FindObject(info->dlpi_addr, hash);
  if (index < 0) index = self->AddObject(info->dlpi_addr, hash);
  if (index < 0) {
    ++self->stats_.objects_dropped;
    return 0;
  }
  self->object_mark_[index] = self->epoch_;
  self->current_object_ = index;
  const ObjectCheck check = ForEachImportSlot(
      {info->dlpi_addr, info->dlpi_phdr, info->dlpi_phnum}, self->names_,
      self->n_hooks_, &GotPatcher::VisitSlotToPatch, self);
  self->current_object_ = -1;
  if (check == ObjectCheck::kMalformed) {
    ++self->stats_.objects_malformed;
  } else {
    ++self->stats_.objects_patched;
  }
  return 0;
}

int GotPatcher::PatchLocked() {
  InitExclusions();
  written_ = 0;
  for (int round = 0; round < 64; ++round) {
    n_pending_ = 0;
    more_pending_ = false;
    ++epoch_;
    ++stats_.scans;
    dl_iterate_phdr(&GotPatcher::FindNewObjects, this);
    // Records of objects no longer loaded: forget them, never write them.
    for (unsigned i = 0; i < n_objects_; ++i) {
      if (object_used_[i] && object_mark_[i] != epoch_) {
        ++stats_.objects_unloaded;
        DropObject(static_cast<int>(i));
      }
    }
    if (n_pending_ == 0) break;
    // Pin each object (outside dl_iterate_phdr: dlopen takes the loader
    // lock, which must not be taken under the callback's lock).
    for (unsigned i = 0; i < n_pending_; ++i) {
      Pending& p = pending_[i];
      if (p.name[0] == '\0') {
        p.handle = kMainProgram;  // the main program is never unloaded
        continue;
      }
      p.handle = dlopen(p.name, RTLD_LAZY | RTLD_NOLOAD);
      link_map* map = nullptr;
      if (p.handle != nullptr &&
          (dlinfo(p.handle, RTLD_DI_LINKMAP, &map) != 0 || map == nullptr ||
           map->l_addr != p.base)) {
        dlclose(p.handle);  // another object of that name
        p.handle = nullptr;
      }
      if (p.handle == nullptr) ++stats_.objects_unpinned;
    }
    ++stats_.scans;
    dl_iterate_phdr(&GotPatcher::PatchPinnedObjects, this);
    for (unsigned i = 0; i < n_pending_; ++i) {
      Pending& p = pending_[i];
      if (p.handle != nullptr && p.handle != kMainProgram) dlclose(p.handle);
      p.handle = nullptr;
    }
    if (!more_pending_) break;
  }
  return written_;
}

int GotPatcher::Patch() {
  int written = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    rescan_requested_.store(false, std::memory_order_relaxed);
    written = PatchLocked();
  }
  // A dlopen hook asked while we held the lock.
  while (rescan_requested_.load(std::memory_order_acquire) && mu_.try_lock()) {
    rescan_requested_.store(false, std::memory_order_relaxed);
    written += PatchLocked();
    mu_.unlock();
  }
  return written;
}

void GotPatcher::PatchIfIdle() {
  rescan_requested_.store(true, std::memory_order_release);
  while (rescan_requested_.load(std::memory_order_acquire) && mu_.try_lock()) {
    rescan_requested_.store(false, std::memory_order_relaxed);
    PatchLocked();
    mu_.unlock();
  }
}

int GotPatcher::RestoreObjects(dl_phdr_info* info, size_t, void* arg) {
  auto* self = static_cast<GotPatcher*>(arg);
  const char* name = info->dlpi_name != nullptr ? info->dlpi_name : "";
  const int index = self->FindObject(info->dlpi_addr, NameHash(name));
  if (index < 0) return 0;
  self->object_mark_[index] = self->epoch_;
  const Segments s =
      ReadSegments({info->dlpi_addr, info->dlpi_phdr, info->dlpi_phnum});
  const ObjectRecord& o = self->objects_[index];
  for (uint32_t i = 0; i < o.n_slots; ++i) {
    const SlotRecord& r = o.slots[i];
    if (!r.patched) continue;
    if (!s.Writable(r.address, 8)) {
      ++self->stats_.slots_foreign;
    } else if (self->RestoreSlot(r)) {
      ++self->stats_.slots_restored;
      ++self->written_;
    } else {
      ++self->stats_.slots_foreign;
    }
  }
  return 0;
}

int GotPatcher::Restore() {
  std::lock_guard<std::mutex> lock(mu_);
  written_ = 0;
  ++epoch_;
  ++stats_.scans;
  // No pinning here: a slot is written only if it holds our replacement,
  // which an object that is still being loaded cannot.
  dl_iterate_phdr(&GotPatcher::RestoreObjects, this);
  for (unsigned i = 0; i < n_objects_; ++i) {
    if (!object_used_[i]) continue;
    if (object_mark_[i] != epoch_) ++stats_.objects_unloaded;
    object_used_[i] = false;
    objects_[i].n_slots = 0;
  }
  n_objects_ = 0;
  return written_;
}

namespace {
struct CollectContext {
  GotPatcher* patcher;
  const char* const* names;
  unsigned n_names;
  const char* object;
  std::vector<SlotInfo>* out;
};
}  // namespace

int GotPatcher::CollectSlots(dl_phdr_info* info, size_t, void* arg) {
  auto* ctx = static_cast<CollectContext*>(arg);
  if (ctx->patcher->Excluded(info)) return 0;
  ctx->object = info->dlpi_name != nullptr ? info->dlpi_name : "";
  ForEachImportSlot(
      {info->dlpi_addr, info->dlpi_phdr, info->dlpi_phnum}, ctx->names,
      ctx->n_names,
      [](const ImportSlot& slot, void* c) {
        auto* ctx = static_cast<CollectContext*>(c);
        SlotInfo s;
        s.object = ctx->object;
        s.address = slot.address;
        s.value = LoadSlot(slot.address);
        s.function = ctx->names[slot.name_index];
        s.type = slot.type;
        s.relro = slot.relro;
        ctx->out->push_back(std::move(s));
      },
      ctx);
  return 0;
}

std::vector<SlotInfo> GotPatcher::ListSlots() {
  std::vector<SlotInfo> out;
  std::lock_guard<std::mutex> lock(mu_);
  InitExclusions();
  CollectContext ctx{this, names_, n_hooks_, "", &out};
  dl_iterate_phdr(&GotPatcher::CollectSlots, &ctx);
  return out;
}

PatcherStats GotPatcher::Stats() {
  std::lock_guard<std::mutex> lock(mu_);
  PatcherStats s = stats_;
  s.objects_tracked = 0;
  s.slots_tracked = 0;
  for (unsigned i = 0; i < n_objects_; ++i) {
    if (!object_used_[i]) continue;
    ++s.objects_tracked;
    s.slots_tracked += objects_[i].n_slots;
  }
  return s;
}

}  // namespace jleak::agent::sampling
