// File: jvmti_registration.cc
//
// Registration of the agent's JVMTI callbacks and events, and its undoing
// (see jvmti_registration.h).

#include "agent/jvmti_registration.h"

#include <algorithm>

namespace jleak::agent {

bool JvmtiRegistration::AddCapabilities(const jvmtiCapabilities& caps) {
  if (undone_) return false;
  if (jvmti_->AddCapabilities(&caps) != JVMTI_ERROR_NONE) return false;
  capabilities_.push_back(caps);
  return true;
}

bool JvmtiRegistration::SetCallbacks(const jvmtiEventCallbacks& callbacks) {
  if (undone_) return false;
  // Remembered before the call: a failed call may have set some.
  callbacks_set_ = true;
  return jvmti_->SetEventCallbacks(&callbacks, sizeof(callbacks)) ==
         JVMTI_ERROR_NONE;
}

bool JvmtiRegistration::Enable(jvmtiEvent event) {
  if (undone_) return false;
  if (std::find(enabled_.begin(), enabled_.end(), event) == enabled_.end()) {
    enabled_.push_back(event);
  }
  return jvmti_->SetEventNotificationMode(JVMTI_ENABLE, event, nullptr) ==
         JVMTI_ERROR_NONE;
}

void JvmtiRegistration::Undo() {
  if (undone_) return;
  undone_ = true;
  // Events first, so no callback is called while the table is cleared.
  for (auto it = enabled_.rbegin(); it != enabled_.rend(); ++it) {
    jvmti_->SetEventNotificationMode(JVMTI_DISABLE, *it, nullptr);
  }
  if (callbacks_set_) {
    jvmtiEventCallbacks none = {};
    jvmti_->SetEventCallbacks(&none, sizeof(none));
  }
  for (const jvmtiCapabilities& caps : capabilities_) {
    jvmti_->RelinquishCapabilities(&caps);
  }
  jvmti_->DisposeEnvironment();
}

bool RegisterEvents(JvmtiRegistration& reg,
                    const jvmtiEventCallbacks& callbacks,
                    const std::vector<jvmtiEvent>& events) {
  bool ok = reg.SetCallbacks(callbacks);
  for (size_t i = 0; ok && i < events.size(); ++i) ok = reg.Enable(events[i]);
  if (!ok) reg.Undo();
  return ok;
}

}  // namespace jleak::agent
