// File: report_html_browser_test.js
//
// Checks of the HTML report that need its script to have run, executed in
// headless Chromium by report_html_browser_test.sh, which appends this
// file as an inline <script> to a copy of a fixture report (after the
// report's own scripts, html/*.js, whose helpers it reaches through the
// global `jleakReport` that report.js exports).
// Headless Chromium cannot click or wait, so this script does both, and
// writes its verdict where --dump-dom shows it:
//
//   <body data-jleak-selftest="ok" | "failed">
//   <pre id="jleak-selftest-log">one line per failed check</pre>
//
// What it checks: the DOM the report's scripts drew agrees with the data
// they were given (#jleak-data, #jleak-page): one table row per site row
// of the page model with that site's name as text, the folded sites, every
// plot with all its series and points, every frame of the icicle graph;
// zooming the icicle graph; the suppressed-sites switch; and the
// where RSS went (a band per class, a row per class, the groups that
// grew); formatting and axis helpers on cases the fixture does not reach
// (unbounded intervals, microsecond time spans).

(() => {
  'use strict';
  const failures = [];
  const check = (ok, what) => {
    if (!ok) failures.push(what);
  };
  const eq = (got, want, what) => {
    check(
        got === want,
        `${what}: got ${JSON.stringify(got)}, ` +
            `want ${JSON.stringify(want)}`);
  };
  const $ = (selector) => document.querySelector(selector);
  const $$ = (selector, root = document) =>
      Array.from(root.querySelectorAll(selector));

  function checkDrawing() {
    const data = JSON.parse($('#jleak-data').textContent);
    const model = JSON.parse($('#jleak-page').textContent);
    eq(document.body.getAttribute('data-jleak-ready'), '1', 'ready mark');

    // The verdict.
    check($(`header.verdict.${data.verdict}`), 'header of the verdict');
    eq($('header.verdict .reason').textContent, data.reason, 'reason');

    // Sites: rows of the table, then the folded ones, each named by its
    // top frame, as text.
    const byRank = new Map(data.sites.map((s) => [s.rank, s]));
    const mainRows = $$('#sites > table.sites > tbody > tr.site');
    eq(mainRows.map((tr) => Number(tr.dataset.rank)).join(),
       model.sites.rows.join(), 'ranks of the table rows');
    const foldedRows = $$('#not-grown table.sites > tbody > tr.site');
    eq(foldedRows.map((tr) => Number(tr.dataset.rank)).join(),
       model.sites.not_grown.join(), 'ranks of the folded rows');
    for (const tr of mainRows.concat(foldedRows)) {
      const site = byRank.get(Number(tr.dataset.rank));
      eq(tr.querySelector('.top').textContent, site.top_frame,
         `name of site ${site.rank}`);
      check(
          tr.classList.contains('over') === site.over_budget,
          `over-budget mark of site ${site.rank}`);
      check(
          tr.classList.contains('suppressed') === site.suppressed,
          `suppressed mark of site ${site.rank}`);
      check(
          tr.querySelector('svg.spark polyline'),
          `sparkline of site ${site.rank}`);
    }
    for (const tr of mainRows) {
      const site = byRank.get(Number(tr.dataset.rank));
      check(
          site.growth_bytes > 0 || site.over_budget || site.likely,
          `site ${site.rank} is a row but did not grow`);
    }
    for (const tr of foldedRows) {
      const site = byRank.get(Number(tr.dataset.rank));
      check(!(site.growth_bytes > 0), `site ${site.rank} grew but is folded`);
    }
    if (model.sites.not_grown_count > 0) {
      const summary = $('#not-grown > summary');
      check(
          summary &&
              summary.textContent.startsWith(
                  `${model.sites.not_grown_count} site`),
          'one summary line for the sites that did not grow');
      check(!$('#not-grown').open, 'the sites that did not grow are folded');
    } else {
      check(!$('#not-grown'), 'no folded line without such sites');
    }

    // Plots: every one of the model, every series, every point.
    eq($$('svg.plot:not(#plot-memory)').length, model.plots.length,
       'number of plots');
    for (const plot of model.plots) {
      const svg = document.getElementById(plot.id);
      check(svg && svg.matches('svg.plot'), `plot ${plot.id}`);
      if (!svg) continue;
      const lines = $$('g.series polyline', svg);
      eq(lines.length, plot.series.length, `series of ${plot.id}`);
      plot.series.forEach((s, k) => {
        const points = (lines[k] && lines[k].getAttribute('points') || '')
                           .split(' ')
                           .filter(Boolean);
        eq(points.length, s.points.length, `points of ${plot.id}[${k}]`);
        check(
            points.every((p) => /^-?[0-9.]+,-?[0-9.]+$/.test(p)),
            `coordinates of ${plot.id}[${k}] are numbers`);
      });
      eq($$('rect.warmup', svg).length, data.warmup_seconds > 0 ? 1 : 0,
         `warm-up shading of ${plot.id}`);
    }

    // The icicle graph: a frame per node, each a rect with a width.
    const frames = $$('#flame g.fn');
    eq(frames.length, model.flame.nodes.length, 'frames of the icicle graph');
    check(
        frames.every(
            (g) => Number(g.querySelector('rect').getAttribute('width')) > 0),
        'every frame has a width');
    model.flame.nodes.forEach((n, i) => {
      if (i > 0 && frames[i]) {
        eq(frames[i].dataset.n, n.name, `name of frame ${i}`);
      }
    });

    // No name of the analysis became markup.
    eq($$('img').length, 0, 'elements made from a hostile name');
    eq($$('script').length, 11,
       'script elements (the 2 JSON texts, the 8 files of the page\'s ' +
           'script, this one)');
  }

  // Where RSS went: a band of the stacked area per class, a row per class
  // named as the data names it, the groups that grew by name, as text; or
  // the reason nothing was recorded.
  function checkMemory() {
    const data = JSON.parse($('#jleak-data').textContent);
    const m = data.memory;
    if (!m.recorded) {
      eq($('#no-memory') && $('#no-memory').textContent, m.reason,
         'the reason nothing outside malloc was recorded');
      check(!$('#plot-memory'), 'no memory plot without memory files');
      return;
    }
    const bands = $$('#plot-memory polygon.band');
    eq(bands.map((b) => b.dataset.name).join(),
       m.classes.map((c) => c.name).join(), 'a band per class, in order');
    check(
        bands.every((b) => (b.getAttribute('points') || '')
                               .split(' ')
                               .every((p) => /^-?[0-9.]+,-?[0-9.]+$/.test(p))),
        'band coordinates are numbers');
    eq($$('#plot-memory rect.warmup').length, data.warmup_seconds > 0 ? 1 : 0,
       'warm-up shading of the memory plot');
    const rows = $$('#memory-classes tbody tr');
    eq(rows.map((tr) => tr.cells[0].textContent).join(),
       m.classes.map((c) => (c.over_budget ? `! ${c.label}` : c.label))
           .join(),
       'a row per class, over budget marked');
    const grownFiles = m.files.filter(
        (f) => (f.growth && f.growth.growth > 0) ||
            (f.mapping_growth && f.mapping_growth.growth > 0));
    eq($$('#memory-files tbody tr').map((tr) => tr.cells[0].textContent)
           .join('|'),
       grownFiles.map((f) => f.pattern).join('|'),
       'the file patterns that grew, as text');
    check(!$('#memory-threads'), 'no table of thread groups that did not grow');
    eq($('#memory-allocator') && $('#memory-allocator b').textContent,
       m.allocator.name, 'the allocator');
  }

  // Headless Chromium cannot click: do it here. Zoom into the widest frame
  // two levels down, check it fills the width, reset with the root.
  function checkZoom() {
    const frames = $$('#flame g.fn');
    if (!frames.length) return;
    const W = Number($('#flame').getAttribute('data-width'));
    const click = (g) => g.querySelector('rect').dispatchEvent(
        new MouseEvent('click', {bubbles: true}));
    const deep = frames.filter((g) => g.dataset.d === '2');
    check(deep.length > 0, 'frames two levels down');
    if (!deep.length) return;
    click(deep[0]);
    const width = Number(deep[0].querySelector('rect').getAttribute('width'));
    check(
        Math.abs(width - (W - 1)) < 0.2,
        `zoomed frame fills the width (${width} of ${W})`);
    const hidden = frames.filter((g) => g.style.display === 'none').length;
    check(deep.length < 2 || hidden > 0, 'zooming hides the other frames');
    click(frames[0]);
    check(
        frames.every((g) => g.style.display === ''),
        'clicking the root shows every frame again');
  }

  function checkSuppressedSwitch() {
    const box = $('#show-suppressed');
    if (!box) return;
    box.click();
    check(
        document.body.classList.contains('hide-suppressed'),
        'unticking hides the suppressed sites');
    box.click();
    check(
        !document.body.classList.contains('hide-suppressed'),
        'ticking shows them again');
  }

  function checkHelpers() {
    const r = jleakReport;
    eq(r.formatBytes(512), '512 B', 'bytes');
    eq(r.formatBytes(1536), '1.5 KiB', 'KiB');
    eq(r.formatBytes(-153600), '-150.0 KiB', 'negative KiB');
    eq(r.formatBytes(13.5 * 1024 ** 2), '13.5 MiB', 'MiB');
    eq(r.formatBytes(null), 'n/a', 'missing bytes');
    // The JSON report writes an unbounded confidence bound as null.
    eq(r.formatCi(null, null, '/s'), '\u2212\u221e to +\u221e',
       'unbounded interval');
    eq(r.formatRate(null, '/s'), 'n/a', 'missing rate');
    eq(r.formatRate(102400, '/snapshot'), '100.0 KiB/snapshot', 'rate');
    eq(r.formatP(1.2e-6), '< 0.001', 'tiny p-value');
    eq(r.formatP(0.0312), '0.031', 'p-value');
    eq(r.formatP(null), 'n/a', 'missing p-value');
    eq(r.formatTrend(1), '+1.00', 'trend');
    eq(r.formatTrend(-0.02), '-0.02', 'falling trend');
    // Production profiles whose mtimes were lost: microseconds apart.
    eq(r.formatSeconds(2e-5), '20 \u00b5s', 'microseconds');
    eq(r.formatSeconds(0.25), '250 ms', 'milliseconds');
    eq(r.formatSeconds(20), '20 s', 'seconds');
    eq(r.formatSeconds(600), '10.0 min', 'minutes');
    eq(r.formatSeconds(36000), '10.0 h', 'hours');
    eq(r.timeUnit(1.2e-4, false).title, 'microseconds since the first snapshot',
       'microsecond axis');
    eq(r.timeUnit(120, false).title, 'seconds since the first snapshot',
       'second axis');
    eq(r.timeUnit(120, true).title, 'snapshot', 'snapshot axis');
    eq(r.niceStep(100, 4), 25, 'nice step');
    eq(r.niceStep(0, 4), 1, 'nice step of nothing');
    const axis = r.yAxis(150 * 1024 ** 2, 230 * 1024 ** 2, true);
    eq(axis.unitName, 'MiB', 'axis unit');
    eq(r.axisLabel(axis.lo, axis), '140 MiB', 'axis start');
    const flat = r.yAxis(21, 21, false);
    check(flat.lo < 21 && flat.hi > 21, 'a flat series gets a range');
    eq(r.frameWhere({file: '/src/a/b.cc', line: 42, module: '/lib/x.so'}),
       'b.cc:42 \u00b7 x.so', 'frame location');
    eq(r.flameLabel('abcdefghijklmnopqrstuvwxyz', 60), 'abcdefg\u2026',
       'cut frame label');
    eq(r.flameLabel('abc', 10), '', 'no label in a sliver');
  }

  for (const part
           of [checkDrawing, checkMemory, checkZoom, checkSuppressedSwitch,
               checkHelpers]) {
    try {
      part();
    } catch (e) {
      failures.push(`${part.name} threw ${e && e.stack || e}`);
    }
  }
  const log = document.createElement('pre');
  log.id = 'jleak-selftest-log';
  log.textContent = failures.join('\n');
  document.body.append(log);
  document.body.setAttribute(
      'data-jleak-selftest', failures.length ? 'failed' : 'ok');
})();
