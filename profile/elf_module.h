// File: elf_module.h
//
// Internal to ElfSymbolizer (elf_symbolizer.h): one mapped file as the
// symbolizer reads it. OpenModule finds the file for a mapped path (a
// local copy, the sysroot's, or the path itself), refuses one that is not
// a regular ELF file of the profile's machine or whose build-id differs
// from the one recorded at run time, and reads its PT_LOAD segments (file
// offset -> link-time address) and its sized function symbols (.symtab of
// the file or of its separate debug file, else .dynsym).

#ifndef JLEAK_PROFILE_ELF_MODULE_H_
#define JLEAK_PROFILE_ELF_MODULE_H_

#include <elfutils/libdwfl.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "profile/elf_debuginfo.h"
#include "profile/elf_symbolizer.h"

namespace jleak::elf_internal {

struct Module {
  struct Segment {
    uint64_t offset, filesz, vaddr;
  };
  struct Symbol {
    uint64_t start, limit;
    const char* name;  // owned by the Dwfl's ELF string tables
  };

  ~Module();

  // Maps a file offset to a link-time address; false if no PT_LOAD
  // segment holds it (a stale mapping table, or the wrong file).
  bool FileOffsetToVaddr(uint64_t offset, uint64_t* vaddr) const;
  // The innermost symbol containing `vaddr` (with bias), or nullptr.
  const Symbol* FindSymbol(uint64_t vaddr) const;

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
  bool dwarf_tried = false;  // ElfSymbolizer::LoadDwarf ran
  bool has_dwarf = false;
  bool warned_unnamed = false;
};

// OpenModule opens the module mapped at `mapped_path`: the first of its
// candidate files (options.binary_dirs by basename, then sysroot + path
// unless the path climbs out of the sysroot with "..") that serves.
// `files_opened` counts the files opened. When none serves, mod is null
// and `problems` says why for each.
std::unique_ptr<Module> OpenModule(const std::string& mapped_path,
                                   const ElfSymbolizerOptions& options,
                                   DwflState& dwfl_state, int* files_opened,
                                   std::vector<std::string>* problems);

// Basename: the last component of `path`.
std::string Basename(const std::string& path);
// StripDeleted: a mapped path without the " (deleted)" /proc maps add to
// a replaced or deleted file.
std::string StripDeleted(const std::string& path);

}  // namespace jleak::elf_internal

#endif  // JLEAK_PROFILE_ELF_MODULE_H_
