// File: summary.js
//
// The report's text around its tables and drawings: the verdict header
// (verdict, reason, kind of growth, command), the summary cards (total
// growth, process signals, snapshots analyzed, budgets), the warnings, the
// list of snapshots and the footer. Each draw function fills its element
// of report.html from the JSON report (`data`) and the context `ctx` made
// by report.js.
//
// One of the report's scripts, inlined in the order of report.html (their
// list is at the top of report.js); exports the global `jleakSummary`.

const jleakSummary = (() => {
  'use strict';

  const {el} = jleakDom;
  const {formatBytes, formatCi, formatG, formatP, formatRate, formatSeconds} =
      jleakFormat;

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

  return Object.freeze({
    drawHeader,
    drawSummary,
    drawWarnings,
    drawSnapshots,
    drawFooter,
  });
})();
