// File: cli_flags.cc
//
// Shared symbolization and trimming options (see cli_flags.h).

#include "harness/cli/cli_flags.h"

#include <cmath>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "harness/io/file_io.h"

namespace jleak {

void AddSymbolizerFlags(CLI::App* cmd, SymbolizerFlags* flags) {
  cmd->add_option("--sysroot", flags->sysroot,
                  "Prefix for every module path: a copy of the production "
                  "machine's files (the host's own files are then not used)")
      ->group("Symbolization");
  cmd->add_option("--binary-dir", flags->binary_dirs,
                  "Directory searched first, by file name, for the mapped "
                  "modules (repeatable)")
      ->allow_extra_args(false)
      ->group("Symbolization");
  cmd->add_option("--binary", flags->binaries,
                  "A local copy of one mapped module, e.g. the production "
                  "libfoo.so (repeatable; matched by file name)")
      ->check(CLI::ExistingFile)
      ->allow_extra_args(false)
      ->group("Symbolization");
  cmd->add_option("--debug-dir", flags->debug_dirs,
                  "Where separate debug files are (default /usr/lib/debug; "
                  "repeatable)")
      ->allow_extra_args(false)
      ->group("Symbolization");
  cmd->add_option("--perf-map", flags->perf_map,
                  "Perf map naming JIT-compiled Java code (/tmp/perf-<pid>.map "
                  "or the run directory's perf-<pid>.map, found by default)")
      ->group("Symbolization");
  cmd->add_option("--java-frames", flags->java_frames,
                  "The agent's java-frames.map naming the Java frames it "
                  "recorded (found beside the snapshots by default)")
      ->group("Symbolization");
  cmd->add_flag("--no-lines", flags->no_lines,
                "Name frames from symbol tables only: read no DWARF (no "
                "file:line, no inlined frames). Faster with large debug "
                "files installed (libc6-dbg); sites and stacks are keyed the "
                "same either way")
      ->group("Symbolization");
  cmd->add_option(
         "--trim-frames", flags->trim_frames_file,
         "File of frame rules added to the defaults, one per line: "
         "'[KIND] PATTERN', KIND 'allocator' (trimmed; the default), "
         "'runtime' or 'jvm' (folded under the user's frame as 'via'), or "
         "'user' (names a site); PATTERN a function name, '*' at the end "
         "for a prefix, or 'module:FILE'")
      ->check(CLI::ExistingFile)
      ->group("Symbolization");
  cmd->add_option("--trim", flags->trim,
                  "One more frame rule (same syntax; repeatable)")
      ->allow_extra_args(false)
      ->group("Symbolization");
}

ElfSymbolizerOptions SymbolizerOptions(
    const SymbolizerFlags& flags, const FoundMaps& found,
    const absl::flat_hash_map<std::string, std::string>& build_ids) {
  ElfSymbolizerOptions o;
  o.sysroot = flags.sysroot;
  o.binary_dirs = flags.binary_dirs;
  for (const std::string& b : flags.binaries) {
    const size_t slash = b.rfind('/');
    o.binary_dirs.insert(o.binary_dirs.begin(),
                         slash == std::string::npos ? "." : b.substr(0, slash));
  }
  if (!flags.debug_dirs.empty()) o.debug_dirs = flags.debug_dirs;
  o.perf_map_path = flags.perf_map.empty() ? found.perf_map : flags.perf_map;
  o.java_frames_map_path =
      flags.java_frames.empty() ? found.java_frames : flags.java_frames;
  o.expected_build_ids = build_ids;
  o.read_dwarf = !flags.no_lines;
  return o;
}

std::unique_ptr<ElfSymbolizer> MakeSymbolizer(
    const std::vector<Mapping>& mappings, const SymbolizerFlags& flags,
    const FoundMaps& found,
    const absl::flat_hash_map<std::string, std::string>& build_ids) {
  return std::make_unique<ElfSymbolizer>(
      mappings, SymbolizerOptions(flags, found, build_ids));
}

absl::StatusOr<FrameFilter> MakeFrameFilter(const SymbolizerFlags& flags) {
  FrameFilter filter;
  if (!flags.trim_frames_file.empty()) {
    absl::StatusOr<std::string> text = ReadFileToString(flags.trim_frames_file);
    if (!text.ok()) return text.status();
    absl::StatusOr<std::vector<std::string>> patterns =
        FrameFilter::Parse(*text, flags.trim_frames_file);
    if (!patterns.ok()) return patterns.status();
    filter.AddAll(*patterns);
  }
  for (const std::string& t : flags.trim) {
    absl::StatusOr<std::vector<std::string>> p =
        FrameFilter::Parse(t, "--trim");
    if (!p.ok()) return p.status();
    filter.AddAll(*p);
  }
  return filter;
}

absl::StatusOr<double> ParseByteSize(const std::string& text) {
  const std::string s(absl::StripAsciiWhitespace(text));
  char* end = nullptr;
  const double value = std::strtod(s.c_str(), &end);
  std::string unit = absl::AsciiStrToLower(absl::StripAsciiWhitespace(end));
  if (end == s.c_str() || !std::isfinite(value) || value < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", text, "' is not a byte size (examples: 4096, 4KiB, 1.5MiB)"));
  }
  if (!unit.empty() && unit.back() == 'b') unit.pop_back();
  if (!unit.empty() && unit.back() == 'i') unit.pop_back();
  double scale = 1;
  if (unit.empty()) {
    scale = 1;
  } else if (unit == "k") {
    scale = 1024;
  } else if (unit == "m") {
    scale = 1024.0 * 1024;
  } else if (unit == "g") {
    scale = 1024.0 * 1024 * 1024;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text, "': unknown unit (use B, KiB, MiB or GiB)"));
  }
  return value * scale;
}

}  // namespace jleak
