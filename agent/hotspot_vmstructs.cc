// File: hotspot_vmstructs.cc
//
// libjvm's exported symbols and structure table (see hotspot_vmstructs.h).

#include "agent/hotspot_vmstructs.h"

#include <dlfcn.h>

namespace jleak::agent {

void* FindJvmSymbol(jvmtiEnv* jvmti, const char* name) {
  if (void* f = dlsym(RTLD_DEFAULT, name)) return f;
  // libjvm loaded without RTLD_GLOBAL (an embedding launcher): find it by
  // one of its JVMTI functions.
  Dl_info info;
  void* jvm_code = reinterpret_cast<void*>(jvmti->functions->GetVersionNumber);
  if (dladdr(jvm_code, &info) == 0 || info.dli_fname == nullptr) {
    return nullptr;
  }
  void* handle = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
  if (handle == nullptr) return nullptr;
  void* f = dlsym(handle, name);
  dlclose(handle);  // libjvm stays: the JVM holds it
  return f;
}

bool ForEachVmStructEntry(jvmtiEnv* jvmti,
                          absl::FunctionRef<void(const VmStructEntry&)> f) {
  auto entries =
      static_cast<char* const*>(FindJvmSymbol(jvmti, "gHotSpotVMStructs"));
  const char* const names[] = {"gHotSpotVMStructEntryTypeNameOffset",
                               "gHotSpotVMStructEntryFieldNameOffset",
                               "gHotSpotVMStructEntryIsStaticOffset",
                               "gHotSpotVMStructEntryOffsetOffset",
                               "gHotSpotVMStructEntryAddressOffset",
                               "gHotSpotVMStructEntryArrayStride"};
  uint64_t off[6];
  for (int i = 0; i < 6; ++i) {
    auto p = static_cast<const uint64_t*>(FindJvmSymbol(jvmti, names[i]));
    if (p == nullptr) return false;
    off[i] = *p;
  }
  if (entries == nullptr || *entries == nullptr || off[5] == 0) return false;
  const char* e = *entries;
  for (int i = 0; i < 100000; ++i, e += off[5]) {
    auto type = *reinterpret_cast<const char* const*>(e + off[0]);
    if (type == nullptr) break;  // the table ends with a null entry
    auto field = *reinterpret_cast<const char* const*>(e + off[1]);
    if (field == nullptr) continue;
    VmStructEntry entry;
    entry.type = type;
    entry.field = field;
    entry.is_static = *reinterpret_cast<const int32_t*>(e + off[2]) != 0;
    entry.offset = *reinterpret_cast<const uint64_t*>(e + off[3]);
    entry.address = *reinterpret_cast<const void* const*>(e + off[4]);
    f(entry);
  }
  return true;
}

}  // namespace jleak::agent
