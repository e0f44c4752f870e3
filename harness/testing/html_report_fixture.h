// File: html_report_fixture.h
//
// A fixed, realistic Analysis built in code: the input of the report tests
// (report_json_test, report_html_test) and of the headless-Chromium check
// (html_report_fixture_main.cc, report_html_browser_test.sh). It does not
// run the analyzer, so report tests do not change when the statistics do.
//
// The fixture is a JNI leak seen by a `jleak run`: 13 snapshots 10 s apart,
// 20 s of warm-up, a timeline of RSS, jemalloc and direct-buffer counters,
// and sites chosen to exercise the reports: a leaking JNI site, a C++
// template site (names full of <, >, & and commas), a site whose name is a
// script-injection attempt, a suppressed site, a flat and a shrinking one.

#ifndef JLEAK_HARNESS_TESTING_HTML_REPORT_FIXTURE_H_
#define JLEAK_HARNESS_TESTING_HTML_REPORT_FIXTURE_H_

#include "harness/analyze/analysis.h"

namespace jleak {

struct FixtureOptions {
  bool timeline = true;  // false: production profiles, no agent
  int extra_sites = 0;   // small flat sites appended (site limits)
};

Analysis MakeFixtureAnalysis(const FixtureOptions& options = {});

}  // namespace jleak

#endif  // JLEAK_HARNESS_TESTING_HTML_REPORT_FIXTURE_H_
