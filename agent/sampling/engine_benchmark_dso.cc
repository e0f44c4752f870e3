// File: engine_benchmark_dso.cc
//
// The engine in a shared library, as the agent will carry it (its __thread
// state then goes through __tls_get_addr, as in a dlopen'ed agent), for
// engine_benchmark.cc, which dlopens it. Plain C entry points, so the
// benchmark needs no symbol of the engine itself.

#include "agent/sampling/engine.h"

extern "C" __attribute__((visibility("default"))) int jleak_sampling_install(
    int lg_sample) {
  jleak::agent::sampling::EngineOptions options;
  options.lg_sample = lg_sample;
  options.seed = 1;
  return jleak::agent::sampling::SamplingEngine::Install(options).ok() ? 0 : -1;
}

extern "C" __attribute__((visibility("default"))) int
jleak_sampling_uninstall() {
  return jleak::agent::sampling::SamplingEngine::Uninstall().ok() ? 0 : -1;
}
