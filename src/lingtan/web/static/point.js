// The meter page's curve: one series per point (colours from the server's carrier palette),
// estimated/missing periods shaded, resets/spikes marked (plotly.js served locally).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var src = document.getElementById("point-data");
    var el = document.getElementById("chart-point");
    if (!src || !el || !window.Plotly) return;
    var d = JSON.parse(src.textContent);
    var traces = d.series.map(function (s) {
      return d.bar ? { type: "bar", x: s.x, y: s.y, name: s.name, marker: { color: s.colour } }
        : { type: "scatter", mode: "lines", x: s.x, y: s.y, name: s.name, line: { color: s.colour, width: 1.5 }, connectgaps: false };
    });
    var seen = {};
    d.events.forEach(function (e) {
      var t = seen[e.kind];
      if (!t) {
        t = seen[e.kind] = { type: "scatter", mode: "markers", x: [], y: [], name: e.label,
          marker: { color: e.colour, symbol: "x", size: 9 }, yaxis: "y2", hoverinfo: "x+name" };
        traces.push(t);
      }
      t.x.push(e.x); t.y.push(1);
    });
    var shapes = d.shades.map(function (s) {
      return { type: "rect", xref: "x", yref: "paper", x0: s.x0, x1: s.x1, y0: 0, y1: 1, fillcolor: s.colour, line: { width: 0 }, layer: "below" };
    });
    var layout = { margin: { l: 60, r: 10, t: 10, b: 40 }, legend: { orientation: "h" }, shapes: shapes,
      yaxis: { title: { text: d.unit } }, yaxis2: { overlaying: "y", range: [0, 1.05], visible: false, fixedrange: true },
      xaxis: { rangeslider: { visible: false } }, hovermode: "x unified",
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)" };
    Plotly.newPlot(el, traces, layout, { displaylogo: false, responsive: true }).then(function () {
      el.setAttribute("data-rendered", "1");
    });
  });
})();
