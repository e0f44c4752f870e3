// File: report_html_test.cc
//
// The HTML report's C++ side, without a browser: escaping, the two JSON
// texts (the JSON report and the page model) safe inside <script>, the
// page's placeholders all filled and its embedded files free of anything
// that would break out of their elements or reach the network, the page
// model of the fixture (which sites are rows and which are folded, the
// plots and their points, the icicle graph's frames and limits), and
// byte-for-byte determinism. How the page is drawn from that data is
// checked in headless Chromium by //harness/report:report_html_browser_test.

#include "harness/report/report_html.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "harness/report/report_html_assets.h"
#include "harness/testing/html_report_fixture.h"
#include "nlohmann/json.hpp"

namespace jleak {
namespace {

using nlohmann::json;

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

bool Has(std::string_view text, std::string_view needle) {
  return text.find(needle) != std::string_view::npos;
}

struct Script {
  const char* placeholder;
  std::string_view text;
};

// kScripts: the files of the page's script, each inlined as a <script> of
// its own, in the order they must run: each reads the globals of those
// before it.
const Script kScripts[] = {
    {"dom_js", report_assets::kDomJs},
    {"format_js", report_assets::kFormatJs},
    {"summary_js", report_assets::kSummaryJs},
    {"sites_js", report_assets::kSitesJs},
    {"timeline_js", report_assets::kTimelineJs},
    {"memory_js", report_assets::kMemoryJs},
    {"flame_js", report_assets::kFlameJs},
    {"report_js", report_assets::kReportJs},
};

// ScriptText: the text of <script type="application/json" id="`id`">.
std::string ScriptText(const std::string& html, const std::string& id) {
  const std::string open =
      absl::StrCat("<script type=\"application/json\" id=\"", id, "\">");
  const size_t begin = html.find(open);
  if (begin == std::string::npos) return "";
  const size_t from = begin + open.size();
  return html.substr(from, html.find("</script>", from) - from);
}

json Data(const std::string& html) {
  return json::parse(ScriptText(html, "jleak-data"));
}

json Model(const std::string& html) {
  return json::parse(ScriptText(html, "jleak-page"));
}

std::vector<int> Ranks(const json& array) {
  return array.get<std::vector<int>>();
}

// Plot: the plot of the page model with this id, or null.
json Plot(const json& model, const std::string& id) {
  for (const json& p : model["plots"]) {
    if (p["id"] == id) return p;
  }
  return nullptr;
}

std::vector<std::string> PlotIds(const json& model) {
  std::vector<std::string> ids;
  for (const json& p : model["plots"])
    ids.push_back(p["id"].get<std::string>());
  return ids;
}

// The SVG namespace is an identifier, not an address anything fetches.
std::string WithoutSvgNamespace(std::string text) {
  const std::string ns = "http://www.w3.org/2000/svg";
  for (size_t at = text.find(ns); at != std::string::npos;
       at = text.find(ns, at)) {
    text.erase(at, ns.size());
  }
  return text;
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
  const std::string text = R"({"f":"</script><script>alert(1)</script>&"})";
  const std::string safe = ScriptSafeJson(text);
  EXPECT_EQ(safe.find('<'), std::string::npos);
  EXPECT_EQ(safe.find('>'), std::string::npos);
  EXPECT_EQ(safe.find('&'), std::string::npos);
  // Still the same JSON value.
  EXPECT_EQ(json::parse(safe), json::parse(text));
  EXPECT_EQ(ScriptSafeJson("\"\xE2\x80\xA8\xE2\x80\xA9\""),
            "\"\\u2028\\u2029\"");
}

TEST(FillHtmlTemplateTest, FillsEveryPlaceholderInOnePass) {
  const absl::StatusOr<std::string> out = FillHtmlTemplate(
      "<p>{{a}} and {{b_c}}, {{a}}</p>", {{"a", "x{{b_c}}"}, {"b_c", "y"}});
  ASSERT_TRUE(out.ok()) << out.status();
  // A value is not searched for placeholders: data cannot inject one.
  EXPECT_EQ(*out, "<p>x{{b_c}} and y, x{{b_c}}</p>");
  EXPECT_EQ(*FillHtmlTemplate("no placeholder", {}), "no placeholder");
}

TEST(FillHtmlTemplateTest, PageAndCodeOutOfStepFail) {
  EXPECT_FALSE(FillHtmlTemplate("{{a}} {{b}}", {{"a", "1"}}).ok());
  EXPECT_FALSE(FillHtmlTemplate("{{a}}", {{"a", "1"}, {"b", "2"}}).ok());
  EXPECT_FALSE(FillHtmlTemplate("{{ a }}", {{"a", "1"}}).ok());
  EXPECT_FALSE(FillHtmlTemplate("{{a", {{"a", "1"}}).ok());
  EXPECT_FALSE(FillHtmlTemplate("{{A}}", {{"a", "1"}}).ok());
}

// The embedded files as the build put them into the library.
TEST(ReportAssetsTest, TemplateHasExactlyThePlaceholdersFilled) {
  const absl::string_view page(report_assets::kReportHtml.data(),
                               report_assets::kReportHtml.size());
  std::vector<std::pair<absl::string_view, absl::string_view>> values = {
      {"title", "T"}, {"css", "C"}, {"data", "D"}, {"page", "P"}};
  for (const Script& s : kScripts) values.push_back({s.placeholder, "S"});
  const absl::StatusOr<std::string> filled = FillHtmlTemplate(page, values);
  ASSERT_TRUE(filled.ok()) << filled.status();
  EXPECT_TRUE(Has(*filled, "<title>T</title>"));
  EXPECT_TRUE(Has(*filled,
                  "<script type=\"application/json\" "
                  "id=\"jleak-data\">D</script>"));
  EXPECT_TRUE(Has(*filled,
                  "<script type=\"application/json\" "
                  "id=\"jleak-page\">P</script>"));
  EXPECT_TRUE(Has(*filled, "<style>\nC\n</style>"));
  EXPECT_EQ(Count(*filled, "<script>\nS\n</script>"), std::size(kScripts));
}

TEST(ReportAssetsTest, NothingBreaksOutOfItsElementOrLeavesThePage) {
  const std::string css = absl::AsciiStrToLower(std::string(
      report_assets::kReportCss.data(), report_assets::kReportCss.size()));
  std::string js;
  for (const Script& s : kScripts) {
    const std::string text = absl::AsciiStrToLower(std::string(s.text));
    ASSERT_GT(text.size(), 1000u) << s.placeholder;
    // Inlined in a <script>: a closing tag would end it.
    EXPECT_FALSE(Has(text, "</script")) << s.placeholder;
    EXPECT_FALSE(Has(text, "<!--")) << s.placeholder;
    js += text;
  }
  ASSERT_GT(css.size(), 1000u);
  // Inlined in <style>: its closing tag would end it.
  EXPECT_FALSE(Has(css, "</style"));
  // The page must open offline.
  for (const std::string& text : {css, WithoutSvgNamespace(js)}) {
    for (const char* remote : {"http:", "https:", "//cdn", "@import", "url(",
                               "fetch(", "xmlhttprequest", "websocket"}) {
      EXPECT_FALSE(Has(text, remote)) << remote;
    }
  }
  // Data reaches the DOM as text: nothing that parses markup or code.
  for (const char* sink : {"innerhtml", "outerhtml", "insertadjacenthtml",
                           "document.write", "eval(", "new function"}) {
    EXPECT_FALSE(Has(js, sink)) << sink;
  }
}

TEST(ReportHtmlTest, PlaceholdersAllFilled) {
  const std::string html = Render(MakeFixtureAnalysis());
  for (const char* name : {"title", "css", "data", "page"}) {
    EXPECT_FALSE(Has(html, absl::StrCat("{{", name, "}}"))) << name;
  }
  EXPECT_TRUE(Has(html, std::string(report_assets::kReportCss)));
  // Every file of the script, in its order.
  size_t at = 0;
  for (const Script& s : kScripts) {
    EXPECT_FALSE(Has(html, absl::StrCat("{{", s.placeholder, "}}")));
    const size_t found =
        html.find("<script>\n" + std::string(s.text) + "\n</script>", at);
    ASSERT_NE(found, std::string::npos) << s.placeholder << " missing or early";
    at = found + s.text.size();
  }
  EXPECT_TRUE(Has(html, "<title>jleak report: leak</title>"));
  EXPECT_TRUE(Has(html, "</html>"));
}

TEST(ReportHtmlTest, HostileNamesNeverAppearRaw) {
  HtmlReportOptions options;
  options.title = "<b>x</b> & \"y\"";
  const std::string html = Render(MakeFixtureAnalysis(), options);
  EXPECT_FALSE(Has(html, "<script>alert"));
  EXPECT_FALSE(Has(html, "<img"));
  EXPECT_FALSE(Has(html, "</script><b>"));
  // Quotes are harmless inside the JSON texts, which keep them; elsewhere
  // the only data is the escaped title.
  EXPECT_TRUE(Has(html,
                  "<title>&lt;b&gt;x&lt;/b&gt; &amp; &quot;y&quot;: "
                  "leak</title>"));
  // Only the page's own script elements open and close: the two JSON texts
  // and the files of the script.
  EXPECT_EQ(Count(html, "<script"), 2 + std::size(kScripts));
  EXPECT_EQ(Count(html, "</script>"), 2 + std::size(kScripts));
  // The names are in both JSON texts, escaped for <script>.
  EXPECT_TRUE(Has(ScriptText(html, "jleak-data"),
                  "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e"));
  EXPECT_TRUE(Has(ScriptText(html, "jleak-page"),
                  "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e"));
}

TEST(ReportHtmlTest, EmbeddedJsonIsScriptSafeAndComplete) {
  const Analysis a = MakeFixtureAnalysis();
  const std::string html = Render(a);
  for (const char* id : {"jleak-data", "jleak-page"}) {
    const std::string text = ScriptText(html, id);
    ASSERT_FALSE(text.empty()) << id;
    EXPECT_EQ(text.find('<'), std::string::npos) << id;
    EXPECT_EQ(text.find('&'), std::string::npos) << id;
  }
  const json data = Data(html);
  EXPECT_EQ(data["verdict"], "leak");
  ASSERT_EQ(data["sites"].size(), a.sites.size());
  EXPECT_EQ(data["sites"][3]["top_frame"], "<script>alert(1)</script>");
  const json model = Model(html);
  EXPECT_EQ(model["caller_frames"], 3);
}

TEST(ReportHtmlTest, SelfContained) {
  const std::string html = Render(MakeFixtureAnalysis());
  EXPECT_TRUE(Has(html, "<!DOCTYPE html>"));
  EXPECT_TRUE(Has(html, "Content-Security-Policy"));
  EXPECT_TRUE(Has(html, "default-src 'none'"));
  const std::string page = WithoutSvgNamespace(html);
  for (const char* remote :
       {"http://", "https://", "//cdn", "<link", "@import", "url("}) {
    EXPECT_FALSE(Has(page, remote)) << remote;
  }
}

// Rows: the sites that grew (or are over budget, or likely), suppressed
// ones included; the rest folded.
TEST(ReportHtmlTest, SitesThatDidNotGrowAreFolded) {
  const Analysis a = MakeFixtureAnalysis();
  const json sites = Model(Render(a))["sites"];
  // JNI, C++ template, suppressed CodeCache, hostile, Java direct buffer.
  EXPECT_EQ(Ranks(sites["rows"]), (std::vector<int>{0, 1, 2, 3, 6}));
  // The flat Arena and the shrinking zip site.
  EXPECT_EQ(Ranks(sites["not_grown"]), (std::vector<int>{4, 5}));
  EXPECT_EQ(sites["not_grown_count"], 2);
  EXPECT_EQ(sites["more_growing"], 0);
  EXPECT_TRUE(a.sites[2].suppressed);
  EXPECT_EQ(a.sites[4].growth.growth, 0);
  EXPECT_LT(a.sites[5].growth.growth, 0);
}

TEST(ReportHtmlTest, SitesTableLimitKeepsOverBudgetSites) {
  FixtureOptions fo;
  fo.extra_sites = 40;
  Analysis a = MakeFixtureAnalysis(fo);
  a.sites[45].over_budget = true;  // flat, but over budget: evidence
  HtmlReportOptions options;
  options.max_sites = 10;
  const std::string html = Render(a, options);
  const json sites = Model(html)["sites"];
  EXPECT_EQ(Ranks(sites["rows"]), (std::vector<int>{0, 1, 2, 3, 6, 45}));
  EXPECT_EQ(Ranks(sites["not_grown"]), (std::vector<int>{4, 5, 7, 8, 9}));
  EXPECT_EQ(sites["not_grown_count"], 41);
  EXPECT_EQ(sites["more_growing"], 0);
}

TEST(ReportHtmlTest, GrowingSitesBeyondTheLimitAreCounted) {
  FixtureOptions fo;
  fo.extra_sites = 20;
  Analysis a = MakeFixtureAnalysis(fo);
  for (size_t i = 7; i < a.sites.size(); ++i) a.sites[i].growth.growth = 1000;
  HtmlReportOptions options;
  options.max_sites = 10;
  const json sites = Model(Render(a, options))["sites"];
  EXPECT_EQ(Ranks(sites["rows"]), (std::vector<int>{0, 1, 2, 3, 6, 7, 8, 9}));
  EXPECT_EQ(sites["more_growing"], 17);  // sites 10..26
  EXPECT_EQ(sites["not_grown_count"], 2);
}

// The table is drawn from the embedded JSON report: every row and folded
// site must be in it, even when json_max_sites is smaller than max_sites.
TEST(ReportHtmlTest, EmbeddedJsonHoldsEverySiteOfTheTable) {
  FixtureOptions fo;
  fo.extra_sites = 40;
  const Analysis a = MakeFixtureAnalysis(fo);
  for (size_t max_sites : {0, 10, 30}) {
    HtmlReportOptions options;
    options.max_sites = max_sites;
    options.json_max_sites = 5;
    const std::string html = Render(a, options);
    std::set<int> in_json;
    const json data = Data(html);  // outlives the loop over its sites
    for (const json& s : data["sites"]) {
      in_json.insert(s["rank"].get<int>());
    }
    const json sites = Model(html)["sites"];
    size_t shown = 0;
    for (const char* list : {"rows", "not_grown"}) {
      for (int rank : Ranks(sites[list])) {
        EXPECT_TRUE(in_json.count(rank)) << max_sites << " " << rank;
        ++shown;
      }
    }
    EXPECT_EQ(shown, max_sites == 0 ? a.sites.size() : max_sites);
  }
  HtmlReportOptions options;
  options.max_sites = 3;
  options.json_max_sites = 20;
  EXPECT_EQ(Data(Render(a, options))["sites"].size(), 20u);
}

TEST(ReportHtmlTest, TimelinePlotsWhenTimelinePresent) {
  const Analysis a = MakeFixtureAnalysis();
  const json model = Model(Render(a));
  EXPECT_EQ(PlotIds(model),
            (std::vector<std::string>{"plot-sites", "plot-rss", "plot-jemalloc",
                                      "plot-direct", "plot-threads"}));
  // The per-site plot: 5 unsuppressed sites, those that grew first (the
  // suppressed CodeCache site is left out).
  const json sites = Plot(model, "plot-sites");
  EXPECT_EQ(sites["unit"], "bytes");
  std::vector<int> ranks;
  for (const json& s : sites["series"]) {
    EXPECT_EQ(s["key"], "site");
    EXPECT_EQ(s["name"], a.sites[s["rank"].get<int>()].top_frame);
    EXPECT_EQ(s["points"].size(), a.snapshots.size());
    ranks.push_back(s["rank"].get<int>());
  }
  EXPECT_EQ(ranks, (std::vector<int>{0, 1, 3, 6, 4}));
  // A point: seconds since the first snapshot, bytes.
  EXPECT_EQ(sites["series"][0]["points"][2],
            json::array({a.snapshots[2].time_seconds,
                         std::llround(a.sites[0].bytes[2])}));
  // Timeline signals at the timeline's points.
  const json rss = Plot(model, "plot-rss");
  ASSERT_EQ(rss["series"].size(), 1u);
  EXPECT_EQ(rss["series"][0]["key"], "rss");
  EXPECT_EQ(rss["series"][0]["points"].size(), a.timeline.size());
  // The profiled heap is drawn beside jemalloc's counters, not alone.
  std::vector<std::string> keys;
  const json jemalloc = Plot(model, "plot-jemalloc");
  for (const json& s : jemalloc["series"]) {
    keys.push_back(s["key"].get<std::string>());
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"allocated", "resident", "heap"}));
  EXPECT_EQ(Plot(model, "plot-threads")["unit"], "count");
}

TEST(ReportHtmlTest, NoTimelineIsGraceful) {
  FixtureOptions fo;
  fo.timeline = false;
  const json model = Model(Render(MakeFixtureAnalysis(fo)));
  // The profiles alone still give the heap total and the sites.
  EXPECT_EQ(PlotIds(model),
            (std::vector<std::string>{"plot-sites", "plot-heap"}));
  EXPECT_EQ(Plot(model, "plot-heap")["series"][0]["key"], "heap");
}

TEST(ReportHtmlTest, MissingSignalsHaveNoPlot) {
  Analysis a = MakeFixtureAnalysis();
  for (TimelinePoint& p : a.timeline) {
    p.direct_buffer_bytes.reset();
    p.threads.reset();
  }
  EXPECT_EQ(
      PlotIds(Model(Render(a))),
      (std::vector<std::string>{"plot-sites", "plot-rss", "plot-jemalloc"}));
}

TEST(ReportHtmlTest, NonFiniteNumbersLeftOutOrNull) {
  Analysis a = MakeFixtureAnalysis();
  a.time_source = TimeSource::kSequence;
  a.sites[0].growth.slope_low = -std::numeric_limits<double>::infinity();
  a.sites[0].growth.slope_high = std::numeric_limits<double>::infinity();
  a.sites[0].growth.p_value = std::numeric_limits<double>::quiet_NaN();
  a.sites[1].bytes[3] = std::numeric_limits<double>::quiet_NaN();
  a.timeline[4].rss_bytes = std::numeric_limits<double>::infinity();
  const std::string html = Render(a);
  for (const char* id : {"jleak-data", "jleak-page"}) {
    EXPECT_FALSE(Has(ScriptText(html, id), "NaN")) << id;
    EXPECT_FALSE(Has(ScriptText(html, id), "Infinity")) << id;
  }
  const json data = Data(html);
  EXPECT_EQ(data["rate_unit"], "per_snapshot");
  EXPECT_TRUE(data["sites"][0]["bytes_per_second_low"].is_null());
  const json model = Model(html);
  const json sites = Plot(model, "plot-sites");
  EXPECT_EQ(sites["series"][1]["points"].size(), a.snapshots.size() - 1);
  EXPECT_EQ(Plot(model, "plot-rss")["series"][0]["points"].size(),
            a.timeline.size() - 1);
}

TEST(ReportHtmlTest, InvalidUtf8InNamesIsReplaced) {
  Analysis a = MakeFixtureAnalysis();
  a.sites[0].top_frame = "bad\xFF\xFEname";
  a.growth_profile.stacks[0].frames[0].function = "bad\xC3";
  const std::string html = Render(a);
  EXPECT_NO_THROW(Data(html));
  EXPECT_NO_THROW(Model(html));
}

// The icicle graph's frames, laid out depth-first, root first.
TEST(ReportHtmlTest, IcicleGraphOfGrownStacks) {
  const Analysis a = MakeFixtureAnalysis();
  const json flame = Model(Render(a))["flame"];
  const json& nodes = flame["nodes"];
  ASSERT_GT(nodes.size(), 10u);
  EXPECT_EQ(nodes[0]["depth"], 0);
  EXPECT_EQ(nodes[0]["x"], 0.0);
  EXPECT_EQ(nodes[0]["w"], 1.0);
  // 10 + 2 + 1 MiB + 500 + 250 + 96 KiB; the shrinking stack is left out.
  EXPECT_EQ(flame["total"], 13 * 1048576 + 846 * 1024);
  EXPECT_EQ(nodes[0]["bytes"], flame["total"]);
  size_t graph_nodes = 0;
  bool start_thread = false, jni = false;
  for (const json& n : nodes) {
    const std::string name = n["name"];
    EXPECT_NE(name, "ZIP_Put_In_Cache0");
    // Roots are the outermost frames (last in NamedStack.frames).
    if (name == "start_thread") start_thread = n["depth"] == 1;
    if (name == "Java_jleak_leakers_JniMalloc_allocate") jni = n["depth"] == 8;
    if (name.rfind("graph::Node<", 0) == 0) ++graph_nodes;
  }
  EXPECT_TRUE(start_thread);
  EXPECT_TRUE(jni);
  // The graph leak's two JNI callers are two branches.
  EXPECT_EQ(graph_nodes, 2u);
  // Every frame lies within its parent: the last frame before it one
  // level up, depth-first.
  std::vector<json> path = {nodes[0]};
  for (size_t i = 1; i < nodes.size(); ++i) {
    const json& n = nodes[i];
    const int depth = n["depth"];
    ASSERT_GE(depth, 1);
    ASSERT_LE(static_cast<size_t>(depth), path.size());
    path.resize(depth);
    const json& parent = path.back();
    EXPECT_GE(n["x"].get<double>(), parent["x"].get<double>() - 1e-6);
    EXPECT_LE(n["x"].get<double>() + n["w"].get<double>(),
              parent["x"].get<double>() + parent["w"].get<double>() + 2e-6);
    EXPECT_LE(n["bytes"].get<double>(), parent["bytes"].get<double>());
    path.push_back(n);
  }
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
  const json nodes = Model(Render(a, options))["flame"]["nodes"];
  EXPECT_GT(nodes.size(), 50u);
  EXPECT_LE(nodes.size(), 100u);
  // The widest (and the tree above them) are kept.
  std::set<std::string> names;
  for (const json& n : nodes) names.insert(n["name"].get<std::string>());
  EXPECT_TRUE(names.count("root"));
  EXPECT_TRUE(names.count("leaf1999"));
  EXPECT_FALSE(names.count("leaf0"));
}

TEST(ReportHtmlTest, EmptyAnalysisStillRenders) {
  const std::string html = Render(Analysis());
  EXPECT_TRUE(Has(html, "<title>jleak report: inconclusive</title>"));
  EXPECT_TRUE(Has(html, "</html>"));
  EXPECT_EQ(Data(html)["verdict"], "inconclusive");
  const json model = Model(html);
  EXPECT_TRUE(model["sites"]["rows"].empty());
  EXPECT_TRUE(model["plots"].empty());
  EXPECT_TRUE(model["flame"]["nodes"].empty());
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
