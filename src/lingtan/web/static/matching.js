// lingtan green-power matching page: CFE by month and the day × hour heat map (data embedded as JSON).
(function () {
  "use strict";
  var config = { displaylogo: false, responsive: true };
  var base = { margin: { l: 50, r: 20, t: 10, b: 40 }, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)", font: { size: 12 } };
  function merge(a, b) { var o = {}; for (var k in a) o[k] = a[k]; for (var j in b) o[j] = b[j]; return o; }
  function draw(id, traces, layout) {
    var el = document.getElementById(id);
    if (!el || !window.Plotly) return;
    Plotly.newPlot(el, traces, merge(base, layout || {}), config).then(function () { el.setAttribute("data-rendered", "1"); });
  }
  function pct(v) { return v === null ? null : v * 100; }
  document.addEventListener("DOMContentLoaded", function () {
    var el = document.getElementById("matching-data");
    if (!el) return;
    var d = JSON.parse(el.textContent);
    draw("chart-cfe-months", [
      { type: "bar", x: d.months, y: d.hourly.map(pct), name: d.labels.cfe_hourly, marker: { color: "#1f7a5a" } },
      { type: "bar", x: d.months, y: d.monthly.map(pct), name: d.labels.cfe_monthly, marker: { color: "#7fd3b0" } }
    ], { barmode: "group", yaxis: { range: [0, 100], ticksuffix: "%" }, legend: { orientation: "h" } });
    draw("chart-cfe-heatmap", [
      { type: "heatmap", z: d.heat, colorscale: "Greens", reversescale: true, zmin: 0, zmax: 100, colorbar: { ticksuffix: "%" } }
    ], { xaxis: { title: { text: "h" }, dtick: 3 }, yaxis: { title: { text: "day" }, autorange: "reversed" } });
  });
})();
