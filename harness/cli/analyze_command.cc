// File: analyze_command.cc
//
// `jleak analyze` (see analyze_command.h).

#include "harness/cli/analyze_command.h"

#include <unistd.h>

#include <iostream>
#include <memory>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "harness/analyze/analyzer.h"
#include "harness/analyze/suppressions.h"
#include "harness/cli/commands.h"
#include "harness/cli/confined_symbolizer.h"
#include "harness/cli/subcommand.h"
#include "harness/io/file_io.h"
#include "harness/load/series_loader.h"
#include "harness/report/report_html.h"
#include "harness/report/report_json.h"
#include "harness/report/report_text.h"
#include "profile/pprof_writer.h"
#include "re2/re2.h"

namespace jleak {
namespace {

constexpr char kName[] = "jleak analyze";

int Fail(const absl::Status& status) {
  std::cerr << kName << ": " << status.message() << "\n";
  return kExitTrouble;
}

absl::Status ParseWarmup(const std::string& text, AnalyzerOptions* o) {
  if (text.empty()) return absl::OkStatus();
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  const std::string rest(end);
  if (end == text.c_str() || v < 0 ||
      (rest != "" && rest != "%" && rest != "s")) {
    return absl::InvalidArgumentError(
        absl::StrCat("--warmup '", text,
                     "': expected seconds (10, 10s) or a share of the "
                     "run (25%)"));
  }
  if (rest == "%") {
    if (v >= 100) {
      return absl::InvalidArgumentError("--warmup must be below 100%");
    }
    o->warmup_fraction = v / 100;
    o->warmup_seconds = -1;
  } else {
    o->warmup_seconds = v;
  }
  return absl::OkStatus();
}

absl::Status SetBudget(const std::string& flag, const std::string& text,
                       double* out) {
  if (text.empty()) return absl::OkStatus();
  absl::StatusOr<double> v = ParseByteSize(text);
  if (!v.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": ", v.status().message()));
  }
  *out = *v;
  return absl::OkStatus();
}

absl::StatusOr<AnalyzerOptions> MakeOptions(const AnalyzeFlags& flags) {
  AnalyzerOptions o;
  absl::Status st = ParseWarmup(flags.warmup, &o);
  if (!st.ok()) return st;
  o.site_frames = flags.site_frames;
  o.min_snapshots = flags.min_snapshots;
  o.max_fit_points = flags.max_fit_points;
  for (auto [flag, text, field] :
       {std::make_tuple("--max-site-rate", &flags.max_site_rate,
                        &o.budgets.max_site_rate),
        std::make_tuple("--max-total-rate", &flags.max_total_rate,
                        &o.budgets.max_total_rate),
        std::make_tuple("--max-total-growth", &flags.max_total_growth,
                        &o.budgets.max_total_growth),
        std::make_tuple("--max-rss-rate", &flags.max_rss_rate,
                        &o.budgets.max_rss_rate),
        std::make_tuple("--max-allocated-rate", &flags.max_allocated_rate,
                        &o.budgets.max_allocated_rate),
        std::make_tuple("--max-outside-rate", &flags.max_outside_rate,
                        &o.budgets.max_outside_rate)}) {
    st = SetBudget(flag, *text, field);
    if (!st.ok()) return st;
  }
  std::vector<std::string> app = flags.app;
  if (!flags.suppressions_file.empty()) {
    absl::StatusOr<std::string> text =
        ReadFileToString(flags.suppressions_file);
    if (!text.ok()) return text.status();
    absl::StatusOr<RulesFile> rules =
        ParseRulesFile(*text, flags.suppressions_file);
    if (!rules.ok()) return rules.status();
    o.suppressions = std::move(rules->suppressions);
    app.insert(app.end(), rules->app_rules.begin(), rules->app_rules.end());
  }
  absl::StatusOr<AppRules> app_rules = AppRules::Parse(app);
  if (!app_rules.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--app: ", app_rules.status().message()));
  }
  o.app_rules = *std::move(app_rules);
  for (const std::string& regex : flags.suppress) {
    absl::StatusOr<Suppression> s = MakeFrameSuppression(regex);
    if (!s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--suppress: ", s.status().message()));
    }
    o.suppressions.push_back(*std::move(s));
  }
  return o;
}

// CompileRegex: a flag's regex, in RE2 (linear time on any frame name).
absl::StatusOr<std::shared_ptr<const RE2>> CompileRegex(
    absl::string_view flag, const std::string& text) {
  absl::StatusOr<std::shared_ptr<const RE2>> re = CompileFrameRegex(text);
  if (!re.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": ", re.status().message()));
  }
  return re;
}

// LeakSite: the site the expectations check: the top site of the leak group
// the verdict names (the first over budget), else of the first group;
// nullptr when there is none.
const SiteSeries* LeakSite(const Analysis& a) {
  for (const LeakGroup& g : a.groups) {
    if (g.over_budget && !g.sites.empty()) return &a.sites[g.sites.front()];
  }
  if (!a.groups.empty() && !a.groups.front().sites.empty()) {
    return &a.sites[a.groups.front().sites.front()];
  }
  return a.sites.empty() ? nullptr : &a.sites.front();
}

// InLeakingGroup: whether a site, or the group it belongs to, is over
// budget.
bool InLeakingGroup(const Analysis& a, const SiteSeries& s) {
  return s.over_budget ||
         (s.group >= 0 && static_cast<size_t>(s.group) < a.groups.size() &&
          a.groups[s.group].over_budget);
}

// CheckJavaAndCleanSites: --expect-java-frame on the leak site and
// --expect-clean-site on every site; "" when both hold.
std::string CheckJavaAndCleanSites(const Analysis& a,
                                   const AnalyzeFlags& flags) {
  if (!flags.expect_java_frame.empty()) {
    absl::StatusOr<std::shared_ptr<const RE2>> java =
        CompileRegex("--expect-java-frame", flags.expect_java_frame);
    if (!java.ok()) return std::string(java.status().message());
    const SiteSeries* site = LeakSite(a);
    if (site == nullptr || site->java_frame < 0) {
      return absl::StrCat(
          "expected the leak site's Java method to match /",
          flags.expect_java_frame, "/, but ",
          site == nullptr ? "there is no site"
                          : "its stack has no Java frame of the user's code "
                            "(were Java stacks recorded? see agent.json)");
    }
    const NamedFrame& f = site->frames[site->java_frame];
    if (!RE2::PartialMatch(f.function, **java)) {
      return absl::StrCat("expected the leak site's Java method to match /",
                          flags.expect_java_frame, "/, found ", FrameLabel(f));
    }
  }
  for (const std::string& text : flags.expect_clean_sites) {
    absl::StatusOr<std::shared_ptr<const RE2>> clean =
        CompileRegex("--expect-clean-site", text);
    if (!clean.ok()) return std::string(clean.status().message());
    bool seen = false;
    for (const SiteSeries& s : a.sites) {
      if (!RE2::PartialMatch(s.top_frame, **clean)) continue;
      seen = true;
      if (InLeakingGroup(a, s)) {
        return absl::StrCat("expected the site matching /", text,
                            "/ to be clean, but ", s.headline,
                            s.over_budget ? " is over its budget"
                                          : " is in a leak group over budget");
      }
    }
    if (!seen) {
      return absl::StrCat("expected a clean site matching /", text,
                          "/, but no site matches it");
    }
  }
  return "";
}

// IndexOf: where the snapshot at `path` is among `ordered`, the last such
// (the accumulator orders by time: crafted times may move the plan's last
// snapshot); ordered.size() when none.
size_t IndexOf(const std::vector<SnapshotMeta>& ordered,
               const std::string& path) {
  for (size_t i = ordered.size(); i-- > 0;) {
    if (ordered[i].path == path) return i;
  }
  return ordered.size();
}

}  // namespace

void ReportWriter::Write(const std::string& path, const std::string& what,
                         const absl::StatusOr<std::string>& contents) {
  absl::Status st =
      contents.ok() ? WriteFileAtomically(path, *contents) : contents.status();
  if (!st.ok()) {
    std::cerr << command_ << ": cannot write the " << what
              << " report: " << st.message() << "\n";
    ok_ = false;
    return;
  }
  out_ << "  " << what << " report: " << path << "\n";
}

void ReportWriter::WriteRendered(
    const std::string& path, const std::string& what,
    const std::function<absl::Status(std::ostream&)>& render) {
  std::ostringstream text;
  absl::Status st = render(text);
  Write(path, what,
        st.ok() ? absl::StatusOr<std::string>(text.str())
                : absl::StatusOr<std::string>(st));
}

std::string CheckExpectation(const Analysis& a, const AnalyzeFlags& flags) {
  const std::string verdict = VerdictName(a.verdict);
  const SiteSeries* leak_site = LeakSite(a);
  const std::string top = leak_site == nullptr ? "" : leak_site->top_frame;
  if (verdict != flags.expect) {
    std::string found = verdict;
    if (a.verdict == Verdict::kLeak) {
      found = a.kind == GrowthKind::kMalloc
                  ? absl::StrCat("a leak at ", top)
                  : absl::StrCat("a leak (", GrowthKindName(a.kind), ")");
    }
    return absl::StrCat("expected ",
                        flags.expect == "leak" ? "a leak" : flags.expect,
                        ", found ", found);
  }
  if (!flags.expect_kind.empty() &&
      flags.expect_kind != GrowthKindName(a.kind)) {
    return absl::StrCat("expected growth of kind ", flags.expect_kind,
                        ", found ", GrowthKindName(a.kind));
  }
  const std::vector<NamedFrame> no_frames;
  const std::vector<NamedFrame>& frames =
      leak_site == nullptr ? no_frames : leak_site->frames;
  if (!flags.expect_site.empty()) {
    absl::StatusOr<std::shared_ptr<const RE2>> site =
        CompileRegex("--expect-site", flags.expect_site);
    if (!site.ok()) return std::string(site.status().message());
    // The site's key frames (SiteKeyFrames): its named frame, and before
    // it the runtime/JVM frames it went through, or a stripped library's
    // unnamed frames before the JNI entry that names the leak.
    std::vector<std::string> names;
    const size_t n = SiteKeyFrames(frames, flags.site_frames);
    for (size_t i = 0; i < n; ++i) names.push_back(frames[i].function);
    for (const std::string& name : names) {
      if (RE2::PartialMatch(name, **site))
        return CheckJavaAndCleanSites(a, flags);
    }
    return absl::StrCat(
        "expected the leak at a site matching /", flags.expect_site,
        "/, found it at ",
        names.empty() ? "no site" : absl::StrJoin(names, " <- "));
  }
  return CheckJavaAndCleanSites(a, flags);
}

void AddAnalysisFlags(CLI::App* cmd, AnalyzeFlags* flags) {
  cmd->add_option("--warmup", flags->warmup,
                  "Ignore the start of the run when fitting growth: seconds "
                  "(10, 10s) or a share of the series' time span (25%). "
                  "Default 25%")
      ->group("Analysis");
  cmd->add_option("--site-frames", flags->site_frames,
                  "At most this many leading native frames identify a site "
                  "(default 6)")
      ->check(CLI::Range(1, 64))
      ->group("Analysis");
  cmd->add_option("--min-snapshots", flags->min_snapshots,
                  "Snapshots needed after the warm-up for a verdict; fewer is "
                  "inconclusive (default 4)")
      ->check(CLI::Range(3, 1000000))
      ->group("Analysis");
  cmd->add_option("--max-fit-points", flags->max_fit_points,
                  "Fit at most this many snapshots of a long series: the "
                  "first and last hour's all, those between evenly thinned "
                  "(default 256; 0: every snapshot). Reports show them all")
      ->group("Analysis");
  cmd->add_option("--jobs", flags->jobs,
                  "Threads that read and parse snapshots (default: one per "
                  "core)")
      ->check(CLI::Range(0, 256))
      ->group("Analysis");
  cmd->add_option("--suppressions", flags->suppressions_file,
                  "File of sites not to judge: lines 'function <name>' or "
                  "'frame <regex>'; 'app <rule>' lines as --app; '#' "
                  "comments")
      ->check(CLI::ExistingFile)
      ->group("Analysis");
  cmd->add_option("--suppress", flags->suppress,
                  "A frame regex whose sites are not judged (repeatable)")
      ->allow_extra_args(false)
      ->group("Analysis");
  cmd->add_option("--app", flags->app,
                  "Java code that is the application's, so that headlines "
                  "name it: a package prefix (com.example) or a jar glob "
                  "(my-service-*.jar, /opt/app/lib/*.jar); repeatable. Agent "
                  "runs also take the main class's code source")
      ->allow_extra_args(false)
      ->group("Analysis");
  AddSymbolizerFlags(cmd, &flags->symbolizer);
}

void AddAnalyzeFlags(CLI::App* cmd, AnalyzeFlags* flags) {
  AddAnalysisFlags(cmd, flags);
  cmd->add_option("--max-site-rate", flags->max_site_rate,
                  "Budget per site: a site leaks when its growth rate's 95% "
                  "lower bound exceeds this per second (default 4KiB; per "
                  "snapshot when only file sequence numbers order the series)")
      ->group("Budgets");
  cmd->add_option("--max-total-rate", flags->max_total_rate,
                  "Budget for all sites together, per second (default 32KiB)")
      ->group("Budgets");
  cmd->add_option("--max-total-growth", flags->max_total_growth,
                  "Budget for the total growth over the analyzed window "
                  "(default 64MiB; 0 disables)")
      ->group("Budgets");
  cmd->add_option("--max-rss-rate", flags->max_rss_rate,
                  "Budget for RSS growth that malloc does not explain, per "
                  "second (default 256KiB; needs a run directory's timeline)")
      ->group("Budgets");
  cmd->add_option("--max-allocated-rate", flags->max_allocated_rate,
                  "Budget for malloc'd memory as jemalloc counts it exactly "
                  "(not sampled), less suppressed sites, per second: catches "
                  "leaks too slow for any sampled site to be sure of "
                  "(default 8KiB; 0 disables; needs a run directory's "
                  "timeline)")
      ->group("Budgets");
  cmd->add_option("--max-outside-rate", flags->max_outside_rate,
                  "Budget per class of resident memory outside malloc "
                  "(mapped files, thread stacks, class metadata, code cache, "
                  "other anonymous memory), per second (default 128KiB; 0 "
                  "disables; needs a run directory whose agent recorded "
                  "memory-SEQ.json files)")
      ->group("Budgets");
  cmd->add_option("--json", flags->json, "Write the JSON report here")
      ->group("Reports");
  cmd->add_option("--html", flags->html,
                  "Write the self-contained HTML report here")
      ->group("Reports");
  cmd->add_option("--pprof", flags->pprof,
                  "Write the growth (last analyzed snapshot minus the first) "
                  "as a gzipped pprof profile here")
      ->group("Reports");
  cmd->add_option("--top", flags->top, "Sites in the summary (default 5)")
      ->group("Reports");
  cmd->add_option("--expect", flags->expect,
                  "For tests: exit 0 when the verdict is this, 1 when not "
                  "(2 still means the analysis could not be done)")
      ->check(CLI::IsMember({"clean", "leak"}))
      ->group("Expectations");
  cmd->add_option("--expect-site", flags->expect_site,
                  "With --expect leak: a regex the first site's top frame "
                  "must match (a leak elsewhere fails)")
      ->group("Expectations");
  cmd->add_option("--expect-java-frame", flags->expect_java_frame,
                  "With --expect leak: a regex the leak site's Java method "
                  "(its first Java frame of the user's code) must match")
      ->group("Expectations");
  cmd->add_option("--expect-clean-site", flags->expect_clean_sites,
                  "A regex: sites named by a matching frame must exist and "
                  "not be over budget (repeatable)")
      ->allow_extra_args(false)
      ->group("Expectations");
  cmd->add_option("--expect-kind", flags->expect_kind,
                  "With --expect leak: malloc, outside_malloc or "
                  "allocator_retention")
      ->check(
          CLI::IsMember({"malloc", "outside_malloc", "allocator_retention"}))
      ->group("Expectations");
}

absl::StatusOr<Analysis> LoadAndAnalyze(const std::vector<std::string>& inputs,
                                        const AnalyzeFlags& flags) {
  absl::StatusOr<AnalyzerOptions> options = MakeOptions(flags);
  if (!options.ok()) return options.status();
  absl::StatusOr<FrameFilter> filter = MakeFrameFilter(flags.symbolizer);
  if (!filter.ok()) return filter.status();

  absl::StatusOr<SeriesPlan> plan = PlanSeries(inputs);
  if (!plan.ok()) return plan.status();
  if (plan->snapshots.empty()) {
    return absl::NotFoundError("no snapshots to analyze");
  }
  // The last snapshot maps every library the process loaded so far: its
  // mappings build the symbolizer, and it is parsed once, for that and
  // for its turn in the series (ReadSnapshots).
  const std::string last_path = plan->snapshots.back().path;
  absl::StatusOr<HeapProfile> last = ReadSnapshot(plan->snapshots.back());
  if (!last.ok()) return last.status();
  absl::StatusOr<std::unique_ptr<Symbolizer>> symbolizer =
      MakeAnalysisSymbolizer(last->mappings, flags.symbolizer,
                             {plan->perf_map_path, plan->java_frames_map_path},
                             plan->build_ids);
  if (!symbolizer.ok()) return symbolizer.status();

  options->code_origins = std::move(plan->code_origins);
  // Only the HTML report and --pprof show the growth profile.
  options->growth_profile = !flags.html.empty() || !flags.pprof.empty();
  // Streamed: each snapshot is parsed (on --jobs threads) and reduced to
  // per-site counts as it comes, never the whole series in memory.
  SeriesAccumulator accumulator(plan->snapshots, **symbolizer, *filter,
                                *options);
  const std::vector<SnapshotMeta>& ordered = accumulator.snapshots();
  ParsedSnapshot parsed{IndexOf(ordered, last_path), *std::move(last)};
  const bool tty = isatty(STDERR_FILENO);
  absl::Status read = ReadSnapshots(
      ordered, flags.jobs,
      [&](size_t i, HeapProfile& profile) {
        accumulator.Add(i, profile);
        return absl::OkStatus();
      },
      [tty](size_t done, size_t total) {
        if (tty) {
          std::cerr << absl::StrFormat("\rreading snapshot %d/%d", done, total)
                    << (done == total ? "\r\033[K" : "") << std::flush;
        }
      },
      std::move(parsed));
  if (!read.ok()) return read;
  Analysis analysis = std::move(accumulator)
                          .Finish(plan->time_source, std::move(plan->timeline));
  analysis.command = plan->command;
  analysis.engine = plan->engine;
  analysis.engine_limit = plan->engine_limit;
  for (const std::string& w : plan->warnings) {
    analysis.warnings.push_back(w);
  }
  return analysis;
}

int AnalyzeAndReport(const std::vector<std::string>& inputs,
                     const AnalyzeFlags& flags, std::ostream& out) {
  absl::StatusOr<Analysis> analyzed = LoadAndAnalyze(inputs, flags);
  if (!analyzed.ok()) return Fail(analyzed.status());
  const Analysis& analysis = *analyzed;

  WriteTextSummary(analysis, {flags.top, 4}, out);

  ReportWriter reports(kName, out);
  if (!flags.json.empty()) {
    reports.Write(flags.json, "JSON", JsonReportString(analysis));
  }
  if (!flags.html.empty()) {
    reports.WriteRendered(flags.html, "HTML", [&](std::ostream& html) {
      return WriteHtmlReport(analysis, html);
    });
  }
  if (!flags.pprof.empty()) {
    PprofOptions o;
    o.comment = "jleak: growth over the analyzed window";
    reports.Write(
        flags.pprof, "pprof",
        SerializePprofGzipped(BuildPprof(analysis.growth_profile, o)));
  }
  if (!reports.ok()) return kExitTrouble;
  if (!flags.expect.empty()) {
    if (analysis.verdict == Verdict::kInconclusive) {
      out << "jleak: EXPECTATION NOT CHECKED: the analysis was inconclusive\n";
      return kExitTrouble;
    }
    const std::string miss = CheckExpectation(analysis, flags);
    if (!miss.empty()) {
      out << "jleak: EXPECTATION FAILED: " << miss << "\n";
      return kExitLeak;
    }
    out << "jleak: expectation met: " << flags.expect
        << (flags.expect_site.empty()
                ? ""
                : absl::StrCat(" at ", LeakSite(analysis)->top_frame))
        << "\n";
    return kExitOk;
  }
  switch (analysis.verdict) {
    case Verdict::kClean:
      return kExitOk;
    case Verdict::kLeak:
      return kExitLeak;
    case Verdict::kInconclusive:
      return kExitTrouble;
  }
  return kExitTrouble;
}

void AddAnalyzeCommand(CLI::App& jleak, int* exit_code) {
  auto flags = std::make_shared<AnalyzeFlags>();
  auto inputs = std::make_shared<std::vector<std::string>>();
  CLI::App* cmd = jleak.add_subcommand(
      "analyze",
      "Judge a series of heap snapshots: which allocation sites grow, how "
      "fast, how sure. Input: a `jleak run` output directory, or jemalloc "
      ".heap files collected with LD_PRELOAD + MALLOC_CONF=prof:true,... "
      "(a directory of them, or the files).\n"
      "Exit: 0 clean, 1 leak, 2 inconclusive or error.\n"
      "Examples:\n"
      "  jleak analyze --html report.html jleak-out/\n"
      "  jleak analyze --sysroot /srv/prod-copy /srv/heaps/jeprof.*.heap");
  cmd->add_option("INPUT", *inputs,
                  "A run directory, or .heap files of one process")
      ->required()
      ->check(CLI::ExistingPath);
  AddAnalyzeFlags(cmd, flags.get());
  cmd->callback([flags, inputs, exit_code] {
    *exit_code = AnalyzeAndReport(*inputs, *flags, std::cout);
  });
}

}  // namespace jleak
