"""The energy audit built from the store (SQLite, a tiny park, one day), checked by hand.

Enterprise X, 24 hourly readings from 2025-01-01 01:00 local (the 24 h of 1 January):

    X-S1   electricity, site S1 (一车间), 500 kWh/h  → 12 000 kWh
    └── L1 electricity, 450 kWh/h, [product:electrolytic_aluminium] → 10 800 kWh (not boundary)
    X-S2   electricity, site S2 (办公楼), 100 kWh/h → 2 400 kWh
    X-gas  natural gas, no site, 10 m³/h → 240 m³
    Y-S3   electricity of enterprise Y, 300 kWh/h (another enterprise: not in X's audit)

GB/T 2589-2020 coefficients (the shipped records): electricity 0.1229 kgce/kWh (当量值, the
default), oil-field natural gas 1.3300 kgce/m³ (the default kind).
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from lingtan.cli import app
from lingtan.compliance import audit as au
from lingtan.compliance import service
from lingtan.errors import InvalidInput, NotFound, PermissionDenied
from lingtan.identity.roles import Principal, Role
from lingtan.indicators import records as rec
from lingtan.indicators.energy import carrier_name
from lingtan.programme import service as programme
from lingtan.store import Store
from tests.compliance.day_park import day_park

PARK = """\
park: {id: audit-park, name: 审计园区, province: 江苏}
enterprises:
  - {id: X, name: 铝业}
  - {id: Y, name: 邻厂}
sites:
  - {id: S1, name: 一车间, enterprise: X}
  - {id: S2, name: 办公楼, enterprise: X}
  - {id: S3, name: 邻厂车间, enterprise: Y}
points:
  - {id: X-S1, carrier: electricity_grid_import, kind: interval, unit: kWh, enterprise: X, site: S1, level: 1, interval_s: 3600}
  - {id: L1, carrier: electricity_grid_import, kind: interval, unit: kWh, enterprise: X, level: 2, parent: X-S1, interval_s: 3600, tags: [product:electrolytic_aluminium]}
  - {id: X-S2, carrier: electricity_grid_import, kind: interval, unit: kWh, enterprise: X, site: S2, level: 1, interval_s: 3600}
  - {id: X-gas, carrier: natural_gas, kind: interval, unit: m3, enterprise: X, level: 1, interval_s: 3600}
  - {id: Y-S3, carrier: electricity_grid_import, kind: interval, unit: kWh, enterprise: Y, site: S3, level: 1, interval_s: 3600}
"""
HOURLY = {"X-S1": 500.0, "L1": 450.0, "X-S2": 100.0, "X-gas": 10.0, "Y-S3": 300.0}
DAY = dt.date(2025, 1, 1)
ELECTRICITY_ZH = carrier_name("electricity_grid_import", "zh")
PARK_ADMIN = Principal(subject="p", role=Role.PARK_ADMIN, enterprise_id=None)


@pytest.fixture(scope="module")
def park(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = day_park(tmp_path_factory.mktemp("audit") / "a.db", PARK, HOURLY)
    ids = {e.code: e.id for e in store.registry.enterprises(store.registry.park().id)}
    rec.add_record(
        store, enterprise_id=ids["X"], category="product_output", item="electrolytic_aluminium",
        period_start=DAY, period_end=DAY, quantity=0.81, unit="t", source_document="test",
        entered_by="test",
    )  # fmt: skip
    plan = programme.add_plan(store, principal=PARK_ADMIN, data={
        "enterprise_id": ids["X"], "year": 2025, "title": "2025 节能计划", "targets": {}})  # fmt: skip
    for code, name, status, tce, budget in (
        ("M1", "电解槽节能改造", "planned", 0.2, 50_000.0),
        ("M2", "照明改造", "cancelled", 0.05, 8_000.0),
        ("M3", "空压机群控", "in_progress", None, None),
    ):
        body = {"plan_id": plan.id, "code": code, "name": name, "owner": "王工", "status": status,
                "schedule": {"start": "2025-01-01", "end": "2025-06-30"}}  # fmt: skip
        if tce is not None:
            body.update(expected_tce=tce, budget_cny=budget)
        programme.add_measure(store, principal=PARK_ADMIN, data=body)
    yield store
    store.close()


def _id(store: Store, code: str = "X") -> int:
    return {e.code: e.id for e in store.registry.enterprises(store.registry.park().id)}[code]


def test_the_audit_of_an_enterprise_from_the_store_by_hand(park: Store) -> None:
    a = service.audit_file(park, principal=PARK_ADMIN, year=2025, month=1, enterprise_id=_id(park))
    assert a.enterprise == "铝业"
    lines = {(c.carrier, c.use): (c.quantity, c.unit, c.tce) for c in a.carriers}
    assert set(lines) == {
        ("electricity_grid_import", "一车间（S1）"),
        ("electricity_grid_import", "办公楼（S2）"),
        ("natural_gas", "（未指定建筑）"),
    }
    # 12 000 kWh × 0.1229 = 1 474.8 kgce; 2 400 kWh × 0.1229 = 294.96 kgce; 240 m³ × 1.33 = 319.2
    q, unit, tce = lines[("electricity_grid_import", "一车间（S1）")]
    assert q == pytest.approx(12_000.0) and unit == "kWh" and tce == pytest.approx(1.4748)
    assert lines[("electricity_grid_import", "办公楼（S2）")][2] == pytest.approx(0.29496)
    gas_q, gas_unit, _ = lines[("natural_gas", "（未指定建筑）")]
    assert gas_q == pytest.approx(240.0) and gas_unit == "m3"
    assert lines[("natural_gas", "（未指定建筑）")][2] == pytest.approx(0.3192)
    s = au.summary(a)
    assert s["total_tce"] == pytest.approx(2.08896)  # 1.4748 + 0.29496 + 0.3192
    assert s["by_carrier"]["electricity_grid_import"] == pytest.approx(1.76976)
    # aluminium: L1 450 kWh/h × 24 h = 10 800 kWh over 0.81 t = 13 333.3 kWh/t: worse than
    # GB 21346-2022 2级 13 000, within 3级 13 350 → level 3, the park's level 2 not met
    (al,) = s["products"]
    assert al["product"] == "electrolytic_aluminium" and al["value"] == pytest.approx(13_333.333)
    assert al["level"] == 3 and al["meets_limit"] is False
    assert al["limit_id"] == "gb21346-2022.aluminium_liquid_ac"  # energy_limits.yaml
    assert al["energy_source"] == "metered: points L1"
    # savings: M1 0.2 tce listed and summed; M3 listed without an estimate; M2 cancelled
    assert [(m.measure, m.saving_tce, m.status) for m in a.savings] == [
        ("M1 电解槽节能改造", 0.2, "planned"),
        ("M3 空压机群控", None, "in_progress"),
    ]
    assert s["savings_tce"] == pytest.approx(0.2)
    assert s["savings_share"] == pytest.approx(0.2 / 2.08896)
    assert s["savings_not_estimated"] == 1
    assert a.cancelled == ("M2 照明改造",)
    assert [f["id"] for f in a.factors] == [
        "tce.gbt2589-2020.electricity",
        "tce.gbt2589-2020.natural_gas.oil_field",  # the default kind: 油田天然气 1.3300
    ]
    book = load_workbook(io.BytesIO(au.workbook(a)))
    assert book.sheetnames == ["能源消费", "能源消费结构", "单位产品能耗", "节能潜力", "说明"]
    rows = [r for r in book["能源消费"].values if any(v is not None for v in r)]
    assert rows[0][0] == "铝业 能源审计（GB/T 17166-2019）"
    by_use = {r[1]: r for r in rows if r[1] in ("一车间（S1）", "办公楼（S2）", "（未指定建筑）")}
    assert by_use["一车间（S1）"][:4] == (ELECTRICITY_ZH, "一车间（S1）", 12_000.0, "kWh")
    total = next(r for r in rows if r[0] == "合计（综合能耗）")
    assert total[4] == pytest.approx(2.08896)
    products = [r for r in book["单位产品能耗"].values if r[0] == "电解铝（铝液）"]
    assert len(products) == 1 and products[0][4] == 3  # the limit grade
    assert products[0][10] == "分产品计量点 L1"
    notes = [v for r in book["说明"].values for v in r if isinstance(v, str)]
    assert any("M2 照明改造" in v for v in notes)
    english = load_workbook(io.BytesIO(au.workbook(a, lang="en")))
    assert english.sheetnames == ["Energy", "Structure", "Products", "Savings", "Notes"]


def test_the_audit_equals_the_energy_statistics_and_is_scoped(park: Store) -> None:
    from lingtan.indicators.energy import energy_statistics

    x = _id(park)
    a = service.audit_file(park, principal=PARK_ADMIN, year=2025, enterprise_id=x)
    stats = energy_statistics(park, year=2025, enterprise_id=x)
    assert au.summary(a)["total_tce"] == pytest.approx(stats.total_tce)
    # the whole park adds Y's 300 kWh/h × 24 h = 7 200 kWh × 0.1229 = 884.88 kgce
    whole = service.audit_file(park, principal=PARK_ADMIN, year=2025, month=1)
    assert au.summary(whole)["total_tce"] == pytest.approx(2.08896 + 0.88488)
    ys_user = Principal(subject="y", role=Role.ENTERPRISE_ADMIN, enterprise_id=_id(park, "Y"))
    own = service.audit_file(park, principal=ys_user, year=2025, month=1)
    assert {c.use for c in own.carriers} == {"邻厂车间（S3）"} and not own.savings
    with pytest.raises((PermissionDenied, NotFound)):
        service.audit_file(park, principal=ys_user, year=2025, month=1, enterprise_id=x)
    with pytest.raises(InvalidInput, match="no metered energy"):
        service.audit_file(park, principal=PARK_ADMIN, year=2024, enterprise_id=x)


def test_cli_writes_the_audit_from_the_store(
    park: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINGTAN_DATABASE_URL", park.url)
    out = tmp_path / "audit.xlsx"
    args = ["compliance", "audit", "--year", "2025", "--month", "1", "--enterprise", "X"]
    r = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert load_workbook(out)["能源消费"].cell(1, 1).value == "铝业 能源审计（GB/T 17166-2019）"
    r = CliRunner().invoke(app, [*args, "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["total_tce"] == pytest.approx(2.08896)
    r = CliRunner().invoke(app, ["compliance", "audit", "--out", str(out)])
    assert r.exit_code != 0 and "--year" in r.output
