// File: dwarf_frames.cc
//
// Source frames from DWARF (see dwarf_frames.h).

#include "profile/dwarf_frames.h"

#include <dwarf.h>
#include <elfutils/libdw.h>

#include <cstdlib>
#include <utility>

#include "profile/elf_symbolizer.h"

namespace jleak::elf_internal {
namespace {

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

// AppendInlinedCalls appends to `frames` the calls inlined at the scope
// `innermost_scope` of the compilation unit `cudie`, innermost first, the first
// at `file`:`line`, and leaves there the position of the outermost call.
void AppendInlinedCalls(Dwfl_Module* mod, Dwarf_Die* cudie,
                        Dwarf_Die* innermost_scope,
                        std::vector<SourceFrame>& frames, std::string& file,
                        int& line) {
  // dwarf_getscopes continues past an inlined instance into its abstract
  // definition; the physical nesting of the innermost scope is the inline
  // chain.
  Dwarf_Die innermost;
  Dwarf_Die* chain = nullptr;
  int nchain = 0;
  Dwarf_Addr dwarf_bias = 0;
  if (dwarf_offdie(dwfl_module_getdwarf(mod, &dwarf_bias),
                   dwarf_dieoffset(innermost_scope), &innermost) != nullptr) {
    nchain = dwarf_getscopes_die(&innermost, &chain);
  }
  Dwarf_Files* files = nullptr;
  if (dwarf_getsrcfiles(cudie, &files, nullptr) != 0) files = nullptr;
  for (int i = 0; i < nchain; ++i) {
    if (!IsFunctionScope(&chain[i])) continue;
    if (dwarf_tag(&chain[i]) != DW_TAG_inlined_subroutine) break;
    const char* n = DieName(&chain[i]);
    frames.push_back({n != nullptr ? Demangle(n) : "<inlined>", file, line});
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
}

}  // namespace

std::vector<SourceFrame> DwarfFrames(Dwfl_Module* mod, Dwarf_Addr addr,
                                     const std::string& function) {
  std::vector<SourceFrame> frames;
  std::string file;
  int line = 0;
  if (Dwfl_Line* l = dwfl_module_getsrc(mod, addr)) {
    int lineno = 0;
    if (const char* src =
            dwfl_lineinfo(l, nullptr, &lineno, nullptr, nullptr, nullptr)) {
      file = src;
      line = lineno;
    }
  }
  // The scopes at addr, innermost first, in the compilation unit that
  // holds it.
  Dwarf_Addr cu_bias = 0;
  Dwarf_Die* cudie = dwfl_module_addrdie(mod, addr, &cu_bias);
  Dwarf_Die* scopes = nullptr;
  const int nscopes =
      cudie == nullptr ? 0 : dwarf_getscopes(cudie, addr - cu_bias, &scopes);
  if (nscopes > 0) {
    AppendInlinedCalls(mod, cudie, &scopes[0], frames, file, line);
    free(scopes);
  }
  frames.push_back({function, std::move(file), line});
  return frames;
}

}  // namespace jleak::elf_internal
