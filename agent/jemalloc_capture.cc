// File: jemalloc_capture.cc
//
// The jemalloc capture engine over mallctl (see jemalloc_capture.h).

#include "agent/jemalloc_capture.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "agent/control_protocol.h"

namespace jleak::agent {

JemallocCapture::JemallocCapture(std::unique_ptr<MallocControl> jemalloc)
    : jemalloc_(std::move(jemalloc)) {}

JemallocCapture::~JemallocCapture() { std::free(marker_); }

const char* JemallocCapture::name() const { return kEngineJemalloc; }

absl::Status JemallocCapture::Reset(int lg_sample) {
  lg_sample_ = lg_sample;
  return jemalloc_->ResetProfile(lg_sample);
}

absl::Status JemallocCapture::Activate() {
  if (absl::Status st = jemalloc_->SetActive(true); !st.ok()) return st;
  if (marker_ == nullptr) {
    marker_ = std::malloc(size_t{1} << std::min(lg_sample_ + 4, 26));
  }
  return absl::OkStatus();
}

absl::Status JemallocCapture::Deactivate() {
  absl::Status st = jemalloc_->SetActive(false);
  std::free(marker_);
  marker_ = nullptr;
  return st;
}

absl::Status JemallocCapture::Dump(const std::string& path) {
  return jemalloc_->Dump(path);
}

JemallocStats JemallocCapture::AllocatorStats() { return jemalloc_->Stats(); }

nlohmann::ordered_json JemallocCapture::Report() {
  return {{"name", kEngineJemalloc}};
}

}  // namespace jleak::agent
