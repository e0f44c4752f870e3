// File: sites.js
//
// The table of allocation sites: one row per growing site of the page
// model (ctx.model.sites, chosen by report_html.cc), each with the frame
// that names it, where it is, the frames it allocated through and its
// first callers, its growth, rate and confidence interval, p-value, trend
// and a sparkline; the suppressed-sites switch; the sites that did not
// grow folded behind one line. A site of a leak group (the sites one
// application frame makes: report.json `groups`) names its group's
// headline above its frames.
//
// One of the report's scripts, inlined in the order of report.html (their
// list is at the top of report.js); exports the global `jleakSites`.

const jleakSites = (() => {
  'use strict';

  const {el, svgEl} = jleakDom;
  const {finite, formatBytes, formatCi, formatP, formatRate, formatTrend,
         frameWhere, plural} = jleakFormat;

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
    const frames = siteFrames(site, ctx.model.caller_frames);
    const group = ctx.groups && ctx.groups.get(site.group);
    if (group && group.app_frame) {
      frames.prepend(el(
          'div', {class: 'group', title: group.key},
          `group ${group.rank + 1}: ${group.headline}`));
    }
    return el(
        'tr', {class: classes.join(' '), 'data-rank': site.rank},
        el('td', {class: 'rank'}, site.rank + 1), frames,
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
    ctx.groups = new Map((data.groups || []).map((g) => [g.rank, g]));
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

  return Object.freeze({drawSites});
})();
