// File: jvm_hooks.h
//
// JvmHooks: what the agent asks of the JVM around its snapshots, behind an
// interface so that the control server (control_server.h) can be tested
// without a JVM. The real one, over JNI and JVMTI, is LiveJvmHooks
// (live_jvm_hooks.h); tests use a fake that records the calls.

#ifndef JLEAK_AGENT_JVM_HOOKS_H_
#define JLEAK_AGENT_JVM_HOOKS_H_

#include <string>

#include "agent/snapshotter.h"

namespace jleak::agent {

class JvmHooks {
 public:
  virtual ~JvmHooks() = default;
  // Probe forces the GCs and reads the JVM's figures of each snapshot.
  virtual VmProbe* Probe() = 0;
  // AfterSnapshot names the Java frames that the stacks of `snap`'s last
  // snapshot use (java-frames.map in its directory).
  virtual void AfterSnapshot(Snapshotter& snap) = 0;
  // SetJitEvents turns the perf map's JIT events on (perf-<pid>.map in
  // `dir`, with every method compiled so far) or off (`dir` unused). A
  // standby agent has them on only while jleak collects: between requests
  // nothing is written anywhere.
  virtual void SetJitEvents(bool on, const std::string& dir) = 0;
};

}  // namespace jleak::agent

#endif  // JLEAK_AGENT_JVM_HOOKS_H_
