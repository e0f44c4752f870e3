// File: agent_json.h
//
// What jleak accepts of the files an agent in a target JVM writes
// (agent.json, timeline lines, the names in its output directory): the
// target is not trusted, so JSON nesting is bounded before it can exhaust
// the stack, and only the file names the agent is known to write are
// ever copied out. Pure functions, fuzzed by
// //harness/run:broker_protocol_fuzzer.

#ifndef JLEAK_HARNESS_RUN_AGENT_JSON_H_
#define JLEAK_HARNESS_RUN_AGENT_JSON_H_

#include <optional>
#include <string>

#include "nlohmann/json.hpp"

namespace jleak {

// kMaxAgentJsonDepth: deeper than any file of ours.
inline constexpr int kMaxAgentJsonDepth = 32;

// ParseAgentJson: a JSON object the agent (or a run directory) wrote, or
// nothing when it is not an object or is nested deeper than
// kMaxAgentJsonDepth.
std::optional<nlohmann::json> ParseAgentJson(const std::string& text);

// IsRunFileName: a name the agent writes into an output directory and
// jleak copies out: agent.json, timeline.jsonl, java-frames.map,
// perf-N.map, snapshot-N.heap. Anything else found there is not copied.
bool IsRunFileName(const std::string& name);

}  // namespace jleak

#endif  // JLEAK_HARNESS_RUN_AGENT_JSON_H_
