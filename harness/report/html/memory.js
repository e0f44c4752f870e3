// File: memory.js
//
// Where RSS went: the JSON report's `memory` object (report_schema.md)
// drawn as a stacked area of the classes of resident memory over time
// (Java heap, class metadata, code cache, thread stacks, malloc, mapped
// files, other anonymous memory, code and libraries), the warm-up shaded
// and a tooltip on each band; then a table of the classes fitted over the
// analyzed window ('!' over --max-outside-rate), and tables of what grew
// inside them: file patterns with their mapping counts and where they were
// mapped from, thread groups with where they park and who started them,
// class loader types, mmap call sites, and the allocator's figures. For
// bare .heap files, the reason nothing was recorded.
//
// One of the report's scripts, inlined in the order of report.html (their
// list is at the top of report.js); exports the global `jleakMemory`.

const jleakMemory = (() => {
  'use strict';

  const {el, svgEl} = jleakDom;
  const {axisLabel, finite, formatBytes, formatCi, formatG, formatP,
         formatRate, niceStep, timeUnit, yAxis} = jleakFormat;

  // One colour per class, in the order of the JSON's classes.
  const COLORS = {
    java_heap: '#4e79a7',
    class_metadata: '#b07aa1',
    code_cache: '#9c755f',
    thread_stacks: '#e15759',
    malloc: '#f28e2b',
    file_mapped: '#59a14f',
    anon_other: '#76b7b2',
    code_and_libraries: '#bab0ac',
  };
  const OTHER_COLOR = '#edc948';

  // stack: per class, the [x, lower, upper] of each timeline point where
  // any class is known (unknown values count 0 in the stack).
  function stack(data) {
    const classes = data.memory.classes;
    const xs = [];
    const idx = [];
    data.timeline.forEach((p, i) => {
      if (classes.some((c) => finite(c.rss_bytes[i]))) {
        xs.push(p.time_seconds);
        idx.push(i);
      }
    });
    const base = xs.map(() => 0);
    return {
      xs,
      bands: classes.map((c) => {
        const lower = base.slice();
        idx.forEach((i, k) => {
          const v = c.rss_bytes[i];
          base[k] += finite(v) ? v : 0;
        });
        return {cls: c, lower, upper: base.slice()};
      })
    };
  }

  function stackedArea(data, ctx) {
    const {xs, bands} = stack(data);
    if (xs.length < 2 || !bands.length) return null;
    const W = 1200;
    const H = 300;
    const L = 64;
    const R = 14;
    const T = 12;
    const B = 36;
    const pw = W - L - R;
    const ph = H - T - B;
    const xMin = xs[0];
    const xMax = xs[xs.length - 1] > xMin ? xs[xs.length - 1] : xMin + 1;
    const top = Math.max(...bands[bands.length - 1].upper);
    const y = yAxis(0, top, true);
    const tu = timeUnit(Math.max(Math.abs(xMin), Math.abs(xMax)),
                        ctx.perSnapshot);
    const sx = (x) => L + ((x - xMin) / (xMax - xMin)) * pw;
    const sy = (v) => T + ph - ((v / y.unit - y.lo) / (y.hi - y.lo)) * ph;
    const f1 = (v) => v.toFixed(1);
    const root = svgEl('svg', {
      class: 'plot',
      id: 'plot-memory',
      viewBox: `0 0 ${W} ${H}`,
      role: 'img',
      'aria-label': 'Resident memory by class, stacked'
    });
    if (ctx.warmupEnd > xMin) {
      const x1 = sx(Math.min(ctx.warmupEnd, xMax));
      root.append(
          svgEl('rect',
                {class: 'warmup', x: L, y: T, width: f1(x1 - L), height: ph}),
          svgEl('text', {class: 'warmup-label', x: L + 4, y: T + 12},
                'warm-up'));
    }
    const yTicks = Math.round((y.hi - y.lo) / y.step);
    for (let i = 0; i <= yTicks; ++i) {
      const v = y.lo + i * y.step;
      const py = f1(T + ph - ((v - y.lo) / (y.hi - y.lo)) * ph);
      root.append(
          svgEl('line', {class: 'grid', x1: L, x2: L + pw, y1: py, y2: py}),
          svgEl('text', {
            class: 'tick',
            x: L - 6,
            y: f1(Number(py) + 4),
            'text-anchor': 'end'
          },
                axisLabel(v, y)));
    }
    const xStep = niceStep((xMax - xMin) * tu.perSecond, 6);
    const first = Math.ceil(xMin * tu.perSecond / xStep - 1e-9) * xStep;
    for (let i = 0; first + i * xStep <= xMax * tu.perSecond + xStep * 1e-6;
         ++i) {
      const v = first + i * xStep;
      const px = f1(sx(v / tu.perSecond));
      root.append(
          svgEl('line',
                {class: 'axis', x1: px, x2: px, y1: T + ph, y2: T + ph + 4}),
          svgEl('text',
                {class: 'tick', x: px, y: T + ph + 16, 'text-anchor': 'middle'},
                formatG(Math.abs(v) < xStep * 1e-6 ? 0 : v, 6)));
    }
    root.append(
        svgEl('line',
              {class: 'axis', x1: L, x2: L + pw, y1: T + ph, y2: T + ph}),
        svgEl('text', {
          class: 'axis-title',
          x: L + pw / 2,
          y: H - 4,
          'text-anchor': 'middle'
        },
              tu.title));
    for (const band of bands) {
      const upper = xs.map((x, k) => `${f1(sx(x))},${f1(sy(band.upper[k]))}`);
      const lower =
          xs.map((x, k) => `${f1(sx(x))},${f1(sy(band.lower[k]))}`).reverse();
      const c = band.cls;
      const last = band.upper[xs.length - 1] - band.lower[xs.length - 1];
      const g = c.growth;
      root.append(svgEl(
          'polygon', {
            class: 'band',
            'data-name': c.name,
            fill: COLORS[c.name] || OTHER_COLOR,
            'fill-opacity': 0.85,
            stroke: 'none',
            points: upper.concat(lower).join(' ')
          },
          svgEl('title', {},
                `${c.label}: ${formatBytes(last)} at the end` +
                    (g ? `, ${formatRate(g.rate, ctx.rateSuffix)}` : ''))));
    }
    return root;
  }

  function legend(classes) {
    return el('ul', {class: 'legend'},
              classes.map((c) => el(
                  'li', {title: c.label},
                  el('span', {
                    class: 'swatch',
                    style: `background:${COLORS[c.name] || OTHER_COLOR}`
                  }),
                  c.label)));
  }

  function table(id, heads, rows) {
    if (!rows.length) return null;
    return el('table', {class: 'signals', id},
              el('thead', {}, el('tr', {}, heads.map(([h, num]) => el(
                                               'th', {class: num ? 'num' : null},
                                               h)))),
              el('tbody', {}, rows));
  }

  // rateCell: a rate with its 95% interval under it.
  function rateCell(g, rs, bytes) {
    if (!g) return el('td', {class: 'num'}, '');
    return el('td', {class: 'num'}, formatRate(g.rate, rs, 0, bytes),
              el('div', {class: 'ci'},
                 formatCi(g.rate_low, g.rate_high, rs, bytes)));
  }

  function lastKnown(series) {
    for (let i = series.length - 1; i >= 0; --i) {
      if (finite(series[i])) return series[i];
    }
    return 0;
  }

  function grew(g) {
    return g && g.growth > 0;
  }

  function classTable(m, rs) {
    return table('memory-classes', [
      ['Class', false], ['First', true], ['Last', true],
      ['Fitted growth', true], ['Rate (95% CI)', true], ['p-value', true]
    ],
                 m.classes.map((c) => {
                   const g = c.growth;
                   return el(
                       'tr', {class: c.over_budget ? 'over-budget' : null},
                       el('td', {}, c.over_budget ? `! ${c.label}` : c.label),
                       el('td', {class: 'num'}, g ? formatBytes(g.first) : ''),
                       el('td', {class: 'num'},
                          formatBytes(g ? g.last : lastKnown(c.rss_bytes))),
                       el('td', {class: 'num'}, g ? formatBytes(g.growth) : ''),
                       rateCell(g, rs, true),
                       el('td', {class: 'num'}, g ? formatP(g.p_value) : ''));
                 }));
  }

  function groupTables(m, rs) {
    const out = [];
    const files = table('memory-files', [
      ['Mapped files', false], ['Mappings', true], ['Resident', true],
      ['Rate (95% CI)', true], ['Mapped from', false]
    ],
                        m.files.filter((f) => grew(f.growth) ||
                                           grew(f.mapping_growth))
                            .map((f) => el(
                                     'tr', {}, el('td', {}, f.pattern),
                                     el('td', {class: 'num'},
                                        formatG(f.mappings, 6)),
                                     el('td', {class: 'num'},
                                        formatBytes(lastKnown(f.rss_bytes))),
                                     rateCell(f.growth, rs, true),
                                     el('td', {}, f.mapped_from[0] || ''))));
    const threads = table('memory-threads', [
      ['Threads', false], ['Live', true], ['Rate (95% CI)', true],
      ['Parked in', false], ['Started from', false]
    ],
                          m.threads.filter((t) => grew(t.growth))
                              .map((t) => el(
                                       'tr', {}, el('td', {}, t.pattern),
                                       el('td', {class: 'num'},
                                          formatG(t.live, 6)),
                                       rateCell(t.growth, rs, false),
                                       el('td', {}, t.parked_in_frame),
                                       el('td', {}, t.started_from[0] || ''))));
    const loaders = table('memory-loaders', [
      ['Class loader type', false], ['Loaders', true], ['Classes', true],
      ['Classes rate (95% CI)', true]
    ],
                          m.class_loaders
                              .filter((l) => grew(l.growth) ||
                                          grew(l.loader_growth))
                              .map((l) => el(
                                       'tr', {}, el('td', {}, l.type),
                                       el('td', {class: 'num'},
                                          formatG(lastKnown(l.loaders), 6)),
                                       el('td', {class: 'num'},
                                          formatG(lastKnown(l.classes), 6)),
                                       rateCell(l.growth, rs, false))));
    const sites = table('memory-mmap-sites', [
      ['mmap call site', false], ['Mappings', true], ['Bytes', true],
      ['Rate (95% CI)', true], ['Frames', false]
    ],
                        m.mmap_sites.filter((s) => grew(s.growth))
                            .map((s) => el(
                                     'tr', {},
                                     el('td', {},
                                        s.kind === 'anon' ? 'anonymous' :
                                                            s.pattern),
                                     el('td', {class: 'num'},
                                        formatG(s.mappings, 6)),
                                     el('td', {class: 'num'},
                                        formatBytes(lastKnown(s.bytes))),
                                     rateCell(s.growth, rs, true),
                                     el('td', {},
                                        s.java_frames.concat(s.native_frames)
                                            .slice(0, 3)
                                            .join(' ← ')))));
    for (const t of [files, threads, loaders, sites]) {
      if (t) out.push(t);
    }
    if (m.allocator) {
      const a = m.allocator;
      const figures = Object.entries(a.figures).map(
          ([name, series]) => `${name} ${
              name === 'arenas' || name === 'mmap_count' ?
                  formatG(lastKnown(series), 6) :
                  formatBytes(lastKnown(series))}`);
      out.push(el('p', {id: 'memory-allocator'}, el('b', {}, a.name), ': ',
                  figures.join(', ')));
      if (a.finding) {
        out.push(el('p', {class: 'note', id: 'memory-allocator-finding'},
                    a.finding));
      }
    }
    return out;
  }

  function drawMemory(data, ctx, section) {
    section.append(
        el('h2', {}, 'Where RSS went ',
           el('span', {class: 'muted'},
              'resident memory by class; shaded: warm-up')));
    const m = data.memory;
    if (!m || !m.recorded) {
      section.append(el('p', {class: 'note', id: 'no-memory'},
                        m ? m.reason : 'nothing outside malloc was recorded'));
      return;
    }
    const svg = stackedArea(data, ctx);
    if (svg) {
      section.append(el(
          'figure', {class: 'plot wide'},
          el('figcaption', {}, el('b', {}, 'Resident memory by class'), ' ',
             el('span', {class: 'muted'}, 'stacked, from /proc/PID/smaps')),
          svg, legend(m.classes)));
    }
    const rs = ctx.rateSuffix;
    section.append(el('h3', {}, 'Classes, fitted over the analyzed window'),
                   classTable(m, rs) || '');
    const groups = groupTables(m, rs);
    if (groups.length) {
      section.append(el('h3', {}, 'What grew inside them'), ...groups);
    }
  }

  return Object.freeze({drawMemory});
})();
