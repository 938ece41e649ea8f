"""Import of ledger rows (movements) from CSV or Excel, with row-level errors.

Columns (header row, names as below, any order; docs/waste.md):
``enterprise`` (code; park-wide callers), ``stream`` (the stream's name), ``kind``
(generated, stored, retrieved, utilised, treated, disposed), ``batch``, ``quantity``, ``unit``
(t or kg; default t), ``at`` (YYYY-MM-DD[ HH:MM], park local, or ISO 8601 with an offset),
``facility`` (the facility's code, for stored/retrieved), ``container``, ``corrects``
(the id of the record a row corrects), ``note``.

Each row is checked like a record entered by hand, against the ledger and the rows above it;
a bad row is rejected with its line and reason, and the good rows of the file are stored in
one transaction (all or none of them: a failure of the store loses no row silently). A file of
an enterprise's user naming another enterprise is refused as a whole (404, as for an enterprise
that does not exist): that is not a bad row but a write outside the caller's ledger.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lingtan import parsing
from lingtan.errors import InvalidInput, LingtanError, NotFound
from lingtan.identity.roles import Principal
from lingtan.store import Store
from lingtan.store.waste_repo import WasteRepo
from lingtan.waste.service import as_movement, book, check_movement, ctx, now_us, require_write

COLUMNS = (
    "enterprise", "stream", "kind", "batch", "quantity", "unit", "at", "facility", "container",
    "corrects", "note",
)  # fmt: skip
REQUIRED = ("stream", "kind", "batch", "quantity", "at")
MAX_ROWS = 50_000


class _OutOfScope(Exception):
    """A row of an enterprise's file names another enterprise."""


@dataclass
class ImportResult:
    """What an import stored and rejected."""

    stored: int = 0
    ids: list[int] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)


def _csv_rows(data: bytes) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("file: not UTF-8 text (save the CSV as UTF-8)", field="file") from None
    header: list[str] | None = None
    for line in parsing.csv_lines(text):
        if line.cells is None:
            yield line.number, None, line.problem
            continue
        if not any(c.strip() for c in line.cells):
            continue
        if header is None:
            header = [c.strip().lower() for c in line.cells]
            continue
        if len(line.cells) != len(header):
            yield (
                line.number,
                None,
                (
                    f"line {line.number}: {len(line.cells)} fields where the header has {len(header)}"
                ),
            )
            continue
        yield line.number, dict(zip(header, (c.strip() for c in line.cells), strict=True)), None


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as err:
        raise InvalidInput(
            f"file: not an Excel workbook ({type(err).__name__})", field="file"
        ) from None
    ws = wb.worksheets[0]
    header: list[str] | None = None
    for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
        if not any(v not in (None, "") for v in values):
            continue
        if header is None:
            header = [str(v or "").strip().lower() for v in values]
            continue
        cells = [("" if v is None else v) for v in values][: len(header)]
        cells += [""] * (len(header) - len(cells))
        row = {
            h: (c.strip() if isinstance(c, str) else c) for h, c in zip(header, cells, strict=True)
        }
        yield number, row, None
    wb.close()


def rows_of(data: bytes, filename: str) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """(line, row, problem) of a CSV or Excel file (by its name's extension)."""
    name = filename.lower()
    if name.endswith((".xlsx", ".xlsm")):
        return _xlsx_rows(data)
    if name.endswith((".csv", ".txt")):
        return _csv_rows(data)
    raise InvalidInput("file: a .csv or .xlsx file", field="file")


def import_movements(
    store: Store, *, principal: Principal, data: bytes, filename: str
) -> ImportResult:
    """Import ledger rows (see module docstring)."""
    require_write(principal)
    c = ctx(store, principal)
    b = book(store, c)
    enterprises = {e.code: e.id for e in store.registry.enterprises(c.park_id)}
    facilities = {(f.enterprise_id, f.code): f.id for f in b.facilities.values()}
    result = ImportResult()
    good: list[dict[str, Any]] = []
    now = now_us()
    next_id = -1
    count = 0
    for number, row, problem in rows_of(data, filename):
        count += 1
        if count > MAX_ROWS:
            raise InvalidInput(f"file: more than {MAX_ROWS} rows; split it", field="file")
        if row is None:
            result.rejected.append({"line": number, "reason": problem})
            continue
        try:
            missing = [k for k in REQUIRED if str(row.get(k, "")).strip() == ""]
            if missing:
                raise InvalidInput(f"{missing[0]}: required")
            if principal.enterprise_id is not None:
                ent = principal.enterprise_id
                code = str(row.get("enterprise") or "").strip()
                if code and enterprises.get(code) != ent:
                    # another tenant's ledger: the file is refused, with the same answer
                    # whether the enterprise exists or not
                    raise _OutOfScope
            else:
                code = str(row.get("enterprise") or "").strip()
                if code not in enterprises:
                    raise InvalidInput(f"enterprise: unknown enterprise {code!r}")
                ent = enterprises[code]
            stream = b.by_name.get((ent, str(row["stream"]).strip()))
            if stream is None:
                raise InvalidInput(f"stream: no stream {str(row['stream'])!r} of the enterprise")
            fac = str(row.get("facility") or "").strip()
            facility_id = None
            if fac:
                facility_id = facilities.get((ent, fac))
                if facility_id is None:
                    raise InvalidInput(f"facility: no facility {fac!r} of the enterprise")
            try:
                quantity = float(row["quantity"])
            except (TypeError, ValueError):
                raise InvalidInput(f"quantity: {row['quantity']!r} is not a number") from None
            corrects = str(row.get("corrects") or "").strip()
            checked = check_movement(
                b, c,
                {"stream_id": stream.id, "kind": str(row["kind"]).strip(), "batch": row["batch"],
                 "quantity": quantity, "unit": str(row.get("unit") or "t").strip() or "t",
                 "at": row["at"], "facility_id": facility_id, "container": row.get("container"),
                 "corrects_id": int(corrects) if corrects.isdigit() else None,
                 "note": row.get("note")},
                actor=principal.actor, now=now,
            )  # fmt: skip
        except _OutOfScope:
            raise NotFound("enterprise not found") from None
        except (LingtanError, ValueError, KeyError) as err:
            result.rejected.append({"line": number, "reason": f"line {number}: {err}"})
            continue
        good.append(checked)
        b.movements.append(as_movement(checked, next_id))  # later rows see this one
        next_id -= 1
    if good:
        result.ids = WasteRepo(store).add_movements(good)
        result.stored = len(good)
        from lingtan.waste.alarms import check_now

        check_now(store)
    return result
