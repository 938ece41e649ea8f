// Station charts: the last 24 hourly means of each parameter with its limit as a dashed line
// (plotly.js served locally).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var src = document.getElementById("env-data");
    if (!src || !window.Plotly) return;
    JSON.parse(src.textContent).forEach(function (c) {
      var el = document.getElementById(c.id);
      if (!el) return;
      var traces = [{ x: c.x, y: c.y, type: "scatter", mode: "lines+markers", line: { color: "#3a6ea5" }, name: c.parameter }];
      [c.limit, c.low].forEach(function (v) {
        if (v === null || v === undefined) return;
        traces.push({ x: [c.x[0], c.x[c.x.length - 1]], y: [v, v], type: "scatter", mode: "lines",
          line: { color: "#c0392b", dash: "dash" }, name: c.limit_label });
      });
      var layout = { margin: { l: 50, r: 10, t: 10, b: 40 }, showlegend: false,
        paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)" };
      Plotly.newPlot(el, traces, layout, { displaylogo: false, responsive: true }).then(function () {
        el.setAttribute("data-rendered", "1");
      });
    });
  });
})();
