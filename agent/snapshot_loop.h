// File: snapshot_loop.h
//
// The agent's snapshot loop: a snapshot (snapshotter.h) at start (unless
// baseline=0), one every `interval` seconds, and a final one when
// `<out>/final.request` (kFinalRequestName) appears: the launcher's
// graceful stop, or `jleak attach` ending a session. agent.json is
// rewritten as it goes. It is the body of the agent thread in `jleak run`
// (JVM and native) and of a standby session (control_server.h).
//
// It ends without a final snapshot when the agent stops (AgentState::stop,
// at VM death or exit: whoever sets it takes the final one) and, in a
// standby session, when the jleak that asked for it is gone (its flock on
// the control lock went with it), so that sampling never stays on by
// accident.

#ifndef JLEAK_AGENT_SNAPSHOT_LOOP_H_
#define JLEAK_AGENT_SNAPSHOT_LOOP_H_

#include <functional>

#include "agent/agent_state.h"
#include "agent/snapshotter.h"

namespace jleak::agent {

// The loop looks for the stop flag and the final request this often, so a
// graceful stop costs at most this much latency.
inline constexpr int kPollMs = 200;
// During a standby session, how often the agent checks that the jleak that
// asked for it still holds the control lock.
inline constexpr int kLeaseCheckMs = 1000;

// What ended a wait, and the loop.
enum class Wake {
  kInterval,   // the interval passed
  kFinal,      // final.request appeared
  kStop,       // the agent stops (VM death, exit)
  kAbandoned,  // standby: the jleak that asked is gone
};

// SnapshotLoop snapshots into `snap`'s directory until the final snapshot,
// a stop or (standby) the attaching jleak's disappearance, and returns
// which. `vm` is null outside a JVM. `after_snapshot`, when set, runs after
// each snapshot (JVM mode: names the Java frames the snapshot's stacks
// use), and agent.json is then rewritten after each interval snapshot too
// (fresh counts should the JVM die).
Wake SnapshotLoop(AgentState& s, Snapshotter& snap, VmProbe* vm,
                  const std::function<void()>& after_snapshot = nullptr);

}  // namespace jleak::agent

#endif  // JLEAK_AGENT_SNAPSHOT_LOOP_H_
