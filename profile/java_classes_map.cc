// File: java_classes_map.cc
//
// java-classes.map's escaping, writer and parser (see java_classes_map.h).

#include "profile/java_classes_map.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace jleak {
namespace {

constexpr char kHeader[] =
    "# Where the JVM loaded each Java class from, written by the jleak agent\n"
    "# (profile/java_classes_map.h has the format). Lines:\n"
    "#   main NAME                    the main class, or the -jar jar\n"
    "#   source ID jdk|main|other LOCATION\n"
    "#   package ID NAME              all its classes came from source ID\n"
    "#   class ID NAME                a class not covered by a package line\n";

bool IsControl(unsigned char c) { return c < 0x20 || c == 0x7f; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// SplitWord takes the first space-separated word off `*rest`.
absl::string_view SplitWord(absl::string_view* rest) {
  const size_t space = rest->find(' ');
  absl::string_view word = rest->substr(0, space);
  rest->remove_prefix(space == absl::string_view::npos ? rest->size()
                                                       : space + 1);
  return word;
}

}  // namespace

const char* CodeSourceKindName(CodeSourceKind kind) {
  switch (kind) {
    case CodeSourceKind::kJdk:
      return "jdk";
    case CodeSourceKind::kMain:
      return "main";
    case CodeSourceKind::kOther:
      return "other";
  }
  return "other";
}

absl::string_view PackageOf(absl::string_view class_name) {
  const size_t dot = class_name.rfind('.');
  return dot == absl::string_view::npos ? absl::string_view()
                                        : class_name.substr(0, dot);
}

void CompactClasses(
    const std::vector<std::pair<absl::string_view, uint32_t>>& class_sources,
    JavaClassesMap* map) {
  map->packages.clear();
  map->classes.clear();
  std::map<absl::string_view, int64_t> package_source;  // -1: split
  for (const auto& [name, id] : class_sources) {
    const absl::string_view package = PackageOf(name);
    auto [it, inserted] = package_source.emplace(package, id);
    if (!inserted && it->second != static_cast<int64_t>(id)) it->second = -1;
  }
  for (const auto& [package, id] : package_source) {
    if (!package.empty() && id >= 0) {
      map->packages.emplace(std::string(package), static_cast<uint32_t>(id));
    }
  }
  for (const auto& [name, id] : class_sources) {
    const absl::string_view package = PackageOf(name);
    if (package.empty() || package_source[package] < 0) {
      map->classes.emplace(std::string(name), id);
    }
  }
}

std::string EscapeMapField(absl::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (const char c : field) {
    if (c == '\\') {
      out += "\\\\";
    } else if (IsControl(static_cast<unsigned char>(c))) {
      absl::StrAppendFormat(&out, "\\x%02x", static_cast<unsigned char>(c));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

size_t EscapedSize(absl::string_view field) {
  size_t n = field.size();
  for (const char c : field) {
    if (c == '\\') {
      n += 1;
    } else if (IsControl(static_cast<unsigned char>(c))) {
      n += 3;
    }
  }
  return n;
}

bool UnescapeMapField(absl::string_view escaped, std::string* out) {
  out->clear();
  out->reserve(escaped.size());
  for (size_t i = 0; i < escaped.size(); ++i) {
    const char c = escaped[i];
    if (IsControl(static_cast<unsigned char>(c))) return false;
    if (c != '\\') {
      out->push_back(c);
      continue;
    }
    if (i + 1 < escaped.size() && escaped[i + 1] == '\\') {
      out->push_back('\\');
      i += 1;
      continue;
    }
    if (i + 3 < escaped.size() && escaped[i + 1] == 'x') {
      const int hi = HexValue(escaped[i + 2]);
      const int lo = HexValue(escaped[i + 3]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 3;
      continue;
    }
    return false;
  }
  return true;
}

std::string FormatJavaClassesMap(const JavaClassesMap& map) {
  std::string text = absl::StrCat(kJavaClassesMapMagic, "\n", kHeader);
  if (!map.main.empty()) {
    absl::StrAppend(&text, "main ", EscapeMapField(map.main), "\n");
  }
  for (size_t id = 0; id < map.sources.size(); ++id) {
    absl::StrAppend(&text, "source ", id, " ",
                    CodeSourceKindName(map.sources[id].kind), " ",
                    EscapeMapField(map.sources[id].location), "\n");
  }
  for (const auto& [name, id] : map.packages) {
    absl::StrAppend(&text, "package ", id, " ", EscapeMapField(name), "\n");
  }
  for (const auto& [name, id] : map.classes) {
    absl::StrAppend(&text, "class ", id, " ", EscapeMapField(name), "\n");
  }
  return text;
}

absl::StatusOr<JavaClassesMap> ParseJavaClassesMap(
    absl::string_view text, absl::string_view source_name) {
  if (text.size() > kMaxJavaClassesMapBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(source_name, ": ", text.size(), " bytes, more than the ",
                     kMaxJavaClassesMapBytes, " a class map may have"));
  }
  JavaClassesMap map;
  bool seen_magic = false;
  bool seen_main_source = false;
  size_t line_number = 0;
  auto error = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat(source_name, ":", line_number, ": ", why));
  };
  std::string field;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    if (line_number > kMaxJavaClassesMapLines) {
      return error(
          absl::StrCat("more than ", kMaxJavaClassesMapLines, " lines"));
    }
    if (line.empty() || line.front() == '#') continue;
    if (!seen_magic) {
      if (line != kJavaClassesMapMagic) {
        return error(absl::StrCat("not a class map (expected '",
                                  kJavaClassesMapMagic, "' first)"));
      }
      seen_magic = true;
      continue;
    }
    absl::string_view rest = line;
    const absl::string_view keyword = SplitWord(&rest);
    // The last field: the rest of the line, unescaped.
    auto last_field = [&](absl::string_view what) -> absl::Status {
      if (rest.empty()) return error(absl::StrCat("no ", what));
      if (rest.size() > kMaxJavaClassesMapField) {
        return error(absl::StrCat(what, " longer than ",
                                  kMaxJavaClassesMapField, " bytes"));
      }
      if (!UnescapeMapField(rest, &field)) {
        return error(
            absl::StrCat(what,
                         " has a control character or a bad escape (only \\\\ "
                         "and \\xHH exist)"));
      }
      return absl::OkStatus();
    };
    auto source_id = [&](uint32_t* id) -> absl::Status {
      const absl::string_view word = SplitWord(&rest);
      const bool digits =
          !word.empty() && word.size() <= 9 &&
          word.find_first_not_of("0123456789") == absl::string_view::npos;
      if (!digits || !absl::SimpleAtoi(word, id)) {
        return error(absl::StrCat("bad source id '", word, "'"));
      }
      return absl::OkStatus();
    };
    if (keyword == "main") {
      if (!map.main.empty()) return error("a second 'main' line");
      if (absl::Status s = last_field("main class or jar"); !s.ok()) return s;
      map.main = field;
    } else if (keyword == "source") {
      uint32_t id = 0;
      if (absl::Status s = source_id(&id); !s.ok()) return s;
      if (id != map.sources.size()) {
        return error(absl::StrCat("source ", id, " out of order (expected ",
                                  map.sources.size(), ")"));
      }
      if (id >= kMaxCodeSources) {
        return error(absl::StrCat("more than ", kMaxCodeSources, " sources"));
      }
      const absl::string_view kind = SplitWord(&rest);
      CodeSourceEntry entry;
      if (kind == "jdk") {
        entry.kind = CodeSourceKind::kJdk;
      } else if (kind == "main") {
        if (seen_main_source) return error("a second 'main' source");
        seen_main_source = true;
        entry.kind = CodeSourceKind::kMain;
      } else if (kind == "other") {
        entry.kind = CodeSourceKind::kOther;
      } else {
        return error(absl::StrCat("unknown source kind '", kind,
                                  "' (expected jdk, main or other)"));
      }
      if (absl::Status s = last_field("location"); !s.ok()) return s;
      entry.location = field;
      map.sources.push_back(std::move(entry));
    } else if (keyword == "package" || keyword == "class") {
      uint32_t id = 0;
      if (absl::Status s = source_id(&id); !s.ok()) return s;
      if (id >= map.sources.size()) {
        return error(absl::StrCat("source ", id, " is not defined above"));
      }
      if (absl::Status s =
              last_field(keyword == "package" ? "package name" : "class name");
          !s.ok()) {
        return s;
      }
      auto& names = keyword == "package" ? map.packages : map.classes;
      if (!names.emplace(field, id).second) {
        return error(absl::StrCat(keyword, " '", EscapeMapField(field),
                                  "' listed twice"));
      }
    } else {
      return error(absl::StrCat("unknown line '",
                                EscapeMapField(keyword.substr(0, 40)),
                                "' (expected main, source, package or class)"));
    }
  }
  if (!seen_magic) {
    return absl::InvalidArgumentError(absl::StrCat(
        source_name, ": empty (no '", kJavaClassesMapMagic, "' line)"));
  }
  return map;
}

}  // namespace jleak
