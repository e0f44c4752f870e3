// File: elf_symbolizer.h
//
// ElfSymbolizer: the real Symbolizer. Names the addresses of a heap
// profile from the ELF files mapped in the profiled process (symbol tables,
// DWARF line and inline records, separate debug files) with elfutils'
// libdwfl, and names JIT-compiled Java code from a perf map.
//
//   ElfSymbolizerOptions options;
//   options.perf_map_path = "/tmp/perf-1234.map";
//   ElfSymbolizer symbolizer(profile.mappings, options);
//   SymbolizedAddress s = symbolizer.Symbolize(pc - 1);
//
// How an address is named:
//   1. The profile's mapping table (MAPPED_LIBRARIES) gives the module and
//      the file offset; the module's PT_LOAD segments turn the file offset
//      into a link-time address, so load bias and mapping offsets need no
//      assumptions about how the loader laid the file out.
//   2. Function: the innermost symbol of .symtab (of the file or of its
//      separate debug file) or .dynsym containing the address; only sized
//      function symbols, so a stripped file never names an address after
//      the nearest exported function (jeprof's `nm` does). This is all
//      SymbolizeName() reads, and the name every level agrees on.
//   3. Symbolize() adds, when DWARF is there and options.read_dwarf:
//      file:line and inlined frames. A module's DWARF is opened only when
//      the first of its addresses is asked for in detail, and then only the
//      compilation units of those addresses are parsed. (libdw inflates
//      compressed debug sections whole when it opens them: libc6-dbg's cost
//      about 0.1 s, which is why names never wait for it.) Debug files are
//      found by build-id (<debug dir>/.build-id/xx/yyyy.debug) or by
//      .gnu_debuglink beside the binary or under the debug dirs.
//   4. Addresses in no file mapping (the JVM's code cache is anonymous) are
//      looked up in the perf map: module "[jit]".
//   5. Anything else is "<module basename>+0x<file offset>", or
//      "0x<address>" outside every mapping; resolved = false.
//
// Degradation, each reported once in Warnings(): a module that is missing,
// unreadable, not ELF, of another machine, or whose build-id differs from
// the one recorded at run time is not used (its frames become
// module+offset: names from a different build would be wrong, which is
// worse than none); a module without symbols for an address says so once.
//
// Cost: each module is opened and its symbol table sorted once, on first
// use, and kept across SetMappings(); each distinct address is named once
// and detailed once. Not thread-safe.
//
// Network: none, unless the environment sets DEBUGINFOD_URLS, in which
// case libdw's standard debuginfo search may ask those servers. Without
// it, debug files are searched locally only, and libdebuginfod (which
// pulls in libcurl and a TLS stack, ~10 ms to load) is never loaded.

#ifndef JLEAK_PROFILE_ELF_SYMBOLIZER_H_
#define JLEAK_PROFILE_ELF_SYMBOLIZER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "profile/perf_map.h"
#include "profile/proc_maps.h"
#include "profile/symbolizer.h"

namespace jleak {

namespace elf_internal {
struct DwflState;  // elf_debuginfo.h
struct Module;     // elf_module.h
}  // namespace elf_internal

struct ElfSymbolizerOptions {
  // Prepended to every module path ("/srv/prod-root" reads
  // "/srv/prod-root/usr/lib/libz.so.1"). With a sysroot, the host's own
  // files are not used as a fallback: they are the wrong build.
  std::string sysroot;
  // Searched first, in order, for a file with the module's basename: local
  // copies of production binaries.
  std::vector<std::string> binary_dirs;
  // Where separate debug files are looked for, by build-id and by
  // .gnu_debuglink name. Each is also tried under the sysroot.
  std::vector<std::string> debug_dirs = {"/usr/lib/debug"};
  // A perf map (/tmp/perf-<pid>.map) naming JIT-compiled code; empty for
  // none. A missing or unreadable file is a warning, not an error.
  std::string perf_map_path;
  // The agent's java-frames.map (java_frame.h) naming the Java frames it
  // put into the stacks; empty for none. Missing: a warning, and those
  // frames are "[unknown Java frame]".
  std::string java_frames_map_path;
  // Module path as mapped -> lower-case hex GNU build-id, as recorded at run
  // time. A file whose build-id differs is not used; the next candidate
  // (binary_dirs, then sysroot + path) is tried.
  absl::flat_hash_map<std::string, std::string> expected_build_ids;
  // The ELF e_machine modules must have; 0 means this program's own
  // machine. Profiles from another machine set it (e.g. EM_AARCH64).
  int elf_machine = 0;
  // Whether libdw may ask the servers of $DEBUGINFOD_URLS for debug files
  // (never for a symbolizer confined to a target's files).
  bool allow_debuginfod = true;
  // Whether Symbolize() reads DWARF (file:line, inlined frames). false
  // (`--no-lines`): Symbolize() is SymbolizeName(), no debug info is read.
  bool read_dwarf = true;
};

class ElfSymbolizer : public Symbolizer {
 public:
  // `mappings` need not be sorted.
  ElfSymbolizer(std::vector<Mapping> mappings, ElfSymbolizerOptions options);
  ~ElfSymbolizer() override;
  ElfSymbolizer(const ElfSymbolizer&) = delete;
  ElfSymbolizer& operator=(const ElfSymbolizer&) = delete;

  SymbolizedAddress Symbolize(uint64_t address) override;
  SymbolizedAddress SymbolizeName(uint64_t address) override;
  std::vector<std::string> Warnings() const override;

  // SetMappings switches to another mapping table (another process, or
  // another snapshot of one): addresses are looked up afresh, but the
  // modules read so far (symbol tables, DWARF) are kept, so a profile and
  // its --base from one machine read each file once. A no-op when the
  // table is the same.
  void SetMappings(std::vector<Mapping> mappings);

  // ModulesOpened counts the modules read from disk so far, and
  // DwarfModulesOpened those whose DWARF was opened (tests and benchmarks
  // use them to check the caches and the laziness).
  int ModulesOpened() const { return modules_opened_; }
  int DwarfModulesOpened() const { return dwarf_modules_opened_; }

 private:
  SymbolizedAddress NameUncached(uint64_t address);
  SymbolizedAddress DetailUncached(uint64_t address,
                                   const SymbolizedAddress& name);
  SymbolizedAddress SymbolizeJavaFrame(uint64_t address);
  std::optional<PerfMap> ReadMap(const std::string& path,
                                 absl::string_view what);
  elf_internal::Module& GetModule(const Mapping& mapping);
  bool LoadDwarf(elf_internal::Module& m);
  void Warn(std::string warning);

  std::vector<Mapping> mappings_;  // sorted by start
  ElfSymbolizerOptions options_;
  std::optional<PerfMap> perf_map_;
  std::optional<PerfMap> java_frames_map_;
  bool warned_no_java_frames_map_ = false;
  // Outlives modules_ below.
  std::unique_ptr<elf_internal::DwflState> dwfl_state_;
  absl::flat_hash_map<std::string, std::unique_ptr<elf_internal::Module>>
      modules_;
  // Per address: the name level, and the detailed level.
  absl::flat_hash_map<uint64_t, SymbolizedAddress> names_;
  absl::flat_hash_map<uint64_t, SymbolizedAddress> details_;
  std::vector<std::string> warnings_;
  int modules_opened_ = 0;
  int dwarf_modules_opened_ = 0;
};

// ReadElfBuildId returns the GNU build-id of an ELF file as lower-case hex
// (what ElfSymbolizerOptions::expected_build_ids holds), or an error saying
// why not: missing file, not ELF, no build-id note.
absl::StatusOr<std::string> ReadElfBuildId(const std::string& path);
// ReadElfBuildIdFromFd: the same for an open file (consumed: closed on
// return), named `name` in errors. A file that is not regular (a FIFO, a
// device) is refused before anything is read from it.
absl::StatusOr<std::string> ReadElfBuildIdFromFd(int fd,
                                                 const std::string& name);

// Demangle returns the demangled form of a C++ symbol, or `name` unchanged.
std::string Demangle(const char* name);

}  // namespace jleak

#endif  // JLEAK_PROFILE_ELF_SYMBOLIZER_H_
