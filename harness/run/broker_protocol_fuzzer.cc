// File: broker_protocol_fuzzer.cc
//
// libFuzzer target for the replies jleak reads back from a target, through
// its confined helpers: the helper protocol's message bodies and reply
// statuses, and the agent's JSON (agent.json, timeline lines) and output
// names. The first byte picks which. Built with clang by
// //harness/run:broker_protocol_fuzzer; run by ci/fuzz.sh and, for 30 s,
// by the suite.

#include <cstddef>
#include <cstdint>
#include <string>

#include "harness/run/agent_json.h"
#include "harness/run/broker_protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) {
    std::optional<nlohmann::json> j = jleak::ParseAgentJson(body);
    if (j)
      (void)j->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    (void)jleak::IsRunFileName(body);
    return 0;
  }
  absl::StatusOr<jleak::BrokerMessage> m = jleak::DecodeBrokerBody(body);
  if (m.ok()) {
    (void)jleak::ReplyStatus(*m);
    for (const std::string& f : m->fields) (void)jleak::DecodeU64(f);
    // What decodes must encode back to the same body.
    const std::string again = jleak::EncodeBrokerMessage(*m);
    if (again.substr(8) != body) __builtin_trap();
  }
  return 0;
}
