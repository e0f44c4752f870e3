// File: report_html_test.cc
//
// The HTML report without a browser: escaping of every string (function
// names are C++ templates, and the fixture holds a script-injection
// attempt), the embedded JSON safe inside <script>, the sections present
// or gracefully absent, the icicle graph's input and limits, and
// byte-for-byte determinism. //harness/report:report_html_browser_test opens the
// same page in headless Chromium.

#include "harness/report/report_html.h"

#include <cmath>
#include <limits>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "harness/testing/html_report_fixture.h"
#include "nlohmann/json.hpp"

namespace jleak {
namespace {

std::string Render(const Analysis& a, const HtmlReportOptions& options = {}) {
  std::ostringstream out;
  const absl::Status status = WriteHtmlReport(a, out, options);
  EXPECT_TRUE(status.ok()) << status;
  return out.str();
}

size_t Count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + needle.size())) {
    ++n;
  }
  return n;
}

bool Has(const std::string& html, const std::string& needle) {
  return html.find(needle) != std::string::npos;
}

// EmbeddedJson: the text of <script type="application/json">.
std::string EmbeddedJson(const std::string& html) {
  const std::string open =
      "<script type=\"application/json\" id=\"jleak-data\">";
  const size_t begin = html.find(open);
  if (begin == std::string::npos) return "";
  const size_t from = begin + open.size();
  const size_t end = html.find("</script>", from);
  return html.substr(from, end - from);
}

TEST(HtmlEscapeTest, EscapesMarkupAndQuotes) {
  EXPECT_EQ(HtmlEscape("a<b>&\"c\"'d'"),
            "a&lt;b&gt;&amp;&quot;c&quot;&#39;d&#39;");
  EXPECT_EQ(HtmlEscape("std::map<int, std::vector<char>>"),
            "std::map&lt;int, std::vector&lt;char&gt;&gt;");
  EXPECT_EQ(HtmlEscape(""), "");
  EXPECT_EQ(HtmlEscape("plain \xC3\xA9"), "plain \xC3\xA9");
}

TEST(ScriptSafeJsonTest, NoClosingTagSurvives) {
  const std::string json = R"({"f":"</script><script>alert(1)</script>&"})";
  const std::string safe = ScriptSafeJson(json);
  EXPECT_EQ(safe.find('<'), std::string::npos);
  EXPECT_EQ(safe.find('>'), std::string::npos);
  EXPECT_EQ(safe.find('&'), std::string::npos);
  // Still the same JSON value.
  EXPECT_EQ(nlohmann::json::parse(safe), nlohmann::json::parse(json));
  EXPECT_EQ(ScriptSafeJson("\"\xE2\x80\xA8\xE2\x80\xA9\""),
            "\"\\u2028\\u2029\"");
}

TEST(ReportHtmlTest, HostileNamesNeverAppearRaw) {
  const std::string html = Render(MakeFixtureAnalysis());
  EXPECT_FALSE(Has(html, "<script>alert(1)</script>"));
  EXPECT_FALSE(Has(html, "<script>alert"));
  EXPECT_FALSE(Has(html, "<img"));
  EXPECT_FALSE(Has(html, "</script><b>"));
  // Quotes are escaped in the page (the JSON data keeps them: harmless
  // inside its script element).
  std::string page = html;
  const std::string json = EmbeddedJson(html);
  page.erase(page.find(json), json.size());
  EXPECT_FALSE(Has(page, "\"evil\""));
  EXPECT_FALSE(Has(page, "'module'"));
  EXPECT_TRUE(Has(page, "&quot;evil&quot; &amp; &#39;module&#39;"));
  // Only our two script elements open and close.
  EXPECT_EQ(Count(html, "<script"), 2u);
  EXPECT_EQ(Count(html, "</script>"), 2u);
  // The names are shown, escaped, in the table and the icicle graph.
  EXPECT_TRUE(Has(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
  EXPECT_TRUE(Has(html, "data-n=\"&lt;script&gt;alert(1)&lt;/script&gt;\""));
  EXPECT_TRUE(Has(html, "&lt;img src=x onerror=alert(2)&gt;"));
  // C++ template names too.
  EXPECT_TRUE(Has(html, "graph::Node&lt;std::map&lt;int, double&gt;&gt;"));
  EXPECT_FALSE(Has(html, "graph::Node<std::map"));
}

TEST(ReportHtmlTest, EmbeddedJsonIsScriptSafeAndComplete) {
  const Analysis a = MakeFixtureAnalysis();
  const std::string text = EmbeddedJson(Render(a));
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.find('<'), std::string::npos);
  const nlohmann::json j = nlohmann::json::parse(text);
  EXPECT_EQ(j["verdict"], "leak");
  ASSERT_EQ(j["sites"].size(), a.sites.size());
  EXPECT_EQ(j["sites"][3]["top_frame"], "<script>alert(1)</script>");
}

TEST(ReportHtmlTest, SelfContained) {
  const std::string html = Render(MakeFixtureAnalysis());
  EXPECT_TRUE(Has(html, "<!DOCTYPE html>"));
  EXPECT_TRUE(Has(html, "Content-Security-Policy"));
  EXPECT_TRUE(Has(html, "default-src 'none'"));
  for (const char* remote :
       {"http://", "https://", "//cdn", "<link", "@import", "url("}) {
    EXPECT_FALSE(Has(html, remote)) << remote;
  }
}

TEST(ReportHtmlTest, HeaderSaysVerdictReasonKindAndCommand) {
  const Analysis a = MakeFixtureAnalysis();
  const std::string html = Render(a);
  EXPECT_TRUE(Has(html, "<header class=\"verdict leak\">"));
  EXPECT_TRUE(Has(html, "Leak found"));
  EXPECT_TRUE(Has(html, HtmlEscape(a.reason)));
  EXPECT_TRUE(Has(html, HtmlEscape(GrowthKindSentence(a.kind))));
  EXPECT_TRUE(Has(html, HtmlEscape(a.command)));
  EXPECT_TRUE(Has(html, "<title>jleak report: leak</title>"));

  Analysis clean = a;
  clean.verdict = Verdict::kClean;
  EXPECT_TRUE(Has(Render(clean), "<header class=\"verdict clean\">"));
  Analysis inconclusive = a;
  inconclusive.verdict = Verdict::kInconclusive;
  EXPECT_TRUE(
      Has(Render(inconclusive), "<header class=\"verdict inconclusive\">"));
}

TEST(ReportHtmlTest, SitesTableMarksSuppressedAndOverBudget) {
  const std::string html = Render(MakeFixtureAnalysis());
  EXPECT_EQ(Count(html, "<tr class=\"site"), 6u);
  EXPECT_EQ(Count(html, "<tr class=\"site over\">"), 2u);
  EXPECT_EQ(Count(html, "<tr class=\"site suppressed\">"), 1u);
  EXPECT_TRUE(Has(html, "libjvm.so:CodeCache::.*"));
  EXPECT_TRUE(Has(html, "id=\"show-suppressed\""));
  // The rate with its interval, the p-value.
  EXPECT_TRUE(Has(html, "100.0 KiB/s"));
  EXPECT_TRUE(Has(html, "97.0 KiB/s to 103.0 KiB/s"));
  EXPECT_TRUE(Has(html, "&lt; 0.001"));
  // Callers below the top frame; the rest counted.
  EXPECT_TRUE(Has(html, "jleak.leakers.JniMalloc.allocate(I)J"));
  EXPECT_TRUE(Has(html, "4 more frames"));
}

TEST(ReportHtmlTest, SitesTableLimitKeepsOverBudgetSites) {
  FixtureOptions fo;
  fo.extra_sites = 40;
  Analysis a = MakeFixtureAnalysis(fo);
  a.sites[45].over_budget = true;
  HtmlReportOptions options;
  options.max_sites = 10;
  const std::string html = Render(a, options);
  EXPECT_EQ(Count(html, "<tr class=\"site"), 11u);
  EXPECT_TRUE(Has(html, "<td class=\"rank\">46</td>"));
  EXPECT_TRUE(Has(html, "35 more sites"));
}

TEST(ReportHtmlTest, TimelinePlotsWhenTimelinePresent) {
  const std::string html = Render(MakeFixtureAnalysis());
  for (const char* id : {"plot-rss", "plot-jemalloc", "plot-direct",
                         "plot-threads", "plot-sites"}) {
    EXPECT_TRUE(Has(html, absl::StrCat("id=\"", id, "\""))) << id;
  }
  EXPECT_EQ(Count(html, "<svg class=\"plot\""), 5u);
  // Warm-up shaded in each plot.
  EXPECT_EQ(Count(html, "<rect class=\"warmup\""), 5u);
  // The profiled heap is drawn beside jemalloc's counters, not alone.
  EXPECT_FALSE(Has(html, "id=\"plot-heap\""));
  EXPECT_TRUE(Has(html, "data-name=\"profiled heap\""));
  EXPECT_FALSE(Has(html, "id=\"no-timeline\""));
  // The per-site plot: the top 5 unsuppressed sites (the suppressed
  // CodeCache site is left out).
  const size_t begin = html.find("id=\"plot-sites\"");
  const std::string sites_plot =
      html.substr(begin, html.find("</svg>", begin) - begin);
  EXPECT_EQ(Count(sites_plot, "<g class=\"series\""), 5u);
  EXPECT_FALSE(Has(sites_plot, "CodeCache"));
  // Signals table.
  EXPECT_TRUE(Has(html, "<table class=\"signals\">"));
}

TEST(ReportHtmlTest, NoTimelineIsGraceful) {
  FixtureOptions fo;
  fo.timeline = false;
  const std::string html = Render(MakeFixtureAnalysis(fo));
  EXPECT_TRUE(Has(html, "id=\"no-timeline\""));
  EXPECT_FALSE(Has(html, "id=\"plot-rss\""));
  EXPECT_FALSE(Has(html, "id=\"plot-direct\""));
  EXPECT_FALSE(Has(html, "<table class=\"signals\">"));
  // The profiles alone still give the heap total and the sites.
  EXPECT_TRUE(Has(html, "id=\"plot-heap\""));
  EXPECT_TRUE(Has(html, "id=\"plot-sites\""));
}

TEST(ReportHtmlTest, MissingSignalsHaveNoPlot) {
  Analysis a = MakeFixtureAnalysis();
  for (TimelinePoint& p : a.timeline) {
    p.direct_buffer_bytes.reset();
    p.threads.reset();
  }
  const std::string html = Render(a);
  EXPECT_TRUE(Has(html, "id=\"plot-rss\""));
  EXPECT_FALSE(Has(html, "id=\"plot-direct\""));
  EXPECT_FALSE(Has(html, "id=\"plot-threads\""));
}

TEST(ReportHtmlTest, IcicleGraphOfGrownStacks) {
  const Analysis a = MakeFixtureAnalysis();
  const std::string html = Render(a);
  ASSERT_TRUE(Has(html, "<svg class=\"flame\" id=\"flame\""));
  EXPECT_TRUE(Has(html, "data-n=\"all growth\""));
  // Roots are the outermost frames (last in NamedStack.frames).
  EXPECT_TRUE(Has(html, "data-d=\"1\" data-n=\"start_thread\""));
  EXPECT_TRUE(Has(
      html, "data-d=\"8\" data-n=\"Java_jleak_leakers_JniMalloc_allocate\""));
  // The shrinking stack is not drawn.
  EXPECT_FALSE(Has(html, "data-n=\"ZIP_Put_In_Cache0\""));
  // The graph leak's two JNI callers are two branches.
  EXPECT_EQ(Count(html, "data-n=\"graph::Node&lt;"), 2u);
  EXPECT_TRUE(Has(html, "between snapshot 2 and 12"));
}

TEST(ReportHtmlTest, IcicleGraphNodeLimit) {
  Analysis a;
  for (int i = 0; i < 2000; ++i) {
    NamedStack s;
    NamedFrame leaf, mid, root;
    leaf.function = absl::StrCat("leaf", i);
    mid.function = absl::StrCat("mid", i % 50);
    root.function = "root";
    s.frames = {leaf, mid, root};
    s.counts.bytes = 1000 + i;
    a.growth_profile.stacks.push_back(s);
  }
  HtmlReportOptions options;
  options.max_flame_nodes = 100;
  const std::string html = Render(a, options);
  const size_t nodes = Count(html, "<g class=\"fn\"");
  EXPECT_GT(nodes, 50u);
  EXPECT_LE(nodes, 100u);
  // The widest (and the tree above them) are kept.
  EXPECT_TRUE(Has(html, "data-n=\"root\""));
  EXPECT_TRUE(Has(html, "data-n=\"leaf1999\""));
  EXPECT_FALSE(Has(html, "data-n=\"leaf0\""));
}

TEST(ReportHtmlTest, EmptyAnalysisStillRenders) {
  const std::string html = Render(Analysis());
  EXPECT_TRUE(Has(html, "<header class=\"verdict inconclusive\">"));
  EXPECT_TRUE(Has(html, "No allocation sites."));
  EXPECT_TRUE(Has(html, "No stack grew"));
  EXPECT_FALSE(Has(html, "<svg class=\"plot\""));
  EXPECT_TRUE(Has(html, "</html>"));
}

TEST(ReportHtmlTest, NonFiniteNumbersRenderAsInfinityOrNa) {
  Analysis a = MakeFixtureAnalysis();
  a.time_source = TimeSource::kSequence;
  a.sites[0].growth.slope_low = -std::numeric_limits<double>::infinity();
  a.sites[0].growth.slope_high = std::numeric_limits<double>::infinity();
  a.sites[0].growth.p_value = std::numeric_limits<double>::quiet_NaN();
  a.sites[1].bytes[3] = std::numeric_limits<double>::quiet_NaN();
  const std::string html = Render(a);
  EXPECT_TRUE(Has(html, "\xE2\x88\x92\xE2\x88\x9E to +\xE2\x88\x9E"));
  EXPECT_FALSE(Has(html, "inf "));
  EXPECT_FALSE(Has(html, "nan"));
  EXPECT_FALSE(Has(html, "NaN"));
  EXPECT_TRUE(Has(html, "/snapshot"));
  EXPECT_TRUE(Has(html, "rates are per snapshot"));
}

TEST(ReportHtmlTest, TinyTimeSpansReadable) {
  // Production profiles whose mtimes were lost: microseconds apart.
  FixtureOptions fo;
  fo.timeline = false;
  Analysis a = MakeFixtureAnalysis(fo);
  for (SnapshotInfo& s : a.snapshots) s.time_seconds *= 1e-6;
  a.warmup_seconds *= 1e-6;
  std::string html = Render(a);
  const std::string json = EmbeddedJson(html);
  html.erase(html.find(json), json.size());
  EXPECT_TRUE(Has(html, "microseconds since the first snapshot"));
  EXPECT_TRUE(Has(html, "warm-up 20 \xC2\xB5s"));
  EXPECT_FALSE(Has(html, "e-0")) << "scientific notation in the page";
}

TEST(ReportHtmlTest, Deterministic) {
  FixtureOptions fo;
  fo.extra_sites = 5;
  const std::string first = Render(MakeFixtureAnalysis(fo));
  const std::string second = Render(MakeFixtureAnalysis(fo));
  EXPECT_TRUE(first == second);
  EXPECT_GT(first.size(), 10000u);
}

TEST(ReportHtmlTest, StreamFailureIsAnError) {
  std::ostringstream out;
  out.setstate(std::ios::badbit);
  EXPECT_FALSE(WriteHtmlReport(MakeFixtureAnalysis(), out).ok());
}

}  // namespace
}  // namespace jleak
