// File: compare_command.cc
//
// `jleak compare BASE CANDIDATE`: two runs of one workload (run
// directories, or folders of .heap files), e.g. built from the merge base
// and from a change, analyzed alike and compared site by site (see
// harness/analyze/compare.h). Exit 0 same, 1 regression, 2 inconclusive or
// error, so CI can gate on it.

#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "harness/analyze/compare.h"
#include "harness/cli/analyze_command.h"
#include "harness/cli/cli_flags.h"
#include "harness/cli/commands.h"
#include "harness/cli/subcommand.h"
#include "harness/io/file_io.h"
#include "harness/io/json_read.h"
#include "harness/report/compare_report.h"
#include "nlohmann/json.hpp"

namespace jleak {
namespace {

constexpr char kName[] = "jleak compare";

struct CompareFlags {
  AnalyzeFlags analysis;
  std::string max_site_increase = "4KiB";
  std::string max_total_increase = "8KiB";
  std::string json, html;
  size_t top = 10;
};

// ComparableOf: the manifest's "comparable" object of a run directory, or
// null (a folder of .heap files, or an older jleak).
// Read as analyze reads it: a regular file in the run directory, bounded
// in size and depth (LoadAndAnalyze has refused a crafted one already).
nlohmann::json ComparableOf(const std::string& dir) {
  absl::StatusOr<std::string> text = ReadFileToString(
      dir + "/manifest.json", ReadOptions::InRunDirectory(kMaxSmallFileBytes));
  if (!text.ok()) return nullptr;
  absl::StatusOr<nlohmann::json> j = ParseBoundedJson(*text);
  if (!j.ok() || !j->is_object()) return nullptr;
  auto it = j->find("comparable");
  if (it == j->end() || !it->is_object()) return nullptr;
  return *it;
}

// ComparabilityWarnings: one sentence per setting the two runs differ in.
std::vector<std::string> ComparabilityWarnings(const std::string& base,
                                               const std::string& candidate) {
  const nlohmann::json b = ComparableOf(base), c = ComparableOf(candidate);
  if (b.is_null() || c.is_null()) {
    return {absl::StrCat(
        "no run settings (manifest.json's \"comparable\", written by jleak "
        "run) in ",
        b.is_null() ? base : candidate,
        ": cannot check that the two runs used the same command, JVM and "
        "sampling")};
  }
  std::vector<std::string> out;
  for (const auto& [key, value] : b.items()) {
    const nlohmann::json other = c.contains(key) ? c[key] : nlohmann::json();
    if (value == other) continue;
    // Lists (the command, the JVM flags): the elements that differ, not
    // two whole command lines.
    std::string what =
        absl::StrCat("base ", value.dump(), ", candidate ", other.dump());
    if (value.is_array() && other.is_array() && value.size() == other.size()) {
      std::vector<std::string> diffs;
      for (size_t i = 0; i < value.size() && diffs.size() < 3; ++i) {
        if (value[i] != other[i]) {
          diffs.push_back(absl::StrCat("argument ", i, ": base ",
                                       value[i].dump(), ", candidate ",
                                       other[i].dump()));
        }
      }
      what = absl::StrJoin(diffs, "; ");
    }
    out.push_back(absl::StrCat("the runs differ in ", key, " (", what,
                               "): their growth rates may not compare"));
  }
  return out;
}

int Compare(const std::string& base_dir, const std::string& candidate_dir,
            const CompareFlags& flags, std::ostream& out) {
  CompareOptions options;
  for (auto [flag, text, field] :
       {std::make_tuple("--max-site-increase", &flags.max_site_increase,
                        &options.max_site_increase),
        std::make_tuple("--max-total-increase", &flags.max_total_increase,
                        &options.max_total_increase)}) {
    absl::StatusOr<double> v = ParseByteSize(*text);
    if (!v.ok()) {
      std::cerr << kName << ": " << flag << ": " << v.status().message()
                << "\n";
      return kExitTrouble;
    }
    *field = *v;
  }
  absl::StatusOr<Analysis> base = LoadAndAnalyze({base_dir}, flags.analysis);
  if (!base.ok()) {
    std::cerr << kName << ": base " << base_dir << ": "
              << base.status().message() << "\n";
    return kExitTrouble;
  }
  absl::StatusOr<Analysis> candidate =
      LoadAndAnalyze({candidate_dir}, flags.analysis);
  if (!candidate.ok()) {
    std::cerr << kName << ": candidate " << candidate_dir << ": "
              << candidate.status().message() << "\n";
    return kExitTrouble;
  }
  Comparison c = jleak::Compare(*base, *candidate, options);
  for (std::string& w : ComparabilityWarnings(base_dir, candidate_dir)) {
    c.warnings.push_back(std::move(w));
  }
  const CompareInputs inputs{base_dir, candidate_dir};
  WriteCompareText(c, inputs, out, flags.top);

  ReportWriter reports(kName, out);
  if (!flags.json.empty()) {
    reports.Write(flags.json, "JSON", CompareJsonString(c, inputs));
  }
  if (!flags.html.empty()) {
    reports.WriteRendered(flags.html, "HTML", [&](std::ostream& html) {
      return WriteCompareHtml(c, inputs, html);
    });
  }
  if (!reports.ok()) return kExitTrouble;
  switch (c.verdict) {
    case CompareVerdict::kSame:
      return kExitOk;
    case CompareVerdict::kRegression:
      return kExitLeak;
    case CompareVerdict::kInconclusive:
      return kExitTrouble;
  }
  return kExitTrouble;
}

}  // namespace

void AddCompareCommand(CLI::App& jleak, int* exit_code) {
  auto flags = std::make_shared<CompareFlags>();
  auto base = std::make_shared<std::string>();
  auto candidate = std::make_shared<std::string>();
  CLI::App* cmd = jleak.add_subcommand(
      "compare",
      "Did a change make native memory grow where it did not before? "
      "Analyzes two runs of one workload alike (run directories, or folders "
      "of .heap files), matches their sites and reports per site the growth "
      "rate in each, and the difference with its 95% confidence interval. "
      "`regression` when a site (or the process total) grows faster in the "
      "candidate by more than the budget, with confidence.\n"
      "Exit: 0 same, 1 regression, 2 inconclusive or error.\n"
      "Example:\n"
      "  jleak run --duration 60 --out base -- java -jar main.jar\n"
      "  jleak run --duration 60 --out cand -- java -jar change.jar\n"
      "  jleak compare --html diff.html base cand");
  cmd->add_option("BASE", *base, "The base run (e.g. the merge base)")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_option("CANDIDATE", *candidate, "The candidate run (the change)")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--max-site-increase", flags->max_site_increase,
                  "A site regresses when the candidate outgrows the base by "
                  "more than this per second, with confidence (default 4KiB)")
      ->group("Budgets");
  cmd->add_option("--max-total-increase", flags->max_total_increase,
                  "Likewise for all malloc'd memory: jemalloc's exact count "
                  "when both runs have a timeline (default 8KiB)")
      ->group("Budgets");
  cmd->add_option("--json", flags->json, "Write the JSON report here")
      ->group("Reports");
  cmd->add_option("--html", flags->html, "Write the HTML report here")
      ->group("Reports");
  cmd->add_option("--top", flags->top, "Sites in the summary (default 10)")
      ->group("Reports");
  AddAnalysisFlags(cmd, &flags->analysis);
  cmd->callback([flags, base, candidate, exit_code] {
    *exit_code = Compare(*base, *candidate, *flags, std::cout);
  });
}

}  // namespace jleak
