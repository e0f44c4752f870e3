// File: elf_debuginfo.h
//
// Internal to ElfSymbolizer (elf_symbolizer.h): the libdwfl session state
// every module's Dwfl points to, and where a module's separate debug file
// is found (by build-id under the debug directories, or by
// .gnu_debuglink beside the binary or under them), locally unless
// debuginfod is allowed and DEBUGINFOD_URLS is set.

#ifndef JLEAK_PROFILE_ELF_DEBUGINFO_H_
#define JLEAK_PROFILE_ELF_DEBUGINFO_H_

#include <elfutils/libdwfl.h>

#include <memory>
#include <string>
#include <vector>

#include "profile/elf_symbolizer.h"

namespace jleak::elf_internal {

// Where FindDebuginfo looks; each module's userdata points to it.
struct DebuginfoSearch {
  // The search path: "" (the binary's directory), ".debug" (its
  // subdirectory) and absolute debug directories.
  std::vector<std::string> path;
  // DEBUGINFOD_URLS is set: libdw's standard search, servers included.
  bool use_debuginfod = false;
};

// What every module's Dwfl session points to; libdwfl keeps the pointers,
// so this lives as long as the symbolizer.
struct DwflState {
  Dwfl_Callbacks callbacks = {};
  std::string debuginfo_path;
  char* debuginfo_path_ptr = nullptr;
  DebuginfoSearch search;
};

// MakeDwflState: the callbacks and debug file search for `options`'
// debug_dirs (each also under the sysroot) and allow_debuginfod.
std::unique_ptr<DwflState> MakeDwflState(const ElfSymbolizerOptions& options);

// BuildIdHex: a GNU build-id as lower-case hex.
std::string BuildIdHex(const unsigned char* bits, int len);

}  // namespace jleak::elf_internal

#endif  // JLEAK_PROFILE_ELF_DEBUGINFO_H_
