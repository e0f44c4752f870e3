// File: malloc_control.h
//
// The agent's window on jemalloc: heap-profile dumps and allocator
// statistics through `mallctl`, looked up with dlsym(RTLD_DEFAULT) so the
// agent links no allocator and works whichever malloc the process has.
// An interface, so the snapshot logic can be tested with a fake.

#ifndef JLEAK_AGENT_MALLOC_CONTROL_H_
#define JLEAK_AGENT_MALLOC_CONTROL_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace jleak::agent {

// jemalloc's global counters (bytes), read after an `epoch` refresh.
struct JemallocStats {
  int64_t allocated = -1;
  int64_t active = -1;
  int64_t resident = -1;
  int64_t mapped = -1;
  int64_t retained = -1;
};

// What the allocator is and whether it can profile.
struct JemallocInfo {
  std::string version;       // "5.3.0-0-g54eaed1d8b56..."
  bool config_prof = false;  // built with --enable-prof
  bool opt_prof = false;     // MALLOC_CONF prof:true
  bool prof_active = false;
  int lg_prof_sample = -1;
};

class MallocControl {
 public:
  virtual ~MallocControl() = default;
  virtual JemallocInfo Info() = 0;
  // Dump writes a heap_v2 profile to `path` (mallctl "prof.dump").
  virtual absl::Status Dump(const std::string& path) = 0;
  virtual JemallocStats Stats() = 0;
  // SetActive switches sampling on or off ("prof.active"); with
  // prof:true,prof_active:false at start this is what a standby agent
  // toggles for `jleak attach`.
  virtual absl::Status SetActive(bool active) {
    return absl::UnimplementedError("prof.active cannot be set");
  }
  // ResetProfile forgets every sample taken so far and samples one
  // allocation per 2^lg_sample bytes from now on ("prof.reset"): an attach
  // session starts from an empty profile, not from the last session's.
  virtual absl::Status ResetProfile(int lg_sample) {
    return absl::UnimplementedError("prof.reset is not available");
  }
};

// FindJemalloc returns the process's jemalloc, or FailedPrecondition saying
// why profiles cannot be taken (no mallctl symbol, not built with
// profiling, or profiling not enabled). `info`, when not null, receives
// what could be learnt even on failure.
absl::StatusOr<std::unique_ptr<MallocControl>> FindJemalloc(
    JemallocInfo* info = nullptr);

}  // namespace jleak::agent

#endif  // JLEAK_AGENT_MALLOC_CONTROL_H_
