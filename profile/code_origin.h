// File: code_origin.h
//
// Whose code a Java frame is: the JDK's, the application's or a library's,
// so that a report can name the application method that misuses a library
// (issue 19). Pure: the analyzer gives it the text of the run's
// java-classes.map (java_classes_map.h; written by the agent) and the
// user's `--app` rules, then asks per frame.
//
//   absl::StatusOr<AppRules> rules = AppRules::Parse({"com.example",
//   "my-*.jar"}); absl::StatusOr<CodeOrigins> origins =
//   CodeOrigins::Load(map_text); OriginClassifier classify(*std::move(origins),
//   *std::move(rules)); FrameOrigin o =
//   classify.Classify("com.x.Foo.bar(Foo.java:12)");
//   // o.kind == OriginKind::kApplication, o.reason == ..., o.code_source
//
// A Java frame's class is looked up in the map (the class, then its
// enclosing classes, then its package). Then, first match wins:
//
//   1. JDK          its code source is the runtime image (`jdk` in the map,
//                   or a `jrt:/` location);
//   2. application  an `--app` rule matches: a package rule the class, or a
//                   jar glob its code source;
//   3. application  its code source is the main class's (or the -jar jar),
//                   a classes directory inside the main jar (Spring Boot's
//                   BOOT-INF/classes, a war's WEB-INF/classes), or a
//                   classes directory on the class path (a build's output:
//                   libraries come as jars);
//   4. library      any other code source (jars from Maven, /usr/share/java,
//                   jars nested in the main jar, shaded jars);
//   5. not in the map (no map at all for production .heap files, or a class
//      loaded after the map's last write): JDK when the frame rules
//      (frame_filter.h, defaults and the user's) say `jvm` (java.*, jdk.*,
//      ...); otherwise library.
//
// The agent's own bracketed frames (`[unknown Java frame]`, `[Java frames
// unavailable: ...]`) are kUnknown.
//
// `--app` rules (AppRules::Parse): a rule that contains `/`, `*` or `?`, or
// ends in `.jar` (any case), is a jar glob; anything else is a package
// prefix.
// - Package prefix `com.example` (also written `com.example.*` or
//   `com.example.`): classes in com.example and its subpackages, and a
//   class of that exact name with its nested classes (`com.example.Main`
//   covers `com.example.Main$1`). Segments are Java identifiers.
// - Jar glob: `*` matches within one path component, `**` across them,
//   `?` one character. Matched against the code source that holds the
//   class: the innermost jar of a nested location
//   (`jar:file:/a/app.jar!/BOOT-INF/lib/y.jar!/` -> `y.jar`), the jar
//   that holds a nested classes directory (`.../app.jar!/BOOT-INF/classes`
//   -> `app.jar`), or the classes directory itself. A glob without `/`
//   matches that file's name (`zstd-jni-*.jar`); one with `/` its path, the
//   whole path when it starts with `/` (`/opt/app/lib/*.jar`), else any
//   tail of it that starts after a `/` (`lib/*.jar`, `target/classes`).

#ifndef JLEAK_PROFILE_CODE_ORIGIN_H_
#define JLEAK_PROFILE_CODE_ORIGIN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "profile/frame_filter.h"
#include "profile/java_classes_map.h"

namespace jleak {

// ------------------------------------------------------------ locations

// A code source's location taken apart.
struct CodeLocation {
  bool runtime_image = false;  // jrt:/MODULE
  // The file-system path, then the paths inside it for nested archives,
  // percent-decoded, without trailing '/':
  //   file:/x/app.jar                           {"/x/app.jar"}
  //   jar:file:/x/app.jar!/BOOT-INF/lib/y.jar!/ {"/x/app.jar",
  //                                              "BOOT-INF/lib/y.jar"}
  //   jar:nested:/x/app.jar/!BOOT-INF/classes/!/ {"/x/app.jar",
  //                                              "BOOT-INF/classes"}
  //   jrt:/java.sql                             {"java.sql"}
  // Empty for the bracketed forms ("[no code source]").
  std::vector<std::string> chain;
  // The innermost element is a directory of classes, not an archive (.jar,
  // .zip, .war, .ear, .jmod).
  bool directory = false;
};

// ParseCodeLocation: see CodeLocation. Schemes other than file:, jar:,
// nested: and jrt: keep everything after the scheme as one path.
CodeLocation ParseCodeLocation(absl::string_view location);

// IsArchiveName: whether a path names an archive (.jar, .zip, .war, .ear,
// .jmod; any case).
bool IsArchiveName(absl::string_view path);

// ------------------------------------------------------------ --app rules

class AppRules {
 public:
  AppRules() = default;

  // Parse validates every rule; an error names the rule and why.
  static absl::StatusOr<AppRules> Parse(const std::vector<std::string>& rules);

  // MatchClass: the package rule (as the user wrote it) that covers
  // `class_name`, or nullptr.
  const std::string* MatchClass(absl::string_view class_name) const;
  // MatchLocation: the jar glob (as written) that matches the code source,
  // or nullptr.
  const std::string* MatchLocation(const CodeLocation& location) const;

  bool empty() const { return packages_.empty() && globs_.empty(); }

 private:
  struct Package {
    std::string written;
    std::string prefix;  // "com.example"
  };
  struct Glob {
    std::string written;
    std::string pattern;
    bool has_slash = false;
  };
  std::vector<Package> packages_;
  std::vector<Glob> globs_;
};

// GlobMatch: `*` (no '/'), `**` (anything) and `?` (one character, not
// '/') against the whole of `text`. O(|pattern| * |text|).
bool GlobMatch(absl::string_view pattern, absl::string_view text);

// ------------------------------------------------------------ the map

// CodeOrigins: a java-classes.map, indexed for lookups; or none at all.
class CodeOrigins {
 public:
  // No map: every class is absent (production .heap files).
  CodeOrigins() = default;

  // Load parses the map (ParseJavaClassesMap: errors name the line).
  static absl::StatusOr<CodeOrigins> Load(
      absl::string_view text,
      absl::string_view source_name = kJavaClassesMapName);

  bool has_map() const { return has_map_; }
  const JavaClassesMap& map() const { return map_; }

  // SourceOf: the source id of a class (binary name with dots), by its own
  // entry, then its enclosing classes', then its package's; -1 when absent.
  int64_t SourceOf(absl::string_view class_name) const;

  // The main code source's id, or -1 (no `main` source in the map).
  int64_t main_source() const { return main_source_; }

 private:
  bool has_map_ = false;
  JavaClassesMap map_;
  absl::flat_hash_map<std::string, uint32_t> classes_;
  absl::flat_hash_map<std::string, uint32_t> packages_;
  int64_t main_source_ = -1;
};

// ------------------------------------------------------------ classifying

enum class OriginKind { kJdk, kApplication, kLibrary, kUnknown };
// OriginKindName: "jdk", "application", "library", "unknown".
const char* OriginKindName(OriginKind kind);

// Why a frame got its kind (numbered as in the file comment).
enum class OriginReason {
  kRuntimeImage,      // 1: the code source is the runtime image
  kAppRule,           // 2: an --app rule (FrameOrigin::rule)
  kMainCodeSource,    // 3: the main class's code source
  kMainJarClasses,    // 3: a classes directory inside the main jar
  kClassesDirectory,  // 3: a classes directory on the class path
  kOtherCodeSource,   // 4: another code source
  kJdkFrameRule,      // 5: not in the map; a `jvm` frame rule
  kNotInMap,          // 5: not in the map, no rule
  kAgentPlaceholder,  // a bracketed frame of the agent
};
// OriginReasonText: a few words for reports, e.g. "the main class's code
// source", "--app rule".
const char* OriginReasonText(OriginReason reason);

struct FrameOrigin {
  OriginKind kind = OriginKind::kUnknown;
  OriginReason reason = OriginReason::kNotInMap;
  std::string class_name;   // "com.x.Foo"; empty for a placeholder
  std::string code_source;  // the map's LOCATION; empty when not in it
  std::string rule;         // the --app rule, for kAppRule
};

class OriginClassifier {
 public:
  // `filter` decides JDK frames for classes absent from the map (rule 5).
  OriginClassifier(CodeOrigins origins, AppRules rules,
                   FrameFilter filter = FrameFilter());

  // Classify a Java frame's name as java-frames.map gives it
  // ("com.x.Foo.bar(Foo.java:12)", "com.x.Foo.bar", "[unknown Java
  // frame]").
  FrameOrigin Classify(absl::string_view frame_name) const;
  // ClassifyClass: the same for a class name ("com.x.Foo$Inner").
  FrameOrigin ClassifyClass(absl::string_view class_name) const;

  const CodeOrigins& origins() const { return origins_; }

 private:
  // What rules 1, 3 and 4 and the jar globs say of one source (`main`:
  // the main code source), worked out once per source.
  struct SourceVerdict {
    OriginKind kind;
    OriginReason reason;
    const std::string* glob;  // the jar glob that matches it, or null
  };
  SourceVerdict Judge(const CodeSourceEntry& source, bool main) const;

  CodeOrigins origins_;
  AppRules rules_;
  FrameFilter filter_;
  CodeLocation main_location_;           // empty chain: no main source
  std::vector<SourceVerdict> verdicts_;  // by source id
};

}  // namespace jleak

#endif  // JLEAK_PROFILE_CODE_ORIGIN_H_
