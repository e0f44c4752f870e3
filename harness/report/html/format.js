// File: format.js
//
// Numbers for people and the axes of the plots: bytes, rates with their
// confidence intervals, p-values, durations, a frame's file and module;
// tick steps, value and time axes. Pure functions of their arguments, no
// DOM; the headless-Chromium check unit-tests them through `jleakReport`
// (report_html_browser_test.js).
//
// One of the report's scripts, inlined in the order of report.html (their
// list is at the top of report.js); exports the global `jleakFormat`.

const jleakFormat = (() => {
  'use strict';

  const MINUS = '\u2212';
  const INFINITY = '\u221e';

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

  return Object.freeze({
    finite,
    formatG,
    formatBytes,
    formatRate,
    formatCi,
    formatP,
    formatSeconds,
    formatTrend,
    frameWhere,
    plural,
    niceStep,
    yAxis,
    axisLabel,
    timeUnit,
  });
})();
