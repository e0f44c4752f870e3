// File: elf_symbolizer.cc
//
// ElfSymbolizer over elfutils' libdwfl (see elf_symbolizer.h).
//
// Each module gets its own Dwfl session, reported at bias 0 so that libdwfl
// addresses are the ELF's link-time addresses: we translate profile
// addresses ourselves (mapping -> file offset -> PT_LOAD -> vaddr), which
// stays right however the loader laid segments out, and modules never
// collide in one address space when a profile's maps are odd.

#include "profile/elf_symbolizer.h"

#include <cxxabi.h>
#include <dwarf.h>
#include <elf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <gelf.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "profile/java_frame.h"

namespace jleak {
namespace {

constexpr int kHostMachine =
#if defined(__x86_64__)
    EM_X86_64;
#elif defined(__aarch64__)
    EM_AARCH64;
#elif defined(__i386__)
    EM_386;
#else
    EM_NONE;
#endif

std::string Basename(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// /proc maps show a replaced or deleted file as "<path> (deleted)".
std::string StripDeleted(const std::string& path) {
  constexpr absl::string_view kDeleted = " (deleted)";
  if (path.size() > kDeleted.size() &&
      absl::string_view(path).substr(path.size() - kDeleted.size()) ==
          kDeleted) {
    return path.substr(0, path.size() - kDeleted.size());
  }
  return path;
}

std::string Hex(const unsigned char* bits, int len) {
  std::string out;
  out.reserve(2 * len);
  for (int i = 0; i < len; ++i) absl::StrAppendFormat(&out, "%02x", bits[i]);
  return out;
}

std::string ModuleOffsetName(const std::string& module, uint64_t offset) {
  return absl::StrFormat("%s+0x%x", Basename(module), offset);
}

// The name of a DWARF function DIE, following abstract origins, preferring
// the linkage name (it demangles to the qualified name with parameters).
const char* DieName(Dwarf_Die* die) {
  Dwarf_Attribute attr;
  const char* name =
      dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &attr));
  if (name == nullptr) {
    name = dwarf_formstring(
        dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr));
  }
  if (name == nullptr) name = dwarf_diename(die);
  return name;
}

bool IsFunctionScope(Dwarf_Die* die) {
  const int tag = dwarf_tag(die);
  return tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine ||
         tag == DW_TAG_entry_point;
}

}  // namespace

std::string Demangle(const char* name) {
  if (name == nullptr) return "";
  if (name[0] == '_' && name[1] == 'Z') {
    int status = 0;
    char* demangled = abi::__cxa_demangle(name, nullptr, nullptr, &status);
    if (status == 0 && demangled != nullptr) {
      std::string out(demangled);
      std::free(demangled);
      return out;
    }
    std::free(demangled);
  }
  return name;
}

// What every module's Dwfl session points to; libdwfl keeps the pointers,
// so this lives as long as the symbolizer. Each module's userdata points
// here too, for FindDebuginfo.
namespace {

// Where FindDebuginfo looks; each module's userdata points to it.
struct DebuginfoSearch {
  // The search path: "" (the binary's directory), ".debug" (its
  // subdirectory) and absolute debug directories.
  std::vector<std::string> path;
  // DEBUGINFOD_URLS is set: libdw's standard search, servers included.
  bool use_debuginfod = false;
};

std::string Dirname(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

uint32_t FileCrc32(int fd) {
  uLong crc = crc32(0L, Z_NULL, 0);
  unsigned char buf[1 << 16];
  ssize_t n;
  off_t at = 0;  // pread: the fd's own offset stays where libelf wants it
  while ((n = pread(fd, buf, sizeof buf, at)) > 0) {
    crc = crc32(crc, buf, static_cast<uInt>(n));
    at += n;
  }
  return static_cast<uint32_t>(crc);
}

// Whether the file open at `fd` is the debug file of a module with build-id
// `id` (or, without one, whose .gnu_debuglink has CRC `crc`), as libdw's
// own search decides it.
bool IsDebugFileFor(int fd, const unsigned char* id, int id_len,
                    GElf_Word crc) {
  if (id_len > 0) {
    Elf* elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
    if (elf == nullptr) return false;
    const void* found = nullptr;
    const ssize_t len = dwelf_elf_gnu_build_id(elf, &found);
    const bool same = len == id_len && std::memcmp(found, id, len) == 0;
    elf_end(elf);
    return same;
  }
  return crc == 0 || FileCrc32(fd) == crc;
}

// FindDebuginfo is libdwfl's find_debuginfo callback. Without
// DEBUGINFOD_URLS it searches only the local debug directories, as
// dwfl_standard_find_debuginfo does before it falls back to debuginfod:
// that fallback loads libdebuginfod and its network stack for every module
// that has no local debug file (most of a JVM's), which costs more than
// naming a whole profile.
int FindDebuginfo(Dwfl_Module* mod, void** userdata, const char* modname,
                  Dwarf_Addr base, const char* file_name,
                  const char* debuglink_file, GElf_Word debuglink_crc,
                  char** debuginfo_file_name) {
  const auto* state = static_cast<const DebuginfoSearch*>(*userdata);
  // Besides the module's own debug file, libdw asks for dwz's shared
  // "alt" file by its .gnu_debugaltlink name: that search needs the
  // module's Dwarf, which only the standard search can see.
  GElf_Addr bias = 0;
  Elf* main_elf = dwfl_module_getelf(mod, &bias);
  GElf_Word own_crc = 0;
  const char* own_link = main_elf == nullptr
                             ? nullptr
                             : dwelf_elf_gnu_debuglink(main_elf, &own_crc);
  const bool main_request =
      (own_link == nullptr && debuglink_file == nullptr) ||
      (own_link != nullptr && debuglink_file != nullptr &&
       std::strcmp(own_link, debuglink_file) == 0);
  if (state == nullptr || state->use_debuginfod || !main_request) {
    return dwfl_standard_find_debuginfo(mod, userdata, modname, base, file_name,
                                        debuglink_file, debuglink_crc,
                                        debuginfo_file_name);
  }

  const unsigned char* id = nullptr;
  GElf_Addr id_vaddr = 0;
  const int id_len = dwfl_module_build_id(mod, &id, &id_vaddr);
  std::vector<std::string> candidates;
  if (id_len > 0) {
    const std::string hex = Hex(id, id_len);
    for (const std::string& dir : state->path) {
      if (dir.empty() || dir[0] != '/') continue;
      candidates.push_back(absl::StrCat(dir, "/.build-id/", hex.substr(0, 2),
                                        "/", hex.substr(2), ".debug"));
    }
  }
  if (debuglink_file != nullptr && debuglink_file[0] != '\0' &&
      file_name != nullptr) {
    const std::string dir = Dirname(file_name);
    for (const std::string& entry : state->path) {
      if (entry.empty()) {
        candidates.push_back(absl::StrCat(dir, "/", debuglink_file));
      } else if (entry[0] != '/') {
        candidates.push_back(
            absl::StrCat(dir, "/", entry, "/", debuglink_file));
      } else if (dir[0] == '/') {
        candidates.push_back(absl::StrCat(entry, dir, "/", debuglink_file));
      }
    }
  }
  struct stat main_st = {};
  const bool have_main = file_name != nullptr && stat(file_name, &main_st) == 0;
  for (const std::string& c : candidates) {
    const int fd = open(c.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    struct stat st;
    // Never the binary itself (a debuglink naming its own file).
    const bool is_main = have_main && fstat(fd, &st) == 0 &&
                         st.st_dev == main_st.st_dev &&
                         st.st_ino == main_st.st_ino;
    if (!is_main && IsDebugFileFor(fd, id, id_len, debuglink_crc)) {
      *debuginfo_file_name = strdup(c.c_str());
      return fd;
    }
    close(fd);
  }
  errno = 0;
  return -1;
}

// Whether the file itself has a .symtab (not only .dynsym).
bool HasSymtabSection(Elf* elf) {
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn != nullptr;
       scn = elf_nextscn(elf, scn)) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) != nullptr && shdr.sh_type == SHT_SYMTAB) {
      return true;
    }
  }
  return false;
}

}  // namespace

struct ElfSymbolizer::DwflState {
  Dwfl_Callbacks callbacks = {};
  std::string debuginfo_path;
  char* debuginfo_path_ptr = nullptr;
  DebuginfoSearch search;
};

struct ElfSymbolizer::Module {
  struct Segment {
    uint64_t offset, filesz, vaddr;
  };
  struct Symbol {
    uint64_t start, limit;
    const char* name;  // owned by the Dwfl's ELF string tables
  };

  ~Module() {
    if (dwfl != nullptr) dwfl_end(dwfl);
  }

  // Maps a file offset to a link-time address; false if no PT_LOAD
  // segment holds it (a stale mapping table, or the wrong file).
  bool FileOffsetToVaddr(uint64_t offset, uint64_t* vaddr) const {
    for (const Segment& s : segments) {
      if (offset >= s.offset && offset - s.offset < s.filesz) {
        *vaddr = offset - s.offset + s.vaddr;
        return true;
      }
    }
    return false;
  }

  const Symbol* FindSymbol(uint64_t vaddr) const {
    auto it = std::upper_bound(
        symbols.begin(), symbols.end(), vaddr,
        [](uint64_t a, const Symbol& s) { return a < s.start; });
    // Nested symbols (a local alias inside a larger function) are rare and
    // close; look back a little for the innermost one that contains vaddr.
    for (int steps = 0; it != symbols.begin() && steps < 16; ++steps) {
      --it;
      if (vaddr < it->limit) return &*it;
    }
    return nullptr;
  }

  std::string display_path;  // as mapped (without " (deleted)")
  std::string file;          // the file actually read; empty if none
  Dwfl* dwfl = nullptr;
  Dwfl_Module* mod = nullptr;  // null: unusable, degrade to module+offset
  GElf_Addr bias = 0;
  std::vector<Segment> segments;
  std::vector<Symbol> symbols;  // sorted by start, one per start
  // A full symbol table: the file's own .symtab or its debug file's (not
  // only .dynsym). Says whether "no symbol here" means "stripped".
  bool full_symtab = false;
  bool dwarf_tried = false;  // LoadDwarf ran
  bool has_dwarf = false;
  bool warned_unnamed = false;
};

ElfSymbolizer::ElfSymbolizer(std::vector<Mapping> mappings,
                             ElfSymbolizerOptions options)
    : mappings_(std::move(mappings)), options_(std::move(options)) {
  std::stable_sort(
      mappings_.begin(), mappings_.end(),
      [](const Mapping& a, const Mapping& b) { return a.start < b.start; });
  if (options_.elf_machine == 0) options_.elf_machine = kHostMachine;

  // "" and ".debug" are the binary's own directory and its .debug
  // subdirectory (for .gnu_debuglink); absolute entries serve build-id
  // lookups too.
  std::vector<std::string> path = {"", ".debug"};
  for (const std::string& dir : options_.debug_dirs) {
    if (!options_.sysroot.empty()) path.push_back(options_.sysroot + dir);
    path.push_back(dir);
  }
  dwfl_state_ = std::make_unique<DwflState>();
  dwfl_state_->debuginfo_path = absl::StrJoin(path, ":");
  dwfl_state_->debuginfo_path_ptr = dwfl_state_->debuginfo_path.data();
  dwfl_state_->callbacks.find_elf = dwfl_build_id_find_elf;
  dwfl_state_->callbacks.find_debuginfo = FindDebuginfo;
  dwfl_state_->callbacks.debuginfo_path = &dwfl_state_->debuginfo_path_ptr;
  dwfl_state_->search.path = std::move(path);
  const char* urls = std::getenv("DEBUGINFOD_URLS");
  dwfl_state_->search.use_debuginfod =
      options_.allow_debuginfod && urls != nullptr && urls[0] != '\0';

  if (!options_.perf_map_path.empty()) {
    perf_map_ = ReadMap(options_.perf_map_path,
                        "perf map not used, JIT frames stay unnamed");
  }
  if (!options_.java_frames_map_path.empty()) {
    java_frames_map_ = ReadMap(options_.java_frames_map_path,
                               "Java frames map not used, Java frames stay "
                               "unnamed");
  }
}

std::optional<PerfMap> ElfSymbolizer::ReadMap(const std::string& path,
                                              absl::string_view what) {
  absl::StatusOr<PerfMap> map = ReadPerfMap(path);
  if (!map.ok()) {
    Warn(absl::StrCat(what, ": ", map.status().message()));
    return std::nullopt;
  }
  if (map->skipped_lines() > 0) {
    Warn(absl::StrCat(map->skipped_lines(), " bad line(s) skipped in ", path,
                      ", first: ", map->first_error()));
  }
  return *std::move(map);
}

ElfSymbolizer::~ElfSymbolizer() = default;

void ElfSymbolizer::SetMappings(std::vector<Mapping> mappings) {
  std::stable_sort(
      mappings.begin(), mappings.end(),
      [](const Mapping& a, const Mapping& b) { return a.start < b.start; });
  auto same = [](const Mapping& a, const Mapping& b) {
    return a.start == b.start && a.limit == b.limit && a.offset == b.offset &&
           a.perms == b.perms && a.path == b.path;
  };
  if (std::equal(mappings.begin(), mappings.end(), mappings_.begin(),
                 mappings_.end(), same)) {
    return;
  }
  mappings_ = std::move(mappings);
  names_.clear();
  details_.clear();
}

void ElfSymbolizer::Warn(std::string warning) {
  warnings_.push_back(std::move(warning));
}

std::vector<std::string> ElfSymbolizer::Warnings() const { return warnings_; }

ElfSymbolizer::Module& ElfSymbolizer::GetModule(const Mapping& mapping) {
  std::unique_ptr<Module>& slot = modules_[mapping.path];
  if (slot != nullptr) return *slot;
  slot = std::make_unique<Module>();
  Module& m = *slot;
  m.display_path = StripDeleted(mapping.path);
  const std::string base = Basename(m.display_path);

  std::vector<std::string> candidates;
  for (const std::string& dir : options_.binary_dirs) {
    candidates.push_back(absl::StrCat(dir, "/", base));
  }
  // Under a sysroot, a path with ".." (written by the profiled process)
  // could reach the analyst's own files: only the binary dirs are tried.
  const bool escapes =
      !options_.sysroot.empty() && (absl::StrContains(m.display_path, "/../") ||
                                    absl::EndsWith(m.display_path, "/.."));
  if (!escapes) candidates.push_back(options_.sysroot + m.display_path);

  const std::string* expected_id = nullptr;
  if (auto it = options_.expected_build_ids.find(mapping.path);
      it != options_.expected_build_ids.end()) {
    expected_id = &it->second;
  }

  std::vector<std::string> problems;
  for (const std::string& file : candidates) {
    // Module paths come from the profile, which the profiled process
    // wrote: a FIFO or device there must not block or be read.
    const int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
      problems.push_back(absl::StrCat(file, ": ", std::strerror(errno)));
      continue;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      close(fd);
      problems.push_back(absl::StrCat(file, ": not a regular file"));
      continue;
    }
    ++modules_opened_;
    Dwfl* dwfl = dwfl_begin(&dwfl_state_->callbacks);
    if (dwfl == nullptr) {
      close(fd);
      problems.push_back(absl::StrCat(file, ": ", dwfl_errmsg(-1)));
      continue;
    }
    dwfl_report_begin(dwfl);
    Dwfl_Module* mod = dwfl_report_elf(dwfl, base.c_str(), file.c_str(), fd, 0,
                                       /*add_p_vaddr=*/true);
    dwfl_report_end(dwfl, nullptr, nullptr);
    if (mod != nullptr) {
      void** userdata = nullptr;
      dwfl_module_info(mod, &userdata, nullptr, nullptr, nullptr, nullptr,
                       nullptr, nullptr);
      if (userdata != nullptr) *userdata = &dwfl_state_->search;
    }
    GElf_Addr bias = 0;
    Elf* elf = mod == nullptr ? nullptr : dwfl_module_getelf(mod, &bias);
    GElf_Ehdr ehdr_mem;
    GElf_Ehdr* ehdr = elf == nullptr ? nullptr : gelf_getehdr(elf, &ehdr_mem);
    if (ehdr == nullptr) {
      problems.push_back(absl::StrCat(file, ": not a usable ELF file (",
                                      dwfl_errmsg(-1), ")"));
      dwfl_end(dwfl);
      continue;
    }
    if (ehdr->e_machine != options_.elf_machine) {
      problems.push_back(absl::StrFormat(
          "%s: ELF machine %d, but the profile's is %d (another "
          "architecture)",
          file, ehdr->e_machine, options_.elf_machine));
      dwfl_end(dwfl);
      continue;
    }
    if (expected_id != nullptr) {
      const unsigned char* bits = nullptr;
      GElf_Addr id_vaddr = 0;
      const int len = dwfl_module_build_id(mod, &bits, &id_vaddr);
      const std::string actual = len > 0 ? Hex(bits, len) : "none";
      if (actual != *expected_id) {
        problems.push_back(absl::StrCat(file, ": build-id ", actual,
                                        " differs from the one mapped (",
                                        *expected_id, ")"));
        dwfl_end(dwfl);
        continue;
      }
    }
    m.file = file;
    m.dwfl = dwfl;
    m.mod = mod;
    m.bias = bias;
    break;
  }

  if (m.mod == nullptr) {
    Warn(absl::StrCat(base, ": not symbolized, its frames show as ", base,
                      "+0x<offset>: ", absl::StrJoin(problems, "; ")));
    return m;
  }

  Elf* elf = dwfl_module_getelf(m.mod, &m.bias);
  size_t phnum = 0;
  if (elf_getphdrnum(elf, &phnum) == 0) {
    for (size_t i = 0; i < phnum; ++i) {
      GElf_Phdr phdr_mem;
      GElf_Phdr* ph = gelf_getphdr(elf, static_cast<int>(i), &phdr_mem);
      if (ph != nullptr && ph->p_type == PT_LOAD) {
        m.segments.push_back({ph->p_offset, ph->p_filesz, ph->p_vaddr});
      }
    }
  }

  // A stripped binary's full .symtab is in its separate debug file, which
  // libdwfl finds (FindDebuginfo) without reading any DWARF.
  const int nsyms = dwfl_module_getsymtab(m.mod);
  const char* debug_file = nullptr;
  dwfl_module_info(m.mod, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
                   &debug_file);
  m.full_symtab = HasSymtabSection(elf) || debug_file != nullptr;
  m.symbols.reserve(nsyms > 0 ? nsyms : 0);
  std::vector<std::pair<Module::Symbol, int>> ranked;
  ranked.reserve(nsyms > 0 ? nsyms : 0);
  for (int i = 1; i < nsyms; ++i) {
    GElf_Sym sym;
    GElf_Addr addr = 0;
    GElf_Word shndx = 0;
    const char* name = dwfl_module_getsym_info(m.mod, i, &sym, &addr, &shndx,
                                               nullptr, nullptr);
    if (name == nullptr || name[0] == '\0' || sym.st_size == 0 ||
        sym.st_shndx == SHN_UNDEF) {
      continue;
    }
    const int type = GELF_ST_TYPE(sym.st_info);
    if (type != STT_FUNC && type != STT_GNU_IFUNC) continue;
    // Among aliases at one address, prefer global, then weak, then local
    // names: the exported name is the one users know.
    const int bind = GELF_ST_BIND(sym.st_info);
    const int rank = bind == STB_GLOBAL ? 0 : bind == STB_WEAK ? 1 : 2;
    ranked.push_back({{addr, addr + sym.st_size, name}, rank});
  }
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    if (a.first.start != b.first.start) return a.first.start < b.first.start;
    return a.second < b.second;
  });
  for (const auto& [symbol, rank] : ranked) {
    if (!m.symbols.empty() && m.symbols.back().start == symbol.start) {
      continue;
    }
    m.symbols.push_back(symbol);
  }
  return m;
}

SymbolizedAddress ElfSymbolizer::SymbolizeName(uint64_t address) {
  auto it = names_.find(address);
  if (it == names_.end()) {
    it = names_.emplace(address, NameUncached(address)).first;
  }
  return it->second;
}

SymbolizedAddress ElfSymbolizer::Symbolize(uint64_t address) {
  if (!options_.read_dwarf) return SymbolizeName(address);
  auto it = details_.find(address);
  if (it == details_.end()) {
    SymbolizedAddress name = SymbolizeName(address);
    it = details_.emplace(address, DetailUncached(address, name)).first;
  }
  return it->second;
}

bool ElfSymbolizer::LoadDwarf(Module& m) {
  if (m.dwarf_tried) return m.has_dwarf;
  m.dwarf_tried = true;
  Dwarf_Addr bias = 0;
  m.has_dwarf = dwfl_module_getdwarf(m.mod, &bias) != nullptr;
  if (m.has_dwarf) ++dwarf_modules_opened_;
  return m.has_dwarf;
}

SymbolizedAddress ElfSymbolizer::SymbolizeJavaFrame(uint64_t address) {
  SymbolizedAddress out;
  out.address = address;
  out.module = kJavaModule;
  out.module_offset = JavaFrameId(address);
  const PerfMapEntry* e =
      java_frames_map_.has_value() ? java_frames_map_->Find(address) : nullptr;
  if (e == nullptr) {
    if (!java_frames_map_.has_value() && !warned_no_java_frames_map_) {
      warned_no_java_frames_map_ = true;
      Warn(absl::StrCat(
          "the stacks hold Java frames recorded by the agent, but no ",
          kJavaFramesMapName,
          " names them: give the run directory's with --java-frames"));
    }
    out.frames.push_back({"[unknown Java frame]", "", 0});
    return out;
  }
  JavaFrameName name = ParseJavaFrameName(e->name);
  out.frames.push_back(
      {std::move(name.method), std::move(name.file), name.line});
  out.resolved = true;
  return out;
}

SymbolizedAddress ElfSymbolizer::NameUncached(uint64_t address) {
  if (IsJavaFrameAddress(address)) return SymbolizeJavaFrame(address);
  SymbolizedAddress out;
  out.address = address;
  const Mapping* mapping = FindMapping(mappings_, address);

  if (mapping == nullptr || !mapping->is_file()) {
    if (perf_map_.has_value()) {
      if (const PerfMapEntry* e = perf_map_->Find(address)) {
        out.module = "[jit]";
        out.module_offset = address - e->start;
        out.frames.push_back({e->name, "", 0});
        out.resolved = true;
        return out;
      }
    }
    if (mapping != nullptr && !mapping->path.empty()) {
      // [vdso], [heap], [anon:...]: say where, though nothing names it.
      out.module = mapping->path;
      out.module_offset = address - mapping->start + mapping->offset;
      out.frames.push_back(
          {ModuleOffsetName(out.module, out.module_offset), "", 0});
    } else {
      out.frames.push_back({absl::StrFormat("0x%x", address), "", 0});
    }
    return out;
  }

  out.module = StripDeleted(mapping->path);
  out.module_offset = address - mapping->start + mapping->offset;
  const std::string fallback = ModuleOffsetName(out.module, out.module_offset);
  Module& m = GetModule(*mapping);
  uint64_t vaddr = 0;
  if (m.mod == nullptr || !m.FileOffsetToVaddr(out.module_offset, &vaddr)) {
    if (m.mod != nullptr && !m.warned_unnamed) {
      m.warned_unnamed = true;
      Warn(absl::StrFormat(
          "%s: file offset 0x%x is in no loadable segment of %s; is it the "
          "file that was mapped?",
          Basename(out.module), out.module_offset, m.file));
    }
    out.frames.push_back({fallback, "", 0});
    return out;
  }
  const Module::Symbol* symbol = m.FindSymbol(vaddr + m.bias);
  if (symbol == nullptr) {
    if (!m.warned_unnamed) {
      m.warned_unnamed = true;
      Warn(absl::StrCat(
          Basename(out.module), ": some addresses have no symbol in ", m.file,
          m.full_symtab
              ? ""
              : " (stripped: no .symtab and no debug file found; install "
                "its debug symbols or pass an unstripped copy)",
          "; they show as ", Basename(out.module), "+0x<offset>"));
    }
    out.frames.push_back({fallback, "", 0});
    return out;
  }
  out.frames.push_back({Demangle(symbol->name), "", 0});
  out.resolved = true;
  return out;
}

SymbolizedAddress ElfSymbolizer::DetailUncached(uint64_t address,
                                                const SymbolizedAddress& name) {
  const Mapping* mapping =
      IsJavaFrameAddress(address) ? nullptr : FindMapping(mappings_, address);
  if (mapping == nullptr || !mapping->is_file()) return name;
  Module& m = GetModule(*mapping);
  uint64_t vaddr = 0;
  if (m.mod == nullptr || !m.FileOffsetToVaddr(name.module_offset, &vaddr) ||
      !LoadDwarf(m)) {
    return name;
  }
  const Dwarf_Addr addr = vaddr + m.bias;
  // The function's name is the symbol table's (SymbolizeName), whatever
  // DWARF calls it: that is what stacks and sites are keyed by.
  const std::string& symbol_name = name.frames.back().function;
  SymbolizedAddress out = name;
  out.frames.clear();

  // DWARF: the chain of inlined calls at addr, innermost first. Only the
  // compilation unit containing addr is read.
  Dwarf_Addr cu_bias = 0;
  Dwarf_Die* cudie = dwfl_module_addrdie(m.mod, addr, &cu_bias);
  Dwarf_Die* scopes = nullptr;
  const int nscopes =
      cudie == nullptr ? 0 : dwarf_getscopes(cudie, addr - cu_bias, &scopes);
  std::string file;
  int line = 0;
  if (Dwfl_Line* l = dwfl_module_getsrc(m.mod, addr)) {
    int lineno = 0;
    if (const char* src =
            dwfl_lineinfo(l, nullptr, &lineno, nullptr, nullptr, nullptr)) {
      file = src;
      line = lineno;
    }
  }
  if (nscopes > 0) {
    // dwarf_getscopes continues past an inlined instance into its
    // abstract definition; the physical nesting of the innermost scope
    // is the inline chain.
    Dwarf_Die innermost;
    Dwarf_Die* chain = nullptr;
    int nchain = 0;
    Dwarf_Addr dwarf_bias = 0;
    if (dwarf_offdie(dwfl_module_getdwarf(m.mod, &dwarf_bias),
                     dwarf_dieoffset(&scopes[0]), &innermost) != nullptr) {
      nchain = dwarf_getscopes_die(&innermost, &chain);
    }
    Dwarf_Files* files = nullptr;
    if (dwarf_getsrcfiles(cudie, &files, nullptr) != 0) files = nullptr;
    for (int i = 0; i < nchain; ++i) {
      if (!IsFunctionScope(&chain[i])) continue;
      if (dwarf_tag(&chain[i]) != DW_TAG_inlined_subroutine) break;
      const char* n = DieName(&chain[i]);
      out.frames.push_back(
          {n != nullptr ? Demangle(n) : "<inlined>", file, line});
      // The caller's position is where this inlined call was made.
      Dwarf_Attribute attr;
      Dwarf_Word value = 0;
      file.clear();
      line = 0;
      if (files != nullptr &&
          dwarf_formudata(dwarf_attr(&chain[i], DW_AT_call_file, &attr),
                          &value) == 0) {
        if (const char* f = dwarf_filesrc(files, value, nullptr, nullptr)) {
          file = f;
        }
      }
      if (dwarf_formudata(dwarf_attr(&chain[i], DW_AT_call_line, &attr),
                          &value) == 0) {
        line = static_cast<int>(value);
      }
    }
    free(chain);
    free(scopes);
  }
  out.frames.push_back({symbol_name, std::move(file), line});
  return out;
}

absl::StatusOr<std::string> ReadElfBuildId(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    const int err = errno;
    return absl::Status(absl::ErrnoToStatusCode(err),
                        absl::StrCat(path, ": ", std::strerror(err)));
  }
  return ReadElfBuildIdFromFd(fd, path);
}

absl::StatusOr<std::string> ReadElfBuildIdFromFd(int fd,
                                                 const std::string& path) {
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not a regular file"));
  }
  // Opened O_NONBLOCK so that a FIFO could not block; reads of a regular
  // file ignore the flag.
  static const Dwfl_Callbacks kCallbacks = {
      dwfl_build_id_find_elf, dwfl_standard_find_debuginfo, nullptr, nullptr};
  Dwfl* dwfl = dwfl_begin(&kCallbacks);
  if (dwfl == nullptr) {
    close(fd);
    return absl::InternalError(dwfl_errmsg(-1));
  }
  dwfl_report_begin(dwfl);
  Dwfl_Module* mod =
      dwfl_report_elf(dwfl, "m", path.c_str(), fd, 0, /*add_p_vaddr=*/true);
  dwfl_report_end(dwfl, nullptr, nullptr);
  absl::StatusOr<std::string> result;
  const unsigned char* bits = nullptr;
  GElf_Addr vaddr = 0;
  int len = 0;
  if (mod == nullptr) {
    result = absl::InvalidArgumentError(
        absl::StrCat(path, ": not an ELF file (", dwfl_errmsg(-1), ")"));
  } else if ((len = dwfl_module_build_id(mod, &bits, &vaddr)) <= 0) {
    result = absl::NotFoundError(absl::StrCat(path, ": no GNU build-id"));
  } else {
    result = Hex(bits, len);
  }
  dwfl_end(dwfl);
  return result;
}

}  // namespace jleak
