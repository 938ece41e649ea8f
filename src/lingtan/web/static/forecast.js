// The forecast chart: actuals against P50 with the P10–P90 band (plotly.js served locally).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var src = document.getElementById("forecast-data");
    var el = document.getElementById("chart-forecast");
    if (!src || !el || !window.Plotly) return;
    var d = JSON.parse(src.textContent);
    var traces = [
      { x: d.x, y: d.p10, type: "scatter", mode: "lines", line: { width: 0 }, showlegend: false, hoverinfo: "skip" },
      { x: d.x, y: d.p90, type: "scatter", mode: "lines", line: { width: 0 }, fill: "tonexty",
        fillcolor: "rgba(47,158,119,0.25)", name: d.labels.band },
      { x: d.x, y: d.p50, type: "scatter", mode: "lines", line: { color: "#1f7a5a" }, name: d.labels.p50 },
      { x: d.actual_x, y: d.actual, type: "scatter", mode: "lines", line: { color: "#3a6ea5", dash: "dot" }, name: d.labels.actual }
    ];
    var layout = { margin: { l: 60, r: 10, t: 10, b: 40 }, legend: { orientation: "h" },
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)" };
    Plotly.newPlot(el, traces, layout, { displaylogo: false, responsive: true }).then(function () {
      el.setAttribute("data-rendered", "1");
    });
  });
})();
