// File: elf_symbolizer.cc
//
// ElfSymbolizer over elfutils' libdwfl (see elf_symbolizer.h).
//
// Each module gets its own Dwfl session, reported at bias 0 so that libdwfl
// addresses are the ELF's link-time addresses: we translate profile
// addresses ourselves (mapping -> file offset -> PT_LOAD -> vaddr), which
// stays right however the loader laid segments out, and modules never
// collide in one address space when a profile's maps are odd.

#include "profiler/elf_symbolizer.h"

#include <cxxabi.h>
#include <dwarf.h>
#include <elf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "profiler/java_frame.h"

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
// so this lives as long as the symbolizer.
struct ElfSymbolizer::DwflState {
  Dwfl_Callbacks callbacks = {};
  std::string debuginfo_path;
  char* debuginfo_path_ptr = nullptr;
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
  dwfl_state_->callbacks.find_debuginfo = dwfl_standard_find_debuginfo;
  dwfl_state_->callbacks.debuginfo_path = &dwfl_state_->debuginfo_path_ptr;

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
  candidates.push_back(options_.sysroot + m.display_path);

  const std::string* expected_id = nullptr;
  if (auto it = options_.expected_build_ids.find(mapping.path);
      it != options_.expected_build_ids.end()) {
    expected_id = &it->second;
  }

  std::vector<std::string> problems;
  for (const std::string& file : candidates) {
    struct stat st;
    if (stat(file.c_str(), &st) != 0) {
      problems.push_back(absl::StrCat(file, ": ", std::strerror(errno)));
      continue;
    }
    if (!S_ISREG(st.st_mode)) {
      problems.push_back(absl::StrCat(file, ": not a regular file"));
      continue;
    }
    ++modules_opened_;
    Dwfl* dwfl = dwfl_begin(&dwfl_state_->callbacks);
    if (dwfl == nullptr) {
      problems.push_back(absl::StrCat(file, ": ", dwfl_errmsg(-1)));
      continue;
    }
    dwfl_report_begin(dwfl);
    Dwfl_Module* mod = dwfl_report_elf(dwfl, base.c_str(), file.c_str(), -1, 0,
                                       /*add_p_vaddr=*/true);
    dwfl_report_end(dwfl, nullptr, nullptr);
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

  // Loads the separate debug file, if any, so that the symbol table below
  // is the full .symtab rather than .dynsym when the binary is stripped.
  Dwarf_Addr dwarf_bias = 0;
  m.has_dwarf = dwfl_module_getdwarf(m.mod, &dwarf_bias) != nullptr;

  const int nsyms = dwfl_module_getsymtab(m.mod);
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

SymbolizedAddress ElfSymbolizer::Symbolize(uint64_t address) {
  auto it = cache_.find(address);
  if (it == cache_.end()) {
    it = cache_.emplace(address, SymbolizeUncached(address)).first;
  }
  return it->second;
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

SymbolizedAddress ElfSymbolizer::SymbolizeUncached(uint64_t address) {
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
  const Dwarf_Addr addr = vaddr + m.bias;

  const Module::Symbol* symbol = m.FindSymbol(addr);
  std::string symbol_name = symbol != nullptr ? Demangle(symbol->name) : "";

  // DWARF: the chain of inlined calls at addr, innermost first.
  if (m.has_dwarf) {
    Dwarf_Addr cu_bias = 0;
    Dwarf_Die* cudie = dwfl_module_addrdie(m.mod, addr, &cu_bias);
    Dwarf_Die* scopes = nullptr;
    const int nscopes =
        cudie == nullptr ? 0 : dwarf_getscopes(cudie, addr - cu_bias, &scopes);
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
      Dwarf_Files* files = nullptr;
      if (dwarf_getsrcfiles(cudie, &files, nullptr) != 0) files = nullptr;
      for (int i = 0; i < nchain; ++i) {
        if (!IsFunctionScope(&chain[i])) continue;
        const bool outermost =
            dwarf_tag(&chain[i]) != DW_TAG_inlined_subroutine;
        std::string name;
        if (outermost && !symbol_name.empty()) {
          name = symbol_name;
        } else if (const char* n = DieName(&chain[i])) {
          name = Demangle(n);
        } else {
          name = outermost ? fallback : "<inlined>";
        }
        out.frames.push_back({name, file, line});
        if (outermost) break;
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
  }

  if (out.frames.empty() && !symbol_name.empty()) {
    SourceFrame frame{symbol_name, "", 0};
    if (Dwfl_Line* l = dwfl_module_getsrc(m.mod, addr)) {
      int lineno = 0;
      if (const char* src =
              dwfl_lineinfo(l, nullptr, &lineno, nullptr, nullptr, nullptr)) {
        frame.file = src;
        frame.line = lineno;
      }
    }
    out.frames.push_back(std::move(frame));
  }

  if (out.frames.empty()) {
    if (!m.warned_unnamed) {
      m.warned_unnamed = true;
      const bool stripped = !m.has_dwarf;
      Warn(absl::StrCat(
          Basename(out.module), ": some addresses have no symbol in ", m.file,
          stripped ? " (stripped: no .symtab and no debug file found; install "
                     "its debug symbols or pass an unstripped copy)"
                   : "",
          "; they show as ", Basename(out.module), "+0x<offset>"));
    }
    out.frames.push_back({fallback, "", 0});
    return out;
  }
  out.resolved = true;
  return out;
}

absl::StatusOr<std::string> ReadElfBuildId(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    const int err = errno;
    return absl::Status(absl::ErrnoToStatusCode(err),
                        absl::StrCat(path, ": ", std::strerror(err)));
  }
  static const Dwfl_Callbacks kCallbacks = {
      dwfl_build_id_find_elf, dwfl_standard_find_debuginfo, nullptr, nullptr};
  Dwfl* dwfl = dwfl_begin(&kCallbacks);
  if (dwfl == nullptr) return absl::InternalError(dwfl_errmsg(-1));
  dwfl_report_begin(dwfl);
  Dwfl_Module* mod =
      dwfl_report_elf(dwfl, "m", path.c_str(), -1, 0, /*add_p_vaddr=*/true);
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
