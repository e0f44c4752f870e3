// File: live_jvm_hooks.h
//
// LiveJvmHooks: the JvmHooks (jvm_hooks.h) of the running JVM, for a
// thread attached to it (the agent thread, or the VMDeath callback's): a
// JvmProbe for the snapshots, java-frames.map and java-classes.map
// rewritten after each, and
// the JVMTI JIT events that feed the perf map.

#ifndef JLEAK_AGENT_LIVE_JVM_HOOKS_H_
#define JLEAK_AGENT_LIVE_JVM_HOOKS_H_

#include <jvmti.h>

#include <string>

#include "agent/agent_state.h"
#include "agent/jvm_hooks.h"
#include "agent/jvm_probe.h"
#include "agent/snapshotter.h"

namespace jleak::agent {

class LiveJvmHooks : public JvmHooks {
 public:
  // `at_vm_death`: see JvmProbe (no first NMT read on the exiting thread).
  LiveJvmHooks(AgentState& s, JNIEnv* env, bool at_vm_death = false)
      : s_(s), env_(env), probe_(s, env, at_vm_death) {}

  VmProbe* Probe() override { return &probe_; }
  // AfterSnapshot writes the Java frames seen so far into
  // DIR/java-frames.map, so that the map covers every id in the snapshot
  // just written, and (when it changed) DIR/java-classes.map. A failure is
  // a warning of the snapshotter.
  void AfterSnapshot(Snapshotter& snap) override;
  // SetJitEvents does nothing with perfmap=0 or when the events already
  // are as asked.
  void SetJitEvents(bool on, const std::string& dir) override;

 private:
  AgentState& s_;
  JNIEnv* env_;
  JvmProbe probe_;
};

}  // namespace jleak::agent

#endif  // JLEAK_AGENT_LIVE_JVM_HOOKS_H_
