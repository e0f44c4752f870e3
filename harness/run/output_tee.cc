// File: output_tee.cc
//
// Copying the workload's output to the terminal and the run directory
// (see output_tee.h).

#include "harness/run/output_tee.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>

#include "absl/strings/str_cat.h"
#include "harness/io/file_io.h"

namespace jleak {
namespace {

using Clock = std::chrono::steady_clock;

void CloseFd(int* fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

}  // namespace

absl::StatusOr<std::unique_ptr<OutputTee>> OutputTee::Start(
    const std::string& log_path, int64_t max_log_bytes, int stdout_fd,
    int stderr_fd) {
  std::unique_ptr<OutputTee> tee(new OutputTee());
  tee->log_path_ = log_path;
  tee->max_log_bytes_ = max_log_bytes;
  tee->stdout_fd_ = stdout_fd;
  tee->stderr_fd_ = stderr_fd;
  for (int* p : {tee->out_, tee->err_, tee->stop_}) {
    if (pipe2(p, O_CLOEXEC) != 0) {
      return absl::ResourceExhaustedError(
          absl::StrCat("pipe for the workload's output: ",
                       std::strerror(errno)));  // the destructor closes
    }
  }
  // Last, so that a failure above leaves no empty log behind.
  tee->log_fd_ =
      open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (tee->log_fd_ < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create ", log_path, ": ", std::strerror(errno)));
  }
  // The pump thread starts with every signal blocked: the supervisor waits
  // for SIGINT/SIGTERM/SIGHUP/SIGCHLD with sigtimedwait, and a thread that
  // left them unblocked would take one while the supervisor is busy (say,
  // waiting for the final snapshot) and die of it. SIGPIPE stays blocked
  // too, so a closed terminal makes writes fail with EPIPE instead.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  tee->pump_ = std::thread(&OutputTee::Pump, tee.get());
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return tee;
}

OutputTee::~OutputTee() {
  if (!finished_) Finish(0).IgnoreError();
  CloseFd(&log_fd_);
  for (int* p : {out_, err_, stop_}) {
    CloseFd(&p[0]);
    CloseFd(&p[1]);
  }
}

void OutputTee::CloseChildEnds() {
  CloseFd(&out_[1]);
  CloseFd(&err_[1]);
}

absl::Status OutputTee::Finish(double drain_s) {
  if (finished_) return absl::OkStatus();
  finished_ = true;
  CloseChildEnds();
  if (pump_.joinable()) {
    if (!WriteAll(stop_[1], reinterpret_cast<const char*>(&drain_s),
                  sizeof drain_s)) {
      // Cannot happen with an open pipe; without the message the pump
      // would wait for the pipes' end, so close its stop pipe instead.
      CloseFd(&stop_[1]);
    }
    pump_.join();
  }
  CloseFd(&log_fd_);
  if (!log_error_.empty()) {
    return absl::DataLossError(absl::StrCat(log_path_, ": ", log_error_));
  }
  return absl::OkStatus();
}

void OutputTee::Log(const char* data, size_t size) {
  if (log_fd_ < 0) return;
  const int64_t room = max_log_bytes_ - logged_;
  const size_t n =
      static_cast<size_t>(std::max<int64_t>(0, std::min<int64_t>(room, size)));
  if (n > 0 && !WriteAll(log_fd_, data, n)) {
    log_error_ = std::strerror(errno);
    CloseFd(&log_fd_);
    return;
  }
  logged_ += static_cast<int64_t>(n);
  if (n < size) {
    const std::string note = absl::StrCat(
        "\n[jleak: workload.log stops here, at its limit of ", max_log_bytes_,
        " bytes; the rest went to the terminal only]\n");
    if (!WriteAll(log_fd_, note.data(), note.size())) {
      log_error_ = std::strerror(errno);
    }
    truncated_ = true;
    CloseFd(&log_fd_);
  }
}

void OutputTee::Pump() {
  struct Source {
    int fd;
    int to;
  };
  Source sources[2] = {{out_[0], stdout_fd_}, {err_[0], stderr_fd_}};
  std::optional<Clock::time_point> deadline;  // set once Finish asks
  bool stop_open = true;
  char buffer[64 * 1024];
  while (sources[0].fd >= 0 || sources[1].fd >= 0) {
    int timeout_ms = -1;
    if (deadline.has_value()) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(
          *deadline - Clock::now());
      if (left.count() <= 0) break;
      timeout_ms = static_cast<int>(left.count());
    }
    pollfd fds[3];
    Source* polled[3] = {nullptr, nullptr, nullptr};
    nfds_t n = 0;
    if (!deadline.has_value() && stop_open) {
      fds[n++] = {stop_[0], POLLIN, 0};
    }
    for (Source& s : sources) {
      if (s.fd < 0) continue;
      polled[n] = &s;
      fds[n++] = {s.fd, POLLIN, 0};
    }
    const int ready = poll(fds, n, timeout_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) break;
    for (nfds_t i = 0; i < n; ++i) {
      if (fds[i].revents == 0) continue;
      if (polled[i] == nullptr) {  // the stop pipe
        double drain_s = 0;
        ssize_t got = read(stop_[0], &drain_s, sizeof drain_s);
        if (got != sizeof drain_s) {
          stop_open = false;
          drain_s = 0;
        }
        deadline = Clock::now() +
                   std::chrono::duration_cast<Clock::duration>(
                       std::chrono::duration<double>(std::max(0.0, drain_s)));
        continue;
      }
      Source& s = *polled[i];
      ssize_t got = read(s.fd, buffer, sizeof buffer);
      if (got > 0) {
        WriteAll(s.to, buffer, static_cast<size_t>(got));  // best effort
        Log(buffer, static_cast<size_t>(got));
      } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
        s.fd = -1;  // closed below, with the pipe
      }
    }
  }
}

}  // namespace jleak
