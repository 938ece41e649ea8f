// The dispatch chart: grid import, PV (and its forecast) and load per step, the metered
// import and PV per hour once the day is over, battery energy on a second axis
// (plotly.js served locally).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var src = document.getElementById("dispatch-data");
    var el = document.getElementById("chart-dispatch");
    if (!src || !el || !window.Plotly) return;
    var d = JSON.parse(src.textContent);
    var c = d.colours || { import: "#3a6ea5", pv: "#e0a526", soc: "#1f7a5a" };  // the server's carrier palette
    var traces = [
      { x: d.x, y: d.load, type: "scatter", mode: "lines", line: { color: "#555555", shape: "hv" }, name: d.labels.load },
      { x: d.x, y: d.import, type: "scatter", mode: "lines", line: { color: c.import, shape: "hv" }, name: d.labels.import },
      { x: d.x, y: d.pv, type: "scatter", mode: "lines", line: { color: c.pv, shape: "hv" }, name: d.labels.pv }
    ];
    if (d.pv_forecast) {
      traces.push({ x: d.x, y: d.pv_forecast, type: "scatter", mode: "lines",
        line: { color: c.pv, dash: "dash", shape: "hv" }, name: d.labels.pv_forecast });
    }
    if (d.metered) {
      traces.push({ x: d.metered.x, y: d.metered.import, type: "scatter", mode: "lines+markers",
        line: { color: "#a33a3a", shape: "hv" }, name: d.labels.metered_import });
      traces.push({ x: d.metered.x, y: d.metered.pv, type: "scatter", mode: "lines+markers",
        line: { color: "#8a6d1f", shape: "hv" }, name: d.labels.metered_pv });
    }
    Object.keys(d.soc).forEach(function (code) {
      traces.push({ x: d.x, y: d.soc[code], type: "scatter", mode: "lines", yaxis: "y2",
        line: { color: c.soc, dash: "dot" }, name: d.labels.soc + " " + code });
    });
    var layout = { margin: { l: 60, r: 60, t: 10, b: 40 }, legend: { orientation: "h" },
      yaxis: { title: d.labels.power }, yaxis2: { title: d.labels.soc, overlaying: "y", side: "right" },
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)" };
    Plotly.newPlot(el, traces, layout, { displaylogo: false, responsive: true }).then(function () {
      el.setAttribute("data-rendered", "1");
    });
  });
})();
