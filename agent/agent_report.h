// File: agent_report.h
//
// agent.json (kAgentReportName) in a run's or a standby request's output
// directory: what the agent found and did. The launcher, `jleak attach`
// and `jleak snapshot` read it (harness/run/agent_json.h). Fields: pid,
// mode, status ("ok", "inconclusive" or "refused", with a "reason"), the
// options of the snapshotter, for a standby agent the request it answers
// and whether sampling is on, jemalloc's version and profiling settings,
// "engine" (which capture engine runs, "jemalloc" or "sampling", and its
// counters: CaptureEngine::Report; "name" "" when none can),
// the JVM's properties, the perf map's name, "java_stacks" (whether heap
// profile stacks carry Java frames, and the hook's counts), how many
// snapshots were written and whether the agent has finished.

#ifndef JLEAK_AGENT_AGENT_REPORT_H_
#define JLEAK_AGENT_AGENT_REPORT_H_

#include <string>

#include "agent/agent_state.h"
#include "agent/snapshotter.h"

namespace jleak::agent {

// WriteAgentReport (re)writes agent.json atomically (tmp + rename) into the
// output directory of `snap`. `refusal`, when not empty, is the answer to
// a request the standby agent will not serve. A file that cannot be
// written is said on stderr; the run goes on.
void WriteAgentReport(AgentState& s, const Snapshotter& snap, bool finished,
                      const std::string& refusal = "");

}  // namespace jleak::agent

#endif  // JLEAK_AGENT_AGENT_REPORT_H_
