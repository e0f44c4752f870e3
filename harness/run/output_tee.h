// File: output_tee.h
//
// OutputTee keeps what the workload said. Its stdout and stderr still go to
// jleak's own (the terminal, or the test log under Bazel), and a copy, in
// the order it arrived, goes to a log file in the run directory: the
// exception a JVM printed before it died, the path of its hs_err file and
// the agent's notes stay with the snapshots they explain.
//
//   absl::StatusOr<std::unique_ptr<OutputTee>> tee =
//       OutputTee::Start(dir + "/workload.log", kMaxLogBytes);
//   Child::Spawn(argv, envp, {(*tee)->child_stdout(), (*tee)->child_stderr()});
//   (*tee)->CloseChildEnds();
//   ... Supervise ...
//   absl::Status logged = (*tee)->Finish(/*drain_s=*/2);
//
// A thread copies the two pipes. The copy to the terminal never blocks on
// the log: a log that cannot be written (a full disk) stops the log, not
// the workload, and Finish says why. Past `max_log_bytes` the log ends with
// a line saying so; the terminal still gets everything. Finish returns
// after both pipes are closed or `drain_s` seconds, whichever is first, so
// a process that kept the pipes open cannot hang jleak.

#ifndef JLEAK_HARNESS_RUN_OUTPUT_TEE_H_
#define JLEAK_HARNESS_RUN_OUTPUT_TEE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace jleak {

class OutputTee {
 public:
  // Start creates the log (mode 0600, truncated) and the pipes, and starts
  // copying to `stdout_fd` / `stderr_fd` (jleak's own by default).
  static absl::StatusOr<std::unique_ptr<OutputTee>> Start(
      const std::string& log_path, int64_t max_log_bytes, int stdout_fd = 1,
      int stderr_fd = 2);

  OutputTee(const OutputTee&) = delete;
  OutputTee& operator=(const OutputTee&) = delete;
  ~OutputTee();  // Finish(0) if it was not called

  // The write ends, for the child's descriptors 1 and 2 (close-on-exec:
  // only the dup2'ed copies survive exec).
  int child_stdout() const { return out_[1]; }
  int child_stderr() const { return err_[1]; }
  // CloseChildEnds closes jleak's copies of the write ends once the child
  // holds its own, so that the pipes end when the workload does.
  void CloseChildEnds();

  // Finish waits for the end of the workload's output (at most `drain_s`
  // seconds after the call), stops copying and closes the log. The status
  // is the error that stopped the log, if any ("No space left on device").
  absl::Status Finish(double drain_s);

  int64_t logged_bytes() const { return logged_; }
  bool truncated() const { return truncated_; }

 private:
  OutputTee() = default;
  void Pump();
  void Log(const char* data, size_t size);

  int out_[2] = {-1, -1};
  int err_[2] = {-1, -1};
  int stop_[2] = {-1, -1};  // Finish writes the drain deadline here
  int log_fd_ = -1;
  int stdout_fd_ = 1;
  int stderr_fd_ = 2;
  int64_t max_log_bytes_ = 0;
  std::atomic<int64_t> logged_{0};
  std::atomic<bool> truncated_{false};
  std::string log_path_;
  std::string log_error_;  // set by the pump thread; read after join
  std::thread pump_;
  bool finished_ = false;
};

}  // namespace jleak

#endif  // JLEAK_HARNESS_RUN_OUTPUT_TEE_H_
