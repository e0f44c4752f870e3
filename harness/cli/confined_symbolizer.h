// File: confined_symbolizer.h
//
// ConfinedSymbolizer: the Symbolizer of `jleak attach` run as root. The
// libraries of an attached JVM, and in a container everything under its
// root, are the target's files: ELF and DWARF a hostile user may have
// crafted (libdwfl has had crashes on such input), at paths the profile
// names, which the target wrote. So they are read by a helper process that
// stands in the target's mount namespace and root as the target's user
// (confine.h), with debuginfod off; jleak asks it for names over a socket
// and takes back bounded, printable text.
//
//   absl::StatusOr<std::unique_ptr<Symbolizer>> s =
//       ConfinedSymbolizer::Start(handles, mappings, options);
//
// `options.sysroot` is ignored: the helper's "/" is the target's root.
// If the helper dies (the target's user may kill it), addresses stay
// unnamed ("0x..."), with one warning.

#ifndef JLEAK_HARNESS_CLI_CONFINED_SYMBOLIZER_H_
#define JLEAK_HARNESS_CLI_CONFINED_SYMBOLIZER_H_

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "harness/cli/cli_flags.h"
#include "harness/run/broker_protocol.h"
#include "harness/run/confine.h"
#include "profile/elf_symbolizer.h"
#include "profile/proc_maps.h"
#include "profile/symbolizer.h"

namespace jleak {

class ConfinedSymbolizer : public Symbolizer {
 public:
  static absl::StatusOr<std::unique_ptr<ConfinedSymbolizer>> Start(
      const TargetHandles& target, std::vector<Mapping> mappings,
      ElfSymbolizerOptions options);
  ~ConfinedSymbolizer() override;

  SymbolizedAddress Symbolize(uint64_t address) override;
  SymbolizedAddress SymbolizeName(uint64_t address) override;
  std::vector<std::string> Warnings() const override;

 private:
  explicit ConfinedSymbolizer(Helper helper) : helper_(helper) {}
  SymbolizedAddress Ask(uint8_t op, uint64_t address);

  mutable std::mutex mu_;
  mutable Helper helper_;  // Warnings() asks it too
  absl::flat_hash_map<uint64_t, SymbolizedAddress> names_, details_;
  mutable std::vector<std::string> local_warnings_;
};

// MakeAnalysisSymbolizer: the symbolizer `jleak analyze` and `attach` use:
// a ConfinedSymbolizer when `flags.confine` is set, else an ElfSymbolizer.
absl::StatusOr<std::unique_ptr<Symbolizer>> MakeAnalysisSymbolizer(
    const std::vector<Mapping>& mappings, const SymbolizerFlags& flags,
    const FoundMaps& found,
    const absl::flat_hash_map<std::string, std::string>& build_ids);

// EncodeSymbolizedAddress / DecodeSymbolizedAddress: one answer of the
// helper as broker fields. Decode refuses malformed answers and makes
// every string one printable line of bounded length.
std::vector<std::string> EncodeSymbolizedAddress(const SymbolizedAddress& s);
absl::StatusOr<SymbolizedAddress> DecodeSymbolizedAddress(
    uint64_t address, const std::vector<std::string>& fields);

}  // namespace jleak

#endif  // JLEAK_HARNESS_CLI_CONFINED_SYMBOLIZER_H_
