// File: code_origin.cc
//
// Code locations, --app rules and the JDK / application / library
// classification of Java frames (see code_origin.h).

#include "profile/code_origin.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "profile/java_frame.h"

namespace jleak {
namespace {

// An --app rule longer than this is refused: no jar path or package is.
constexpr size_t kMaxRuleBytes = 1024;

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// PercentDecode: "%20" -> " "; a '%' not followed by two hex digits stays.
std::string PercentDecode(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = HexDigit(s[i + 1]);
      const int lo = HexDigit(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

// WithoutAuthority: "//host/x" -> "/x", "///x" -> "/x"; other paths as
// they are.
absl::string_view WithoutAuthority(absl::string_view path) {
  if (!absl::StartsWith(path, "//")) return path;
  const size_t slash = path.find('/', 2);
  return slash == absl::string_view::npos ? absl::string_view("/")
                                          : path.substr(slash);
}

absl::string_view FileNameOf(absl::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == absl::string_view::npos ? path : path.substr(slash + 1);
}

bool IsIdentifierChar(unsigned char c, bool first) {
  if (c >= 0x80) return true;  // Java identifiers may be any letter
  if (absl::ascii_isalpha(c) || c == '_' || c == '$') return true;
  return !first && absl::ascii_isdigit(c);
}

// ClassOfFrame: "com.x.Foo.bar" -> "com.x.Foo".
absl::string_view ClassOfMethod(absl::string_view method) {
  const size_t dot = method.rfind('.');
  return dot == absl::string_view::npos ? absl::string_view()
                                        : method.substr(0, dot);
}

}  // namespace

// ------------------------------------------------------------ locations

bool IsArchiveName(absl::string_view path) {
  for (absl::string_view ext : {".jar", ".zip", ".war", ".ear", ".jmod"}) {
    if (absl::EndsWithIgnoreCase(path, ext)) return true;
  }
  return false;
}

CodeLocation ParseCodeLocation(absl::string_view location) {
  CodeLocation out;
  if (location.empty() || location.front() == '[') return out;
  absl::string_view rest = location;
  if (absl::ConsumePrefix(&rest, "jrt:")) {
    out.runtime_image = true;
    rest = absl::StripPrefix(rest, "/");
    const size_t slash = rest.find('/');
    out.chain.emplace_back(PercentDecode(rest.substr(0, slash)));
    return out;
  }
  while (absl::ConsumePrefix(&rest, "jar:")) {
  }
  bool url = true;
  if (absl::ConsumePrefix(&rest, "file:")) {
    rest = WithoutAuthority(rest);
  } else if (absl::ConsumePrefix(&rest, "nested:")) {
    // Spring Boot 3.2: nested:/x/app.jar/!BOOT-INF/classes/!/
  } else {
    // Another scheme (vfs:, bundleresource:, http:): everything after it.
    const size_t colon = rest.find(':');
    const size_t slash = rest.find('/');
    if (colon != absl::string_view::npos &&
        (slash == absl::string_view::npos || colon < slash)) {
      rest.remove_prefix(colon + 1);
      rest = WithoutAuthority(rest);
    } else {
      url = false;  // a bare path
    }
  }
  const std::string separated = absl::StrReplaceAll(rest, {{"/!", "!/"}});
  for (absl::string_view part : absl::StrSplit(separated, "!/")) {
    if (!out.chain.empty()) part = absl::StripPrefix(part, "/");
    while (part.size() > 1 && part.back() == '/') part.remove_suffix(1);
    if (part.empty() || (part == "/" && !out.chain.empty())) continue;
    out.chain.push_back(url ? PercentDecode(part) : std::string(part));
  }
  out.directory = !out.chain.empty() && !IsArchiveName(out.chain.back());
  return out;
}

// ------------------------------------------------------------ globs

bool GlobMatch(absl::string_view pattern, absl::string_view text) {
  // Tokens: a literal byte, '?', '*' (within a component) or '**'.
  enum Kind { kLiteral, kOne, kStar, kStarStar };
  struct Token {
    Kind kind;
    char c;
  };
  std::vector<Token> tokens;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '*') {
      if (i + 1 < pattern.size() && pattern[i + 1] == '*') {
        while (i + 1 < pattern.size() && pattern[i + 1] == '*') ++i;
        tokens.push_back({kStarStar, 0});
      } else {
        tokens.push_back({kStar, 0});
      }
    } else if (pattern[i] == '?') {
      tokens.push_back({kOne, 0});
    } else {
      tokens.push_back({kLiteral, pattern[i]});
    }
  }
  // match[j]: tokens[0, j) match text[0, i) for the current i.
  const size_t m = tokens.size();
  std::vector<char> match(m + 1, 0), next(m + 1, 0);
  match[0] = 1;
  for (size_t j = 0; j < m; ++j) {
    match[j + 1] =
        match[j] && (tokens[j].kind == kStar || tokens[j].kind == kStarStar);
  }
  for (const char c : text) {
    next[0] = 0;
    for (size_t j = 0; j < m; ++j) {
      const Token& t = tokens[j];
      bool v = false;
      switch (t.kind) {
        case kLiteral:
          v = match[j] && t.c == c;
          break;
        case kOne:
          v = match[j] && c != '/';
          break;
        case kStar:
          // Empty (next[j], this row) or one more character (match[j + 1]).
          v = next[j] || (match[j + 1] && c != '/');
          break;
        case kStarStar:
          v = next[j] || match[j + 1];
          break;
      }
      next[j + 1] = v;
    }
    std::swap(match, next);
  }
  return match[m] != 0;
}

// ------------------------------------------------------------ --app rules

absl::StatusOr<AppRules> AppRules::Parse(
    const std::vector<std::string>& rules) {
  AppRules out;
  for (const std::string& written : rules) {
    auto bad = [&](absl::string_view why) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--app '", EscapeMapField(written.substr(0, 200)), "': ", why));
    };
    if (written.size() > kMaxRuleBytes) {
      return bad(absl::StrCat("longer than ", kMaxRuleBytes, " bytes"));
    }
    for (const char c : written) {
      if ((static_cast<unsigned char>(c) < 0x20 && c != ' ') || c == 0x7f) {
        return bad("has a control character");
      }
    }
    const absl::string_view rule = absl::StripAsciiWhitespace(written);
    if (rule.empty()) return bad("empty (give a package or a jar glob)");
    const bool glob = rule.find_first_of("/*?") != absl::string_view::npos ||
                      absl::EndsWithIgnoreCase(rule, ".jar");
    if (glob) {
      if (rule == "**" || rule == "*" || rule == "/**") {
        return bad("matches every code source; name the jars");
      }
      out.globs_.push_back({written, std::string(rule),
                            rule.find('/') != absl::string_view::npos});
      continue;
    }
    absl::string_view prefix = rule;
    // "com.example.*" is a jar glob by the '*'; "com.example." is allowed.
    prefix = absl::StripSuffix(prefix, ".");
    if (prefix.empty()) return bad("no package name");
    for (absl::string_view segment : absl::StrSplit(prefix, '.')) {
      if (segment.empty()) {
        return bad("an empty package segment ('..' or a leading '.')");
      }
      for (size_t i = 0; i < segment.size(); ++i) {
        if (!IsIdentifierChar(static_cast<unsigned char>(segment[i]), i == 0)) {
          return bad(absl::StrCat(
              "'", segment,
              "' is not a Java identifier (a package prefix such as "
              "com.example, or a jar glob such as lib/*.jar or app.jar)"));
        }
      }
    }
    out.packages_.push_back({written, std::string(prefix)});
  }
  return out;
}

const std::string* AppRules::MatchClass(absl::string_view class_name) const {
  for (const Package& p : packages_) {
    if (!absl::StartsWith(class_name, p.prefix)) continue;
    if (class_name.size() == p.prefix.size()) return &p.written;
    const char next = class_name[p.prefix.size()];
    if (next == '.' || next == '$') return &p.written;
  }
  return nullptr;
}

const std::string* AppRules::MatchLocation(const CodeLocation& loc) const {
  if (globs_.empty() || loc.chain.empty() || loc.runtime_image) return nullptr;
  // The element that holds the class: the innermost archive, or the
  // classes directory when there is none.
  size_t owner = loc.chain.size() - 1;
  if (loc.directory && loc.chain.size() > 1) {
    for (size_t i = loc.chain.size() - 1; i-- > 0;) {
      if (IsArchiveName(loc.chain[i])) {
        owner = i;
        break;
      }
    }
  }
  // Its path: nested elements joined as in a jar: URL.
  std::string path = loc.chain[0];
  for (size_t i = 1; i <= owner; ++i)
    absl::StrAppend(&path, "!/", loc.chain[i]);
  const absl::string_view name = FileNameOf(loc.chain[owner]);
  for (const Glob& g : globs_) {
    if (!g.has_slash) {
      if (GlobMatch(g.pattern, name)) return &g.written;
      continue;
    }
    if (g.pattern.front() == '/') {
      if (GlobMatch(g.pattern, path)) return &g.written;
      continue;
    }
    // The whole path, or any tail of it that starts after a '/'.
    if (GlobMatch(g.pattern, path) ||
        GlobMatch(absl::StrCat("**/", g.pattern), path)) {
      return &g.written;
    }
  }
  return nullptr;
}

// ------------------------------------------------------------ the map

absl::StatusOr<CodeOrigins> CodeOrigins::Load(absl::string_view text,
                                              absl::string_view source_name) {
  absl::StatusOr<JavaClassesMap> map = ParseJavaClassesMap(text, source_name);
  if (!map.ok()) return map.status();
  CodeOrigins out;
  out.has_map_ = true;
  out.map_ = *std::move(map);
  out.classes_.reserve(out.map_.classes.size());
  for (const auto& [name, id] : out.map_.classes)
    out.classes_.emplace(name, id);
  out.packages_.reserve(out.map_.packages.size());
  for (const auto& [name, id] : out.map_.packages) {
    out.packages_.emplace(name, id);
  }
  for (size_t id = 0; id < out.map_.sources.size(); ++id) {
    if (out.map_.sources[id].kind == CodeSourceKind::kMain) {
      out.main_source_ = static_cast<int64_t>(id);
    }
  }
  // No source marked: the `main` line, a jar path or a class name.
  const std::string& main = out.map_.main;
  if (out.main_source_ < 0 && !main.empty()) {
    if (main.front() == '/') {
      for (size_t id = 0; id < out.map_.sources.size(); ++id) {
        const CodeLocation loc =
            ParseCodeLocation(out.map_.sources[id].location);
        if (loc.chain.size() == 1 && !loc.runtime_image &&
            loc.chain[0] == main) {
          out.main_source_ = static_cast<int64_t>(id);
          break;
        }
      }
    } else {
      const int64_t id = out.SourceOf(main);
      if (id >= 0 && out.map_.sources[id].kind != CodeSourceKind::kJdk) {
        out.main_source_ = id;
      }
    }
  }
  return out;
}

int64_t CodeOrigins::SourceOf(absl::string_view class_name) const {
  if (!has_map_ || class_name.empty()) return -1;
  absl::string_view name = class_name;
  const size_t last_dot = name.rfind('.');
  const size_t simple = last_dot == absl::string_view::npos ? 0 : last_dot + 1;
  // The class, then its enclosing classes ("a.B$C$1" -> "a.B$C" -> "a.B").
  while (true) {
    if (auto it = classes_.find(name); it != classes_.end()) return it->second;
    const size_t dollar = name.rfind('$');
    if (dollar == absl::string_view::npos || dollar <= simple) break;
    name = name.substr(0, dollar);
    while (name.size() > simple && name.back() == '$') name.remove_suffix(1);
  }
  if (auto it = packages_.find(PackageOf(class_name)); it != packages_.end()) {
    return it->second;
  }
  return -1;
}

// ------------------------------------------------------------ classifying

const char* OriginKindName(OriginKind kind) {
  switch (kind) {
    case OriginKind::kJdk:
      return "jdk";
    case OriginKind::kApplication:
      return "application";
    case OriginKind::kLibrary:
      return "library";
    case OriginKind::kUnknown:
      return "unknown";
  }
  return "unknown";
}

const char* OriginReasonText(OriginReason reason) {
  switch (reason) {
    case OriginReason::kRuntimeImage:
      return "the runtime image";
    case OriginReason::kAppRule:
      return "--app rule";
    case OriginReason::kMainCodeSource:
      return "the main class's code source";
    case OriginReason::kMainJarClasses:
      return "classes inside the main jar";
    case OriginReason::kClassesDirectory:
      return "a classes directory";
    case OriginReason::kOtherCodeSource:
      return "another code source";
    case OriginReason::kJdkFrameRule:
      return "a JDK package (not in the class map)";
    case OriginReason::kNotInMap:
      return "not in the class map";
    case OriginReason::kAgentPlaceholder:
      return "a frame the agent could not name";
  }
  return "";
}

OriginClassifier::OriginClassifier(CodeOrigins origins, AppRules rules,
                                   FrameFilter filter)
    : origins_(std::move(origins)),
      rules_(std::move(rules)),
      filter_(std::move(filter)) {
  const auto& sources = origins_.map().sources;
  if (origins_.main_source() >= 0) {
    main_location_ =
        ParseCodeLocation(sources[origins_.main_source()].location);
  }
  verdicts_.reserve(sources.size());
  for (size_t id = 0; id < sources.size(); ++id) {
    verdicts_.push_back(
        Judge(sources[id], static_cast<int64_t>(id) == origins_.main_source()));
  }
}

OriginClassifier::SourceVerdict OriginClassifier::Judge(
    const CodeSourceEntry& source, bool main) const {
  const CodeLocation loc = ParseCodeLocation(source.location);
  if (source.kind == CodeSourceKind::kJdk || loc.runtime_image) {
    return {OriginKind::kJdk, OriginReason::kRuntimeImage, nullptr};
  }
  const std::string* glob = rules_.MatchLocation(loc);
  if (main) {
    return {OriginKind::kApplication, OriginReason::kMainCodeSource, glob};
  }
  // Inside the main jar: its own classes directory is the application's,
  // the jars packed beside it are libraries.
  const bool main_is_jar =
      main_location_.chain.size() == 1 && !main_location_.directory;
  if (main_is_jar && loc.chain.size() > 1 &&
      loc.chain[0] == main_location_.chain[0] && loc.directory) {
    return {OriginKind::kApplication, OriginReason::kMainJarClasses, glob};
  }
  if (loc.chain.size() == 1 && loc.directory) {
    return {OriginKind::kApplication, OriginReason::kClassesDirectory, glob};
  }
  return {OriginKind::kLibrary, OriginReason::kOtherCodeSource, glob};
}

FrameOrigin OriginClassifier::Classify(absl::string_view frame_name) const {
  if (!frame_name.empty() && frame_name.front() == '[') {
    FrameOrigin out;
    out.kind = OriginKind::kUnknown;
    out.reason = OriginReason::kAgentPlaceholder;
    return out;
  }
  const JavaFrameName parsed = ParseJavaFrameName(frame_name);
  return ClassifyClass(ClassOfMethod(parsed.method));
}

FrameOrigin OriginClassifier::ClassifyClass(
    absl::string_view class_name) const {
  FrameOrigin out;
  out.class_name = WithoutHiddenClassAddress(class_name);
  if (out.class_name.empty() || out.class_name.front() == '[') {
    out.kind = OriginKind::kUnknown;
    out.reason = OriginReason::kAgentPlaceholder;
    return out;
  }
  const int64_t id = origins_.SourceOf(out.class_name);
  if (id >= 0) {
    const SourceVerdict& v = verdicts_[id];
    out.code_source = origins_.map().sources[id].location;
    if (v.kind == OriginKind::kJdk) {
      out.kind = v.kind;
      out.reason = v.reason;
      return out;
    }
    const std::string* rule = rules_.MatchClass(out.class_name);
    if (rule == nullptr) rule = v.glob;
    if (rule != nullptr) {
      out.kind = OriginKind::kApplication;
      out.reason = OriginReason::kAppRule;
      out.rule = *rule;
      return out;
    }
    out.kind = v.kind;
    out.reason = v.reason;
    return out;
  }
  if (const std::string* rule = rules_.MatchClass(out.class_name)) {
    out.kind = OriginKind::kApplication;
    out.reason = OriginReason::kAppRule;
    out.rule = *rule;
    return out;
  }
  // The frame rules match methods; any method of the class will do.
  if (filter_.Classify(absl::StrCat(out.class_name, ".m"), kJavaModule) ==
      FrameKind::kJvm) {
    out.kind = OriginKind::kJdk;
    out.reason = OriginReason::kJdkFrameRule;
    return out;
  }
  out.kind = OriginKind::kLibrary;
  out.reason = OriginReason::kNotInMap;
  return out;
}

}  // namespace jleak
