// File: elf_symbolizer.cc
//
// ElfSymbolizer over elfutils' libdwfl (see elf_symbolizer.h): naming an
// address (the mapping, then the module's symbol table, or a perf map),
// detailing it (DWARF), and the caches. The parts, internal to it:
// elf_module.h (a module's file, segments and symbols), elf_debuginfo.h
// (libdwfl's session state and the debug file search), dwarf_frames.h
// (file:line and inlined calls).
//
// Each module gets its own Dwfl session, reported at bias 0 so that libdwfl
// addresses are the ELF's link-time addresses: we translate profile
// addresses ourselves (mapping -> file offset -> PT_LOAD -> vaddr), which
// stays right however the loader laid segments out, and modules never
// collide in one address space when a profile's maps are odd.

#include "profile/elf_symbolizer.h"

#include <cxxabi.h>
#include <elf.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "profile/dwarf_frames.h"
#include "profile/elf_debuginfo.h"
#include "profile/elf_module.h"
#include "profile/java_frame.h"

namespace jleak {
namespace {

using elf_internal::Basename;
using elf_internal::BuildIdHex;
using elf_internal::StripDeleted;

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

std::string ModuleOffsetName(const std::string& module, uint64_t offset) {
  return absl::StrFormat("%s+0x%x", Basename(module), offset);
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

ElfSymbolizer::ElfSymbolizer(std::vector<Mapping> mappings,
                             ElfSymbolizerOptions options)
    : mappings_(std::move(mappings)), options_(std::move(options)) {
  std::stable_sort(
      mappings_.begin(), mappings_.end(),
      [](const Mapping& a, const Mapping& b) { return a.start < b.start; });
  if (options_.elf_machine == 0) options_.elf_machine = kHostMachine;
  dwfl_state_ = elf_internal::MakeDwflState(options_);
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

elf_internal::Module& ElfSymbolizer::GetModule(const Mapping& mapping) {
  std::unique_ptr<elf_internal::Module>& slot = modules_[mapping.path];
  if (slot != nullptr) return *slot;
  std::vector<std::string> problems;
  slot = elf_internal::OpenModule(mapping.path, options_, *dwfl_state_,
                                  &modules_opened_, &problems);
  if (slot->mod == nullptr) {
    const std::string base = Basename(slot->display_path);
    Warn(absl::StrCat(base, ": not symbolized, its frames show as ", base,
                      "+0x<offset>: ", absl::StrJoin(problems, "; ")));
  }
  return *slot;
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

bool ElfSymbolizer::LoadDwarf(elf_internal::Module& m) {
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
  elf_internal::Module& m = GetModule(*mapping);
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
  const elf_internal::Module::Symbol* symbol = m.FindSymbol(vaddr + m.bias);
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
  elf_internal::Module& m = GetModule(*mapping);
  uint64_t vaddr = 0;
  if (m.mod == nullptr || !m.FileOffsetToVaddr(name.module_offset, &vaddr) ||
      !LoadDwarf(m)) {
    return name;
  }
  SymbolizedAddress out = name;
  // The function's name is the symbol table's (SymbolizeName), whatever
  // DWARF calls it: that is what stacks and sites are keyed by.
  out.frames = elf_internal::DwarfFrames(m.mod, vaddr + m.bias,
                                         name.frames.back().function);
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
    result = BuildIdHex(bits, len);
  }
  dwfl_end(dwfl);
  return result;
}

}  // namespace jleak
