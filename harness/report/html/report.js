// File: report.js
//
// Draws jleak's HTML report (report.html) from the two JSON texts in the
// page: #jleak-data, the JSON report (harness/report/report_schema.md), and
// #jleak-page, the page model (schema at the top of report_html.cc: the
// table's rows, the plots' points, the icicle graph's laid-out frames).
//
// The report's script is eight files, each inlined by WriteHtmlReport as
// a script element of its own, in this order (report.html lists them):
//
//   dom.js       el() and svgEl(): the only way anything enters the DOM
//   format.js    numbers for people and the plots' axes (no DOM)
//   summary.js   verdict header, summary cards, warnings, snapshots, footer
//   sites.js     the sites table
//   timeline.js  the timeline plots and the process signals table
//   memory.js    where RSS went: classes stacked over time, their tables
//   flame.js     the icicle graph
//   report.js    this file: reads the data, draws each part, marks the end
//
// Each is an IIFE that exports one frozen global object (`jleakDom`,
// `jleakFormat`, ...) which the later ones read: plain modern JS, no build
// step, no module loader, no request of any kind (the page's
// Content-Security-Policy allows inline scripts only).
//
// Every string from the analysis reaches the DOM through textContent or
// setAttribute (el() and svgEl() of dom.js), never as markup: function
// names are C++ templates full of <, > and &, and a name may be hostile.
//
// When done, <body> carries data-jleak-ready="1" (or "failed" when a part
// could not be drawn; the error is on the console), read by the
// headless-Chromium check (report_html_browser_test.sh). The formatting
// and axis helpers are exported as the global `jleakReport` for that
// check's unit tests (report_html_browser_test.js).

const jleakReport = (() => {
  'use strict';

  const {el} = jleakDom;
  const {drawHeader, drawSummary, drawWarnings, drawSnapshots, drawFooter} =
      jleakSummary;
  const {drawSites} = jleakSites;
  const {drawTimeline} = jleakTimeline;
  const {drawMemory} = jleakMemory;
  const {drawFlame} = jleakFlame;

  function readJson(id) {
    return JSON.parse(document.getElementById(id).textContent);
  }

  // draw: each part on its own, so that one failing (a bug, or data this
  // script does not expect) leaves the rest of the report readable.
  function draw() {
    let data;
    let model;
    try {
      data = readJson('jleak-data');
      model = readJson('jleak-page');
    } catch (e) {
      console.error(`jleak: the embedded report data is unreadable: ${e}`);
      document.body.setAttribute('data-jleak-ready', 'failed');
      return;
    }
    const perSnapshot = data.rate_unit === 'per_snapshot';
    const start = data.snapshots.length ? data.snapshots[0].time_seconds : 0;
    // What every part reads besides the JSON report: the page model,
    // whether times are snapshot numbers (no clock was known), the suffix
    // of rates and the end of the warm-up on the time axis.
    const ctx = {
      model,
      perSnapshot,
      rateSuffix: perSnapshot ? '/snapshot' : '/s',
      warmupEnd: start + data.warmup_seconds,
    };
    const parts = [
      ['verdict', drawHeader], ['summary', drawSummary], ['sites', drawSites],
      ['timeline', drawTimeline], ['memory', drawMemory],
      ['flamegraph', drawFlame],
      ['warnings', drawWarnings], ['snapshots', drawSnapshots],
      ['footer', drawFooter]
    ];
    let failed = 0;
    for (const [id, drawPart] of parts) {
      const node = document.getElementById(id);
      try {
        drawPart(data, ctx, node);
      } catch (e) {
        ++failed;
        console.error(`jleak: cannot draw #${id}: ${e && e.stack || e}`);
        node.append(
            el('p', {class: 'note'},
               `This part of the report could not be drawn: ${e}`));
      }
    }
    document.body.setAttribute('data-jleak-sites', String(data.sites.length));
    document.body.setAttribute('data-jleak-verdict', String(data.verdict));
    document.body.setAttribute('data-jleak-ready', failed ? 'failed' : '1');
  }

  draw();

  // For the unit tests of report_html_browser_test.js: the formatting and
  // axis helpers (all of format.js's) and the icicle graph's label cutter.
  return Object.freeze({...jleakFormat, flameLabel: jleakFlame.flameLabel});
})();
