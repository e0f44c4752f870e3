// File: class_sources.h
//
// ClassSources: what the agent knows of where each Java class was loaded
// from, and its rendering as java-classes.map (profile/java_classes_map.h
// has the format; profile/code_origin.h reads it to tell application
// frames from the JDK's and the libraries'). The JVM side that fills it
// at ClassPrepare and over the classes loaded before is
// class_source_recorder.h; this part needs no JVM and is unit-tested.
//
// Bounded: at most kMaxRecordedClasses classes, kMaxCodeSources sources,
// names and locations of at most kMaxJavaClassesMapField bytes once
// escaped; what does not fit is counted as dropped, never written. A class
// name seen again with another source (two loaders) keeps its first
// source and is counted as ambiguous.

#ifndef JLEAK_AGENT_CLASS_SOURCES_H_
#define JLEAK_AGENT_CLASS_SOURCES_H_

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "profile/java_classes_map.h"

namespace jleak::agent {

inline constexpr size_t kMaxRecordedClasses = size_t{1} << 20;

// What the command line ran, from the JVM's properties.
struct MainProgram {
  std::string main_class;  // "pkg.Main", or empty
  std::string main_jar;    // the -jar jar as given (java.class.path), or empty
};

// MainOfCommand reads `sun.java.command` ("pkg.Main ARGS", "app.jar ARGS"
// with -jar, "module/pkg.Main ARGS" with -m) and `java.class.path` (the
// jar itself with -jar). Arguments are never kept: they may hold secrets.
MainProgram MainOfCommand(absl::string_view sun_java_command,
                          absl::string_view java_class_path);

class ClassSources {
 public:
  struct Stats {
    int64_t classes = 0;
    int64_t sources = 0;
    int64_t dropped = 0;    // over a limit
    int64_t ambiguous = 0;  // a name seen with a second source
  };

  // SourceId: the id of (kind, location), added when new; -1 when the
  // sources are full or the location too long.
  int64_t SourceId(CodeSourceKind kind, absl::string_view location);

  // Add records that `class_name` (dots, hidden-class suffix removed) came
  // from `source_id`. False when dropped.
  bool Add(absl::string_view class_name, int64_t source_id);

  // SetMain: `main_jar` absolute (realpath'd: the JVM's class path URLs
  // are canonical), so that it can be found among the locations.
  void SetMain(MainProgram main);

  // MapText renders java-classes.map: classes compacted by package, the
  // main code source marked (the -jar jar's location, else the main
  // class's source, unless that is the JDK's).
  std::string MapText() const;

  // Generation changes whenever something new is recorded, so that the
  // map is rewritten only then.
  uint64_t generation() const;

  Stats stats() const;

 private:
  mutable std::mutex mu_;
  std::vector<CodeSourceEntry> sources_;
  absl::flat_hash_map<std::string, uint32_t> source_ids_;  // kind + location
  absl::flat_hash_map<std::string, uint32_t> classes_;
  MainProgram main_;
  uint64_t generation_ = 0;
  Stats stats_;
};

}  // namespace jleak::agent

#endif  // JLEAK_AGENT_CLASS_SOURCES_H_
