// File: json_read.h
//
// JSON from files the harness does not trust (a run directory's
// manifest.json, timeline.jsonl lines): parsed without exceptions and never
// deeper than a limit. nlohmann::json copies and compares values
// recursively, so a document nested 100k levels deep would overflow the
// stack long after parsing; ParseBoundedJson measures the depth first, in
// one pass over the bytes, and refuses it before any value is built.
//
//   absl::StatusOr<nlohmann::json> j = ParseBoundedJson(text);
//   if (!j.ok()) return Error(path, ": ", j.status().message());

#ifndef JLEAK_HARNESS_IO_JSON_READ_H_
#define JLEAK_HARNESS_IO_JSON_READ_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace jleak {

// Deeper than any file jleak writes (manifest.json: 4 levels).
inline constexpr int kMaxJsonDepth = 64;

// JsonDepthWithin: whether arrays and objects in `text` nest at most
// `max_depth` levels (brackets inside strings do not count). Linear, no
// allocation; stops at the first level past the limit.
bool JsonDepthWithin(absl::string_view text, int max_depth);

// ParseBoundedJson parses `text`. Errors: OutOfRange "nested deeper than
// 64 levels", InvalidArgument "not valid JSON". Never throws.
absl::StatusOr<nlohmann::json> ParseBoundedJson(absl::string_view text,
                                                int max_depth = kMaxJsonDepth);

}  // namespace jleak

#endif  // JLEAK_HARNESS_IO_JSON_READ_H_
