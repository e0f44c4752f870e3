// File: control_server.h
//
// The standby agent's control server (agent option `standby`, what `jleak
// env` sets up in production). The agent takes no snapshots and writes
// nothing of its own: its thread looks every kStandbyPollMs for a request
// in its control directory (control_protocol.h) and serves it:
//
//   session   `jleak attach`: sampling on, the snapshot loop
//             (snapshot_loop.h) until jleak asks for the final snapshot or
//             goes away, sampling off;
//   snapshot  `jleak snapshot`: one snapshot, sampling turned on if it was
//             off and left on (a collection);
//   stop      `jleak snapshot --stop`: a final snapshot, sampling off.
//
// "Sampling on/off" is the capture engine's (AgentState::engine,
// capture_engine.h): jemalloc's prof.active, or the sampling engine's
// install and detach; the server does not know which.
//
// A request is obeyed only from a control directory that passes
// CheckControlDirTrusted (it names where the agent writes, and /tmp is
// shared); a malformed one is removed and ignored; one the agent will not
// serve (a session during a collection, a stop without one, sampling that
// cannot start) is answered in agent.json with status "refused".

#ifndef JLEAK_AGENT_CONTROL_SERVER_H_
#define JLEAK_AGENT_CONTROL_SERVER_H_

#include "agent/agent_state.h"
#include "agent/jvm_hooks.h"

namespace jleak::agent {

// ServeNextRequest takes the pending request, if any, removes its file and
// serves it to the end (a session: until it ends). Returns whether there
// was a valid request to serve.
bool ServeNextRequest(AgentState& s, JvmHooks& jvm);

// ControlLoop is the standby agent thread: wait for requests, serve them,
// return once the agent stops (AgentState::stop).
void ControlLoop(AgentState& s, JvmHooks& jvm);

}  // namespace jleak::agent

#endif  // JLEAK_AGENT_CONTROL_SERVER_H_
