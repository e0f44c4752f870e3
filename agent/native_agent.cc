// File: native_agent.cc
//
// Native mode: the agent in a program that is not a JVM, started by the
// library's constructor when the launcher sets JLEAK_AGENT_OPTIONS
//
//   JLEAK_AGENT_OPTIONS=out=DIR,interval=5
//   LD_PRELOAD=libjemalloc.so.2:libjleak_agent.so ./program
//
// A thread runs the snapshot loop (snapshot_loop.h) with no VM to probe;
// at exit the loop is stopped and the final snapshot taken.

#include <cstdlib>
#include <memory>
#include <mutex>
#include <thread>

#include "agent/agent_report.h"
#include "agent/agent_state.h"
#include "agent/snapshot_loop.h"
#include "agent/snapshotter.h"

namespace jleak::agent {
namespace {

void NativeAtExit() {
  AgentState& s = *g_state;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    s.stop = true;
  }
  s.cv.notify_all();
  if (s.native_thread.joinable()) s.native_thread.join();
  s.snapshotter->Take("final", nullptr);
  WriteAgentReport(s, *s.snapshotter, true);
}

// Runs when the library is loaded. Only acts in native mode: the launcher
// sets JLEAK_AGENT_OPTIONS for non-JVM commands, while JVMs get their
// options through -agentpath and Agent_OnLoad.
__attribute__((constructor)) void StartNativeAgent() {
  const char* options = std::getenv("JLEAK_AGENT_OPTIONS");
  if (options == nullptr || *options == '\0' || g_state != nullptr) return;
  std::unique_ptr<AgentState> s = Setup(options, "native");
  if (s == nullptr) return;
  AgentState* raw = s.get();
  raw->snapshotter =
      std::make_shared<Snapshotter>(raw->options, raw->engine.get(), nullptr);
  g_state = s.release();
  WriteAgentReport(*raw, *raw->snapshotter, false);
  raw->native_thread =
      std::thread([raw] { SnapshotLoop(*raw, *raw->snapshotter, nullptr); });
  std::atexit(NativeAtExit);
}

}  // namespace
}  // namespace jleak::agent
