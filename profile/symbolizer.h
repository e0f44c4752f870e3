// File: symbolizer.h
//
// Symbolizer: names the code addresses of a heap profile's stacks.
//
// The interface lets analyzers and reports be tested with a fake; the real
// implementation (elf_symbolizer.h) reads ELF symbol tables and DWARF with
// elfutils, and names JIT-compiled Java frames from a perf map
// (perf_map.h).
//
// Addresses passed in are looked up exactly as given. Stack frames other
// than the innermost are return addresses, which point after the call
// instruction; callers pass `pc - 1` for them so that the call's own line
// and inlining are found (as jeprof's FixCallerAddresses does).
//
// Two levels, so that a caller pays only for what it shows:
// - SymbolizeName: the function containing the address, from symbol tables
//   only (.symtab, .dynsym, a perf map); one frame, no file or line. This
//   is what identifies a frame: stacks and sites are keyed by it, so keys
//   are the same whether or not debug information was installed or read.
// - Symbolize: the same, plus what DWARF says: the inlined calls at the
//   address (extra frames before it) and file:line. Its last (outermost)
//   frame always has SymbolizeName's function name.

#ifndef JLEAK_PROFILE_SYMBOLIZER_H_
#define JLEAK_PROFILE_SYMBOLIZER_H_

#include <cstdint>
#include <string>
#include <vector>

namespace jleak {

// One source-level frame. An address inside inlined code yields several:
// the inlined callee first, its caller(s) after.
struct SourceFrame {
  std::string function;  // demangled; never empty, never "??"
  std::string file;      // empty when unknown
  int line = 0;          // 0 when unknown
};

struct SymbolizedAddress {
  uint64_t address = 0;
  // Path of the mapped module ("/usr/lib/.../libz.so.1"), "[jit]" for a
  // perf-map frame, or empty when no mapping contains the address.
  std::string module;
  // File offset of the address in `module`; for "[jit]", the offset into
  // the compiled method.
  uint64_t module_offset = 0;
  // At least one frame. When nothing names the address, a single frame
  // whose function is "<module basename>+0x<offset>" (or "0x<address>"
  // outside any mapping) and `resolved` is false.
  std::vector<SourceFrame> frames;
  bool resolved = false;
};

class Symbolizer {
 public:
  virtual ~Symbolizer() = default;

  // Symbolize names one address with source detail (see above).
  // Implementations cache per module and per address, so calling it again
  // for the same address is cheap.
  virtual SymbolizedAddress Symbolize(uint64_t address) = 0;

  // SymbolizeName names one address from symbol tables only (see above):
  // exactly one frame, with no file or line. The default reduces
  // Symbolize() to its outermost frame; implementations that can skip the
  // detail (ElfSymbolizer: never reads DWARF here) override it.
  virtual SymbolizedAddress SymbolizeName(uint64_t address) {
    SymbolizedAddress s = Symbolize(address);
    if (s.frames.size() > 1)
      s.frames.erase(s.frames.begin(), s.frames.end() - 1);
    for (SourceFrame& f : s.frames) {
      f.file.clear();
      f.line = 0;
    }
    return s;
  }

  // Warnings collected so far, each a sentence a user can act on, e.g.
  // "libfoo.so: build-id 12ab.. differs from the one mapped (34cd..); its
  // names may be wrong". Each problem is reported once.
  virtual std::vector<std::string> Warnings() const = 0;
};

}  // namespace jleak

#endif  // JLEAK_PROFILE_SYMBOLIZER_H_
