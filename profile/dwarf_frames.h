// File: dwarf_frames.h
//
// Internal to ElfSymbolizer (elf_symbolizer.h): an address's source
// frames from DWARF: file:line, and the chain of calls inlined there. Only
// the compilation unit that holds the address is read.

#ifndef JLEAK_PROFILE_DWARF_FRAMES_H_
#define JLEAK_PROFILE_DWARF_FRAMES_H_

#include <elfutils/libdwfl.h>

#include <string>
#include <vector>

#include "profile/symbolizer.h"

namespace jleak::elf_internal {

// DwarfFrames: the frames at `addr` (a link-time address plus the module's
// bias) of `mod`, whose DWARF is loaded: each inlined call, innermost
// first, at its source position, then `function` (the symbol table's name
// of the function they were inlined into: stacks and sites are keyed by
// it, whatever DWARF calls it) at the position of the outermost call.
std::vector<SourceFrame> DwarfFrames(Dwfl_Module* mod, Dwarf_Addr addr,
                                     const std::string& function);

}  // namespace jleak::elf_internal

#endif  // JLEAK_PROFILE_DWARF_FRAMES_H_
