"""Write a :class:`~lingtan.reports.model.Report` as an Excel workbook (openpyxl).

One worksheet per section; the first also carries the report title and metadata. Every table
gets a workbook-level defined name ``t_<key>`` over its header and data rows (without the total
row), so that a reader — a person or a test — finds a table without knowing where it landed.
Charts are native Excel charts over the table's cells. Pages are set up for printing (A4
landscape, fitted to the page width, page numbers in the footer) so that a PDF export of the
workbook reads like the report.

Every string is written as text (cell type ``s``), whatever it starts with: openpyxl stores a
string that begins with ``=`` as a formula, so a name such as ``=cmd|' /C calc'!A0`` (an
enterprise renamed through the park file) would otherwise reach the reader's Excel as a live
formula (CWE-1236, formula injection). Numbers stay numbers; no cell is a formula. ``&`` in
the page footer is doubled, since Excel reads ``&`` there as the start of a field code.
"""

from __future__ import annotations

import io
import re
import unicodedata
from typing import Any, Final

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.worksheet import Worksheet

from lingtan.reports.model import Chart, Column, KeyValues, Paragraph, Report, Section, Table

FORMATS: Final[dict[str, str]] = {
    "int": "#,##0",
    "num0": "#,##0",
    "num1": "#,##0.0",
    "num2": "#,##0.00",
    "num4": "0.0000",
    "pct1": "0.0%",
    "pct2": "0.00%",
    "date": "yyyy-mm-dd",
}
_HEAD_FILL = PatternFill("solid", fgColor="DDE7F0")
_TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
_THIN = Side(style="thin", color="A0A0A0")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_BAD_SHEET = re.compile(r"[\[\]:*?/\\]")
#: rows a chart occupies below its anchor
CHART_ROWS: Final = 18
#: widest a text column gets [characters]; longer text wraps
TEXT_WIDTH: Final = 36


def put(ws: Worksheet, row: int, col: int, value: Any) -> Cell:
    """Write ``value`` into a cell; a string is always text, never a formula (see above)."""
    cell = ws.cell(row, col)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def _footer_text(text: str) -> str:
    """``text`` for a header/footer section: ``&`` starts a field code there (``&P`` …)."""
    return text.replace("&", "&&")


def _display_width(value: Any) -> int:
    text = str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _sheet_name(section: Section, used: set[str]) -> str:
    base = _BAD_SHEET.sub(" ", section.sheet or section.title).strip()[:31] or "Sheet"
    name, n = base, 2
    while name in used:
        suffix = f" ({n})"
        name = base[: 31 - len(suffix)] + suffix
        n += 1
    used.add(name)
    return name


class _SheetWriter:
    def __init__(self, wb: Workbook, ws: Worksheet) -> None:
        self.wb = wb
        self.ws = ws
        self.row = 1
        self.widths: dict[int, int] = {}
        self.tables: dict[str, tuple[int, int, int, list[Column]]] = {}

    def _note_width(self, col: int, value: Any, cap: int = 60) -> None:
        if value is None:
            return
        self.widths[col] = min(cap, max(self.widths.get(col, 8), _display_width(value) + 2))

    def text(
        self,
        value: str,
        *,
        size: float = 11,
        bold: bool = False,
        color: str | None = None,
        italic: bool = False,
    ) -> None:
        cell = put(self.ws, self.row, 1, value)
        cell.font = Font(size=size, bold=bold, color=color, italic=italic)
        if size > 12:
            self.ws.row_dimensions[self.row].height = size * 1.6
        cell.alignment = Alignment(wrap_text=False, vertical="top")
        self.row += 1

    def key_values(self, block: KeyValues) -> None:
        if block.title:
            self.text(block.title, bold=True)
        for label, value, fmt in block.items:
            a = put(self.ws, self.row, 1, label)
            a.font = Font(bold=True)
            b = put(self.ws, self.row, 2, value)
            if fmt in FORMATS and isinstance(value, int | float):
                b.number_format = FORMATS[fmt]
            b.alignment = Alignment(horizontal="left")
            self._note_width(1, label, 40)
            self.row += 1
        self.row += 1

    def table(self, block: Table) -> None:
        ws = self.ws
        if block.title:
            self.text(block.title, bold=True)
        head = self.row
        for j, col in enumerate(block.columns, start=1):
            cell = put(ws, head, j, col.label)
            cell.font = Font(bold=True)
            cell.fill = _HEAD_FILL
            cell.border = _BOX
            cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
            self._note_width(j, col.label, 28)
        r = head + 1
        rows = list(block.rows)
        for data in [*rows, *([block.total] if block.total is not None else [])]:
            is_total = block.total is not None and data is block.total
            for j, col in enumerate(block.columns, start=1):
                value = data.get(col.key)
                if isinstance(value, list | tuple | dict):
                    value = str(value)
                cell = put(ws, r, j, value)
                cell.border = _BOX
                if (
                    col.fmt in FORMATS
                    and isinstance(value, int | float)
                    and not isinstance(value, bool)
                ):
                    cell.number_format = FORMATS[col.fmt]
                    self._note_width(j, f"{value:,.2f}" if col.fmt != "int" else f"{value:,.0f}")
                else:
                    self._note_width(j, value, cap=TEXT_WIDTH)
                    if isinstance(value, str) and _display_width(value) > TEXT_WIDTH:
                        # long text wraps inside its column (the row grows) instead of widening
                        # the page that the print setup fits to its width
                        cell.alignment = Alignment(wrap_text=True, vertical="top")
                        lines = -(-_display_width(value) // (TEXT_WIDTH - 2))
                        height = max(ws.row_dimensions[r].height or 15.0, 14.5 * lines)
                        ws.row_dimensions[r].height = height
                if is_total:
                    cell.font = Font(bold=True)
                    cell.fill = _TOTAL_FILL
            r += 1
        last_data = head + len(rows)
        self.tables[block.key] = (head, last_data, len(block.columns), list(block.columns))
        if rows:
            ref = (
                f"{quote_sheetname(ws.title)}!$A${head}:"
                f"${get_column_letter(len(block.columns))}${last_data}"
            )
            name = f"t_{block.key}"
            self.wb.defined_names[name] = DefinedName(name, attr_text=ref)
        self.row = r
        if block.note:
            self.text(block.note, size=9, italic=True, color="555555")
        self.row += 1

    def chart(self, block: Chart) -> None:
        placed = self.tables.get(block.table)
        if placed is None:
            raise KeyError(f"chart {block.title!r}: table {block.table!r} is not in this section")
        head, last, _ncols, columns = placed
        if last <= head:
            return
        keys = [c.key for c in columns]
        chart: BarChart | LineChart
        if block.kind == "line":
            chart = LineChart()
        else:
            chart = BarChart()
            chart.type = "bar" if block.kind == "bar" else "col"
            if block.stacked:
                chart.grouping = "stacked"
                chart.overlap = 100
        chart.title = block.title
        chart.y_axis.title = block.y_title
        chart.height = 8.5
        chart.width = 22
        for key in block.series:
            col = keys.index(key) + 1
            data = Reference(self.ws, min_col=col, min_row=head, max_row=last)
            chart.add_data(data, titles_from_data=True)
        cat_col = keys.index(block.category) + 1
        chart.set_categories(Reference(self.ws, min_col=cat_col, min_row=head + 1, max_row=last))
        # openpyxl ≥ 3.1 hides axes unless delete is set explicitly
        chart.x_axis.delete = False
        chart.y_axis.delete = False
        self.ws.add_chart(chart, f"A{self.row}")
        self.row += CHART_ROWS

    def paragraph(self, block: Paragraph) -> None:
        if block.style == "note":
            self.text(block.text, size=9, italic=True, color="555555")
        elif block.style == "warn":
            self.text(block.text, bold=True, color="9C0006")
        else:
            self.text(block.text)

    def finish(self, footer: str) -> None:
        for col, width in self.widths.items():
            self.ws.column_dimensions[get_column_letter(col)].width = width
        ws = self.ws
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_options.gridLines = False
        text = footer[:200]
        while len(_footer_text(text)) > 200:  # the doubled & count against the length too
            text = text[:-1]
        ws.oddFooter.left.text = _footer_text(text)
        ws.oddFooter.right.text = "&P / &N"


def write_xlsx(report: Report) -> bytes:
    """The report as ``.xlsx`` bytes."""
    wb = Workbook()
    used: set[str] = set()
    first = True
    for section in report.sections:
        ws = wb.active if first else wb.create_sheet()
        assert ws is not None
        ws.title = _sheet_name(section, used)
        w = _SheetWriter(wb, ws)
        if first:
            w.text(report.title, size=16, bold=True)
            w.text(report.subtitle, size=11, color="444444")
            for label, value in report.meta:
                w.text(f"{label}：{value}" if report.lang == "zh" else f"{label}: {value}", size=10)
            if report.synthetic:
                w.text(
                    "合成数据，仅供演示"
                    if report.lang == "zh"
                    else "synthetic data, for demonstration only",
                    bold=True,
                    color="9C5700",
                )
            w.row += 1
            first = False
        w.text(section.title, size=13, bold=True)
        for block in section.blocks:
            if isinstance(block, Table):
                w.table(block)
            elif isinstance(block, KeyValues):
                w.key_values(block)
            elif isinstance(block, Chart):
                w.chart(block)
            else:
                w.paragraph(block)
        w.finish(report.footer or report.title)
    wb.properties.title = report.title
    wb.properties.creator = "lingtan"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
