"""Product-output records from production counters (points tagged ``output:<product>``).

SQLite, a tiny park. Enterprise X has the counter P of cement clinker (a register in t, read
hourly, max_rate 5 t/h); enterprise Y has the counter Q of the same product. Readings of P from
2025-02-01 00:00 local (+08:00), hour k (k = 0, 1, …):

* k = 0 … 300: 1000 + 2k (2 t per hour);
* k = 301 … : 1 + 2 (k − 301) — the register restarted from zero during hour 300→301 and had
  counted 1 t by the reading (the normaliser counts it: 1 ≤ 5 t/h × 1 h, estimated, RESET).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from lingtan.errors import InvalidInput
from lingtan.indicators import records as rec
from lingtan.indicators.output_meters import METERED, records_from_meters
from lingtan.ingest import ingest_columns
from lingtan.normalize.service import normalise_pending
from lingtan.registry import parse_park_text
from lingtan.store import Store, open_store
from lingtan.store.records_repo import StatRecord
from lingtan.timeutil import HOUR_US, to_us

PARK = """\
park: {id: output-park, name: 产量计量园区, province: 江苏}
enterprises:
  - {id: X, name: 水泥甲}
  - {id: Y, name: 水泥乙}
points:
  - {id: P, carrier: other, kind: total_increasing, unit: t, enterprise: X, interval_s: 3600, max_rate: 5, tags: [output:cement_clinker]}
  - {id: Q, carrier: other, kind: total_increasing, unit: t, enterprise: Y, interval_s: 3600, max_rate: 5, tags: [output:cement_clinker]}
"""
T0 = to_us(dt.datetime(2025, 2, 1, tzinfo=dt.timezone(dt.timedelta(hours=8))))
NOW = dt.datetime(2025, 3, 31, 12, tzinfo=dt.UTC)  # 20:00 local: April has not begun


def _p(k: int) -> float:
    return 1000.0 + 2 * k if k <= 300 else 1.0 + 2 * (k - 301)


def _ingest(store: Store, code: str, ks: range, value: object) -> None:
    pid = store.registry.points_by_code(refresh=True)[code].id
    k = np.arange(ks.start, ks.stop, dtype=np.int64)
    vals = np.array([value(int(i)) for i in k], np.float64)  # type: ignore[operator]
    ingest_columns(store, np.full(len(k), pid, np.int64), T0 + HOUR_US * k, vals, source="test")
    normalise_pending(store)


@pytest.fixture(scope="module")
def park(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('om') / 'om.db'}")
    store.registry.save_park(parse_park_text(PARK), actor="test")
    yield store
    store.close()


def _ids(store: Store) -> dict[str, int]:
    return {e.code: e.id for e in store.registry.enterprises(store.registry.park().id)}


def _output(store: Store, owner: int) -> list[StatRecord]:
    return rec.list_records(
        store, enterprise_id=owner, category="product_output", include_history=True
    )


def test_counter_months_become_records_corrections_and_reports(park: Store) -> None:
    x = _ids(park)["X"]
    # first only k = 0 … 624 (to 2025-02-27 00:00): 624 of February's 672 hours = 92.9 % ≥ the
    # default threshold 90 %. Production: 300 h × 2 t + 1 t (reset hour) + (624 − 301) × 2 t
    # = 600 + 1 + 646 = 1 247 t
    _ingest(park, "P", range(0, 625), _p)
    got = records_from_meters(park, year=2025, month=2, entered_by="ops", now=NOW)
    (feb,) = [m for m in got.months if m.points == ("P",)]
    assert feb.outcome == "created" and feb.completeness == pytest.approx(624 / 672)
    (r,) = _output(park, x)
    assert (r.item, r.period_start, r.period_end) == ("cement_clinker", "2025-02-01", "2025-02-28")
    assert r.quantity == pytest.approx(1247.0) and r.unit == "t"
    assert r.source_document.startswith(METERED) and "P" in r.source_document
    # Q has no readings: its month is reported with completeness 0, and no record is made
    (q,) = [m for m in got.months if m.points == ("Q",)]
    assert q.outcome == "incomplete" and q.completeness == 0.0
    assert _output(park, _ids(park)["Y"]) == []

    # a re-run writes nothing
    again = records_from_meters(park, year=2025, month=2, entered_by="ops", now=NOW)
    assert again.count("unchanged") == 1 and again.count("created") == 0
    assert len(_output(park, x)) == 1

    # the rest of February and ten days of March arrive: k = 625 … 912 (to 2025-03-11 00:00).
    # February: 1 247 + (672 − 624) × 2 = 1 343 t → a correction, the old record kept.
    # March: 240 of 744 hours = 32.3 % < 90 % → reported with its completeness, no record
    _ingest(park, "P", range(625, 913), _p)
    year = records_from_meters(park, year=2025, entered_by="ops", now=NOW)
    by = {(m.month, m.points): m for m in year.months}
    assert by[("2025-02", ("P",))].outcome == "corrected"
    assert by[("2025-03", ("P",))].outcome == "incomplete"
    assert by[("2025-03", ("P",))].completeness == pytest.approx(240 / 744)
    assert by[("2025-01", ("P",))].completeness == 0.0
    assert ("2025-04", ("P",)) not in by  # April has not begun at NOW (local time)
    old, new = _output(park, x)
    assert new.supersedes_id == old.id and new.quantity == pytest.approx(1343.0)
    assert {r.period_start for r in _output(park, x)} == {"2025-02-01"}


def test_a_hand_entered_record_is_not_overwritten(park: Store) -> None:
    y = _ids(park)["Y"]
    # Q: 3 t per hour over all of February (672 h): 2 016 t metered
    _ingest(park, "Q", range(0, 673), lambda k: 3.0 * k)
    entered = rec.add_record(
        park, enterprise_id=y, category="product_output", item="cement_clinker",
        period_start=dt.date(2025, 2, 1), period_end=dt.date(2025, 2, 28), quantity=2000.0,
        unit="t", source_document="2025年2月统计报表", entered_by="statistician",
    )  # fmt: skip
    got = records_from_meters(park, year=2025, month=2, entered_by="ops", scope=y, now=NOW)
    (m,) = got.months
    assert m.outcome == "entered" and m.record_id == entered.id
    assert m.quantity == pytest.approx(2016.0)
    assert [r.quantity for r in _output(park, y)] == [2000.0]


def test_an_enterprise_runs_its_own_counters_only(tmp_path_factory: pytest.TempPathFactory) -> None:
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('om2') / 'om.db'}")
    try:
        store.registry.save_park(parse_park_text(PARK), actor="test")
        _ingest(store, "P", range(0, 673), lambda k: 2.0 * k)
        _ingest(store, "Q", range(0, 673), lambda k: 1.0 * k)
        ids = _ids(store)
        got = records_from_meters(
            store, year=2025, month=2, entered_by="y-admin", scope=ids["Y"], now=NOW
        )
        assert [m.points for m in got.months] == [("Q",)]
        assert _output(store, ids["X"]) == []
        # Q: 1 t per hour × 672 h
        assert [r.quantity for r in _output(store, ids["Y"])] == [pytest.approx(672.0)]
        # a year's figure entered by hand for X: X's metered February would count twice beside it
        year = rec.add_record(
            store, enterprise_id=ids["X"], category="product_output", item="cement_clinker",
            period_start=dt.date(2025, 1, 1), period_end=dt.date(2025, 12, 31), quantity=9e3,
            unit="t", source_document="2025年统计年报", entered_by="statistician",
        )  # fmt: skip
        park_wide = records_from_meters(store, year=2025, month=2, entered_by="ops", now=NOW)
        outcomes = {m.points: (m.outcome, m.record_id) for m in park_wide.months}
        assert outcomes[("P",)] == ("entered", year.id) and outcomes[("Q",)][0] == "unchanged"
        assert [r.id for r in _output(store, ids["X"])] == [year.id]
    finally:
        store.close()


@pytest.mark.parametrize(
    ("point", "words"),
    [
        ("carrier: electricity_grid_import, unit: kWh", "carrier must be other"),
        ("carrier: other, unit: kWh", "unit kWh (energy) is not a production unit"),
        ("carrier: other, unit: t, tags: [output:a, output:b]", "one output:<product> tag"),
        ("carrier: other, unit: t, tags: [output:a, product:a]", "drop the product:<code> tag"),
        ("carrier: other, unit: t, tags: ['output:']", "names no product"),
    ],
)
def test_a_bad_declaration_is_refused_with_the_field(point: str, words: str) -> None:
    tags = "" if "tags" in point else ", tags: [output:cement_clinker]"
    text = (
        "park: {id: p, name: p, province: 江苏}\npoints:\n"
        f"  - {{id: C, kind: total_increasing, {point}{tags}}}\n"
    )
    with pytest.raises(InvalidInput) as err:
        parse_park_text(text)
    # the line, the point and its tag are named, then the field at fault
    assert "park file:3 points[0]: point C: tags output:" in str(err.value)
    assert words in str(err.value)


def test_the_api_runs_the_callers_own_counters(tmp_path_factory: pytest.TempPathFactory) -> None:
    from fastapi.testclient import TestClient

    from lingtan.api import create_app
    from lingtan.config import Settings
    from lingtan.identity import service as identity
    from lingtan.identity.roles import SYSTEM

    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('om3') / 'om.db'}")
    try:
        store.registry.save_park(parse_park_text(PARK), actor="test")
        _ingest(store, "P", range(0, 673), lambda k: 2.0 * k)
        _ingest(store, "Q", range(0, 673), lambda k: 1.0 * k)
        ids = _ids(store)
        for name, role, ent in (("admin", "park_admin", None), ("y_admin", "enterprise_admin", "Y"),
                                ("y_viewer", "enterprise_viewer", "Y")):  # fmt: skip
            identity.create_user(store, actor=SYSTEM, username=name, password="output-pass-1",
                                 role=role, enterprise_id=None if ent is None else ids[ent])  # fmt: skip
        app = create_app(Settings(environment="test", database_url=store.url), store=store)
        with TestClient(app) as c:
            h = {}
            for name in ("admin", "y_admin", "y_viewer"):
                r = c.post(
                    "/api/v1/auth/token", data={"username": name, "password": "output-pass-1"}
                )
                h[name] = {"Authorization": f"Bearer {r.json()['access_token']}"}
            body = {"year": 2025, "month": 2}
            assert c.post("/api/v1/records/from-meters", json=body).status_code == 401
            r = c.post("/api/v1/records/from-meters", headers=h["y_viewer"], json=body)
            assert r.status_code == 403
            r = c.post("/api/v1/records/from-meters", headers=h["y_admin"], json=body)
            assert r.status_code == 200, r.text
            # Y's counter Q only: 1 t per hour × 672 h; X's counter P is not read
            (m,) = r.json()["months"]
            assert m["points"] == ["Q"] and m["quantity"] == pytest.approx(672.0)
            assert r.json()["created"] == 1 and _output(store, ids["X"]) == []
            r = c.post("/api/v1/records/from-meters", headers=h["admin"], json=body)
            # the park admin: X's P is new (2 t × 672 h = 1 344 t), Y's Q is unchanged
            assert (r.json()["created"], r.json()["unchanged"]) == (1, 1)
            assert [x.quantity for x in _output(store, ids["X"])] == [pytest.approx(1344.0)]
            bad = c.post(
                "/api/v1/records/from-meters", headers=h["admin"], json={"year": 2025, "month": 13}
            )
            assert bad.status_code == 422 and "month" in bad.text
    finally:
        store.close()


def test_the_cli_makes_and_reports_the_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    import typer
    from typer.testing import CliRunner

    from lingtan.cli import indicators as cli_indicators

    url = f"sqlite:///{tmp_path}/cli.db"
    with open_store(url) as store:
        store.registry.save_park(parse_park_text(PARK), actor="test")
        _ingest(store, "P", range(0, 673), lambda k: 0.5 * k)
    monkeypatch.setenv("LINGTAN_DATABASE_URL", url)
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """Root."""

    cli_indicators.register(app)
    args = ["records", "from-meters", "--year", "2025", "--month", "2", "--by", "ops"]
    out = CliRunner().invoke(app, [*args, "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    # P: 0.5 t per hour × 672 h = 336 t; Q has no readings (0 % complete)
    assert (data["created"], data["incomplete"]) == (1, 1)
    got = {m["points"][0]: m for m in data["months"]}
    assert got["P"]["quantity"] == pytest.approx(336.0) and got["Q"]["completeness"] == 0.0
    table = CliRunner().invoke(app, args)
    assert table.exit_code == 0 and "1 unchanged" in table.output
