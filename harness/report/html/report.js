// File: report.js
//
// Draws jleak's HTML report (report.html) from the two JSON texts in the
// page: #jleak-data, the JSON report (harness/report/report_schema.md), and
// #jleak-page, the page model (schema at the top of report_html.cc: the
// table's rows, the plots' points, the icicle graph's laid-out frames).
// Inlined into every report by WriteHtmlReport, so: plain modern JS, no
// build step, no dependencies, no request of any kind (the page's
// Content-Security-Policy would block it).
//
// Every string from the analysis reaches the DOM through textContent or
// setAttribute (el() and svgEl() below), never as markup: function names are
// C++ templates full of <, > and &, and a name may be hostile.
//
// When done, <body> carries data-jleak-ready="1" (or "failed" when a part
// could not be drawn; the error is on the console), read by the
// headless-Chromium check (report_html_browser_test.sh). The formatting
// and axis helpers are exported as the global `jleakReport` for that
// check's unit tests (report_html_browser_test.js).

const jleakReport = (() => {
  'use strict';

  const SVG_NS = 'http://www.w3.org/2000/svg';
  const PALETTE = [
    '#4e79a7', '#e15759', '#f28e2b', '#59a14f', '#b07aa1', '#76b7b2', '#edc948',
    '#9c755f', '#ff9da7'
  ];
  const MINUS = '\u2212';
  const INFINITY = '\u221e';

  // ---------------------------------------------------------------------
  // DOM: elements with attributes and children; strings become text nodes.

  function fill(node, attrs, children) {
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      node.setAttribute(name, value === true ? '' : String(value));
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  function el(tag, attrs, ...children) {
    return fill(document.createElement(tag), attrs, children);
  }

  function svgEl(tag, attrs, ...children) {
    return fill(document.createElementNS(SVG_NS, tag), attrs, children);
  }

  // ---------------------------------------------------------------------
  // Numbers for people. The JSON report writes every number that is not
  // finite as null; for a confidence bound that means unbounded.

  const finite = (v) => typeof v === 'number' && Number.isFinite(v);

  // formatG: `digits` significant digits, trailing zeros dropped (printf's
  // %g without its exponent for the magnitudes a report shows).
  function formatG(v, digits) {
    if (!finite(v)) return 'n/a';
    if (v === 0) return '0';
    return String(Number(v.toPrecision(digits)));
  }

  function formatBytes(b) {
    if (!finite(b)) return 'n/a';
    const a = Math.abs(b);
    if (a < 1024) return `${b.toFixed(0)} B`;
    if (a < 1024 ** 2) return `${(b / 1024).toFixed(1)} KiB`;
    if (a < 1024 ** 3) return `${(b / 1024 ** 2).toFixed(1)} MiB`;
    return `${(b / 1024 ** 3).toFixed(2)} GiB`;
  }

  // formatRate: `bound` -1 or +1 for the low or high end of an interval,
  // where null means unbounded.
  function formatRate(r, suffix, bound = 0, bytes = true) {
    if (!finite(r)) {
      if (bound < 0) return MINUS + INFINITY;
      if (bound > 0) return '+' + INFINITY;
      return 'n/a';
    }
    return (bytes ? formatBytes(r) : formatG(r, 4)) + suffix;
  }

  function formatCi(low, high, suffix, bytes = true) {
    return `${formatRate(low, suffix, -1, bytes)} to ` +
        formatRate(high, suffix, +1, bytes);
  }

  function formatP(p) {
    if (!finite(p)) return 'n/a';
    if (p < 0.001) return '< 0.001';
    return p.toFixed(3);
  }

  function formatSeconds(s) {
    if (!finite(s)) return 'n/a';
    const a = Math.abs(s);
    if (a === 0) return '0 s';
    // Production profiles with lost mtimes can be microseconds apart.
    if (a < 1e-3) return `${formatG(s * 1e6, 3)} \u00b5s`;
    if (a < 1) return `${formatG(s * 1e3, 3)} ms`;
    if (a >= 7200) return `${(s / 3600).toFixed(1)} h`;
    if (a >= 120) return `${(s / 60).toFixed(1)} min`;
    return `${formatG(s, 4)} s`;
  }

  function formatTrend(tau) {
    if (!finite(tau)) return 'n/a';
    return (tau >= 0 ? '+' : '') + tau.toFixed(2);
  }

  function basename(path) {
    return String(path).slice(String(path).lastIndexOf('/') + 1);
  }

  // frameWhere: "file.cc:42 · libfoo.so", whatever of it is known.
  function frameWhere(f) {
    const parts = [];
    if (f.file) {
      parts.push(basename(f.file) + (f.line > 0 ? `:${f.line}` : ''));
    }
    if (f.module) parts.push(basename(f.module));
    return parts.join(' \u00b7 ');
  }

  function plural(n, one, many) {
    return `${n} ${n === 1 ? one : many}`;
  }

  // ---------------------------------------------------------------------
  // Axes.

  // niceStep: 1, 2, 2.5 or 5 times a power of ten, about `target`
  // intervals over `span`.
  function niceStep(span, target) {
    if (!(span > 0)) return 1;
    const raw = span / target;
    const mag = 10 ** Math.floor(Math.log10(raw));
    const norm = raw / mag;
    return ([1, 2, 2.5, 5].find((n) => norm <= n) || 10) * mag;
  }

  // yAxis: ticks over [lo, hi], in KiB/MiB/... for bytes.
  function yAxis(lo, hi, bytes) {
    // Memory series start near zero or far above it; a baseline of zero
    // keeps small wobbles of a large RSS from looking like a leak, unless
    // the series sits high, where zero would squash it flat.
    if (lo >= 0 && lo < 0.35 * hi) lo = 0;
    const mag = Math.max(Math.abs(lo), Math.abs(hi));
    let unit = 1;
    let unitName = '';
    if (bytes) {
      const names = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
      let k = 0;
      while (k < 4 && mag >= 1024 * 1024 ** k) ++k;
      unit = 1024 ** k;
      unitName = names[k];
    }
    lo /= unit;
    hi /= unit;
    if (hi - lo < 1e-9) {
      const pad = Math.max(Math.abs(hi) * 0.1, 1);
      hi += pad;
      lo = lo - pad < 0 && lo >= 0 ? 0 : lo - pad;
    }
    const step = niceStep(hi - lo, 4);
    const axisLo = Math.floor(lo / step + 1e-9) * step;
    let axisHi = Math.ceil(hi / step - 1e-9) * step;
    if (axisHi <= axisLo) axisHi = axisLo + step;
    return {lo: axisLo, hi: axisHi, step, unit, unitName};
  }

  function axisLabel(v, axis) {
    const s = formatG(Math.abs(v) < axis.step * 1e-6 ? 0 : v, 4);
    return axis.unitName ? `${s} ${axis.unitName}` : s;
  }

  // timeUnit: the unit of a time axis reaching `maxSeconds`, so that tick
  // labels read "0 20 40" rather than "0 2e-05 4e-05".
  function timeUnit(maxSeconds, perSnapshot) {
    if (perSnapshot) return {perSecond: 1, title: 'snapshot'};
    const a = Math.abs(maxSeconds);
    const since = 'since the first snapshot';
    if (a < 2e-3) return {perSecond: 1e6, title: `microseconds ${since}`};
    if (a < 2) return {perSecond: 1e3, title: `milliseconds ${since}`};
    if (a >= 4 * 3600) return {perSecond: 1 / 3600, title: `hours ${since}`};
    if (a >= 600) return {perSecond: 1 / 60, title: `minutes ${since}`};
    return {perSecond: 1, title: `seconds ${since}`};
  }

  // ---------------------------------------------------------------------
  // The verdict header and the summary cards.

  const VERDICTS = {
    clean: 'Clean: no leak found',
    leak: 'Leak found',
    inconclusive: 'Inconclusive',
  };

  function drawHeader(data, ctx, header) {
    const verdict = data.verdict in VERDICTS ? data.verdict : 'inconclusive';
    header.classList.add(verdict);
    header.append(
        el('div', {class: 'wrap'}, el('span', {class: 'badge'}, data.verdict),
           el('h1', {}, VERDICTS[verdict]),
           el('p', {class: 'reason'}, data.reason),
           el('p', {class: 'kind'}, data.kind_sentence),
           data.command &&
               el('p', {class: 'command'}, el('span', {}, 'Command'), ' ',
                  el('code', {}, data.command)),
           data.engine && data.engine.name &&
               el('p', {class: 'command'}, el('span', {}, 'Engine'), ' ',
                  el('code', {}, data.engine.name),
                  data.engine.limit ? ': ' + data.engine.limit : '')));
  }

  function card(label, value, sub) {
    return el(
        'div', {class: 'card'}, el('div', {class: 'label'}, label),
        el('div', {class: 'value'}, value), el('div', {class: 'sub'}, sub));
  }

  function drawSummary(data, ctx, section) {
    const rs = ctx.rateSuffix;
    const total = data.total;
    section.append(card(
        'Total growth (unsuppressed sites)', formatBytes(total.growth),
        `${formatRate(total.rate, rs)}, 95% CI ` +
            formatCi(total.rate_low, total.rate_high, rs)));
    const signal = (label, g) => g &&
        section.append(card(
            label, formatBytes(g.growth),
            `${formatRate(g.rate, rs)}, p ${formatP(g.p_value)}`));
    signal('RSS growth', data.signals.rss);
    signal('jemalloc allocated growth', data.signals.jemalloc_allocated);
    const analyzed = data.snapshots.filter((s) => s.analyzed).length;
    const warmup = ctx.perSnapshot ?
        `${formatG(data.warmup_seconds, 6)} snapshots` :
        formatSeconds(data.warmup_seconds);
    section.append(card(
        'Snapshots analyzed', `${analyzed} of ${data.snapshots.length}`,
        `warm-up ${warmup}; times from ${data.time_source}`));
    const b = data.budgets;
    section.append(card(
        'Budgets', `site ${formatRate(b.max_site_rate, rs)}`,
        `total ${formatRate(b.max_total_rate, rs)} and ` +
            formatBytes(b.max_total_growth) +
            (data.timeline.length ?
                 `; exact malloc ${formatRate(b.max_allocated_rate, rs)}` :
                 '')));
    if (ctx.perSnapshot) {
      section.after(
          el('p', {class: 'note'},
             'Snapshot times are unknown (no timeline, no file times): rates ' +
                 'are per snapshot, not per second.'));
    }
  }

  // ---------------------------------------------------------------------
  // Sites.

  // sparkline: a site's bytes over the snapshots, 96 x 24, from zero (a
  // flat 6 MiB site wobbling by 64 KiB must look flat, not like a saw).
  function sparkline(bytes, color) {
    if (!Array.isArray(bytes) || bytes.length < 2) return null;
    const values = bytes.filter(finite);
    if (!values.length) return null;
    const lo = values.reduce((m, v) => Math.min(m, v), 0);
    let hi = values.reduce((m, v) => Math.max(m, v), -Infinity);
    if (hi - lo < 1) hi = lo + 1;
    const n = bytes.length - 1;
    const points = [];
    bytes.forEach((b, i) => {
      if (!finite(b)) return;
      points.push(
          `${(2 + (i / n) * 92).toFixed(1)},` +
          (22 - ((b - lo) / (hi - lo)) * 20).toFixed(1));
    });
    return svgEl(
        'svg', {class: 'spark', viewBox: '0 0 96 24', width: 96, height: 24},
        svgEl('polyline', {points: points.join(' '), stroke: color}));
  }

  // siteFrames: the frame that names the site (top_frame: the first frame
  // of the user's code, native or Java, which need not be the innermost),
  // where it is, the Java method that called it, the runtime and JVM
  // frames it allocated through (folded: the report's `via`, all of them
  // in the tooltip), and its first callers.
  function siteFrames(site, callerFrames) {
    const frames = site.frames || [];
    const named = Number.isInteger(site.user_frame) && site.user_frame >= 0 ?
        site.user_frame :
        frames.findIndex((f) => f.function === site.top_frame);
    const top = Math.max(0, named);
    const cell =
        el('td', {class: 'frames'},
           el('div', {class: 'top mono'}, site.top_frame));
    const where = top < frames.length ? frameWhere(frames[top]) : '';
    if (where) cell.append(el('div', {class: 'where'}, where));
    let next = top + 1;
    if (Number.isInteger(site.java_frame) && site.java_frame > top &&
        site.java_frame < frames.length) {
      cell.append(el(
          'div', {class: 'java mono'},
          `from ${site.java_method || frames[site.java_frame].function}`));
      next = site.java_frame + 1;
    }
    if (top > 0) {
      const inner = frames.slice(0, top).reverse().map((f) => f.function);
      const folded = site.via || inner.join(' \u2192 ');
      cell.append(el(
          'div', {class: 'inner mono', title: inner.join('\n')},
          `via ${folded}`));
    }
    if (frames.length > next) {
      const last = Math.min(frames.length, next + callerFrames);
      const list = el('ol', {class: 'callers mono'});
      for (const f of frames.slice(next, last)) {
        list.append(el('li', {title: frameWhere(f)}, f.function));
      }
      if (frames.length > last) {
        list.append(
            el('li', {class: 'more'}, `${frames.length - last} more frames`));
      }
      cell.append(list);
    }
    return cell;
  }

  const LIKELY = 'jemalloc\'s exact count grows; this site gained the most ' +
      'sampled bytes';

  function siteRow(site, ctx) {
    const rs = ctx.rateSuffix;
    const classes = ['site'];
    if (site.suppressed) classes.push('suppressed');
    if (site.over_budget) classes.push('over');
    let color = '#4e79a7';
    if (site.over_budget) color = '#cf222e';
    if (site.suppressed) color = '#8c959f';
    const status = el('td', {});
    if (site.over_budget) {
      status.append(el('span', {class: 'tag over'}, 'over budget'));
    }
    if (site.likely) {
      status.append(
          el('span', {class: 'tag likely', title: LIKELY}, 'likely site'));
    }
    if (site.suppressed) {
      status.append(
          el('span', {class: 'tag suppressed'}, 'suppressed'),
          el('div', {class: 'by mono'}, site.suppressed_by));
    }
    return el(
        'tr', {class: classes.join(' '), 'data-rank': site.rank},
        el('td', {class: 'rank'}, site.rank + 1),
        siteFrames(site, ctx.model.caller_frames),
        el('td', {class: 'num strong'}, formatBytes(site.growth_bytes)),
        el('td', {class: 'num'}, formatRate(site.bytes_per_second, rs),
           el('div', {class: 'ci'},
              formatCi(
                  site.bytes_per_second_low, site.bytes_per_second_high, rs))),
        el('td', {class: 'num'}, formatP(site.p_value)),
        el('td', {class: 'num'}, formatTrend(site.monotonicity)),
        el('td', {}, sparkline(site.bytes, color)), status);
  }

  function sitesTable(sites, ctx) {
    return el(
        'table', {class: 'sites'},
        el('thead', {},
           el('tr', {}, el('th', {}, '#'),
              el('th', {}, 'Site: allocating frame, then its callers'),
              el('th', {class: 'num'}, 'Growth'),
              el('th', {class: 'num'}, 'Rate (95% CI)'),
              el('th', {class: 'num'}, 'p-value'),
              el('th', {class: 'num'}, 'Trend \u03c4'),
              el('th', {}, 'Bytes over time'), el('th', {}, 'Status'))),
        el('tbody', {}, sites.map((s) => siteRow(s, ctx))));
  }

  function drawSites(data, ctx, section) {
    const model = ctx.model.sites;
    const byRank = new Map(data.sites.map((s) => [s.rank, s]));
    // The C++ side lists only ranks the JSON report holds; skip any other
    // rather than fail the whole table.
    const pick = (ranks) => ranks.map((r) => byRank.get(r)).filter(Boolean);
    const rows = pick(model.rows);
    const folded = pick(model.not_grown);
    section.append(el(
        'h2', {}, 'Top growing sites ',
        el('span', {class: 'muted'}, `${rows.length} of ${data.site_count}`)));
    if (!data.site_count) {
      section.append(el('p', {class: 'muted'}, 'No allocation sites.'));
      return;
    }
    const suppressed = rows.concat(folded).filter((s) => s.suppressed).length;
    if (suppressed) {
      const box =
          el('input', {type: 'checkbox', id: 'show-suppressed', checked: true});
      box.addEventListener('change', () => {
        document.body.classList.toggle('hide-suppressed', !box.checked);
      });
      const label = plural(suppressed, 'suppressed site', 'suppressed sites');
      section.append(
          el('p', {class: 'controls'}, el('label', {}, box, ` show ${label}`)));
    }
    if (rows.length) {
      section.append(sitesTable(rows, ctx));
    } else {
      section.append(
          el('p', {class: 'muted', id: 'no-growth'},
             'No site grew over the analyzed window.'));
    }
    if (model.more_growing > 0) {
      section.append(
          el('p', {class: 'muted'},
             `${plural(model.more_growing, 'more site', 'more sites')} grew ` +
                 'less; the JSON report (--json) lists them.'));
    }
    if (model.not_grown_count > 0) {
      const details =
          el('details', {class: 'not-grown', id: 'not-grown'},
             el('summary', {},
                plural(
                    model.not_grown_count, 'site that did not grow',
                    'sites that did not grow'),
                el('span', {class: 'muted'},
                   ' (0 B or less over the analyzed window)')));
      if (folded.length) details.append(sitesTable(folded, ctx));
      const unlisted = model.not_grown_count - folded.length;
      if (unlisted > 0) {
        details.append(
            el('p', {class: 'muted'},
               `${plural(unlisted, 'more is', 'more are')} not listed here; ` +
                   'the JSON report (--json) has them.'));
      }
      section.append(details);
    }
  }

  // ---------------------------------------------------------------------
  // Timeline plots and the signals table.

  const PLOTS = {
    'plot-sites': ['Live bytes of the top growing sites', ''],
    'plot-rss': ['Resident set size (RSS)', 'from /proc'],
    'plot-jemalloc': ['jemalloc', 'allocated, resident and the profiled heap'],
    'plot-heap': ['Profiled heap', 'unsampled total of each snapshot'],
    'plot-direct': ['Direct buffers', 'java.nio direct ByteBuffer bytes'],
    'plot-threads': ['Threads', ''],
  };
  const SERIES = {
    rss: ['RSS', PALETTE[0]],
    allocated: ['allocated', PALETTE[2]],
    resident: ['resident', PALETTE[4]],
    heap: ['profiled heap', PALETTE[3]],
    direct: ['direct buffers', PALETTE[5]],
    threads: ['threads', PALETTE[7]],
  };

  // seriesLooks: name, colour and dash of each series of a plot.
  function seriesLooks(plot) {
    let site = 0;
    return plot.series.map((s) => {
      if (s.key === 'site') {
        return {
          name: `#${s.rank + 1} ${s.name}`,
          color: PALETTE[site++ % PALETTE.length],
          dashed: false
        };
      }
      const [name, color] = SERIES[s.key] || [s.key, PALETTE[8]];
      // The profiled heap beside jemalloc's counters is a reference line.
      return {name, color, dashed: s.key === 'heap' && plot.series.length > 1};
    });
  }

  function plotSvg(plot, title, looks, wide, ctx) {
    // Wide plots get a wider canvas, not a larger scale: text stays the
    // same size in every plot.
    const W = wide ? 1200 : 600;
    const H = wide ? 280 : 230;
    const L = 64;
    const R = 14;
    const T = 12;
    const B = 36;
    const pw = W - L - R;
    const ph = H - T - B;
    let xMin = Infinity;
    let xMax = -Infinity;
    let yMin = Infinity;
    let yMax = -Infinity;
    let maxPoints = 0;
    for (const s of plot.series) {
      maxPoints = Math.max(maxPoints, s.points.length);
      for (const [x, y] of s.points) {
        xMin = Math.min(xMin, x);
        xMax = Math.max(xMax, x);
        yMin = Math.min(yMin, y);
        yMax = Math.max(yMax, y);
      }
    }
    if (!finite(xMin)) return null;
    if (xMax <= xMin) xMax = xMin + 1;
    const bytes = plot.unit === 'bytes';
    const y = yAxis(yMin, yMax, bytes);
    const tu =
        timeUnit(Math.max(Math.abs(xMin), Math.abs(xMax)), ctx.perSnapshot);
    const xStep = niceStep((xMax - xMin) * tu.perSecond, 6);
    const sx = (x) => L + ((x - xMin) / (xMax - xMin)) * pw;
    const sy = (v) => T + ph - ((v / y.unit - y.lo) / (y.hi - y.lo)) * ph;
    const f1 = (v) => v.toFixed(1);

    const root = svgEl('svg', {
      class: 'plot',
      id: plot.id,
      viewBox: `0 0 ${W} ${H}`,
      role: 'img',
      'aria-label': title
    });
    // The warm-up window, behind everything else.
    if (ctx.warmupEnd > xMin) {
      const x1 = sx(Math.min(ctx.warmupEnd, xMax));
      root.append(
          svgEl(
              'rect',
              {class: 'warmup', x: L, y: T, width: f1(x1 - L), height: ph}),
          svgEl(
              'text', {class: 'warmup-label', x: L + 4, y: T + 12}, 'warm-up'));
    }
    // Horizontal grid and y labels.
    const yTicks = Math.round((y.hi - y.lo) / y.step);
    for (let i = 0; i <= yTicks; ++i) {
      const v = y.lo + i * y.step;
      const py = f1(T + ph - ((v - y.lo) / (y.hi - y.lo)) * ph);
      root.append(
          svgEl('line', {class: 'grid', x1: L, x2: L + pw, y1: py, y2: py}),
          svgEl(
              'text', {
                class: 'tick',
                x: L - 6,
                y: f1(Number(py) + 4),
                'text-anchor': 'end'
              },
              axisLabel(v, y)));
    }
    // x ticks.
    const uMin = xMin * tu.perSecond;
    const uMax = xMax * tu.perSecond;
    const first = Math.ceil(uMin / xStep - 1e-9) * xStep;
    for (let i = 0; first + i * xStep <= uMax + xStep * 1e-6; ++i) {
      const v = first + i * xStep;
      const px = f1(sx(v / tu.perSecond));
      root.append(
          svgEl(
              'line',
              {class: 'axis', x1: px, x2: px, y1: T + ph, y2: T + ph + 4}),
          svgEl(
              'text',
              {class: 'tick', x: px, y: T + ph + 16, 'text-anchor': 'middle'},
              formatG(Math.abs(v) < xStep * 1e-6 ? 0 : v, 6)));
    }
    root.append(
        svgEl(
            'line', {class: 'axis', x1: L, x2: L + pw, y1: T + ph, y2: T + ph}),
        svgEl(
            'text', {
              class: 'axis-title',
              x: L + pw / 2,
              y: H - 4,
              'text-anchor': 'middle'
            },
            tu.title));
    // Series: a line, and points with a tooltip when there are few enough
    // to hover.
    const dots = maxPoints <= 80;
    plot.series.forEach((s, k) => {
      const look = looks[k];
      const g = svgEl(
          'g', {class: 'series', 'data-name': look.name}, svgEl('polyline', {
            class: look.dashed ? 'line dashed' : 'line',
            stroke: look.color,
            points:
                s.points.map(([x, v]) => `${f1(sx(x))},${f1(sy(v))}`).join(' ')
          }));
      if (dots) {
        for (const [x, v] of s.points) {
          const when =
              ctx.perSnapshot ? `snapshot ${formatG(x, 6)}` : formatSeconds(x);
          const value = bytes ? formatBytes(v) : formatG(v, 4);
          g.append(svgEl(
              'circle',
              {cx: f1(sx(x)), cy: f1(sy(v)), r: 2.6, fill: look.color},
              svgEl('title', {}, `${look.name}\n${when}: ${value}`)));
        }
      }
      root.append(g);
    });
    return root;
  }

  function plotFigure(plot, wide, ctx) {
    const [title, caption] = PLOTS[plot.id] || [plot.id, ''];
    const looks = seriesLooks(plot);
    const svg = plotSvg(plot, title, looks, wide, ctx);
    if (!svg) return null;
    const figure =
        el('figure', {class: wide ? 'plot wide' : 'plot'},
           el('figcaption', {}, el('b', {}, title), caption && ' ',
              caption && el('span', {class: 'muted'}, caption)),
           svg);
    if (looks.length > 1) {
      figure.append(el(
          'ul', {class: 'legend'},
          looks.map(
              (look) =>
                  el('li', {title: look.name},
                     el('span',
                        {class: 'swatch', style: `background:${look.color}`}),
                     look.name))));
    }
    return figure;
  }

  function signalsTable(data, ctx) {
    const rs = ctx.rateSuffix;
    const sig = data.signals;
    const rows = [
      ['RSS', sig.rss, true],
      ['jemalloc allocated', sig.jemalloc_allocated, true],
      ['jemalloc resident', sig.jemalloc_resident, true],
      ['direct buffers', sig.direct_buffers, true],
      ['threads', sig.threads, false]
    ];
    // Native Memory Tracking: the categories that grew, largest first.
    const nmt = Object.entries(sig.nmt_committed || {})
                    .filter(([, g]) => g.growth > 0)
                    .slice(0, 6);
    for (const [category, g] of nmt) rows.push([`NMT ${category}`, g, true]);
    const body = el('tbody', {});
    for (const [name, g, bytes] of rows) {
      if (!g) continue;
      const v = (x) => (bytes ? formatBytes(x) : formatG(x, 4));
      body.append(
          el('tr', {}, el('td', {}, name), el('td', {class: 'num'}, v(g.first)),
             el('td', {class: 'num'}, v(g.last)),
             el('td', {class: 'num'}, v(g.growth)),
             el('td', {class: 'num'}, formatRate(g.rate, rs, 0, bytes),
                el('div', {class: 'ci'},
                   formatCi(g.rate_low, g.rate_high, rs, bytes))),
             el('td', {class: 'num'}, formatP(g.p_value))));
    }
    if (!body.children.length) return null;
    return el(
        'table', {class: 'signals'},
        el('thead', {},
           el('tr', {}, el('th', {}, 'Signal'),
              el('th', {class: 'num'}, 'First'),
              el('th', {class: 'num'}, 'Last'),
              el('th', {class: 'num'}, 'Fitted growth'),
              el('th', {class: 'num'}, 'Rate (95% CI)'),
              el('th', {class: 'num'}, 'p-value'))),
        body);
  }

  function drawTimeline(data, ctx, section) {
    section.append(
        el('h2', {}, 'Timeline ',
           el('span', {class: 'muted'}, 'shaded: warm-up, not analyzed')));
    if (!data.timeline.length) {
      section.append(
          el('p', {class: 'note', id: 'no-timeline'},
             'No timeline: these profiles came without the jleak agent, so ' +
                 'RSS, jemalloc counters and direct buffers are unavailable; ' +
                 'the plots show the profiles alone.'));
    }
    // The per-site plot takes a whole row; half-width plots go two by two,
    // and an odd one out takes the whole row rather than leave a hole.
    const plots = ctx.model.plots;
    const wide = plots.map((p) => p.id === 'plot-sites');
    if (wide.filter((w) => !w).length % 2 === 1) {
      wide[wide.lastIndexOf(false)] = true;
    }
    const grid = el('div', {class: 'plots'});
    plots.forEach((p, i) => grid.append(plotFigure(p, wide[i], ctx) || ''));
    section.append(grid);
    const signals = signalsTable(data, ctx);
    if (signals) {
      section.append(
          el('h3', {}, 'Process signals, fitted over the analyzed window'),
          signals);
    }
  }

  // ---------------------------------------------------------------------
  // The icicle graph: frames laid out by the C++ side as fractions of the
  // width; drawn 1200 wide, a click zooms into a frame, the root resets.

  const FLAME_WIDTH = 1200;
  const FLAME_ROW = 18;
  const FLAME_CHAR = 6.6;  // 11px monospace advance, about
  const FLAME_PAD = 3;
  // Positions come rounded to a millionth: compare with that slack.
  const FLAME_EPS = 2e-6;

  function flameLabel(name, px) {
    const n = Math.floor((px - 2 * FLAME_PAD) / FLAME_CHAR);
    if (n < 3) return '';
    return name.length <= n ? name : `${name.slice(0, n - 1)}\u2026`;
  }

  // flameColor: warm hues for native code, green for Java (JIT-compiled or
  // interpreted), as flamegraph.pl's java palette; the shade comes from a
  // hash of the name (FNV-1a) so it is the same in every report.
  function flameColor(node) {
    if (node.depth === 0) return '#d0d7de';
    let h = 2166136261;
    for (let i = 0; i < node.name.length; ++i) {
      h = Math.imul(h ^ node.name.charCodeAt(i), 16777619) >>> 0;
    }
    const f = (h % 1000) / 1000;
    const hsl = (hue, sat, light) =>
        `hsl(${hue.toFixed(0)},${sat.toFixed(0)}%,${light.toFixed(0)}%)`;
    if (node.module === '[jit]' || node.module === '[interpreted]') {
      return hsl(95 + 40 * f, 45 + 15 * f, 52 + 10 * f);
    }
    return hsl(8 + 40 * f, 75 + 15 * f, 58 + 8 * f);
  }

  function flameGraph(model) {
    const nodes = model.nodes;
    if (!nodes.length) {
      return el(
          'p', {class: 'muted'},
          'No stack grew between the first analyzed snapshot and the last.');
    }
    const maxDepth = nodes.reduce((m, n) => Math.max(m, n.depth), 0);
    const root = svgEl('svg', {
      class: 'flame',
      id: 'flame',
      viewBox: `0 0 ${FLAME_WIDTH} ${(maxDepth + 1) * FLAME_ROW}`,
      'data-width': FLAME_WIDTH,
      role: 'img',
      'aria-label': 'icicle graph of growth'
    });
    const frames = nodes.map((n) => {
      const name = n.depth === 0 ? 'all growth' : n.name;
      const y = n.depth * FLAME_ROW;
      const rect =
          svgEl('rect', {y, height: FLAME_ROW - 1, rx: 2, fill: flameColor(n)});
      const text = svgEl('text', {y: y + 12.5});
      const tip = `${name}\n${formatBytes(n.bytes)} ` +
          `(${(100 * n.w).toFixed(1)}% of the growth)` +
          (n.module ? `\n${n.module}` : '');
      const g = svgEl(
          'g', {
            class: 'fn',
            'data-x': n.x,
            'data-w': n.w,
            'data-d': n.depth,
            'data-n': name
          },
          svgEl('title', {}, tip), rect, text);
      root.append(g);
      return {g, n, name, rect, text};
    });
    const byG = new Map(frames.map((f) => [f.g, f]));
    // zoom: show the frame at x0 (width w0, depth d0) full width, its
    // ancestors full width and faded, its descendants scaled; hide the rest.
    const zoom = (x0, w0, d0) => {
      for (const {g, n, name, rect, text} of frames) {
        let nx = -1;
        let nw = 0;
        if (n.depth < d0) {
          if (n.x <= x0 + FLAME_EPS && n.x + n.w >= x0 + w0 - FLAME_EPS) {
            nx = 0;
            nw = 1;
          }
        } else if (n.x >= x0 - FLAME_EPS && n.x + n.w <= x0 + w0 + FLAME_EPS) {
          nx = (n.x - x0) / w0;
          nw = n.w / w0;
        }
        if (nx < 0) {
          g.style.display = 'none';
          continue;
        }
        g.style.display = '';
        rect.setAttribute('x', (nx * FLAME_WIDTH).toFixed(1));
        rect.setAttribute(
            'width', Math.max(nw * FLAME_WIDTH - 1, 0.5).toFixed(1));
        rect.style.opacity = n.depth < d0 && n.depth > 0 ? '0.6' : '';
        text.setAttribute('x', (nx * FLAME_WIDTH + FLAME_PAD).toFixed(1));
        text.textContent = flameLabel(name, nw * FLAME_WIDTH);
      }
    };
    root.addEventListener('click', (ev) => {
      const g = ev.target.closest('g.fn');
      const frame = g && byG.get(g);
      if (!frame) return;
      if (frame.n.depth === 0) {
        zoom(0, 1, 0);
      } else {
        zoom(frame.n.x, frame.n.w, frame.n.depth);
      }
    });
    zoom(0, 1, 0);
    return root;
  }

  function drawFlame(data, ctx, section) {
    const analyzed = data.snapshots.filter((s) => s.analyzed);
    const span = analyzed.length > 1 ?
        ` between snapshot ${analyzed[0].seq} and ` +
            analyzed[analyzed.length - 1].seq :
        '';
    section.append(
        el('h2', {}, 'Where the memory grew ',
           el('span', {class: 'muted'},
              `live bytes gained${span}; callers ` +
                  'above callees; click a frame to zoom, the top bar to reset')),
        flameGraph(ctx.model.flame));
  }

  // ---------------------------------------------------------------------
  // Warnings, snapshots, footer.

  function drawWarnings(data, ctx, section) {
    if (!data.warnings.length) return;
    section.hidden = false;
    section.append(
        el('h2', {}, 'Warnings'),
        el('ul', {class: 'warn'}, data.warnings.map((w) => el('li', {}, w))));
  }

  function drawSnapshots(data, ctx, section) {
    const rows = data.snapshots.map(
        (s) =>
            el('tr', {class: s.analyzed ? null : 'warm'}, el('td', {}, s.seq),
               el('td', {class: 'num'},
                  ctx.perSnapshot ? `#${formatG(s.time_seconds, 6)}` :
                                    formatSeconds(s.time_seconds)),
               el('td', {class: 'num'}, formatBytes(s.total_bytes)),
               el('td', {}, s.analyzed ? 'yes' : 'warm-up'),
               el('td', {class: 'mono'}, s.path)));
    section.append(
        el('details', {},
           el('summary', {}, `Snapshots (${data.snapshots.length})`),
           el('table', {class: 'snaps'},
              el('thead', {},
                 el('tr', {}, el('th', {}, 'seq'),
                    el('th', {class: 'num'}, 'time'),
                    el('th', {class: 'num'}, 'profiled heap'),
                    el('th', {}, 'analyzed'), el('th', {}, 'file'))),
              el('tbody', {}, rows))));
  }

  function drawFooter(data, ctx, footer) {
    footer.append(
        'Generated by jleak. Self-contained: no network access. ' +
            `The JSON report (schema ${data.schema_version}) is embedded as `,
        el('code', {}, '#jleak-data'), '.');
  }

  // ---------------------------------------------------------------------

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
    const ctx = {
      model,
      perSnapshot,
      rateSuffix: perSnapshot ? '/snapshot' : '/s',
      warmupEnd: start + data.warmup_seconds,
    };
    const parts = [
      ['verdict', drawHeader], ['summary', drawSummary], ['sites', drawSites],
      ['timeline', drawTimeline], ['flamegraph', drawFlame],
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

  return Object.freeze({
    formatBytes,
    formatRate,
    formatCi,
    formatP,
    formatSeconds,
    formatTrend,
    formatG,
    frameWhere,
    niceStep,
    yAxis,
    axisLabel,
    timeUnit,
    flameLabel,
  });
})();
