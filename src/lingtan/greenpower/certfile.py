"""The certificate file: 绿证 records to import, as CSV, Excel (.xlsx) or JSON.

Format (docs/certificates.md): one certificate per row (or JSON object) with the columns

============================  =================================================================
column (English / 中文)        content
============================  =================================================================
``cert_id`` / 证书编号         the 32-digit certificate number, as text
``project`` / 项目名称         the renewable project that produced the electricity
``production_month`` / 生产年月 ``YYYY-MM`` (``YYYY/MM`` and ``YYYY年MM月`` accepted)
``tradable`` / 是否可交易       ``true``/``false`` (也可 是/否, 1/0); optional, default true
============================  =================================================================

One certificate stands for 1 000 kWh (发改能源〔2023〕1044号), so the file carries no amount.
Parsing is strict: an unknown column, a missing required column, a bad id (not 32 digits — an
Excel cell holding the id as a number has lost digits and is refused), a bad month or the same id
twice in one file is an ``InvalidInput`` naming the row and column.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final

from lingtan.errors import InvalidInput, NotFound
from lingtan.greenpower.ledger import Certificate, Month
from lingtan.parsing import csv_lines, guarded, json_loads

#: accepted column names → field
COLUMNS: Final[dict[str, str]] = {
    "cert_id": "cert_id",
    "证书编号": "cert_id",
    "绿证编号": "cert_id",
    "project": "project",
    "项目名称": "project",
    "production_month": "production_month",
    "生产年月": "production_month",
    "tradable": "tradable",
    "是否可交易": "tradable",
}
REQUIRED: Final[tuple[str, ...]] = ("cert_id", "project", "production_month")
_TRUE: Final[frozenset[str]] = frozenset({"true", "1", "yes", "y", "是", "可交易"})
_FALSE: Final[frozenset[str]] = frozenset({"false", "0", "no", "n", "否", "不可交易"})
_MONTH = re.compile(r"^\s*(\d{4})\s*(?:-|/|年)\s*(\d{1,2})\s*月?\s*$")


def _month(text: str, where: str) -> Month:
    match = _MONTH.match(text)
    if match is None:
        raise InvalidInput(
            f"{where}: production month must read YYYY-MM, got {text!r}", field=where
        )
    return Month(int(match[1]), int(match[2]))


def _tradable(value: Any, where: str) -> bool:
    if value is None or value == "":
        return True
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InvalidInput(f"{where}: tradable must be true or false, got {value!r}", field=where)


def _cert_id(value: Any, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str):
        raise InvalidInput(
            f"{where}: the certificate number must be text (a number cell loses digits), "
            f"got {value!r}",
            field=where,
        )
    text = value.strip()
    if not re.fullmatch(r"\d{32}", text):
        raise InvalidInput(
            f"{where}: certificate number must be 32 digits, got {text!r}", field=where
        )
    return text


def certificates_from_rows(
    rows: Iterable[Mapping[str, Any]], *, origin: str = "<rows>", first_row: int = 1
) -> list[Certificate]:
    """Validate rows (column name → value) into certificates; see the module docstring."""
    out: list[Certificate] = []
    seen: dict[str, int] = {}
    for n, raw in enumerate(rows, start=first_row):
        row: dict[str, Any] = {}
        for key, value in raw.items():
            name = COLUMNS.get(str(key).strip())
            if name is None:
                raise InvalidInput(
                    f"{origin}: row {n}: unknown column {key!r}; columns: cert_id, project, "
                    "production_month, tradable (证书编号, 项目名称, 生产年月, 是否可交易)",
                    field=f"rows[{n}].{key}",
                )
            row[name] = value
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in row.values()):
            continue  # a blank line
        for name in REQUIRED:
            if row.get(name) in (None, ""):
                raise InvalidInput(
                    f"{origin}: row {n}: {name} is missing", field=f"rows[{n}].{name}"
                )
        cert_id = _cert_id(row["cert_id"], f"{origin}: row {n}: cert_id")
        if cert_id in seen:
            raise InvalidInput(
                f"{origin}: row {n}: certificate {cert_id} is listed twice (also row {seen[cert_id]})",
                field=f"rows[{n}].cert_id",
            )
        seen[cert_id] = n
        month = _month(str(row["production_month"]), f"{origin}: row {n}: production_month")
        project = str(row["project"]).strip()
        tradable = _tradable(row.get("tradable"), f"{origin}: row {n}: tradable")
        out.append(Certificate(cert_id, project, month, tradable))
    return out


def parse_csv(text: str, *, origin: str = "<csv>") -> list[Certificate]:
    """Certificates of CSV text with a header row; a row is one line (a quoted field cannot
    span lines, so an unbalanced quote is refused on its own line instead of swallowing the
    rest of the file), row numbers are line numbers."""
    lines = csv_lines(text)
    header: list[str] | None = None
    first = 2
    for line in lines:
        if line.problem is not None:
            raise InvalidInput(f"{origin}: {line.problem}", field=f"rows[{line.number}]")
        assert line.cells is not None
        if any(c.strip() for c in line.cells):
            header, first = line.cells, line.number + 1
            break
    if header is None:
        return []
    rows: list[dict[str, Any]] = []
    for line in lines:
        n = line.number
        if line.problem is not None:
            raise InvalidInput(f"{origin}: {line.problem}", field=f"rows[{n}]")
        assert line.cells is not None
        if not any(c.strip() for c in line.cells):
            rows.append({})  # a blank line: skipped, but it keeps the numbering
            continue
        if len(line.cells) > len(header):
            raise InvalidInput(f"{origin}: row {n}: more cells than columns", field=f"rows[{n}]")
        padded = [*line.cells, *([None] * (len(header) - len(line.cells)))]
        rows.append(dict(zip(header, padded, strict=True)))
    return certificates_from_rows(rows, origin=origin, first_row=first)


def parse_json(document: Any, *, origin: str = "<json>") -> list[Certificate]:
    """Certificates of a JSON list of objects, or of ``{"certificates": [...]}``."""
    items = document.get("certificates") if isinstance(document, Mapping) else document
    if isinstance(document, Mapping) and set(document) - {"certificates"}:
        raise InvalidInput(
            f"{origin}: a certificate document has only 'certificates'", field="certificates"
        )
    if not isinstance(items, list) or not all(isinstance(i, Mapping) for i in items):
        raise InvalidInput(
            f"{origin}: expected a list of certificate objects", field="certificates"
        )
    return certificates_from_rows(items, origin=origin, first_row=1)


def parse_xlsx(data: bytes, *, origin: str = "<xlsx>") -> list[Certificate]:
    """Certificates of the first sheet of a workbook (header in row 1)."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises several unrelated types for a bad file
        raise InvalidInput(f"{origin}: not a readable .xlsx workbook: {err}", field="file") from err
    try:
        # read-only sheets parse their XML lazily: a broken sheet fails here, not at the load
        sheet = workbook.worksheets[0]
        rows = list(sheet.iter_rows(values_only=True))
    except Exception as err:
        raise InvalidInput(
            f"{origin}: the first sheet cannot be read: {err}", field="file"
        ) from err
    finally:
        workbook.close()
    if not rows:
        return []
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    records: list[dict[str, Any]] = []
    for values in rows[1:]:
        record = {h: v for h, v in zip(header, values, strict=False) if h or v not in (None, "")}
        records.append(record)
    return certificates_from_rows(records, origin=origin, first_row=2)


def parse_certificate_bytes(data: bytes, *, filename: str) -> list[Certificate]:
    """Certificates of an uploaded file; the format follows the file name's suffix."""
    return guarded(lambda: _parse_bytes(data, filename), what=filename, field="file")


def _parse_bytes(data: bytes, filename: str) -> list[Certificate]:
    suffix = Path(filename).suffix.lower()
    if suffix == ".xlsx":
        return parse_xlsx(data, origin=filename)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InvalidInput(f"{filename}: not UTF-8 text", field="file") from err
    if suffix == ".csv":
        return parse_csv(text, origin=filename)
    if suffix == ".json":
        document = json_loads(text, what=filename, field="file")
        return parse_json(document, origin=filename)
    raise InvalidInput(f"{filename}: certificate files are .csv, .xlsx or .json", field="file")


def parse_certificate_file(path: str | Path) -> list[Certificate]:
    """Certificates of a CSV, XLSX or JSON file (see the module docstring)."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as err:
        raise NotFound(f"cannot read certificate file {p}: {err.strerror}") from err
    return parse_certificate_bytes(data, filename=str(p))


__all__ = [
    "COLUMNS",
    "certificates_from_rows",
    "parse_certificate_bytes",
    "parse_certificate_file",
    "parse_csv",
    "parse_json",
    "parse_xlsx",
]
