// File: jvm_origins.h
//
// NativeOrigins (native_origins.h) in the JVM agent: installed at VMInit
// over the Java-stack hook, with libjvm's own mmap calls left out and Java
// frames named through JavaStacks; at VM death, origins.json in the run
// directory, then the GOT slots put back.
//
// origins.json (until memory-SEQ.json carries the same records):
//
//   {"format": "jleak-origins 1", "installed": true, "off": "",
//    "stats": {...OriginsStats...},
//    "mmap_sites": [ {kind, path, mappings, bytes, java_frames,
//                     native_frames} ],            // as notes/spec20.md
//    "threads": [ {"tid": 12, "name": "pool-1-thread-1",
//                  "started_from": ["pkg.C.m (C.java:7)", ...]} ]}

#ifndef JLEAK_AGENT_JVM_ORIGINS_H_
#define JLEAK_AGENT_JVM_ORIGINS_H_

#include <jvmti.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "agent/agent_options.h"
#include "agent/java_stacks.h"
#include "agent/memory_recorder.h"
#include "agent/native_origins.h"
#include "nlohmann/json.hpp"

namespace jleak::agent {

inline constexpr char kOriginsFileName[] = "origins.json";

// StartJvmOrigins installs the hooks at VMInit when `options` want them
// (origins=1, java_stacks=1, not standby) and `stacks` (the Java-stack hook)
// is installed; otherwise, or when the install fails, it keeps the reason
// for origins.json ("off") and says it on stderr.
void StartJvmOrigins(const AgentOptions& options, JavaVM* vm, jvmtiEnv* jvmti,
                     JavaStacks* stacks);

// OriginsJson: what origins.json holds now. Must run on a thread attached
// to the JVM (to name Java frames).
nlohmann::ordered_json OriginsJson();

// MmapSitesJson: memory-SEQ.json's "mmap_sites" array (notes/spec20.md)
// now; `files` as NativeOrigins::LiveMmapSites takes it. Empty when the
// hooks were never installed. Same thread rule as OriginsJson.
nlohmann::ordered_json MmapSitesJson(const std::vector<FileRange>* files);

// JvmMemoryOrigins: the hooks' records for memory-SEQ.json (mmap_sites,
// threads' started_from), for Snapshotter::SetMemoryOrigins. Empty when
// the hooks are not installed. Same thread rule as OriginsJson (the
// snapshot thread is attached). Never freed.
MemoryOrigins* JvmMemoryOrigins();

// FinishJvmOrigins writes `out_dir`/origins.json and uninstalls the hooks
// (at VM death, after the final snapshot). Nothing when origins were never
// wanted (origins=0 or standby).
absl::Status FinishJvmOrigins(const std::string& out_dir);

}  // namespace jleak::agent

#endif  // JLEAK_AGENT_JVM_ORIGINS_H_
