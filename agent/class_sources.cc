// File: class_sources.cc
//
// The class -> code source registry and its map text (see class_sources.h).

#include "agent/class_sources.h"

#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "profile/code_origin.h"

namespace jleak::agent {
namespace {

bool FitsInMap(absl::string_view field) {
  return !field.empty() && EscapedSize(field) <= kMaxJavaClassesMapField;
}

}  // namespace

MainProgram MainOfCommand(absl::string_view sun_java_command,
                          absl::string_view java_class_path) {
  MainProgram out;
  if (sun_java_command.empty()) return out;
  // -jar: the launcher sets the class path to the jar alone, and the
  // command starts with it (a path may hold spaces, so compare whole).
  if (!java_class_path.empty() &&
      java_class_path.find(':') == absl::string_view::npos &&
      absl::EndsWithIgnoreCase(java_class_path, ".jar") &&
      absl::StartsWith(sun_java_command, java_class_path) &&
      (sun_java_command.size() == java_class_path.size() ||
       sun_java_command[java_class_path.size()] == ' ')) {
    out.main_jar = std::string(java_class_path);
    return out;
  }
  absl::string_view first =
      sun_java_command.substr(0, sun_java_command.find(' '));
  // -m module/pkg.Main
  if (const size_t slash = first.find('/'); slash != absl::string_view::npos) {
    first = first.substr(slash + 1);
  }
  out.main_class = std::string(first);
  return out;
}

int64_t ClassSources::SourceId(CodeSourceKind kind,
                               absl::string_view location) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string key = absl::StrCat(CodeSourceKindName(kind), " ", location);
  if (auto it = source_ids_.find(key); it != source_ids_.end()) {
    return it->second;
  }
  if (sources_.size() >= kMaxCodeSources || !FitsInMap(location)) {
    ++stats_.dropped;
    return -1;
  }
  const uint32_t id = static_cast<uint32_t>(sources_.size());
  sources_.push_back({kind, std::string(location)});
  source_ids_.emplace(std::move(key), id);
  stats_.sources = static_cast<int64_t>(sources_.size());
  ++generation_;
  return id;
}

bool ClassSources::Add(absl::string_view class_name, int64_t source_id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (source_id < 0 || static_cast<size_t>(source_id) >= sources_.size() ||
      !FitsInMap(class_name)) {
    ++stats_.dropped;
    return false;
  }
  auto it = classes_.find(class_name);
  if (it != classes_.end()) {
    if (it->second != source_id) ++stats_.ambiguous;
    return true;
  }
  if (classes_.size() >= kMaxRecordedClasses) {
    ++stats_.dropped;
    return false;
  }
  classes_.emplace(std::string(class_name), static_cast<uint32_t>(source_id));
  stats_.classes = static_cast<int64_t>(classes_.size());
  ++generation_;
  return true;
}

void ClassSources::SetMain(MainProgram main) {
  std::lock_guard<std::mutex> lock(mu_);
  main_ = std::move(main);
  ++generation_;
}

std::string ClassSources::MapText() const {
  JavaClassesMap map;
  {
    std::lock_guard<std::mutex> lock(mu_);
    map.sources = sources_;
    std::vector<std::pair<absl::string_view, uint32_t>> classes;
    classes.reserve(classes_.size());
    for (const auto& [name, id] : classes_) classes.emplace_back(name, id);
    CompactClasses(classes, &map);
    map.main = main_.main_jar.empty() ? main_.main_class : main_.main_jar;
    if (!FitsInMap(map.main)) map.main.clear();
    int64_t main_id = -1;
    if (!main_.main_jar.empty()) {
      for (size_t id = 0; id < sources_.size() && main_id < 0; ++id) {
        const CodeLocation loc = ParseCodeLocation(sources_[id].location);
        if (!loc.runtime_image && loc.chain.size() == 1 &&
            loc.chain[0] == main_.main_jar) {
          main_id = static_cast<int64_t>(id);
        }
      }
    } else if (!main_.main_class.empty()) {
      if (auto it = classes_.find(main_.main_class); it != classes_.end()) {
        main_id = it->second;
      }
    }
    if (main_id >= 0 && map.sources[main_id].kind == CodeSourceKind::kOther) {
      map.sources[main_id].kind = CodeSourceKind::kMain;
    }
  }
  return FormatJavaClassesMap(map);
}

uint64_t ClassSources::generation() const {
  std::lock_guard<std::mutex> lock(mu_);
  return generation_;
}

ClassSources::Stats ClassSources::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

}  // namespace jleak::agent
