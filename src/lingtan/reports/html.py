"""Write a :class:`~lingtan.reports.model.Report` as one self-contained HTML page.

The page has no external resources (styles inline, charts as inline SVG drawn from the same table
cells as the workbook's charts), so it can be mailed, archived or printed as it is. Text is
escaped by the template engine (autoescape on).
"""

from __future__ import annotations

import math
from typing import Any, Final

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from lingtan.reports.model import Chart, KeyValues, Paragraph, Report, Table

_PALETTE: Final = (
    "#3b6ea5",
    "#e07b39",
    "#5aa469",
    "#c94c4c",
    "#8e6bb8",
    "#b8860b",
    "#4bacc6",
    "#7f7f7f",
    "#d46a9f",
    "#2f8f83",
)


def fmt_value(value: Any, fmt: str) -> str:
    """A cell as text, in the column's number format."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, int | float):
        if isinstance(value, float) and math.isnan(value):
            return ""
        if fmt in ("int", "num0"):
            return f"{value:,.0f}"
        if fmt == "num1":
            return f"{value:,.1f}"
        if fmt == "num2":
            return f"{value:,.2f}"
        if fmt == "num4":
            return f"{value:.4f}"
        if fmt == "pct1":
            return f"{value * 100:.1f}%"
        if fmt == "pct2":
            return f"{value * 100:.2f}%"
        return f"{value:,.6g}"
    return str(value)


def _nice_max(v: float) -> float:
    if v <= 0:
        return 1.0
    exp = float(10.0 ** math.floor(math.log10(v)))
    for m in (1, 2, 2.5, 5, 10):
        if m * exp >= v:
            return m * exp
    return 10 * exp


def svg_chart(chart: Chart, table: Table) -> Markup:
    """A column (or stacked column) chart of ``chart.series`` over ``chart.category``."""
    rows = list(table.rows)
    labels = {c.key: c.label for c in table.columns}
    cats = [str(r.get(chart.category, "")) for r in rows]
    series = [[float(r.get(k) or 0.0) for r in rows] for k in chart.series]
    width, height = 760, 300
    left, right, top, bottom = 70, 10, 30, 60
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(1, len(rows))
    if chart.stacked:
        pos = [sum(max(0.0, s[i]) for s in series) for i in range(len(rows))]
        neg = [sum(min(0.0, s[i]) for s in series) for i in range(len(rows))]
    else:
        pos = [max([0.0, *(s[i] for s in series)]) for i in range(len(rows))]
        neg = [min([0.0, *(s[i] for s in series)]) for i in range(len(rows))]
    vmax = _nice_max(max(pos, default=0.0))
    vmin = -_nice_max(-min(neg, default=0.0)) if min(neg, default=0.0) < 0 else 0.0
    span = vmax - vmin

    def y(v: float) -> float:
        return top + plot_h * (vmax - v) / span

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="chart" role="img" aria-label="{escape(chart.title)}">',
        f'<text x="{width / 2}" y="16" text-anchor="middle" class="ct">{escape(chart.title)}</text>',
    ]
    for k in range(5):
        v = vmin + span * k / 4
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" class="grid"/>'
        )
        parts.append(
            f'<text x="{left - 4}" y="{y(v) + 4:.1f}" text-anchor="end" class="tick">{v:,.4g}</text>'
        )
    slot = plot_w / n
    bar_w = slot * 0.7 / (1 if chart.stacked else max(1, len(series)))
    for i in range(len(rows)):
        x0 = left + slot * i + slot * 0.15
        up = down = 0.0
        for j, s in enumerate(series):
            v = s[i]
            color = _PALETTE[j % len(_PALETTE)]
            if chart.stacked:
                base = up if v >= 0 else down
                top_v = base + v
                if v >= 0:
                    up = top_v
                else:
                    down = top_v
                y1, y2 = sorted((y(base), y(top_v)))
                x = x0
            else:
                y1, y2 = sorted((y(0.0), y(v)))
                x = x0 + bar_w * j
            parts.append(
                f'<rect x="{x:.1f}" y="{y1:.1f}" width="{bar_w:.1f}" height="{max(0.5, y2 - y1):.1f}" '
                f'fill="{color}"><title>{escape(cats[i])} · {escape(labels.get(chart.series[j], ""))}: '
                f"{v:,.4g}</title></rect>"
            )
        label = cats[i] if len(cats[i]) <= 8 else cats[i][:7] + "…"
        parts.append(
            f'<text x="{left + slot * (i + 0.5):.1f}" y="{top + plot_h + 14}" text-anchor="middle" '
            f'class="tick">{escape(label)}</text>'
        )
    if chart.y_title:
        parts.append(
            f'<text x="14" y="{top + plot_h / 2}" transform="rotate(-90 14 {top + plot_h / 2})" '
            f'text-anchor="middle" class="tick">{escape(chart.y_title)}</text>'
        )
    lx = left
    for j, key in enumerate(chart.series):
        color = _PALETTE[j % len(_PALETTE)]
        name = labels.get(key, key)
        parts.append(f'<rect x="{lx}" y="{height - 22}" width="10" height="10" fill="{color}"/>')
        parts.append(f'<text x="{lx + 14}" y="{height - 13}" class="tick">{escape(name)}</text>')
        lx += 24 + 7 * len(name) * (2 if any(ord(c) > 0x2E80 for c in name) else 1)
    parts.append("</svg>")
    # every text in ``parts`` went through escape(); numbers are formatted by us
    return Markup("".join(parts))  # noqa: S704


_ENV = Environment(
    loader=PackageLoader("lingtan.reports", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.filters["fmt"] = fmt_value


def write_html(report: Report) -> bytes:
    """The report as one UTF-8 HTML page."""
    sections = []
    for section in report.sections:
        tables = {b.key: b for b in section.blocks if isinstance(b, Table)}
        blocks: list[tuple[str, Any]] = []
        for b in section.blocks:
            if isinstance(b, Chart):
                blocks.append(("chart", svg_chart(b, tables[b.table])))
            elif isinstance(b, Table):
                blocks.append(("table", b))
            elif isinstance(b, KeyValues):
                blocks.append(("kv", b))
            elif isinstance(b, Paragraph):
                blocks.append(("p", b))
        sections.append({"title": section.title, "blocks": blocks})
    page = _ENV.get_template("report.html").render(report=report, sections=sections)
    return page.encode("utf-8")
