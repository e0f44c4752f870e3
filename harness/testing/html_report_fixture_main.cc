// File: html_report_fixture_main.cc
//
// Writes a report of the fixed Analysis of html_report_fixture.h, for the
// headless-Chromium check and for looking at the report by hand:
//
//   bazel run //harness/testing:html_report_fixture -- --out=/tmp/report.html
//   html_report_fixture --format=json --no-timeline --out=report.json
//
// Exit codes: 0 written, 2 bad arguments or write error.

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include "absl/status/status.h"
#include "harness/report/report_html.h"
#include "harness/report/report_json.h"
#include "harness/testing/html_report_fixture.h"

namespace {

int Usage() {
  std::fprintf(stderr,
               "usage: html_report_fixture --out=FILE [--format=html|json] "
               "[--no-timeline] [--extra-sites=N]\n");
  return 2;
}

bool Consume(const std::string& arg, const std::string& prefix,
             std::string* value) {
  if (arg.rfind(prefix, 0) != 0) return false;
  *value = arg.substr(prefix.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string out_path, format = "html", extra;
  jleak::FixtureOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (Consume(arg, "--out=", &out_path) ||
        Consume(arg, "--format=", &format)) {
      continue;
    }
    if (Consume(arg, "--extra-sites=", &extra)) {
      options.extra_sites = std::atoi(extra.c_str());
    } else if (arg == "--no-timeline") {
      options.timeline = false;
    } else {
      return Usage();
    }
  }
  if (out_path.empty() || (format != "html" && format != "json")) {
    return Usage();
  }
  std::ofstream out(out_path, std::ios::binary);
  if (!out) {
    std::fprintf(stderr, "html_report_fixture: cannot write %s\n",
                 out_path.c_str());
    return 2;
  }
  const jleak::Analysis analysis = jleak::MakeFixtureAnalysis(options);
  const absl::Status status = format == "html"
                                  ? jleak::WriteHtmlReport(analysis, out)
                                  : jleak::WriteJsonReport(analysis, out);
  if (!status.ok()) {
    std::cerr << "html_report_fixture: " << status << "\n";
    return 2;
  }
  return 0;
}
