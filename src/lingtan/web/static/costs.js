// The energy-cost page's chart: monthly cost stacked by time-of-use period (data embedded as JSON).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var src = document.getElementById("cost-data");
    var el = document.getElementById("chart-costs");
    if (!src || !el || !window.Plotly) return;
    var data = JSON.parse(src.textContent);
    var traces = data.traces.map(function (t) {
      // a null cost (no known hour, no price or no tariff) stays a gap, never a zero bar
      return { type: "bar", name: t.name, x: t.x, y: t.y, marker: { color: t.color },
        customdata: data.missing_hours,
        hovertemplate: "%{y:,.2f}<br>" + data.missing_label + ": %{customdata}<extra>" + t.name +
          "</extra>" };
    });
    var layout = { barmode: "stack", margin: { l: 70, r: 20, t: 10, b: 40 }, paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)", font: { size: 12 }, legend: { orientation: "h" } };
    Plotly.newPlot(el, traces, layout, { displaylogo: false, responsive: true }).then(function () {
      el.setAttribute("data-rendered", "1");
    });
  });
})();
