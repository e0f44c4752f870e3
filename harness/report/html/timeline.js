// File: timeline.js
//
// The timeline: the plots of the page model (ctx.model.plots: the top
// sites' live bytes, RSS, jemalloc's counters or the profiled heap, direct
// buffers, threads) drawn as SVG with their axes, the warm-up shaded and
// a tooltip on each point; then the table of process signals fitted over
// the analyzed window.
//
// One of the report's scripts, inlined in the order of report.html (their
// list is at the top of report.js); exports the global `jleakTimeline`.

const jleakTimeline = (() => {
  'use strict';

  const {el, svgEl} = jleakDom;
  const {axisLabel, finite, formatBytes, formatCi, formatG, formatP, formatRate,
         formatSeconds, niceStep, timeUnit, yAxis} = jleakFormat;

  // Series colours: the sites take them in turn; each process signal has
  // its own (SERIES).
  const PALETTE = [
    '#4e79a7', '#e15759', '#f28e2b', '#59a14f', '#b07aa1', '#76b7b2', '#edc948',
    '#9c755f', '#ff9da7'
  ];

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

  return Object.freeze({drawTimeline});
})();
