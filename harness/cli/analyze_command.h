// File: analyze_command.h
//
// `jleak analyze`: turn a series of heap snapshots into a verdict and
// reports. Also the last step of `jleak run`, which calls
// AnalyzeAndReport on its run directory.

#ifndef JLEAK_HARNESS_CLI_ANALYZE_COMMAND_H_
#define JLEAK_HARNESS_CLI_ANALYZE_COMMAND_H_

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "harness/analyze/analysis.h"
#include "harness/cli/cli_flags.h"

namespace jleak {

struct AnalyzeFlags {
  std::string warmup;  // "10" seconds, "25%" of the span; empty: default
  int site_frames = 6;
  int min_snapshots = 4;
  size_t max_fit_points = 256;  // AnalyzerOptions::max_fit_points
  int jobs = 0;                 // snapshot-reading threads; 0: one per core
  std::string max_site_rate, max_total_rate, max_total_growth, max_rss_rate,
      max_allocated_rate, max_outside_rate;
  std::string suppressions_file;
  std::vector<std::string> suppress;
  // --app rules (profile/code_origin.h AppRules): which Java code is the
  // application's; `app` lines of the suppressions file add to them.
  std::vector<std::string> app;
  std::string json, html, pprof;
  size_t top = 5;
  // Expectations (for tests): when `expect` is set, the exit code says
  // whether the verdict met it (0) or not (1), instead of the verdict.
  std::string expect;       // "", "clean" or "leak"
  std::string expect_site;  // regex the first site's top frame must match
  std::string expect_kind;  // e.g. "outside_malloc"; "" for any
  // Regex the leak site's Java method (its first user Java frame, agent
  // runs only) must match.
  std::string expect_java_frame;
  // Regexes: a site whose named frame (top_frame) matches one of them must
  // not be over budget (the healthy twin of a leaking caller).
  std::vector<std::string> expect_clean_sites;
  SymbolizerFlags symbolizer;
};

// CheckExpectation compares an analysis with the expectation in `flags`.
// Returns an empty string when met, else a sentence saying what differed,
// e.g. "expected a leak, found clean".
std::string CheckExpectation(const Analysis& analysis,
                             const AnalyzeFlags& flags);

// AddAnalysisFlags registers how snapshots are read and analyzed (warm-up,
// site frames, suppressions, symbolization) on `cmd`.
void AddAnalysisFlags(CLI::App* cmd, AnalyzeFlags* flags);

// AddAnalyzeFlags registers AddAnalysisFlags' options, the budgets, the
// reports and the expectations on `cmd`.
void AddAnalyzeFlags(CLI::App* cmd, AnalyzeFlags* flags);

// LoadAndAnalyze loads `inputs` (a run directory or .heap files) and
// analyzes them with the options in `flags`; errors say which input and
// why.
absl::StatusOr<Analysis> LoadAndAnalyze(const std::vector<std::string>& inputs,
                                        const AnalyzeFlags& flags);

// ReportWriter writes the report files a command was asked for, each whole
// (atomically): where each went on `out`, and on stderr, after the
// command's name, why one could not be rendered or written.
class ReportWriter {
 public:
  ReportWriter(std::string command, std::ostream& out)
      : command_(std::move(command)), out_(out) {}

  // Write writes `contents` (or reports its error) as the `what` report
  // ("JSON", "HTML") to `path`.
  void Write(const std::string& path, const std::string& what,
             const absl::StatusOr<std::string>& contents);
  // WriteRendered renders into memory with `render` first.
  void WriteRendered(const std::string& path, const std::string& what,
                     const std::function<absl::Status(std::ostream&)>& render);
  // ok: every report was written.
  bool ok() const { return ok_; }

 private:
  std::string command_;
  std::ostream& out_;
  bool ok_ = true;
};

// AnalyzeAndReport loads `inputs`, analyzes them, prints the summary to
// `out`, writes the requested report files, and returns the exit code:
// 0 clean, 1 leak, 2 inconclusive or error (with one line on stderr).
int AnalyzeAndReport(const std::vector<std::string>& inputs,
                     const AnalyzeFlags& flags, std::ostream& out);

}  // namespace jleak

#endif  // JLEAK_HARNESS_CLI_ANALYZE_COMMAND_H_
