// File: engine_dso.cc
//
// The engine in a shared library loaded with dlopen after the process
// started, as the agent will carry it: its __thread state is then reached
// through __tls_get_addr, its own object (not the executable) is the one
// never patched, and the executable's own imports are hooked too. Plain C
// entry points, for engine_dso_test.cc and engine_benchmark.cc, which
// dlopen it and need no symbol of the engine itself.

#include <stdlib.h>
#include <string.h>

#include <string>

#include "agent/sampling/engine.h"

namespace {
using ::jleak::agent::sampling::EngineOptions;
using ::jleak::agent::sampling::SamplingEngine;
}  // namespace

#define JLEAK_SAMPLING_EXPORT extern "C" __attribute__((visibility("default")))

// 0 on success.
JLEAK_SAMPLING_EXPORT int jleak_sampling_install(int lg_sample) {
  EngineOptions options;
  options.lg_sample = lg_sample;
  options.seed = 1;
  return SamplingEngine::Install(options).ok() ? 0 : -1;
}

JLEAK_SAMPLING_EXPORT int jleak_sampling_uninstall() {
  return SamplingEngine::Uninstall().ok() ? 0 : -1;
}

JLEAK_SAMPLING_EXPORT unsigned long jleak_sampling_samples() {
  return SamplingEngine::Stats().samples;
}

// The heap_v2 snapshot in a malloc'ed string the caller frees, or null.
JLEAK_SAMPLING_EXPORT char* jleak_sampling_heap_profile() {
  absl::StatusOr<std::string> text = SamplingEngine::HeapProfile();
  if (!text.ok()) return nullptr;
  char* out = static_cast<char*>(malloc(text->size() + 1));
  if (out != nullptr) memcpy(out, text->c_str(), text->size() + 1);
  return out;
}
