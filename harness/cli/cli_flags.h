// File: cli_flags.h
//
// Command-line options shared by `jleak profile` and `jleak analyze`: how
// to find the profiled binaries (symbolization) and which frames to trim,
// and parsing of human byte sizes ("4KiB", "1.5MiB").

#ifndef JLEAK_HARNESS_CLI_CLI_FLAGS_H_
#define JLEAK_HARNESS_CLI_CLI_FLAGS_H_

#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "harness/run/confine.h"
#include "profile/elf_symbolizer.h"
#include "profile/frame_filter.h"
#include "profile/proc_maps.h"

namespace jleak {

struct SymbolizerFlags {
  std::string sysroot;
  std::vector<std::string> binary_dirs;
  std::vector<std::string> binaries;
  std::vector<std::string> debug_dirs;
  std::string perf_map;
  std::string java_frames;
  std::string trim_frames_file;
  std::vector<std::string> trim;
  bool no_lines = false;  // ElfSymbolizerOptions::read_dwarf = false
  // Not a flag: set by `jleak attach` run as root, so that the target's
  // libraries are read by a helper confined to it (confined_symbolizer.h).
  const TargetHandles* confine = nullptr;
};

// AddSymbolizerFlags registers --sysroot, --binary-dir, --binary,
// --debug-dir, --perf-map, --java-frames, --no-lines, --trim-frames and
// --trim on `cmd`.
void AddSymbolizerFlags(CLI::App* cmd, SymbolizerFlags* flags);

// The maps found beside the snapshots (harness/load/series_loader.h), used when
// the flags do not name others.
struct FoundMaps {
  std::string perf_map;
  std::string java_frames;
};

// SymbolizerOptions: the ElfSymbolizer's options the flags ask for.
ElfSymbolizerOptions SymbolizerOptions(
    const SymbolizerFlags& flags, const FoundMaps& found,
    const absl::flat_hash_map<std::string, std::string>& build_ids = {});

// MakeSymbolizer builds the ElfSymbolizer for a process with `mappings`.
std::unique_ptr<ElfSymbolizer> MakeSymbolizer(
    const std::vector<Mapping>& mappings, const SymbolizerFlags& flags,
    const FoundMaps& found,
    const absl::flat_hash_map<std::string, std::string>& build_ids = {});

// MakeFrameFilter: the default frame rules (frame_filter.h) plus
// --trim-frames and --trim.
absl::StatusOr<FrameFilter> MakeFrameFilter(const SymbolizerFlags& flags);

// ParseByteSize parses "4096", "4KiB", "4K", "1.5MiB", "2GiB" (binary
// units; "KB" is read as KiB too). Negative and garbage are errors.
absl::StatusOr<double> ParseByteSize(const std::string& text);

}  // namespace jleak

#endif  // JLEAK_HARNESS_CLI_CLI_FLAGS_H_
