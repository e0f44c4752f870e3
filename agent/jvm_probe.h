// File: jvm_probe.h
//
// JvmProbe: the VmProbe (snapshotter.h) of a JVM, over JNI and JVMTI.
// Before each snapshot it forces full GCs and waits, within gc_wait_ms,
// for reference processing, so that native memory that only waited for the
// collector (DirectByteBuffers, Inflaters, Cleaner actions) is freed before
// the heap profile is dumped; then it reads the heap in use, the direct
// buffers, the number of Java threads and (nmt=1) the Native Memory
// Tracking summary. LookUpJavaHooks finds the Java methods and fields it
// calls, once, in the live phase; a JDK without one loses only that figure.

#ifndef JLEAK_AGENT_JVM_PROBE_H_
#define JLEAK_AGENT_JVM_PROBE_H_

#include <jvmti.h>

#include <cstdint>
#include <string>

#include "agent/agent_state.h"
#include "agent/snapshotter.h"
#include "agent/timeline.h"

namespace jleak::agent {

// LookUpJavaHooks fills AgentState's JNI classes and method ids.
void LookUpJavaHooks(AgentState& s, JNIEnv* env);

// JvmProbe runs on a thread attached to the JVM (the agent thread or the
// VMDeath callback's thread).
class JvmProbe : public VmProbe {
 public:
  JvmProbe(AgentState& s, JNIEnv* env, bool at_vm_death = false)
      : s_(s), env_(env), at_vm_death_(at_vm_death) {}

  JavaStats CollectAfterGc(bool force_gc, int gc_wait_ms) override;
  // DescribeMemory (jvm_memory.cc): the heap, code cache and class space
  // from HotSpot's vmStructs, every Java thread (name, tid, state, stack
  // range, top frames when parked), classes per class loader type, and
  // Method* addresses that locate metaspace.
  void DescribeMemory(MemoryFacts* facts) override;

 private:
  void Clear();
  void WaitForReferenceProcessing(int64_t deadline);
  int64_t HeapUsed();
  void DirectBuffers(JavaStats* js);
  void NativeMemory(JavaStats* js);
  std::string NativeMemorySummaryText();

  AgentState& s_;
  JNIEnv* env_;
  bool at_vm_death_;
};

}  // namespace jleak::agent

#endif  // JLEAK_AGENT_JVM_PROBE_H_
