// lingtan dashboard charts: data is embedded by the server as JSON; plotly.js is served locally.
(function () {
  "use strict";
  var palette = ["#1f7a5a", "#2f9e77", "#7fd3b0", "#e0a526", "#c0392b", "#3a6ea5", "#8e6bbf", "#6b7f78", "#b5651d", "#4db6ac"];
  var config = { displaylogo: false, responsive: true };
  var layoutBase = { margin: { l: 50, r: 20, t: 10, b: 40 }, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)", font: { size: 12 } };

  function json(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  function fade(hex, alpha) {
    var r = parseInt(hex.slice(1, 3), 16), g = parseInt(hex.slice(3, 5), 16), b = parseInt(hex.slice(5, 7), 16);
    return "rgba(" + r + "," + g + "," + b + "," + alpha + ")";
  }
  function merge(a, b) { var o = {}; for (var k in a) o[k] = a[k]; for (var j in b) o[j] = b[j]; return o; }
  function draw(id, traces, layout) {
    var el = document.getElementById(id);
    if (!el || !window.Plotly) return;
    var size = { width: el.clientWidth || undefined, height: el.clientHeight || undefined };
    Plotly.newPlot(el, traces, merge(merge(layoutBase, size), layout || {}), config).then(function () { el.setAttribute("data-rendered", "1"); });
  }

  function overview(data) {
    if (data.carriers && data.carriers.length) {
      draw("chart-carriers", [{ type: "pie", hole: 0.5, labels: data.carriers.map(function (c) { return c.name; }),
        values: data.carriers.map(function (c) { return c.tce; }), marker: { colors: data.carriers.map(function (c, i) { return c.colour || palette[i % palette.length]; }) }, textinfo: "percent", sort: false }],
        { showlegend: true, legend: { orientation: "h" } });
    }
    if (data.months) {
      draw("chart-months", [{ type: "bar", x: data.months.map(function (m) { return m.month; }), y: data.months.map(function (m) { return m.tce; }),
        marker: { color: palette[0] }, name: data.labels.tce }], { xaxis: { dtick: 1 }, yaxis: { title: { text: data.labels.tce } } });
    }
    (data.gauges || []).forEach(function (g) {
      draw("gauge-" + g.id, [{ type: "indicator", mode: "gauge+number", value: g.value === null ? 0 : g.value * 100,
        number: { suffix: "%", valueformat: ".1f", font: { size: 30 } }, title: { text: g.title, font: { size: 13 } },
        gauge: { axis: { range: [0, 100] }, bar: { color: palette[0] } } }], { margin: { l: 20, r: 20, t: 40, b: 10 } });
    });
    if (data.quality) {
      var q = data.quality, l = data.labels;
      draw("chart-quality", [
        { type: "bar", orientation: "h", y: [""], x: [q.measured * 100], name: l.measured, marker: { color: palette[1] } },
        { type: "bar", orientation: "h", y: [""], x: [q.estimated * 100], name: l.estimated, marker: { color: palette[3] } },
        { type: "bar", orientation: "h", y: [""], x: [q.missing * 100], name: l.missing, marker: { color: palette[4] } }
      ], { barmode: "stack", xaxis: { range: [0, 100], ticksuffix: "%" }, legend: { orientation: "h" }, margin: { l: 10, r: 10, t: 10, b: 30 } });
    }
  }

  function indicators(list) {
    var box = document.getElementById("indicator-gauges");
    if (!box || !list || !list.length) return;
    list.forEach(function (ind, i) {
      var div = document.createElement("div");
      div.className = "gauge"; div.id = "ind-" + i;
      if (ind.value === null) div.setAttribute("data-empty", "1"); div.setAttribute("data-testid", "indicator-" + ind.key);
      box.appendChild(div);
      var range = ind.range;
      var empty = ind.value === null;
      draw(div.id, [{ type: "indicator", mode: empty ? "gauge" : "gauge+number+delta", value: empty ? 0 : ind.value,
        number: { valueformat: ind.format || ".2f", suffix: ind.suffix || "", font: { size: 26 } }, title: { text: ind.title, font: { size: 12 } },
        delta: ind.target === null || empty ? undefined : { reference: ind.target, increasing: { color: ind.lower_is_better ? "#c0392b" : "#1f7a5a" }, decreasing: { color: ind.lower_is_better ? "#1f7a5a" : "#c0392b" } },
        gauge: { axis: { range: range }, bar: { color: ind.meets === false ? "#c0392b" : "#1f7a5a" },
          threshold: ind.target === null ? undefined : { line: { color: "#12372c", width: 3 }, value: ind.target } } }],
        { margin: { l: 25, r: 25, t: 50, b: 10 },
          annotations: empty ? [{ text: "—", showarrow: false, x: 0.5, y: 0.15, xref: "paper", yref: "paper", font: { size: 26 } }] : [] });
    });
  }

  function sankey(flow) {
    if (!flow || !flow.nodes.length) return;
    // colours by carrier from the server's one palette (lingtan/web/palette.py)
    var colors = flow.node_colours || flow.nodes.map(function (n, i) { return n.kind === "owner" ? "#6b7f78" : palette[i % palette.length]; });
    var linkColors = (flow.link_colours || []).map(function (c) { return fade(c, 0.45); });
    if (!linkColors.length) linkColors = flow.links.map(function () { return "rgba(31,122,90,0.25)"; });
    // circular-project flows between enterprises (循环/互补): light fill, dark outline, own hover
    var circ = flow.circular_drawn || [];
    var links = flow.links.map(function (l) { return { source: l.source, target: l.target, value: l.value, text: null }; })
      .concat(circ);
    var plain = flow.links.length;
    draw("chart-sankey", [{ type: "sankey", arrangement: "snap", valueformat: ",.0f", valuesuffix: " tce",
      node: { label: flow.nodes.map(function (n) { return n.name; }), color: colors, pad: 12, thickness: 14 },
      link: { source: links.map(function (l) { return l.source; }), target: links.map(function (l) { return l.target; }),
        value: links.map(function (l) { return l.value; }),
        color: linkColors.concat(circ.map(function () { return "rgba(230,160,40,0.30)"; })),
        line: { color: links.map(function (l, i) { return i < plain ? "rgba(0,0,0,0)" : "#8a5a00"; }),
          width: links.map(function (l, i) { return i < plain ? 0 : 1.5; }) },
        customdata: links.map(function (l) { return l.text || ""; }),
        hovertemplate: "%{source.label} → %{target.label}<br>%{value:,.1f} tce<br>%{customdata}<extra></extra>" } }], { margin: { l: 10, r: 10, t: 10, b: 10 } });
  }

  function alarm(data) {
    if (!data) return;
    var shapes = [{ type: "rect", xref: "x", yref: "paper", x0: data.from, x1: data.to, y0: 0, y1: 1,
      fillcolor: "rgba(200,60,40,0.12)", line: { width: 0 } }];
    draw("chart-alarm", [{ type: "scatter", mode: "lines", x: data.x, y: data.y, name: data.name,
      line: { color: palette[0] } }], { shapes: shapes, margin: { l: 60, r: 10, t: 10, b: 40 } });
  }
  document.addEventListener("DOMContentLoaded", function () {
    alarm(json("alarm-data"));
    var data = json("chart-data");
    if (data) overview(data);
    indicators(json("indicator-data"));
    sankey(json("flow-data"));
  });
})();
