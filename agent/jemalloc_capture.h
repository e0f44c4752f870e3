// File: jemalloc_capture.h
//
// JemallocCapture: the capture engine (capture_engine.h) of a process
// started with jleak's profiling jemalloc (`jleak run`, `jleak env`):
// prof.reset, prof.active and prof.dump through MallocControl. What the
// agent has always done; only moved behind the interface.
//
//   std::unique_ptr<CaptureEngine> engine =
//       std::make_unique<JemallocCapture>(*FindJemalloc());

#ifndef JLEAK_AGENT_JEMALLOC_CAPTURE_H_
#define JLEAK_AGENT_JEMALLOC_CAPTURE_H_

#include <memory>
#include <string>

#include "agent/capture_engine.h"
#include "agent/malloc_control.h"

namespace jleak::agent {

class JemallocCapture : public CaptureEngine {
 public:
  explicit JemallocCapture(std::unique_ptr<MallocControl> jemalloc);
  ~JemallocCapture() override;

  const char* name() const override;
  absl::Status Reset(int lg_sample) override;
  absl::Status Activate() override;
  absl::Status Deactivate() override;
  absl::Status Dump(const std::string& path) override;
  JemallocStats AllocatorStats() override;
  nlohmann::ordered_json Report() override;

 private:
  std::unique_ptr<MallocControl> jemalloc_;
  int lg_sample_ = 19;
  void* marker_ = nullptr;  // see CaptureEngine::Activate
};

}  // namespace jleak::agent

#endif  // JLEAK_AGENT_JEMALLOC_CAPTURE_H_
