// File: dom.js
//
// The one way the HTML report's scripts put anything into the page. el()
// and svgEl() build an element from attributes and children, where every
// string becomes an attribute value (setAttribute) or a text node, never
// markup: function names from the analysis are C++ templates full of <, >
// and &, and a name may be hostile. No script of the report hands the DOM
// markup to parse (report_html_test.cc checks for the sinks that would).
//
// One of the report's scripts, inlined in the order of report.html (their
// list is at the top of report.js); exports the global `jleakDom`.

const jleakDom = (() => {
  'use strict';

  const SVG_NS = 'http://www.w3.org/2000/svg';

  // fill: sets `attrs` on `node` (false, null or undefined: left out; true:
  // present and empty) and appends `children`, arrays flattened, strings
  // as text nodes.
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

  return Object.freeze({el, svgEl});
})();
