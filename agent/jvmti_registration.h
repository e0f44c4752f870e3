// File: jvmti_registration.h
//
// What the agent sets in its jvmtiEnv (capabilities, event callbacks,
// enabled events), remembered so that it can all be taken back. HotSpot
// unloads an agent library whose Agent_OnAttach returns non-zero; a
// callback or event left registered would then jump into unmapped code at
// the next class load or at VM death. So every failure after the first
// registration ends in Undo():
//
//   JvmtiRegistration reg(jvmti);
//   if (!reg.SetCallbacks(callbacks) || !reg.Enable(JVMTI_EVENT_VM_DEATH)) {
//     reg.Undo();  // events disabled, callbacks cleared, env disposed
//     return kAttachNoJvmti;
//   }

#ifndef JLEAK_AGENT_JVMTI_REGISTRATION_H_
#define JLEAK_AGENT_JVMTI_REGISTRATION_H_

#include <jvmti.h>

#include <vector>

namespace jleak::agent {

class JvmtiRegistration {
 public:
  explicit JvmtiRegistration(jvmtiEnv* jvmti) : jvmti_(jvmti) {}

  jvmtiEnv* env() const { return jvmti_; }

  // AddCapabilities: JVMTI's, remembered for Undo when granted.
  bool AddCapabilities(const jvmtiCapabilities& caps);
  // SetCallbacks: JVMTI's SetEventCallbacks; true when it succeeded.
  bool SetCallbacks(const jvmtiEventCallbacks& callbacks);
  // Enable: SetEventNotificationMode(JVMTI_ENABLE, event) for all threads,
  // remembered for Undo whatever JVMTI answered (disabling an event that
  // was never enabled is harmless).
  bool Enable(jvmtiEvent event);

  // Undo disables every event Enable() was called for, clears the
  // callbacks, gives back the capabilities and disposes of the
  // environment. The registration (and the jvmtiEnv) must not be used
  // afterwards. Idempotent.
  void Undo();

  const std::vector<jvmtiEvent>& enabled() const { return enabled_; }
  bool undone() const { return undone_; }

 private:
  jvmtiEnv* jvmti_;
  bool callbacks_set_ = false;
  bool undone_ = false;
  std::vector<jvmtiEvent> enabled_;
  std::vector<jvmtiCapabilities> capabilities_;
};

// RegisterEvents sets `callbacks` and enables `events` in order. At the
// first refusal it undoes the whole registration (reg.Undo(): nothing of
// the agent stays in the JVM) and returns false.
bool RegisterEvents(JvmtiRegistration& reg,
                    const jvmtiEventCallbacks& callbacks,
                    const std::vector<jvmtiEvent>& events);

}  // namespace jleak::agent

#endif  // JLEAK_AGENT_JVMTI_REGISTRATION_H_
