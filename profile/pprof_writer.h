// File: pprof_writer.h
//
// Converts a NamedProfile (or a difference of two) into pprof's
// profile.proto, gzipped as `pprof` expects, with sample types
// inuse_objects/count and inuse_space/bytes, one Location per distinct
// address (its inlined frames as Lines), Functions, and Mappings for the
// modules that frames came from.
//
//   std::string gz = SerializePprofGzipped(BuildPprof(named, {}));
//   // pprof -top profile.pb.gz

#ifndef JLEAK_PROFILE_PPROF_WRITER_H_
#define JLEAK_PROFILE_PPROF_WRITER_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "profile/named_profile.h"
#include "profile/profile.pb.h"

namespace jleak {

struct PprofOptions {
  int64_t time_nanos = 0;      // when the (newer) profile was taken
  int64_t duration_nanos = 0;  // for a diff: time between the two
  std::string comment;         // e.g. "diff: b.heap - a.heap"
};

perftools::profiles::Profile BuildPprof(const NamedProfile& profile,
                                        const PprofOptions& options);

// SerializePprofGzipped serializes and gzips (RFC 1952), as pprof files
// conventionally are.
absl::StatusOr<std::string> SerializePprofGzipped(
    const perftools::profiles::Profile& profile);

// Gunzip reverses SerializePprofGzipped's compression (tests and
// tools that read our output back).
absl::StatusOr<std::string> Gunzip(const std::string& gz);

}  // namespace jleak

#endif  // JLEAK_PROFILE_PPROF_WRITER_H_
