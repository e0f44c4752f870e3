// File: java_classes_map.h
//
// java-classes.map: where the JVM loaded each Java class from, written by
// the agent beside java-frames.map (agent/class_sources.h records it) and
// read by the code-origin classifier (profile/code_origin.h), which tells
// the application's frames from the JDK's and the libraries'. This header
// is the one definition of the format: the writer and the reader use it.
//
//   java-classes 1
//   # comments start with '#'
//   main jleak.testdata.RunFaults
//   source 0 jdk jrt:/java.base
//   source 1 main file:/work/app/run_faults.jar
//   source 2 other file:/usr/share/java/zstd-jni.jar
//   package 0 java.lang
//   class 1 jleak.testdata.RunFaults
//
// - `java-classes 1`: the first line that is not blank or a comment; the
//   number is the format version.
// - `main NAME`: what the command line ran: the main class
//   (`pkg.Main`, also for `-m module/pkg.Main`) or, with `-jar`, the jar's
//   absolute path. At most once; absent when the agent could not tell.
// - `source ID KIND LOCATION`: a code source. IDs are 0, 1, 2, ... in
//   order. KIND is `jdk` (the runtime image: a named module of the boot
//   loader, or a `jrt:/` location), `main` (the code source of the main
//   class, or the `-jar` jar; at most one) or `other`. LOCATION is the
//   CodeSource's URL as the JVM gave it (`file:/x/app.jar`,
//   `file:/x/classes/`, `jar:file:/x/app.jar!/BOOT-INF/lib/y.jar!/`,
//   `jrt:/java.sql`), or a bracketed phrase (kNoCodeSource, ...) when the
//   class has none.
// - `package ID NAME`: every class of package NAME seen so far came from
//   source ID. `class ID NAME`: class NAME came from source ID; written
//   only for classes whose package is not one `package` line (a package
//   split across code sources, or the default package). A reader looks
//   up a class, then its enclosing class, then its package.
//
// Class names are binary names with dots (`a.b.Outer$Inner`); hidden
// classes (lambdas) lose their `.0x...` address suffix. The last field of
// a line (LOCATION, NAME) runs to the end of the line, spaces included.
// Fields come from the profiled process, so they are escaped: `\\` for a
// backslash and `\xHH` for bytes below 0x20 and 0x7f; no other escapes
// exist, and a raw control character is an error.
//
// Limits (a reader refuses more; the writer drops what would exceed them
// and says so in agent.json): kMaxJavaClassesMapBytes in all,
// kMaxCodeSources sources, kMaxJavaClassesMapLines lines,
// kMaxJavaClassesMapField bytes per field (escaped).

#ifndef JLEAK_PROFILE_JAVA_CLASSES_MAP_H_
#define JLEAK_PROFILE_JAVA_CLASSES_MAP_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace jleak {

inline constexpr char kJavaClassesMapName[] = "java-classes.map";
inline constexpr char kJavaClassesMapMagic[] = "java-classes 1";

inline constexpr size_t kMaxJavaClassesMapBytes = size_t{64} << 20;
inline constexpr size_t kMaxJavaClassesMapLines = size_t{1} << 21;
inline constexpr uint32_t kMaxCodeSources = 1 << 16;
inline constexpr size_t kMaxJavaClassesMapField = 4096;

// The LOCATION of classes that have no URL to give.
inline constexpr char kNoProtectionDomain[] = "[no protection domain]";
inline constexpr char kNoCodeSource[] = "[no code source]";
inline constexpr char kNoLocation[] = "[no location]";
// A class of the boot loader outside the runtime image's modules
// (-Xbootclasspath/a).
inline constexpr char kBootClassPath[] = "[boot class path]";

enum class CodeSourceKind { kJdk, kMain, kOther };
// CodeSourceKindName: "jdk", "main", "other".
const char* CodeSourceKindName(CodeSourceKind kind);

struct CodeSourceEntry {
  CodeSourceKind kind = CodeSourceKind::kOther;
  std::string location;

  bool operator==(const CodeSourceEntry& o) const {
    return kind == o.kind && location == o.location;
  }
};

// The whole file as data. Source ids are indexes into `sources`.
struct JavaClassesMap {
  std::string main;  // empty: no `main` line
  std::vector<CodeSourceEntry> sources;
  std::map<std::string, uint32_t> packages;
  std::map<std::string, uint32_t> classes;
};

// CompactClasses fills `packages` and `classes` of `map` from class ->
// source id: a `package` entry for each package whose classes all share one
// source, `class` entries for the rest (see the format above). Names in
// any order, each once.
void CompactClasses(
    const std::vector<std::pair<absl::string_view, uint32_t>>& class_sources,
    JavaClassesMap* map);

// PackageOf: "a.b.C" -> "a.b"; "C" -> "" (the default package).
absl::string_view PackageOf(absl::string_view class_name);

// EscapeMapField / UnescapeMapField: the escaping above. Unescape returns
// false on a bad escape or a raw control character.
std::string EscapeMapField(absl::string_view field);
// EscapedSize: EscapeMapField(field).size(), without building it.
size_t EscapedSize(absl::string_view field);
bool UnescapeMapField(absl::string_view escaped, std::string* out);

// FormatJavaClassesMap renders the file, header comment included. Fields
// are escaped here; the caller keeps them within the limits.
std::string FormatJavaClassesMap(const JavaClassesMap& map);

// ParseJavaClassesMap reads the file; errors say `source_name:LINE: why`.
// Every id must name a source, names must not repeat, and the limits
// above hold.
absl::StatusOr<JavaClassesMap> ParseJavaClassesMap(
    absl::string_view text, absl::string_view source_name);

}  // namespace jleak

#endif  // JLEAK_PROFILE_JAVA_CLASSES_MAP_H_
