// File: profile_command.cc
//
// `jleak profile`: read one jemalloc heap profile (or the difference of two
// with --base), symbolize it, and print it as jeprof-style text, collapsed
// stacks for flame graphs, or a gzipped pprof profile.

#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "harness/cli/cli_flags.h"
#include "harness/cli/commands.h"
#include "harness/cli/subcommand.h"
#include "harness/io/file_io.h"
#include "harness/load/series_loader.h"
#include "profile/heap_profile.h"
#include "profile/named_profile.h"
#include "profile/pprof_writer.h"
#include "profile/profile_report.h"

namespace jleak {
namespace {

struct ProfileFlags {
  std::string profile;
  std::string base;
  std::string format = "text";
  std::string output;
  bool cumulative = false;
  bool show_bytes = false;
  bool objects = false;
  bool inlines = false;
  size_t max_lines = 80;
  SymbolizerFlags symbolizer;
};

std::string Basename(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Names the profiles of one command with one symbolizer: a profile and its
// --base usually come from one machine, so each module is read once.
class ProfileNamer {
 public:
  ProfileNamer(const ProfileFlags& flags, const FrameFilter& filter)
      : flags_(flags), filter_(filter) {
    // The text and collapsed formats show function names only: the symbol
    // tables name them, and DWARF (inlined functions) is read only when
    // asked for. pprof shows file:line and inlined frames.
    options_.source_detail = !flags.symbolizer.no_lines &&
                             (flags.format == "pprof" || flags.inlines);
  }

  absl::StatusOr<NamedProfile> Load(const std::string& path) {
    absl::StatusOr<std::string> text = ReadFileToString(path);
    if (!text.ok()) return text.status();
    absl::StatusOr<HeapProfile> profile = ParseHeapProfile(*text, path);
    if (!profile.ok()) return profile.status();
    const FoundMaps maps{FindPerfMapBeside(path),
                         FindJavaFramesMapBeside(path)};
    // Another process's JIT and Java frame maps need a symbolizer of
    // their own.
    if (symbolizer_ == nullptr || maps.perf_map != maps_.perf_map ||
        maps.java_frames != maps_.java_frames) {
      symbolizer_ = MakeSymbolizer(profile->mappings, flags_.symbolizer, maps);
      maps_ = maps;
    } else {
      symbolizer_->SetMappings(profile->mappings);
    }
    return NameProfile(*profile, *symbolizer_, filter_, options_);
  }

 private:
  const ProfileFlags& flags_;
  const FrameFilter& filter_;
  NameOptions options_;
  std::unique_ptr<ElfSymbolizer> symbolizer_;
  FoundMaps maps_;
};

int RunProfile(const ProfileFlags& flags) {
  absl::StatusOr<FrameFilter> filter = MakeFrameFilter(flags.symbolizer);
  if (!filter.ok()) {
    std::cerr << "jleak profile: " << filter.status().message() << "\n";
    return kExitTrouble;
  }
  ProfileNamer namer(flags, *filter);
  absl::StatusOr<NamedProfile> named = namer.Load(flags.profile);
  if (!named.ok()) {
    std::cerr << "jleak profile: " << named.status().message() << "\n";
    return kExitTrouble;
  }
  NamedProfile shown = *std::move(named);
  if (!flags.base.empty()) {
    absl::StatusOr<NamedProfile> base = namer.Load(flags.base);
    if (!base.ok()) {
      std::cerr << "jleak profile: " << base.status().message() << "\n";
      return kExitTrouble;
    }
    shown = DiffProfiles(shown, *base);
    // Both profiles usually map the same modules: warn about each once.
    for (const std::string& w : base->warnings) {
      if (std::find(shown.warnings.begin(), shown.warnings.end(), w) ==
          shown.warnings.end()) {
        shown.warnings.push_back(w);
      }
    }
  }
  SortByBytes(&shown.stacks);

  std::ostringstream out;
  if (flags.format == "text") {
    TextReportOptions o;
    o.sort_by_cumulative = flags.cumulative;
    o.show_bytes = flags.show_bytes;
    o.show_objects = flags.objects;
    o.max_lines = flags.max_lines;
    WriteText(shown, o, out);
  } else if (flags.format == "collapsed") {
    WriteCollapsed(shown, flags.objects, out);
    for (const std::string& w : shown.warnings) {
      std::cerr << "jleak profile: warning: " << w << "\n";
    }
  } else {
    PprofOptions o;
    if (!flags.base.empty()) {
      o.comment = absl::StrCat("jleak diff: ", Basename(flags.profile), " - ",
                               Basename(flags.base));
    }
    absl::StatusOr<std::string> gz =
        SerializePprofGzipped(BuildPprof(shown, o));
    if (!gz.ok()) {
      std::cerr << "jleak profile: " << gz.status().message() << "\n";
      return kExitTrouble;
    }
    out << *gz;
    for (const std::string& w : shown.warnings) {
      std::cerr << "jleak profile: warning: " << w << "\n";
    }
  }

  if (flags.output.empty() || flags.output == "-") {
    if (flags.format == "pprof" && isatty(STDOUT_FILENO)) {
      std::cerr << "jleak profile: refusing to write a binary pprof profile "
                   "to a terminal; use -o FILE\n";
      return kExitTrouble;
    }
    std::cout << out.str();
    std::cout.flush();
    if (!std::cout) {
      std::cerr << "jleak profile: cannot write to standard output\n";
      return kExitTrouble;
    }
    return kExitOk;
  }
  if (absl::Status st = WriteFileAtomically(flags.output, out.str());
      !st.ok()) {
    std::cerr << "jleak profile: " << st.message() << "\n";
    return kExitTrouble;
  }
  return kExitOk;
}

}  // namespace

void AddProfileCommand(CLI::App& jleak, int* exit_code) {
  auto flags = std::make_shared<ProfileFlags>();
  CLI::App* cmd = jleak.add_subcommand(
      "profile",
      "Read one jemalloc heap profile (heap_v2), name its allocation sites "
      "and print them: like `jeprof --text`, but with jemalloc's own frames "
      "trimmed, Java frames named from a perf map, and unnamed frames shown "
      "as module+offset. With --base, the difference of two profiles.\n"
      "Examples:\n"
      "  jleak profile jeprof.1234.0.f.heap\n"
      "  jleak profile --base snapshot-2.heap snapshot-9.heap\n"
      "  jleak profile --format collapsed x.heap | flamegraph.pl > x.svg\n"
      "  jleak profile --format pprof -o x.pb.gz x.heap && pprof -top x.pb.gz");
  cmd->add_option("PROFILE", flags->profile, "The heap profile (.heap)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--base", flags->base,
                  "An older profile to subtract: shows what grew")
      ->check(CLI::ExistingFile);
  cmd->add_option("--format", flags->format,
                  "text (default), collapsed (flame-graph input) or pprof "
                  "(gzipped profile.proto)")
      ->check(CLI::IsMember({"text", "collapsed", "pprof"}));
  cmd->add_option("-o,--output", flags->output,
                  "Write here instead of standard output (written whole or "
                  "not at all)");
  cmd->add_flag("--cum", flags->cumulative,
                "text: sort by cumulative instead of flat bytes");
  cmd->add_flag("--bytes", flags->show_bytes,
                "text: exact bytes instead of MiB");
  cmd->add_flag("--objects", flags->objects,
                "text/collapsed: objects instead of bytes");
  cmd->add_flag("--inlines", flags->inlines,
                "text/collapsed: also show inlined functions, read from "
                "DWARF (slower; a function is otherwise named by the symbol "
                "its code is in, as the symbol tables say; pprof output has "
                "them unless --no-lines)");
  cmd->add_option("--lines", flags->max_lines,
                  "text: at most this many functions (0: all)");
  AddSymbolizerFlags(cmd, &flags->symbolizer);
  cmd->callback([flags, exit_code] { *exit_code = RunProfile(*flags); });
}

}  // namespace jleak
