// File: hotspot_vmstructs.h
//
// What HotSpot exports for its serviceability agent, read in process: the
// symbols of libjvm (found even when libjvm was loaded without
// RTLD_GLOBAL) and the structure table gHotSpotVMStructs (entries of
// {typeName, fieldName, typeString, isStatic, offset, address}, laid out as
// the exported gHotSpotVMStructEntry*Offset values say). Both the Java-stack
// hook (code cache bounds) and the memory map (heap, class space, thread
// stacks) read it; only read, never written.
//
//   ForEachVmStructEntry(jvmti, [&](const VmStructEntry& e) {
//     if (e.type == "CodeCache" && e.field == "_low_bound") ...
//   });

#ifndef JLEAK_AGENT_HOTSPOT_VMSTRUCTS_H_
#define JLEAK_AGENT_HOTSPOT_VMSTRUCTS_H_

#include <jvmti.h>

#include <cstdint>

#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"

namespace jleak::agent {

// FindJvmSymbol: a symbol libjvm exports, or null.
void* FindJvmSymbol(jvmtiEnv* jvmti, const char* name);

struct VmStructEntry {
  absl::string_view type;   // "CodeCache"
  absl::string_view field;  // "_low_bound"
  bool is_static = false;
  uint64_t offset = 0;            // of a field in its type (not static)
  const void* address = nullptr;  // of a static field
};

// ForEachVmStructEntry calls `f` for every entry of the table (at most
// 100,000; JDK 17 has about 2,000). False when this VM has no such table.
bool ForEachVmStructEntry(jvmtiEnv* jvmti,
                          absl::FunctionRef<void(const VmStructEntry&)> f);

}  // namespace jleak::agent

#endif  // JLEAK_AGENT_HOTSPOT_VMSTRUCTS_H_
