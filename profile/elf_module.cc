// File: elf_module.cc
//
// Opening a mapped module and reading its segments and symbols (see
// elf_module.h).

#include "profile/elf_module.h"

#include <elf.h>
#include <fcntl.h>
#include <gelf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace jleak::elf_internal {
namespace {

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

// Candidates: the files that may be the module mapped at `display_path`,
// in the order they are tried.
std::vector<std::string> Candidates(const std::string& display_path,
                                    const ElfSymbolizerOptions& options) {
  std::vector<std::string> candidates;
  for (const std::string& dir : options.binary_dirs) {
    candidates.push_back(absl::StrCat(dir, "/", Basename(display_path)));
  }
  // Under a sysroot, a path with ".." (written by the profiled process)
  // could reach the analyst's own files: only the binary dirs are tried.
  const bool escapes =
      !options.sysroot.empty() && (absl::StrContains(display_path, "/../") ||
                                   absl::EndsWith(display_path, "/.."));
  if (!escapes) candidates.push_back(options.sysroot + display_path);
  return candidates;
}

// CheckElf: "" when the module libdwfl reported from `file` is a usable
// ELF file of options.elf_machine with build-id `expected_id` (if set),
// else why not.
std::string CheckElf(const std::string& file, Dwfl_Module* mod,
                     const ElfSymbolizerOptions& options,
                     const std::string* expected_id) {
  GElf_Addr bias = 0;
  Elf* elf = mod == nullptr ? nullptr : dwfl_module_getelf(mod, &bias);
  GElf_Ehdr ehdr_mem;
  GElf_Ehdr* ehdr = elf == nullptr ? nullptr : gelf_getehdr(elf, &ehdr_mem);
  if (ehdr == nullptr) {
    return absl::StrCat(file, ": not a usable ELF file (", dwfl_errmsg(-1),
                        ")");
  }
  if (ehdr->e_machine != options.elf_machine) {
    return absl::StrFormat(
        "%s: ELF machine %d, but the profile's is %d (another "
        "architecture)",
        file, ehdr->e_machine, options.elf_machine);
  }
  if (expected_id != nullptr) {
    const unsigned char* bits = nullptr;
    GElf_Addr id_vaddr = 0;
    const int len = dwfl_module_build_id(mod, &bits, &id_vaddr);
    const std::string actual = len > 0 ? BuildIdHex(bits, len) : "none";
    if (actual != *expected_id) {
      return absl::StrCat(file, ": build-id ", actual,
                          " differs from the one mapped (", *expected_id, ")");
    }
  }
  return "";
}

// OpenFile: reads `file` into `m` (its own Dwfl session at bias 0, so
// that libdwfl addresses are the ELF's link-time addresses), or says why
// it does not serve. Module paths come from the profile, which the
// profiled process wrote: a FIFO or device there must not block or be
// read.
std::string OpenFile(const std::string& file,
                     const ElfSymbolizerOptions& options,
                     const std::string* expected_id, DwflState& dwfl_state,
                     int* files_opened, Module& m) {
  const int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return absl::StrCat(file, ": ", std::strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return absl::StrCat(file, ": not a regular file");
  }
  ++*files_opened;
  Dwfl* dwfl = dwfl_begin(&dwfl_state.callbacks);
  if (dwfl == nullptr) {
    close(fd);
    return absl::StrCat(file, ": ", dwfl_errmsg(-1));
  }
  dwfl_report_begin(dwfl);
  Dwfl_Module* mod = dwfl_report_elf(dwfl, Basename(m.display_path).c_str(),
                                     file.c_str(), fd, 0, /*add_p_vaddr=*/true);
  dwfl_report_end(dwfl, nullptr, nullptr);
  if (mod != nullptr) {
    void** userdata = nullptr;
    dwfl_module_info(mod, &userdata, nullptr, nullptr, nullptr, nullptr,
                     nullptr, nullptr);
    if (userdata != nullptr) *userdata = &dwfl_state.search;
  }
  if (std::string problem = CheckElf(file, mod, options, expected_id);
      !problem.empty()) {
    dwfl_end(dwfl);
    return problem;
  }
  m.file = file;
  m.dwfl = dwfl;
  m.mod = mod;
  dwfl_module_getelf(mod, &m.bias);
  return "";
}

void ReadSegments(Module& m) {
  Elf* elf = dwfl_module_getelf(m.mod, &m.bias);
  size_t phnum = 0;
  if (elf_getphdrnum(elf, &phnum) != 0) return;
  for (size_t i = 0; i < phnum; ++i) {
    GElf_Phdr phdr_mem;
    GElf_Phdr* ph = gelf_getphdr(elf, static_cast<int>(i), &phdr_mem);
    if (ph != nullptr && ph->p_type == PT_LOAD) {
      m.segments.push_back({ph->p_offset, ph->p_filesz, ph->p_vaddr});
    }
  }
}

// ReadSymbols: the sized function symbols, one per address. A stripped
// binary's full .symtab is in its separate debug file, which libdwfl
// finds (FindDebuginfo) without reading any DWARF.
void ReadSymbols(Module& m) {
  Elf* elf = dwfl_module_getelf(m.mod, &m.bias);
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
}

}  // namespace

Module::~Module() {
  if (dwfl != nullptr) dwfl_end(dwfl);
}

bool Module::FileOffsetToVaddr(uint64_t offset, uint64_t* vaddr) const {
  for (const Segment& s : segments) {
    if (offset >= s.offset && offset - s.offset < s.filesz) {
      *vaddr = offset - s.offset + s.vaddr;
      return true;
    }
  }
  return false;
}

const Module::Symbol* Module::FindSymbol(uint64_t vaddr) const {
  auto it =
      std::upper_bound(symbols.begin(), symbols.end(), vaddr,
                       [](uint64_t a, const Symbol& s) { return a < s.start; });
  // Nested symbols (a local alias inside a larger function) are rare and
  // close; look back a little for the innermost one that contains vaddr.
  for (int steps = 0; it != symbols.begin() && steps < 16; ++steps) {
    --it;
    if (vaddr < it->limit) return &*it;
  }
  return nullptr;
}

std::unique_ptr<Module> OpenModule(const std::string& mapped_path,
                                   const ElfSymbolizerOptions& options,
                                   DwflState& dwfl_state, int* files_opened,
                                   std::vector<std::string>* problems) {
  auto m = std::make_unique<Module>();
  m->display_path = StripDeleted(mapped_path);
  const std::string* expected_id = nullptr;
  if (auto it = options.expected_build_ids.find(mapped_path);
      it != options.expected_build_ids.end()) {
    expected_id = &it->second;
  }
  for (const std::string& file : Candidates(m->display_path, options)) {
    std::string problem =
        OpenFile(file, options, expected_id, dwfl_state, files_opened, *m);
    if (problem.empty()) break;
    problems->push_back(std::move(problem));
  }
  if (m->mod == nullptr) return m;
  ReadSegments(*m);
  ReadSymbols(*m);
  return m;
}

std::string Basename(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string StripDeleted(const std::string& path) {
  constexpr absl::string_view kDeleted = " (deleted)";
  if (path.size() > kDeleted.size() &&
      absl::string_view(path).substr(path.size() - kDeleted.size()) ==
          kDeleted) {
    return path.substr(0, path.size() - kDeleted.size());
  }
  return path;
}

}  // namespace jleak::elf_internal
