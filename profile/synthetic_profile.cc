// File: synthetic_profile.cc
//
// Synthetic heap profile series (see synthetic_profile.h).

#include "profile/synthetic_profile.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "profile/elf_symbolizer.h"

namespace jleak {
namespace {

constexpr uint64_t kAllocatorBase = 0x7f0000100000;
constexpr uint64_t kAllocatorSize = 0x100000;
constexpr char kAllocatorPath[] = "/opt/jleak/lib/libjemalloc.so.2";
constexpr uint64_t kMadeUpBase = 0x7f0010000000;
constexpr uint64_t kElfBase = 0x7f0100000000;
constexpr int kSiteFrames = 6;     // frames a group of stacks shares
constexpr int kStacksPerSite = 4;  // callers of one site
constexpr int kThreads = 64;
constexpr uint64_t kPlantedObjectSize = 1 << 20;

// splitmix64: a well-mixed hash of a 64-bit value.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9;
  x = (x ^ (x >> 27)) * 0x94d049bb133111eb;
  return x ^ (x >> 31);
}

uint64_t Hash(uint64_t seed, uint64_t a, uint64_t b = 0, uint64_t c = 0) {
  return Mix(Mix(Mix(seed ^ a) ^ b) ^ c);
}

std::string MapsLine(const Mapping& m) {
  return absl::StrFormat("%x-%x %s %08x %s %d %s\n", m.start, m.limit, m.perms,
                         m.offset, m.device, m.inode, m.path);
}

}  // namespace

SyntheticModule MadeUpModule(int functions) {
  SyntheticModule module;
  module.mapping.start = kMadeUpBase;
  module.mapping.limit =
      kMadeUpBase +
      ((static_cast<uint64_t>(functions) * 256 + 0xfff) & ~0xfffull);
  module.mapping.perms = "r-xp";
  module.mapping.device = "fe:01";
  module.mapping.inode = 4242;
  module.mapping.path = "/opt/synthetic/libsynthetic.so";
  for (int k = 0; k < functions; ++k) {
    module.functions.push_back({absl::StrCat("synthetic::fn_", k, "()"),
                                kMadeUpBase + 256 * static_cast<uint64_t>(k),
                                256});
  }
  return module;
}

absl::StatusOr<SyntheticModule> ElfModule(const std::string& path,
                                          int max_functions) {
  elf_version(EV_CURRENT);
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return absl::NotFoundError(
        absl::StrCat(path, ": cannot open: ", std::strerror(errno)));
  }
  struct stat st;
  fstat(fd, &st);
  Elf* elf = elf_begin(fd, ELF_C_READ, nullptr);
  size_t phnum = 0;
  if (elf == nullptr || elf_getphdrnum(elf, &phnum) != 0) {
    if (elf != nullptr) elf_end(elf);
    close(fd);
    return absl::InvalidArgumentError(absl::StrCat(path, ": not ELF"));
  }
  struct Segment {
    uint64_t offset, filesz, vaddr;
  };
  std::vector<Segment> segments;
  for (size_t i = 0; i < phnum; ++i) {
    GElf_Phdr ph;
    if (gelf_getphdr(elf, static_cast<int>(i), &ph) != nullptr &&
        ph.p_type == PT_LOAD) {
      segments.push_back({ph.p_offset, ph.p_filesz, ph.p_vaddr});
    }
  }
  // The full symbol table if there is one, else the dynamic one.
  Elf_Scn* symtab = nullptr;
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn != nullptr;
       scn = elf_nextscn(elf, scn)) {
    GElf_Shdr sh;
    if (gelf_getshdr(scn, &sh) == nullptr) continue;
    if (sh.sh_type == SHT_SYMTAB) symtab = scn;
    if (sh.sh_type == SHT_DYNSYM && symtab == nullptr) symtab = scn;
  }
  struct Sym {
    uint64_t start, limit;
    std::string name;
  };
  std::vector<Sym> syms;
  if (symtab != nullptr) {
    GElf_Shdr sh;
    gelf_getshdr(symtab, &sh);
    Elf_Data* data = elf_getdata(symtab, nullptr);
    const size_t n = sh.sh_entsize == 0 ? 0 : sh.sh_size / sh.sh_entsize;
    for (size_t i = 1; data != nullptr && i < n; ++i) {
      GElf_Sym sym;
      if (gelf_getsym(data, static_cast<int>(i), &sym) == nullptr) continue;
      if (GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_size < 16 ||
          sym.st_shndx == SHN_UNDEF) {
        continue;
      }
      const char* name = elf_strptr(elf, sh.sh_link, sym.st_name);
      if (name == nullptr || name[0] == '\0') continue;
      syms.push_back({sym.st_value, sym.st_value + sym.st_size, name});
    }
  }
  elf_end(elf);
  close(fd);
  // Only symbols alone at their addresses: no alias, nothing nested, so
  // that any symbolizer gives the name recorded here.
  std::sort(syms.begin(), syms.end(), [](const Sym& a, const Sym& b) {
    return a.start != b.start ? a.start < b.start : a.limit < b.limit;
  });
  std::vector<const Sym*> alone;
  for (size_t i = 0; i < syms.size(); ++i) {
    const bool overlaps_prev = i > 0 && syms[i - 1].limit > syms[i].start;
    const bool overlaps_next =
        i + 1 < syms.size() && syms[i + 1].start < syms[i].limit;
    bool nested = false;
    for (size_t j = i; j-- > 0 && i - j < 16;) {
      if (syms[j].limit > syms[i].start) nested = true;
    }
    if (!overlaps_prev && !overlaps_next && !nested) alone.push_back(&syms[i]);
  }
  if (alone.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": no sized function symbols to build stacks of"));
  }
  SyntheticModule module;
  module.mapping.start = kElfBase;
  module.mapping.limit =
      kElfBase + ((static_cast<uint64_t>(st.st_size) + 0xfff) & ~0xfffull);
  module.mapping.perms = "r-xp";
  module.mapping.device = "fe:01";
  module.mapping.inode = static_cast<uint64_t>(st.st_ino);
  module.mapping.path = path;
  const size_t step =
      std::max<size_t>(1, alone.size() / std::max(max_functions, 1));
  for (size_t i = 0; i < alone.size() && module.functions.size() <
                                             static_cast<size_t>(max_functions);
       i += step) {
    const Sym& s = *alone[i];
    for (const Segment& seg : segments) {
      if (s.start >= seg.vaddr && s.limit <= seg.vaddr + seg.filesz) {
        module.functions.push_back(
            {Demangle(s.name.c_str()),
             kElfBase + (s.start - seg.vaddr) + seg.offset, s.limit - s.start});
        break;
      }
    }
  }
  return module;
}

SyntheticSeries::SyntheticSeries(SyntheticOptions options,
                                 SyntheticModule module)
    : options_(options), module_(std::move(module)) {
  Mapping allocator;
  allocator.start = kAllocatorBase;
  allocator.limit = kAllocatorBase + kAllocatorSize;
  allocator.perms = "r-xp";
  allocator.device = "fe:01";
  allocator.inode = 77;
  allocator.path = kAllocatorPath;
  mappings_ = {allocator, module_.mapping};
  std::sort(
      mappings_.begin(), mappings_.end(),
      [](const Mapping& a, const Mapping& b) { return a.start < b.start; });

  const uint64_t seed = options_.seed;
  const size_t nfun = module_.functions.size();
  // Call sites: four per function, so that stacks share return addresses
  // as a program's do.
  auto call_site = [&](uint64_t h) {
    const SyntheticFunction& f = module_.functions[(h >> 2) % nfun];
    // A return address: the reader looks up pc - 1, inside the function.
    const uint64_t span = std::max<uint64_t>(f.size - 1, 1);
    return f.address + 1 + (h & 3) * (span / 4);
  };
  const int depth_range = std::max(options_.max_depth - options_.min_depth, 0);
  stacks_.resize(options_.stacks);
  for (int k = 0; k < options_.stacks; ++k) {
    Stack& s = stacks_[k];
    const int site = k / kStacksPerSite;
    s.frames = {kAllocatorBase + 0x1234, kAllocatorBase + 0x2345,
                kAllocatorBase + 0x3456};
    const int depth = options_.min_depth +
                      static_cast<int>(Hash(seed, 1, k) % (depth_range + 1));
    for (int j = 0; j < depth; ++j) {
      const uint64_t h =
          j < kSiteFrames ? Hash(seed, 2, site, j) : Hash(seed, 3, k, j);
      s.frames.push_back(call_site(h));
    }
    s.planted = k % kStacksPerSite == 0 && site < std::max(options_.planted, 0);
    const uint64_t h = Hash(seed, 4, k);
    s.object_size = s.planted ? kPlantedObjectSize : (uint64_t{16} << (h % 13));
    s.base_objects = 1 + static_cast<int>((h >> 8) % 8);
  }
}

int SyntheticSeries::Objects(int stack, int snapshot) const {
  const Stack& s = stacks_[stack];
  if (s.planted) {
    return s.base_objects + options_.leak_objects_per_snapshot * snapshot;
  }
  const uint64_t h = Hash(options_.seed, 5, stack, snapshot) % 10;
  const int delta = h == 0 ? 1 : h == 1 ? -1 : 0;
  return std::max(0, s.base_objects + delta);
}

HeapProfile SyntheticSeries::Snapshot(int i) const {
  HeapProfile p;
  p.sample_period = options_.sample_period;
  p.mappings = mappings_;
  p.stacks.reserve(stacks_.size());
  for (int k = 0; k < static_cast<int>(stacks_.size()); ++k) {
    const int objects = Objects(k, i);
    if (objects == 0) continue;
    StackSample st;
    st.frames = stacks_[k].frames;
    st.sampled = {static_cast<double>(objects),
                  static_cast<double>(objects * stacks_[k].object_size)};
    st.threads.push_back({k % kThreads, st.sampled, {}});
    p.total_sampled += st.sampled;
    p.stacks.push_back(std::move(st));
  }
  return p;
}

std::string SyntheticSeries::SnapshotText(int i) const {
  std::string out;
  out.reserve(stacks_.size() * (options_.max_depth + 3) * 16 + 4096);
  std::vector<Counts> per_thread(kThreads);
  Counts total;
  std::string body;
  body.reserve(out.capacity());
  for (int k = 0; k < static_cast<int>(stacks_.size()); ++k) {
    const int objects = Objects(k, i);
    if (objects == 0) continue;
    const uint64_t bytes = objects * stacks_[k].object_size;
    body += '@';
    for (uint64_t pc : stacks_[k].frames) {
      absl::StrAppend(&body, " 0x", absl::Hex(pc));
    }
    absl::StrAppend(&body, "\n  t*: ", objects, ": ", bytes, " [0: 0]\n  t",
                    k % kThreads, ": ", objects, ": ", bytes, " [0: 0]\n");
    const Counts c{static_cast<double>(objects), static_cast<double>(bytes)};
    total += c;
    per_thread[k % kThreads] += c;
  }
  absl::StrAppend(&out, "heap_v2/", options_.sample_period,
                  "\n  t*: ", static_cast<uint64_t>(total.objects), ": ",
                  static_cast<uint64_t>(total.bytes), " [0: 0]\n");
  for (int t = 0; t < kThreads; ++t) {
    if (per_thread[t].objects == 0) continue;
    absl::StrAppend(&out, "  t", t, ": ",
                    static_cast<uint64_t>(per_thread[t].objects), ": ",
                    static_cast<uint64_t>(per_thread[t].bytes), " [0: 0]\n");
  }
  out += body;
  out += "\nMAPPED_LIBRARIES:\n";
  for (const Mapping& m : mappings_) out += MapsLine(m);
  return out;
}

std::vector<std::string> SyntheticSeries::planted_functions() const {
  std::vector<std::string> out;
  for (const Stack& s : stacks_) {
    if (!s.planted) continue;
    // The first frame below the allocator's: the site's named frame.
    const uint64_t pc = s.frames[3] - 1;
    for (const SyntheticFunction& f : module_.functions) {
      if (pc >= f.address && pc < f.address + f.size) {
        out.push_back(f.name);
        break;
      }
    }
  }
  return out;
}

}  // namespace jleak
