// File: flame.js
//
// The icicle graph (a flame graph, root on top) of where the memory grew:
// the frames of the page model (ctx.model.flame), laid out by
// report_html.cc as fractions of the width, drawn 1200 wide; a click
// zooms into a frame, the root resets.
//
// One of the report's scripts, inlined in the order of report.html (their
// list is at the top of report.js); exports the global `jleakFlame`.

const jleakFlame = (() => {
  'use strict';

  const {el, svgEl} = jleakDom;
  const {formatBytes} = jleakFormat;

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

  return Object.freeze({drawFlame, flameLabel});
})();
