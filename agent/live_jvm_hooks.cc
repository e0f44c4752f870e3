// File: live_jvm_hooks.cc
//
// The running JVM's side of a snapshot: Java frame names and JIT events
// (see live_jvm_hooks.h).

#include "agent/live_jvm_hooks.h"

#include <unistd.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "agent/class_source_recorder.h"
#include "agent/java_stacks.h"
#include "profile/java_classes_map.h"

namespace jleak::agent {

void LiveJvmHooks::AfterSnapshot(Snapshotter& snap) {
  if (ClassSourceRecorder* r = s_.class_sources.load()) {
    absl::Status st = r->WriteMap(
        absl::StrCat(snap.options().out_dir, "/", kJavaClassesMapName));
    if (!st.ok()) snap.Warn(absl::StrCat("Java class map: ", st.message()));
  }
  if (s_.java_stacks == nullptr) return;
  absl::Status st = s_.java_stacks->WriteMap(
      env_, absl::StrCat(snap.options().out_dir, "/", kJavaFramesMapName));
  if (!st.ok()) {
    snap.Warn(absl::StrCat("Java frame names: ", st.message()));
  }
}

void LiveJvmHooks::SetJitEvents(bool on, const std::string& dir) {
  if (!s_.options.perf_map || s_.jit_events_on == on) return;
  if (on) {
    absl::Status st =
        s_.perf_map.Open(absl::StrCat(dir, "/perf-", getpid(), ".map"));
    if (!st.ok()) {
      Say(std::string(st.message()));
      return;
    }
  }
  const jvmtiEventMode mode = on ? JVMTI_ENABLE : JVMTI_DISABLE;
  s_.jvmti->SetEventNotificationMode(mode, JVMTI_EVENT_COMPILED_METHOD_LOAD,
                                     nullptr);
  s_.jvmti->SetEventNotificationMode(mode, JVMTI_EVENT_DYNAMIC_CODE_GENERATED,
                                     nullptr);
  if (on) {
    // Code compiled before the events were enabled.
    s_.jvmti->GenerateEvents(JVMTI_EVENT_DYNAMIC_CODE_GENERATED);
    s_.jvmti->GenerateEvents(JVMTI_EVENT_COMPILED_METHOD_LOAD);
  } else {
    s_.perf_map.Close();
  }
  s_.jit_events_on = on;
}

}  // namespace jleak::agent
