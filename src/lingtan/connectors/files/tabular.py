"""CSV and Excel (.xlsx) readings with a column mapping, a preview, and manual entry.

For offline meters and backfills. Two layouts:

* **long** — one reading per row: ``point, ts, value[, unit]`` (column names mapped);
* **wide** — one row per timestamp, one column per point: ``ts, E01-main, E02-main …``
  (headers mapped to point ids, or used as point ids).

Spreadsheets usually hold local times without an offset; give ``timezone`` in the mapping
(``Asia/Shanghai``) and they are read in that zone. Without it a naive time stays naive and
the ingest pipeline rejects it — lingtan never guesses an offset. A cell that is not a
number is passed on as text, so the reading is rejected with its reason and kept, with the
file line as raw payload. Empty cells of the wide layout are no reading (absence is not a
value).

A CSV record is one line (a line ends at CR LF, LF or a bare CR). A line that is not a record
— an unbalanced quote, text after a closing quote, or a number of fields other than the
header's (a missing or extra field, another delimiter) — becomes one reading marked with that
problem, which the pipeline quarantines as ``malformed_row`` with the line as raw payload; the
next line is read on its own. Blank lines are skipped.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from lingtan.errors import InvalidInput
from lingtan.parsing import fields_text as _fields
from lingtan.parsing import physical_lines, split_line
from lingtan.readings import Reading
from lingtan.timeutil import zone


@dataclass(frozen=True)
class ColumnMapping:
    """How the columns of a file become readings."""

    layout: str = "long"
    #: column holding the timestamp (both layouts)
    ts: str = "timestamp"
    #: long layout: columns holding the point id, the value and the unit (default: a column
    #: named ``unit`` when the file has one) — the long format of docs/data-quality.md
    point: str = "point_id"
    value: str = "value"
    unit: str | None = None
    #: unit for every reading when the file has no unit column
    default_unit: str | None = None
    #: wide: header → point id (empty: every other column, header = point id);
    #: long: optional renaming of the point ids found in the file
    points: dict[str, str] = field(default_factory=dict)
    #: IANA zone of naive timestamps in the file; ``None`` leaves them naive (rejected)
    timezone: str | None = None
    #: ``strptime`` format when timestamps are not ISO 8601 (e.g. ``%Y/%m/%d %H:%M``)
    ts_format: str | None = None
    #: xlsx: sheet name (default: the first sheet)
    sheet: str | None = None
    #: 1-based row that holds the column names
    header_row: int = 1
    #: csv: text encoding (``gbk`` for exports from Chinese Excel) and delimiter
    encoding: str = "utf-8-sig"
    delimiter: str = ","

    def __post_init__(self) -> None:
        if self.layout not in ("long", "wide"):
            raise InvalidInput(f"layout {self.layout!r} is not long or wide", field="layout")
        if self.header_row < 1:
            raise InvalidInput("header_row starts at 1", field="header_row")
        if self.timezone is not None:
            zone(self.timezone)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> ColumnMapping:
        """Build from a YAML/JSON mapping (unknown keys are an error)."""
        data = dict(data or {})
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise InvalidInput(f"unknown mapping keys {sorted(unknown)}", field="mapping")
        if "points" in data:
            data["points"] = {str(k): str(v) for k, v in (data["points"] or {}).items()}
        return cls(**data)


class Row(NamedTuple):
    """One data line of a file."""

    #: line number in the file (1-based)
    line: int
    #: the cells, or None when the line is not a record
    cells: list[Any] | None
    #: the line as it stands in a CSV file (None for a workbook row)
    text: str | None = None
    #: why the line is not a record (``line 7: unbalanced quote …``)
    problem: str | None = None


@dataclass
class Table:
    """Rows of a file: the header and its data rows."""

    header: list[str]
    rows: Iterator[Row]


@dataclass
class Converted:
    """Readings of a file (a row that is wrong in any way still becomes a reading, with the
    file line as raw payload, for the ingest pipeline to quarantine with its reason)."""

    readings: list[Reading]


@dataclass
class Preview:
    """The first rows of a file, as read and as readings."""

    header: list[str]
    rows: list[list[Any]]
    readings: list[Reading]


def read_table(path: Path, mapping: ColumnMapping) -> Table:
    """Open a .csv or .xlsx file; rows are read lazily."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _xlsx(path, mapping)
    if suffix in (".csv", ".txt", ".tsv"):
        return _csv(path.read_bytes(), mapping)
    raise InvalidInput(f"{path.name}: only .csv and .xlsx files are read", field="file")


def read_csv_bytes(data: bytes, mapping: ColumnMapping) -> Table:
    """Rows of CSV content (a file's bytes or a request body)."""
    return _csv(data, mapping)


def _csv(data: bytes, mapping: ColumnMapping) -> Table:
    try:
        text = data.decode(mapping.encoding)
    except (UnicodeDecodeError, LookupError) as err:
        raise InvalidInput(
            f"file is not {mapping.encoding} text ({err}); set encoding (e.g. gbk)",
            field="encoding",
        ) from err
    delimiter = mapping.delimiter
    lines = physical_lines(text)
    header: list[str] | None = None
    for number, line in lines:
        if number < mapping.header_row:
            continue
        try:
            header = [c.strip() for c in split_line(line, delimiter)]
        except ValueError as err:
            raise InvalidInput(f"line {number} (the header): {err}", field="file") from None
        break
    if header is None:
        raise InvalidInput("file has no header row", field="file")
    width = len(header)
    rows: list[Row] = []
    for number, line in lines:
        try:
            cells = split_line(line, delimiter)
        except ValueError as err:
            rows.append(Row(number, None, line, f"line {number}: {err}"))
            continue
        if not any(c.strip() for c in cells):
            continue  # a blank line
        if len(cells) != width:
            problem = (
                f"line {number}: {_fields(len(cells))} where the header has {width} "
                f"(a missing or extra field, or a delimiter other than {delimiter!r})"
            )
            rows.append(Row(number, None, line, problem))
            continue
        rows.append(Row(number, list(cells), line))
    return Table(header, iter(rows))


def _xlsx(path: Path, mapping: ColumnMapping) -> Table:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as err:
        raise InvalidInput(
            f"{path.name} is not a readable .xlsx file: {err}", field="file"
        ) from err
    try:
        sheet = book[mapping.sheet] if mapping.sheet else book.worksheets[0]
    except KeyError as err:
        raise InvalidInput(f"no sheet {mapping.sheet!r} in {path.name}", field="sheet") from err
    header: list[str] | None = None
    rows: list[Row] = []
    for line, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
        if line < mapping.header_row:
            continue
        if header is None:
            header = ["" if c is None else str(c).strip() for c in cells]
            continue
        values = list(cells)
        if any(c is not None and str(c).strip() for c in values):
            rows.append(Row(line, values))
    book.close()
    if header is None:
        raise InvalidInput(f"{path.name}: no header row", field="file")
    return Table(header, iter(rows))


def _column(header: list[str], name: str, what: str) -> int:
    try:
        return header.index(name)
    except ValueError:
        raise InvalidInput(
            f"no column {name!r} for the {what}; columns are {header}", field=what
        ) from None


def _timestamp(cell: Any, mapping: ColumnMapping, tz: ZoneInfo | None) -> dt.datetime | str:
    if isinstance(cell, dt.datetime):
        value = cell
    elif isinstance(cell, dt.date):
        value = dt.datetime(cell.year, cell.month, cell.day)  # noqa: DTZ001 - zone added below
    elif cell is None:
        return ""
    else:
        text = str(cell).strip()
        try:
            if mapping.ts_format:
                value = dt.datetime.strptime(text, mapping.ts_format)  # noqa: DTZ007 - zone added below
            else:
                value = dt.datetime.fromisoformat(text)
        except ValueError:
            return text
    if value.tzinfo is None or value.utcoffset() is None:
        if tz is None:
            return value.isoformat()
        value = value.replace(tzinfo=tz)
    return value


def _value(cell: Any) -> float | int | str | None:
    if cell is None:
        return None
    if isinstance(cell, bool):
        return str(cell)
    if isinstance(cell, int | float):
        return cell
    text = str(cell).strip()
    if not text:
        return None
    try:
        number = float(text.replace(",", "").replace("，", ""))
    except ValueError:
        return text
    return number if math.isfinite(number) else text


def _raw(header: list[str], cells: list[Any]) -> str:
    return ",".join("" if c is None else str(c) for c in cells[: len(header)])


def _point_of(text: str, column: int, mapping: ColumnMapping) -> str:
    """The point cell of a line that is not a valid record, read leniently (best effort)."""
    try:
        cells = next(csv.reader((text,), delimiter=mapping.delimiter), [])
    except csv.Error:
        return ""
    point = cells[column].strip() if column < len(cells) else ""
    return mapping.points.get(point, point)


def convert(
    table: Table, mapping: ColumnMapping, *, source: str, limit: int | None = None
) -> Converted:
    """Turn rows into readings (at most ``limit`` rows are converted when given)."""
    tz = zone(mapping.timezone) if mapping.timezone else None
    header = table.header
    ts_col = _column(header, mapping.ts, "ts")
    readings: list[Reading] = []
    p_col = -1
    if mapping.layout == "long":
        p_col = _column(header, mapping.point, "point")
        v_col = _column(header, mapping.value, "value")
        if mapping.unit:
            u_col: int | None = _column(header, mapping.unit, "unit")
        else:
            u_col = header.index("unit") if "unit" in header else None
    else:
        columns = [
            (i, mapping.points.get(name, name) if mapping.points else name)
            for i, name in enumerate(header)
            if i != ts_col and name and (not mapping.points or name in mapping.points)
        ]
        if mapping.points:
            missing = set(mapping.points) - set(header)
            if missing:
                raise InvalidInput(f"no columns {sorted(missing)} in the file", field="points")
    for count, (line, row_cells, text, problem) in enumerate(table.rows):
        if limit is not None and count >= limit:
            break
        where = f"{source}:{line}"
        if row_cells is None:
            # not a record: one reading carrying the problem, the line kept whole; the point
            # (long layout) is made out as well as it can be, only to file the reject under it
            point = _point_of(text or "", p_col, mapping) if mapping.layout == "long" else ""
            readings.append(Reading(point, "", None, None, where, text, problem))
            continue
        cells = row_cells + [None] * (len(header) - len(row_cells))
        raw = text if text is not None else _raw(header, cells)
        ts = _timestamp(cells[ts_col], mapping, tz)
        if mapping.layout == "long":
            point = "" if cells[p_col] is None else str(cells[p_col]).strip()
            point = mapping.points.get(point, point)
            unit_cell = cells[u_col] if u_col is not None else None
            unit = str(unit_cell).strip() if unit_cell not in (None, "") else mapping.default_unit
            value = _value(cells[v_col])
            suspicious = (
                not point or not isinstance(value, int | float) or not isinstance(ts, dt.datetime)
            )
            readings.append(Reading(point, ts, value, unit, where, raw if suspicious else None))
        else:
            for index, point in columns:
                value = _value(cells[index])
                if value is None:
                    continue
                suspicious = not isinstance(value, int | float) or not isinstance(ts, dt.datetime)
                readings.append(
                    Reading(
                        point, ts, value, mapping.default_unit, where, raw if suspicious else None
                    )
                )
    return Converted(readings)


def load(path: Path, mapping: ColumnMapping) -> Converted:
    """All readings of a file."""
    table = read_table(path, mapping)
    return convert(table, mapping, source=f"file:{Path(path).name}")


def preview(path: Path, mapping: ColumnMapping, *, rows: int = 10) -> Preview:
    """The first ``rows`` rows of a file, raw and converted (to check a mapping)."""
    table = read_table(path, mapping)
    first = []
    for _ in range(rows):
        try:
            first.append(next(table.rows))
        except StopIteration:
            break
    converted = convert(Table(table.header, iter(first)), mapping, source=f"file:{Path(path).name}")
    rows_shown = [row.cells if row.cells is not None else [row.text] for row in first]
    return Preview(table.header, rows_shown, converted.readings)


def iter_batches(
    table: Table, mapping: ColumnMapping, *, source: str, size: int = 20_000
) -> Iterator[list[Reading]]:
    """Readings of a table in batches of about ``size`` rows (for files too large to convert
    at once); the rows are read once."""
    while True:
        part = list(itertools.islice(table.rows, size))
        if not part:
            return
        yield convert(Table(table.header, iter(part)), mapping, source=source).readings


def manual_reading(
    point: str,
    value: float | str,
    at: dt.datetime | str,
    *,
    unit: str | None = None,
    operator: str = "",
    timezone: str | None = None,
) -> Reading:
    """A reading typed in for an offline meter (抄表), e.g. from a monthly walk-round.

    ``at`` may be a naive local time only when ``timezone`` says which zone it is in.
    """
    if not point.strip():
        raise InvalidInput("a manual reading needs a point id", field="point")
    tz = zone(timezone) if timezone else None
    ts = _timestamp(at, ColumnMapping(), tz)
    if not isinstance(ts, dt.datetime):
        raise InvalidInput(
            f"time {at!r} needs an offset (2026-05-01T08:00+08:00) or a timezone", field="at"
        )
    number = _value(value)
    if not isinstance(number, int | float):
        raise InvalidInput(f"value {value!r} is not a number", field="value")
    who = operator.strip() or "unknown"
    return Reading(point.strip(), ts, number, unit, f"manual:{who}", None)
