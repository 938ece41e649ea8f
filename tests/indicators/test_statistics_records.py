"""Statistics records: entry, corrections as new records, history, tenancy, file import."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import Workbook

from lingtan.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from lingtan.indicators import records as rec
from lingtan.store import Store
from lingtan.timeutil import from_us

NOW = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
JAN = (dt.date(2025, 1, 1), dt.date(2025, 1, 31))


def _ids(store: Store) -> dict[str, int]:
    park = store.registry.park()
    return {e.code: e.id for e in store.registry.enterprises(park.id)}


def _add(
    store: Store, enterprise: int | None, item: str = "generated", q: float = 100.0, **kw: object
) -> rec.StatRecord:
    return rec.add_record(
        store,
        enterprise_id=enterprise,
        category=kw.pop("category", "solid_waste"),  # type: ignore[arg-type]
        item=item,
        period_start=JAN[0],
        period_end=JAN[1],
        quantity=q,
        unit=kw.pop("unit", "t"),  # type: ignore[arg-type]
        source_document="固废台账 2025-01",
        entered_by="王工",
        now=NOW,
        **kw,  # type: ignore[arg-type]
    )


def test_a_record_keeps_who_when_and_source(loaded: Store) -> None:
    e01 = _ids(loaded)["E01"]
    r = _add(loaded, e01)
    assert (r.enterprise_id, r.category, r.item, r.quantity, r.unit) == (
        e01,
        "solid_waste",
        "generated",
        100.0,
        "t",
    )
    assert (r.period_start, r.period_end) == ("2025-01-01", "2025-01-31")
    assert r.entered_by == "王工" and r.source_document == "固废台账 2025-01"
    assert from_us(r.entered_at) == NOW
    assert r.current and r.supersedes_id is None
    audit = loaded.audit.list(entity="stat_record")
    assert audit[0]["actor"] == "王工" and audit[0]["action"] == "create"


def test_a_correction_is_a_new_record_and_history_is_kept(loaded: Store) -> None:
    e01 = _ids(loaded)["E01"]
    first = _add(loaded, e01, q=100.0)
    second = rec.correct_record(
        loaded,
        record_id=first.id,
        quantity=120.0,
        source_document="更正：固废台账 2025-01 第二版",
        entered_by="李工",
        now=NOW,
    )
    assert second.supersedes_id == first.id and second.quantity == 120.0
    current = rec.list_records(loaded, category="solid_waste")
    assert [r.id for r in current] == [second.id]
    history = rec.record_history(loaded, record_id=first.id)
    assert [r.id for r in history] == [first.id, second.id]
    assert history[0].superseded_by == second.id and not history[0].current
    assert [r.id for r in rec.list_records(loaded, include_history=True)] == [first.id, second.id]
    assert loaded.audit.list(entity="stat_record")[0]["action"] == "correct"


def test_a_record_can_be_corrected_once_then_its_successor(loaded: Store) -> None:
    e01 = _ids(loaded)["E01"]
    first = _add(loaded, e01)
    second = rec.correct_record(
        loaded, record_id=first.id, quantity=90.0, source_document="v2", entered_by="a"
    )
    with pytest.raises(Conflict, match="already corrected"):
        rec.correct_record(
            loaded, record_id=first.id, quantity=80.0, source_document="v3", entered_by="b"
        )
    third = rec.correct_record(
        loaded, record_id=second.id, quantity=80.0, source_document="v3", entered_by="b"
    )
    assert [r.quantity for r in rec.record_history(loaded, record_id=third.id)] == [
        100.0,
        90.0,
        80.0,
    ]


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"category": "waste"}, "category"),
        ({"item": "burned"}, "item"),
        ({"unit": "kWh"}, "unit"),
        ({"q": -1.0}, "quantity"),
    ],
)
def test_invalid_entries_are_refused_naming_the_field(
    loaded: Store, kw: dict[str, object], field: str
) -> None:
    kw = dict(kw)  # the parameter dict is shared by the SQLite and PostgreSQL runs
    item = str(kw.pop("item", "generated"))
    q = float(kw.pop("q", 10.0))  # type: ignore[arg-type]
    with pytest.raises(InvalidInput) as err:
        _add(loaded, None, item, q, **kw)
    assert err.value.field == field


def test_source_document_is_required(loaded: Store) -> None:
    with pytest.raises(InvalidInput, match="source_document"):
        rec.add_record(
            loaded,
            enterprise_id=None,
            category="water",
            item="reused",
            period_start=JAN[0],
            period_end=JAN[1],
            quantity=1.0,
            unit="m3",
            source_document="  ",
            entered_by="x",
        )


def test_an_enterprise_user_enters_and_sees_its_own_records_only(loaded: Store) -> None:
    ids = _ids(loaded)
    own = _add(loaded, ids["E01"], scope=ids["E01"])
    other = _add(loaded, ids["E02"])
    with pytest.raises(PermissionDenied):
        _add(loaded, ids["E02"], scope=ids["E01"])
    with pytest.raises(NotFound):
        rec.correct_record(
            loaded,
            record_id=other.id,
            quantity=1.0,
            source_document="x",
            entered_by="x",
            scope=ids["E01"],
        )
    with pytest.raises(NotFound):
        rec.record_history(loaded, record_id=other.id, scope=ids["E01"])
    assert [r.id for r in rec.list_records(loaded, enterprise_id=ids["E01"])] == [own.id]
    assert {r.id for r in rec.list_records(loaded)} == {own.id, other.id}


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("2025", "2025-01-01", "2025-12-31"),
        ("2024-02", "2024-02-01", "2024-02-29"),
        ("2025-Q4", "2025-10-01", "2025-12-31"),
        ("2025-01-01/2025-03-31", "2025-01-01", "2025-03-31"),
    ],
)
def test_periods(text: str, first: str, last: str) -> None:
    a, b = rec.parse_period(text)
    assert (a.isoformat(), b.isoformat()) == (first, last)


@pytest.mark.parametrize("text", ["2025-13", "25", "2025-03-31/2025-01-01", "next year"])
def test_bad_periods(text: str) -> None:
    with pytest.raises(InvalidInput):
        rec.parse_period(text)


CSV = """\
enterprise,category,item,period,quantity,unit,source_document,note
E01,solid_waste,generated,2025-01,100,t,固废台账,
E01,solid_waste,utilised,2025-01,85,t,固废台账,
,water,reused,2025-01,"1,200",m3,循环水台账,园区污水厂回用
E02,product_output,widget,2025-01,320,t,产量报表,
"""


def test_import_is_idempotent_and_turns_changed_rows_into_corrections(loaded: Store) -> None:
    first = rec.import_records(loaded, content=CSV.encode(), filename="s.csv", entered_by="导入")
    assert (first.rows, len(first.created), len(first.corrected)) == (4, 4, 0)
    park_row = next(r for r in rec.list_records(loaded) if r.enterprise_id is None)
    assert (park_row.quantity, park_row.note) == (1200.0, "园区污水厂回用")
    again = rec.import_records(loaded, content=CSV.encode(), filename="s.csv", entered_by="导入")
    assert (len(again.created), len(again.corrected), len(again.unchanged)) == (0, 0, 4)
    changed = CSV.replace("utilised,2025-01,85", "utilised,2025-01,88")
    third = rec.import_records(
        loaded, content=changed.encode(), filename="s.csv", entered_by="导入"
    )
    assert (len(third.created), len(third.corrected)) == (0, 1)
    (util,) = rec.list_records(loaded, category="solid_waste", enterprise_id=_ids(loaded)["E01"])[
        1:
    ]
    assert util.quantity == 88.0 and util.supersedes_id is not None


def test_a_bad_row_rejects_the_whole_file_and_names_the_row(loaded: Store) -> None:
    bad = CSV + "E09,water,reused,2025-01,5,m3,x,\nE01,water,reused,2025-01,-5,m3,x,\n"
    with pytest.raises(InvalidInput) as err:
        rec.import_records(loaded, content=bad.encode(), filename="s.csv", entered_by="x")
    assert "row 6" in str(err.value) and "row 7" in str(err.value)
    assert rec.list_records(loaded) == []


def test_a_repeated_row_is_an_error(loaded: Store) -> None:
    lines = CSV.splitlines()
    with pytest.raises(InvalidInput, match="repeats row 2"):
        rec.import_records(
            loaded, content="\n".join([*lines, lines[1]]).encode(), filename="s.csv", entered_by="x"
        )


def test_an_enterprise_user_imports_its_own_rows_only(loaded: Store) -> None:
    with pytest.raises(PermissionDenied):
        rec.import_records(
            loaded,
            content=CSV.encode(),
            filename="s.csv",
            entered_by="x",
            scope=_ids(loaded)["E01"],
        )
    assert rec.list_records(loaded) == []


def test_xlsx_import_with_chinese_headers_and_date_columns(loaded: Store) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["企业", "类别", "项目", "开始日期", "结束日期", "数量", "单位", "来源文件"])
    ws.append(
        [
            "E02",
            "waste_heat",
            "available",
            dt.date(2025, 1, 1),
            dt.date(2025, 3, 31),
            400.0,
            "GJ",
            "余热记录",
        ]
    )
    ws.append(
        [
            "E02",
            "waste_heat",
            "utilised",
            dt.date(2025, 1, 1),
            dt.date(2025, 3, 31),
            220,
            "GJ",
            "余热记录",
        ]
    )
    buf = io.BytesIO()
    wb.save(buf)
    report = rec.import_records(
        loaded, content=buf.getvalue(), filename="余热.xlsx", entered_by="x"
    )
    assert len(report.created) == 2
    got = rec.list_records(loaded, category="waste_heat")
    assert [(r.item, r.period_start, r.period_end, r.quantity) for r in got] == [
        ("available", "2025-01-01", "2025-03-31", 400.0),
        ("utilised", "2025-01-01", "2025-03-31", 220.0),
    ]


def test_unknown_columns_and_file_types_are_refused(loaded: Store) -> None:
    with pytest.raises(InvalidInput, match="unknown column"):
        rec.import_records(
            loaded, content=b"enterprise,colour\nE01,red\n", filename="s.csv", entered_by="x"
        )
    with pytest.raises(InvalidInput, match=r"\.csv or \.xlsx"):
        rec.import_records(loaded, content=b"{}", filename="s.json", entered_by="x")


def test_a_page_of_records_is_read_newest_first_with_its_corrections(loaded: Store) -> None:
    # five records 1..5 (ids a..e); c corrected by f: current are a, b, d, e, f (5), all six
    # with the history
    e01 = _ids(loaded)["E01"]
    items = ("generated", "utilised", "utilised_from_storage", "stored", "disposed")
    a, b, c, d, e = (_add(loaded, e01, item=item) for item in items)
    f = rec.correct_record(
        loaded, record_id=c.id, quantity=7.0, source_document="第二版", entered_by="李工", now=NOW
    )
    page = rec.list_records(loaded, newest_first=True, limit=2, offset=1)
    assert [r.id for r in page] == [e.id, d.id]  # f is the newest, then e, d
    assert rec.count_records(loaded) == 5 and rec.count_records(loaded, include_history=True) == 6
    history = rec.list_records(loaded, include_history=True, newest_first=True, limit=3)
    assert [r.id for r in history] == [f.id, e.id, d.id]
    old = rec.list_records(loaded, include_history=True, newest_first=True, limit=1, offset=3)
    assert [(r.id, r.superseded_by, r.current) for r in old] == [(c.id, f.id, False)]
    # where a record is among the newest first: d has e and f before it; c is not current
    assert rec.count_records(loaded, newer_than=d.id) == 2
    assert rec.count_records(loaded, record_id=d.id) == 1
    assert rec.count_records(loaded, record_id=c.id) == 0
    assert [r.id for r in rec.list_records(loaded)] == [a.id, b.id, d.id, e.id, f.id]
