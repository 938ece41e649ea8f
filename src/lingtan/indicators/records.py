"""Non-metered statistics (非计量统计数据): entry, correction, listing and file import.

What meters do not see — industrial solid waste generated and utilised, waste heat available and
utilised, water intake and reused, product output — is entered as statistics records. Each
record keeps who entered it, when, and the source document (台账, 转移联单, 统计报表 …). A
correction is a new record that supersedes the old one; nothing is edited or deleted, so the
history of every figure is kept and an indicator can say which record versions it used.

Service functions take keyword-only arguments and an explicit scope: ``enterprise_id`` is the
tenant the caller is limited to (``None`` = the whole park). They never import a web framework;
the REST API and the CLI call them.

Import files (CSV in UTF-8, or the first sheet of an ``.xlsx``) have a header row; columns
(English or Chinese names):

========================  ===========  ==============================================
column                    中文          content
========================  ===========  ==============================================
enterprise                企业          enterprise code; empty for a park-level record
category                  类别          ``solid_waste`` · ``waste_heat`` · ``water`` ·
                                       ``product_output`` · ``product_energy`` ·
                                       ``transport`` · ``vehicles`` · ``buildings`` ·
                                       ``offsets`` · ``demand_response``
item                      项目          see :data:`CATEGORIES` (a product key for products)
period                    期间          ``2025``, ``2025-03``, ``2025-Q1``; or the two
                                       columns below
period_start, period_end  开始, 结束     ISO dates, inclusive
quantity                  数量          non-negative number
unit                      单位          e.g. ``t``, ``GJ``, ``m3``
source_document           来源文件      the document the figure comes from (required)
note                      备注          optional
========================  ===========  ==============================================

Importing is all-or-nothing and idempotent: a row equal to the current record of the same
enterprise, category, item and period is left alone; a row that differs from it becomes a
correction of it; any invalid row rejects the whole file with the row and column named.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from lingtan import units
from lingtan.errors import InvalidInput, NotFound, PermissionDenied
from lingtan.parsing import csv_lines
from lingtan.store import Store
from lingtan.store.records_repo import NewRecord, RecordsRepo, StatRecord
from lingtan.timeutil import to_us, utcnow


@dataclass(frozen=True, slots=True)
class Category:
    """A statistics category: its items and the physical dimension of its quantities."""

    name_zh: str
    name_en: str
    #: dimension of :mod:`lingtan.units` every quantity must have; None = any unit
    dimensions: frozenset[str] | None
    #: fixed items (id → (中文, English)); empty = free item names (product keys)
    items: Mapping[str, tuple[str, str]]


CATEGORIES: Final[dict[str, Category]] = {
    "solid_waste": Category(
        "一般工业固体废物",
        "industrial solid waste",
        frozenset({"mass"}),
        {
            "generated": ("产生量", "generated"),
            "utilised": ("综合利用量", "utilised"),
            "utilised_from_storage": (
                "其中：综合利用往年贮存量",
                "of which utilised from previous years' storage",
            ),
            "stored": ("贮存量", "stored"),
            "disposed": ("处置量", "disposed"),
        },
    ),
    "waste_heat": Category(
        "余热/余冷/余压",
        "waste heat, cold and pressure",
        frozenset({"energy"}),
        {
            "available": ("可回收利用资源量", "recoverable resource"),
            "utilised": ("回收利用量", "utilised"),
        },
    ),
    "water": Category(
        "工业用水",
        "industrial water",
        frozenset({"volume"}),
        {
            "intake": ("取水量（新鲜水量）", "intake (fresh water)"),
            "reused": ("重复利用水量", "reused"),
        },
    ),
    "product_output": Category("产品产量", "product output", None, {}),
    # -- inputs of provincial indicator profiles (docs/indicator-profiles.md) ----------------
    "transport": Category(
        "货物运输",
        "freight",
        frozenset({"mass"}),
        {
            "freight_total": ("大宗货物运输量", "bulk freight moved"),
            "freight_clean": (
                "其中：清洁方式运输量（铁路、水路、管道、新能源车辆）",
                "of which by clean modes (rail, water, pipeline, new-energy trucks)",
            ),
        },
    ),
    "vehicles": Category(
        "车辆（时点数量，单位 1）",
        "vehicles (count at a date, unit 1)",
        frozenset({"ratio"}),
        {
            "public_service_total": ("公共服务车辆数", "public-service vehicles"),
            "public_service_new_energy": (
                "其中：新能源汽车数",
                "of which new-energy vehicles",
            ),
        },
    ),
    "buildings": Category(
        "建筑能效标识（时点数量，单位 1）",
        "building energy labels (count at a date, unit 1)",
        frozenset({"ratio"}),
        {
            "total": ("建筑总数", "buildings"),
            "ultra_low_energy": ("超低能耗建筑", "ultra-low-energy buildings"),
            "near_zero_energy": ("近零能耗建筑", "near-zero-energy buildings"),
            "zero_carbon": ("零碳建筑", "zero-carbon buildings"),
            "green_star_1": ("一星级绿色建筑", "one-star green buildings"),
            "green_star_2": ("二星级绿色建筑", "two-star green buildings"),
            "green_star_3": ("三星级绿色建筑", "three-star green buildings"),
        },
    ),
    "offsets": Category(
        "碳排放抵销（不计入核算的减排量）",
        "offsets (reductions outside the accounting)",
        frozenset({"emissions"}),
        {
            "ccer": ("注销的 CCER", "CCER retired"),
            "green_certificate": (
                "核算外使用的绿证（折算减排量）",
                "green certificates beyond accounting use (as tCO2)",
            ),
            "carbon_inclusive": ("碳普惠减排量", "carbon-inclusive (碳普惠) credits"),
            "other": ("其他抵销", "other offsets"),
        },
    ),
    "demand_response": Category(
        "需求响应",
        "demand response",
        frozenset({"power"}),
        {
            "peak_load": ("期间最大用电负荷", "peak load of the period"),
            "capability": (
                "需求响应能力（事件中实际削减负荷）",
                "demand-response capability (load reduced in events)",
            ),
        },
    ),
    "product_energy": Category(
        "产品综合能耗（分摊）",
        "energy attributed to a product",
        frozenset({"energy", "standard_coal"}),
        {},
    ),
}

#: the dimension of count categories (vehicles, buildings): numbers of things, in unit 1
COUNTS: Final = frozenset({"ratio"})

_COLUMNS: Final[dict[str, str]] = {
    "enterprise": "enterprise",
    "企业": "enterprise",
    "企业代码": "enterprise",
    "category": "category",
    "类别": "category",
    "item": "item",
    "项目": "item",
    "period": "period",
    "期间": "period",
    "period_start": "period_start",
    "开始": "period_start",
    "开始日期": "period_start",
    "period_end": "period_end",
    "结束": "period_end",
    "结束日期": "period_end",
    "quantity": "quantity",
    "数量": "quantity",
    "unit": "unit",
    "单位": "unit",
    "source_document": "source_document",
    "来源文件": "source_document",
    "来源": "source_document",
    "note": "note",
    "备注": "note",
}
_ITEM: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$")


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did."""

    rows: int
    created: list[int] = field(default_factory=list)
    corrected: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "rows": self.rows,
            "created": len(self.created),
            "corrected": len(self.corrected),
            "unchanged": len(self.unchanged),
            "created_ids": list(self.created),
            "corrected_ids": list(self.corrected),
        }


# -- periods ---------------------------------------------------------------------------------


def parse_period(text: str, *, field: str = "period") -> tuple[dt.date, dt.date]:
    """First and last day of ``2025``, ``2025-03``, ``2025-Q2`` (or ``2025-01-01/2025-06-30``)."""
    value = text.strip()
    try:
        if re.fullmatch(r"\d{4}", value):
            year = int(value)
            return dt.date(year, 1, 1), dt.date(year, 12, 31)
        if m := re.fullmatch(r"(\d{4})-(\d{1,2})", value):
            first = dt.date(int(m[1]), int(m[2]), 1)
            return first, _month_end(first)
        if m := re.fullmatch(r"(\d{4})-?[Qq]([1-4])", value):
            first = dt.date(int(m[1]), 3 * int(m[2]) - 2, 1)
            return first, _month_end(dt.date(first.year, first.month + 2, 1))
        if "/" in value:
            a, b = value.split("/", 1)
            return _dates(a, b, field)
    except ValueError as err:
        raise InvalidInput(f"{field} {text!r} is not a valid period: {err}", field=field) from err
    raise InvalidInput(
        f"{field} {text!r} is not a period: use 2025, 2025-03, 2025-Q1 or START/END dates",
        field=field,
    )


def _month_end(first: dt.date) -> dt.date:
    nxt = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def _dates(a: str, b: str, field: str) -> tuple[dt.date, dt.date]:
    try:
        first, last = dt.date.fromisoformat(a.strip()), dt.date.fromisoformat(b.strip())
    except ValueError as err:
        raise InvalidInput(f"{field}: {err}", field=field) from err
    if last < first:
        raise InvalidInput(
            f"{field}: the period ends ({last}) before it starts ({first})", field=field
        )
    return first, last


# -- validation ------------------------------------------------------------------------------


def validate_entry(category: str, item: str, quantity: float, unit: str) -> str:
    """Check one entry against :data:`CATEGORIES`; returns the canonical unit symbol."""
    spec = CATEGORIES.get(category)
    if spec is None:
        raise InvalidInput(
            f"unknown category {category!r}; known: {', '.join(CATEGORIES)}", field="category"
        )
    if spec.items and item not in spec.items:
        raise InvalidInput(
            f"unknown item {item!r} of {category}; known: {', '.join(spec.items)}", field="item"
        )
    if not spec.items and not _ITEM.match(item):
        raise InvalidInput(
            f"item {item!r} must be a product key (letters, digits, _ . : -)", field="item"
        )
    if not isinstance(quantity, int | float) or quantity != quantity or quantity < 0:
        raise InvalidInput(f"quantity {quantity!r} must be a number ≥ 0", field="quantity")
    if quantity == float("inf"):
        raise InvalidInput("quantity must be finite", field="quantity")
    unit = unit.strip()
    if not unit:
        raise InvalidInput("unit is required", field="unit")
    if spec.dimensions is None:
        try:
            return units.canonical_symbol(unit)
        except InvalidInput:
            return unit  # product units such as 万只 or 箱 are kept as written
    symbol = units.canonical_symbol(unit)
    if units.dimension(symbol) not in spec.dimensions:
        raise InvalidInput(
            f"unit {unit} does not fit {category} (needs {', '.join(sorted(spec.dimensions))})",
            field="unit",
        )
    if spec.dimensions == COUNTS and symbol != "1":
        raise InvalidInput(f"{category} records are counts: unit 1, not {unit}", field="unit")
    return symbol


def _park_id(store: Store, park_id: int | None) -> int:
    return store.registry.park(park_id).id


def _enterprise_ids(store: Store, park_id: int) -> dict[str, int]:
    return {e.code: e.id for e in store.registry.enterprises(park_id)}


def _check_owner(park_id: int, owner: int | None, scope: int | None, valid: Iterable[int]) -> None:
    # the scope first: for an enterprise user, another enterprise and one that does not exist
    # get the same answer, so ids cannot be probed
    if scope is not None and owner != scope:
        raise PermissionDenied("an enterprise user may enter statistics of its own enterprise only")
    if owner is not None and owner not in set(valid):
        raise NotFound(f"enterprise {owner} not found in park {park_id}")


def _now(now: dt.datetime | None) -> int:
    return to_us(now or utcnow())


# -- services --------------------------------------------------------------------------------


def add_record(
    store: Store,
    *,
    enterprise_id: int | None,
    category: str,
    item: str,
    period_start: dt.date,
    period_end: dt.date,
    quantity: float,
    unit: str,
    source_document: str,
    entered_by: str,
    note: str | None = None,
    scope: int | None = None,
    now: dt.datetime | None = None,
    park_id: int | None = None,
) -> StatRecord:
    """Enter one statistics record for ``enterprise_id`` (None = the park itself).

    ``scope`` is the enterprise the caller is limited to (None = park-wide user).
    """
    park_id = _park_id(store, park_id)
    _check_owner(park_id, enterprise_id, scope, _enterprise_ids(store, park_id).values())
    symbol = validate_entry(category, item, quantity, unit)
    if period_end < period_start:
        raise InvalidInput("period_end is before period_start", field="period_end")
    if not source_document.strip():
        raise InvalidInput("source_document is required", field="source_document")
    if not entered_by.strip():
        raise InvalidInput("entered_by is required", field="entered_by")
    repo = RecordsRepo(store)
    (new_id,) = repo.add_many(
        [
            NewRecord(
                park_id,
                enterprise_id,
                category,
                item,
                period_start.isoformat(),
                period_end.isoformat(),
                float(quantity),
                symbol,
                source_document.strip(),
                note,
            )
        ],
        entered_by=entered_by,
        entered_at=_now(now),
    )
    return repo.get(new_id)


def correct_record(
    store: Store,
    *,
    record_id: int,
    quantity: float,
    source_document: str,
    entered_by: str,
    unit: str | None = None,
    note: str | None = None,
    scope: int | None = None,
    now: dt.datetime | None = None,
) -> StatRecord:
    """Correct a current record: a new record supersedes it (the old one is kept).

    ``Conflict`` if the record was already corrected; ``NotFound`` outside ``scope``.
    """
    repo = RecordsRepo(store)
    old = repo.get(record_id) if scope is None else repo.get(record_id, enterprise_id=scope)
    symbol = validate_entry(old.category, old.item, quantity, unit or old.unit)
    if not source_document.strip():
        raise InvalidInput("source_document is required", field="source_document")
    (new_id,) = repo.add_many(
        [
            NewRecord(
                old.park_id,
                old.enterprise_id,
                old.category,
                old.item,
                old.period_start,
                old.period_end,
                float(quantity),
                symbol,
                source_document.strip(),
                note,
                supersedes_id=old.id,
            )
        ],
        entered_by=entered_by,
        entered_at=_now(now),
    )
    return repo.get(new_id)


def list_records(
    store: Store,
    *,
    enterprise_id: int | None = None,
    category: str | None = None,
    year: int | None = None,
    include_history: bool = False,
    park_id: int | None = None,
    newest_first: bool = False,
    limit: int | None = None,
    offset: int = 0,
) -> list[StatRecord]:
    """Records visible in a scope: one enterprise's own, or (``None``) the whole park's; oldest
    first (``newest_first``: newest first), ``limit`` of them from ``offset`` (a page read in the
    database, not cut from all of them).

    ``year`` keeps records whose period overlaps the calendar year; ``include_history`` also
    returns superseded versions.
    """
    return RecordsRepo(store).find(
        **_filters(store, enterprise_id, category, year, include_history, park_id),
        newest_first=newest_first, limit=limit, offset=offset,
    )  # fmt: skip


def count_records(
    store: Store,
    *,
    enterprise_id: int | None = None,
    category: str | None = None,
    year: int | None = None,
    include_history: bool = False,
    park_id: int | None = None,
    newer_than: int | None = None,
    record_id: int | None = None,
) -> int:
    """How many records :func:`list_records` lists with the same filters (``newer_than``: of
    them, those of a larger id; ``record_id``: 1 when that record is among them, else 0)."""
    return RecordsRepo(store).count(
        **_filters(store, enterprise_id, category, year, include_history, park_id),
        newer_than=newer_than, record_id=record_id,
    )  # fmt: skip


def _filters(
    store: Store,
    enterprise_id: int | None,
    category: str | None,
    year: int | None,
    include_history: bool,
    park_id: int | None,
) -> dict[str, Any]:
    owners: list[int | None] | None = None if enterprise_id is None else [enterprise_id]
    return {
        "park_id": _park_id(store, park_id),
        "enterprise_ids": owners,
        "categories": None if category is None else [category],
        "overlapping": None if year is None else (f"{year:04d}-01-01", f"{year:04d}-12-31"),
        "current_only": not include_history,
    }


def record_history(store: Store, *, record_id: int, scope: int | None = None) -> list[StatRecord]:
    """Every version of a record, oldest first (``NotFound`` outside ``scope``)."""
    repo = RecordsRepo(store)
    # NotFound for a missing record too, not an empty history
    if scope is None:
        repo.get(record_id)
    else:
        repo.get(record_id, enterprise_id=scope)
    return repo.chain(record_id)


# -- file import -----------------------------------------------------------------------------


def read_table(content: bytes, filename: str) -> list[dict[str, str]]:
    """Rows of a CSV (UTF-8, BOM allowed) or ``.xlsx`` file as header → text dictionaries."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as err:  # openpyxl raises several unrelated types for a bad file
            raise InvalidInput(
                f"{filename} is not a readable .xlsx file: {err}", field="file"
            ) from err
        try:
            # read-only sheets parse their XML lazily: a broken sheet fails here
            sheet = wb.worksheets[0]
            grid = [
                ["" if v is None else _cell_text(v) for v in row]
                for row in sheet.iter_rows(values_only=True)
            ]
        except Exception as err:
            raise InvalidInput(
                f"{filename}: the first sheet cannot be read: {err}", field="file"
            ) from err
        finally:
            wb.close()
    elif name.endswith((".csv", ".txt")):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            raise InvalidInput(f"{filename} is not UTF-8 text: {err}", field="file") from err
        grid = []
        # one record per line: an unbalanced quote is refused on its line instead of reading
        # the rest of the file into one field
        for line in csv_lines(text):
            if line.cells is None:
                raise InvalidInput(f"{filename}: {line.problem}", field="file")
            grid.append(line.cells)
    else:
        raise InvalidInput(f"{filename}: use a .csv or .xlsx file", field="file")
    grid = [row for row in grid if any(c.strip() for c in row)]
    if not grid:
        raise InvalidInput(f"{filename} has no header row", field="file")
    header = []
    for col in grid[0]:
        key = _COLUMNS.get(col.strip()) or _COLUMNS.get(col.strip().lower())
        if key is None:
            raise InvalidInput(
                f"{filename}: unknown column {col!r}; known: {', '.join(sorted(set(_COLUMNS.values())))}",
                field="file",
            )
        header.append(key)
    for n, row in enumerate(grid[1:], start=2):
        if any(c.strip() for c in row[len(header) :]):
            raise InvalidInput(
                f"{filename}: row {n} has {len(row)} cells, the header {len(header)}",
                field="file",
            )
    return [
        {k: (row[i].strip() if i < len(row) else "") for i, k in enumerate(header)}
        for row in grid[1:]
    ]


def _cell_text(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _row_record(
    row: Mapping[str, str], park_id: int, codes: Mapping[str, int], where: str
) -> NewRecord:
    def need(key: str) -> str:
        value = row.get(key, "")
        if not value:
            raise InvalidInput(f"{where}: {key} is required", field=f"{where}.{key}")
        return value

    code = row.get("enterprise", "")
    if code and code not in codes:
        raise InvalidInput(f"{where}: unknown enterprise {code!r}", field=f"{where}.enterprise")
    if row.get("period"):
        first, last = parse_period(row["period"], field=f"{where}.period")
    else:
        first, last = _dates(need("period_start"), need("period_end"), f"{where}.period")
    text = need("quantity").replace(",", "")
    try:
        quantity = float(text)
    except ValueError as err:
        raise InvalidInput(
            f"{where}: quantity {text!r} is not a number", field=f"{where}.quantity"
        ) from err
    try:
        symbol = validate_entry(need("category"), need("item"), quantity, need("unit"))
    except InvalidInput as err:
        raise InvalidInput(f"{where}: {err}", field=f"{where}.{err.field}") from err
    return NewRecord(
        park_id,
        codes[code] if code else None,
        row["category"],
        row["item"],
        first.isoformat(),
        last.isoformat(),
        quantity,
        symbol,
        need("source_document"),
        row.get("note") or None,
    )


def import_records(
    store: Store,
    *,
    content: bytes,
    filename: str,
    entered_by: str,
    scope: int | None = None,
    only_enterprises: Sequence[str] | None = None,
    through: dt.date | None = None,
    now: dt.datetime | None = None,
    park_id: int | None = None,
) -> ImportReport:
    """Import a statistics file (see the module docstring); all-or-nothing, idempotent.

    ``scope`` limits an enterprise user to its own rows (``PermissionDenied`` otherwise).
    ``only_enterprises`` (codes; ``""`` = park-level rows) and ``through`` (last day) skip rows
    outside them — the demo uses both to load the part of its file that fits a shrunk park.
    """
    if not entered_by.strip():
        raise InvalidInput("entered_by is required", field="entered_by")
    park_id = _park_id(store, park_id)
    codes = _enterprise_ids(store, park_id)
    own = None if scope is None else next((c for c, i in codes.items() if i == scope), None)
    rows = read_table(content, filename)
    parsed: list[NewRecord] = []
    errors: list[InvalidInput] = []
    seen: dict[tuple[Any, ...], int] = {}
    for n, row in enumerate(rows, start=2):  # row 1 is the header
        where = f"row {n}"
        if only_enterprises is not None and row.get("enterprise", "") not in only_enterprises:
            continue
        if scope is not None and row.get("enterprise", "") != own:
            # before the code is looked up: another enterprise's code, the park's (empty) and
            # one that names nothing get the same answer, so codes cannot be probed
            raise PermissionDenied(f"{where}: an enterprise user may import its own rows only")
        try:
            rec = _row_record(row, park_id, codes, where)
        except InvalidInput as err:
            errors.append(err)
            continue
        if through is not None and rec.period_end > through.isoformat():
            continue
        key = (rec.enterprise_id, rec.category, rec.item, rec.period_start, rec.period_end)
        if key in seen:
            errors.append(
                InvalidInput(
                    f"{where}: repeats row {seen[key]} (same enterprise, category, item "
                    "and period)",
                    field=f"{where}.item",
                )
            )
            continue
        seen[key] = n
        parsed.append(rec)
    if errors:
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        raise InvalidInput(
            f"{filename}: {len(errors)} invalid row(s), nothing imported: "
            + "; ".join(str(e) for e in errors[:5])
            + more,
            field=errors[0].field,
        )
    repo = RecordsRepo(store)
    current = {
        (r.enterprise_id, r.category, r.item, r.period_start, r.period_end): r
        for r in repo.find(park_id=park_id)
    }
    to_write: list[NewRecord] = []
    kinds: list[str] = []
    unchanged: list[int] = []
    for rec in parsed:
        old = current.get(
            (rec.enterprise_id, rec.category, rec.item, rec.period_start, rec.period_end)
        )
        if old is None:
            to_write.append(rec)
            kinds.append("created")
        elif (old.quantity, old.unit, old.source_document, old.note) == (
            rec.quantity,
            rec.unit,
            rec.source_document,
            rec.note,
        ):
            unchanged.append(old.id)
        else:
            to_write.append(_superseding(rec, old.id))
            kinds.append("corrected")
    ids = repo.add_many(to_write, entered_by=entered_by, entered_at=_now(now))
    return ImportReport(
        rows=len(parsed),
        created=[i for i, k in zip(ids, kinds, strict=True) if k == "created"],
        corrected=[i for i, k in zip(ids, kinds, strict=True) if k == "corrected"],
        unchanged=unchanged,
    )


def _superseding(rec: NewRecord, old_id: int) -> NewRecord:
    return NewRecord(
        rec.park_id,
        rec.enterprise_id,
        rec.category,
        rec.item,
        rec.period_start,
        rec.period_end,
        rec.quantity,
        rec.unit,
        rec.source_document,
        rec.note,
        supersedes_id=old_id,
    )


def import_file(
    store: Store,
    *,
    path: str | Path,
    entered_by: str,
    scope: int | None = None,
    park_id: int | None = None,
) -> ImportReport:
    """:func:`import_records` of a file on disk."""
    p = Path(path)
    try:
        content = p.read_bytes()
    except OSError as err:
        raise InvalidInput(f"cannot read {p}: {err.strerror}", field="file") from err
    return import_records(
        store,
        content=content,
        filename=p.name,
        entered_by=entered_by,
        scope=scope,
        park_id=park_id,
    )
