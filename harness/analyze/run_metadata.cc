// File: run_metadata.cc
//
// The manifest.json reader (see run_metadata.h).

#include "harness/analyze/run_metadata.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "harness/io/json_read.h"
#include "nlohmann/json.hpp"

namespace jleak {

using json = nlohmann::json;

absl::StatusOr<ManifestInfo> ParseManifest(absl::string_view text,
                                           absl::string_view path) {
  absl::StatusOr<json> parsed = ParseBoundedJson(text);
  if (absl::IsOutOfRange(parsed.status())) {
    return absl::OutOfRangeError(
        absl::StrCat(path, ": ", parsed.status().message()));
  }
  if (!parsed.ok() || !parsed->is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not valid JSON; ignored"));
  }
  const json& j = *parsed;
  ManifestInfo info;
  // `jleak run` writes the workload's argv under settings.command.
  json command;
  if (auto s = j.find("settings"); s != j.end() && s->is_object()) {
    if (auto c = s->find("command"); c != s->end()) command = *c;
  }
  if (command.is_string()) {
    info.command = command.get<std::string>();
  } else if (command.is_array()) {
    std::vector<std::string> argv;
    for (const json& a : command) {
      if (a.is_string()) argv.push_back(a.get<std::string>());
    }
    info.command = absl::StrJoin(argv, " ");
  }
  if (auto e = j.find("engine"); e != j.end() && e->is_object()) {
    auto name = e->find("name");
    auto limit = e->find("limit");
    if (name != e->end() && name->is_string()) info.engine = *name;
    if (limit != e->end() && limit->is_string()) info.engine_limit = *limit;
  }
  // The sampling engine's walker, as the agent reported it (agent.json,
  // copied into the manifest): without libunwind it follows frame pointers,
  // and the report must say what that can miss.
  if (auto a = j.find("agent"); a != j.end() && a->is_object()) {
    auto e = a->find("engine");
    if (e != a->end() && e->is_object()) {
      auto u = e->find("unwinder");
      if (u != e->end() && u->is_string() &&
          absl::StartsWith(u->get<std::string>(), "frame pointers")) {
        info.engine_limit = absl::StrCat(
            info.engine_limit, info.engine_limit.empty() ? "" : "; ",
            "native frames by ", u->get<std::string>(),
            ": a caller inside a library built without frame pointers may be "
            "missing from a stack");
      }
    }
  }
  if (auto b = j.find("build_ids"); b != j.end() && b->is_object()) {
    for (auto it = b->begin(); it != b->end(); ++it) {
      if (it.value().is_string()) {
        info.build_ids[it.key()] = it.value().get<std::string>();
      }
    }
  }
  return info;
}

}  // namespace jleak
