// File: perf_map_writer.cc
//
// perf-<pid>.map writer (see perf_map_writer.h).

#include "agent/perf_map_writer.h"

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"

namespace jleak::agent {

std::string JavaClassName(absl::string_view signature) {
  if (signature.size() >= 2 && signature.front() == 'L' &&
      signature.back() == ';') {
    signature.remove_prefix(1);
    signature.remove_suffix(1);
    return absl::StrReplaceAll(signature, {{"/", "."}});
  }
  return std::string(signature);
}

std::string FormatPerfMapLine(uint64_t start, uint64_t size,
                              absl::string_view name) {
  return absl::StrFormat("%x %x %s\n", start, size,
                         absl::StrReplaceAll(name, {{"\n", " "}}));
}

PerfMapWriter::~PerfMapWriter() {
  std::lock_guard<std::mutex> lock(mu_);
  if (file_ != nullptr) std::fclose(file_);
}

absl::Status PerfMapWriter::Open(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  if (file_ != nullptr) std::fclose(file_);
  file_ = std::fopen(path.c_str(), "we");
  if (file_ == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("cannot create ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

void PerfMapWriter::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  if (file_ != nullptr) std::fclose(file_);
  file_ = nullptr;
}

void PerfMapWriter::Add(uint64_t start, uint64_t size, absl::string_view name) {
  std::string line = FormatPerfMapLine(start, size, name);
  std::lock_guard<std::mutex> lock(mu_);
  if (file_ != nullptr) std::fwrite(line.data(), 1, line.size(), file_);
}

void PerfMapWriter::Flush() {
  std::lock_guard<std::mutex> lock(mu_);
  if (file_ != nullptr) std::fflush(file_);
}

}  // namespace jleak::agent
