"""The neutral document model every report is built in, written to Excel and to HTML.

A report is a title, a few metadata lines and sections; a section holds blocks: paragraphs,
key–value lists, tables and charts. A chart draws columns of a table of the same section (so the
workbook's native chart and the HTML picture show the very figures of the table). Builders
(:mod:`lingtan.reports.builders`) fill the model from the service functions; writers
(:mod:`lingtan.reports.xlsx`, :mod:`lingtan.reports.html`) know nothing of the domain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

#: number formats a column may carry (Excel format codes; HTML mirrors them)
Format = Literal["text", "int", "num0", "num1", "num2", "num4", "pct1", "pct2", "date"]


@dataclass(frozen=True, slots=True)
class Column:
    """A table column: key into the rows, header, number format."""

    key: str
    label: str
    fmt: Format = "text"
    width: float | None = None


@dataclass(frozen=True, slots=True)
class Table:
    """Rows of values under headers; ``total`` is an optional last row shown bold."""

    key: str
    columns: Sequence[Column]
    rows: Sequence[dict[str, Any]]
    title: str = ""
    total: dict[str, Any] | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class KeyValues:
    """Label → value lines (the head of a report or a section)."""

    items: Sequence[tuple[str, Any, Format]]
    title: str = ""


@dataclass(frozen=True, slots=True)
class Paragraph:
    """Free text (one paragraph); ``style`` ``note`` renders small, ``warn`` highlighted."""

    text: str
    style: Literal["body", "note", "warn"] = "body"


@dataclass(frozen=True, slots=True)
class Chart:
    """A native chart over columns of a table of the same section."""

    table: str
    category: str
    series: Sequence[str]
    title: str
    kind: Literal["column", "bar", "line"] = "column"
    stacked: bool = False
    y_title: str = ""


Block = Paragraph | KeyValues | Table | Chart


@dataclass(frozen=True, slots=True)
class Section:
    """One section: one worksheet in Excel, one heading in HTML."""

    title: str
    blocks: Sequence[Block]
    #: worksheet name (≤ 31 characters, no []:*?/\)
    sheet: str = ""


@dataclass(frozen=True)
class Report:
    """A whole report."""

    title: str
    subtitle: str
    lang: str
    meta: Sequence[tuple[str, str]]
    sections: Sequence[Section]
    footer: str = ""
    synthetic: bool = False
    extras: dict[str, Any] = field(default_factory=dict)

    def table(self, key: str) -> Table:
        """The table ``key`` (tests and charts look tables up by key)."""
        for section in self.sections:
            for block in section.blocks:
                if isinstance(block, Table) and block.key == key:
                    return block
        raise KeyError(key)
