"""Product energy from the points tagged ``product:<code>`` (SQLite, a tiny park, one day).

Tree of enterprise X (electricity, interval meters, kWh per hour):

    X-grid 600 (boundary)
    └── L1 446.25  [product:electrolytic_aluminium]
        └── L1a 100  [product:electrolytic_aluminium]   inside L1: not counted again
            └── M 40  [product:data_centre_it]          another product: taken out of L1
    └── K 100  [product:cement_clinker]                 energy numerator: kgce
    └── G (natural gas, 5 m³/h)  [product:data_centre_it]  not electricity: named, not counted

24 hourly readings from 2025-01-01 01:00 local = the 24 h of 1 January.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from lingtan.compliance import service
from lingtan.identity.roles import Principal, Role
from lingtan.indicators import records as rec
from lingtan.indicators.product_meters import plan
from lingtan.store import Store
from tests.compliance.day_park import day_park

PARK = """\
park: {id: meter-park, name: 分产品计量园区, province: 江苏}
enterprises:
  - {id: X, name: 铝业}
points:
  - {id: X-grid, carrier: electricity_grid_import, kind: interval, unit: kWh, enterprise: X, level: 1, interval_s: 3600}
  - {id: L1, carrier: electricity_grid_import, kind: interval, unit: kWh, enterprise: X, level: 2, parent: X-grid, interval_s: 3600, tags: [product:electrolytic_aluminium]}
  - {id: L1a, carrier: electricity_grid_import, kind: interval, unit: kWh, enterprise: X, level: 3, parent: L1, interval_s: 3600, tags: [product:electrolytic_aluminium]}
  - {id: M, carrier: electricity_grid_import, kind: interval, unit: kWh, enterprise: X, level: 3, parent: L1a, interval_s: 3600, tags: [product:data_centre_it]}
  - {id: K, carrier: electricity_grid_import, kind: interval, unit: kWh, enterprise: X, level: 2, parent: X-grid, interval_s: 3600, tags: [product:cement_clinker]}
  - {id: G, carrier: natural_gas, kind: interval, unit: m3, enterprise: X, level: 1, interval_s: 3600, tags: [product:data_centre_it]}
"""
HOURLY = {"X-grid": 600.0, "L1": 446.25, "L1a": 100.0, "M": 40.0, "K": 100.0, "G": 5.0}
DAY = dt.date(2025, 1, 1)


@pytest.fixture(scope="module")
def park(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = day_park(tmp_path_factory.mktemp("pm") / "pm.db", PARK, HOURLY)
    x = store.registry.enterprises(store.registry.park().id)[0].id
    for item, qty, unit in (
        ("electrolytic_aluminium", 0.75, "t"),
        ("data_centre_it", 800.0, "kWh"),
        ("cement_clinker", 3.0, "t"),
    ):
        rec.add_record(
            store, enterprise_id=x, category="product_output", item=item, period_start=DAY,
            period_end=DAY, quantity=qty, unit=unit, source_document="test", entered_by="test",
        )  # fmt: skip
    yield store
    store.close()


PARK_ADMIN = Principal(subject="p", role=Role.PARK_ADMIN, enterprise_id=None)


def test_product_energy_from_the_tagged_points(park: Store) -> None:
    points = list(park.registry.points_by_id_current().values())
    got = {p.code: [q.code for q in minus] for p, minus in plan(points, "electrolytic_aluminium")}
    assert got == {"L1": ["M"]}  # L1a is inside L1
    g = service.grading(park, principal=PARK_ADMIN, year=2025, month=1)
    by = {x.product: x for x in g.grades}
    # aluminium: (446.25 − 40) kWh/h × 24 h = 9 750 kWh over 0.75 t = 13 000 kWh/t: exactly 2级
    # of GB 21346-2022 (13 000, inclusive); aluminium has no sourced 723号 标杆/基准 record
    al = by["electrolytic_aluminium"]
    assert al.value == pytest.approx(13_000.0) and al.level == 2 and al.meets_limit is True
    assert al.efficiency is None
    assert al.energy_source == "metered: points L1 minus M"
    # data centre: M 40 × 24 = 960 kWh over 800 kWh IT = 1.2 (1级 ≤ 1.2); the gas meter G
    # tagged for it is not electricity: named, not counted
    dc = by["data_centre_it"]
    assert dc.value == pytest.approx(1.2) and dc.level == 1
    assert dc.energy_source == "metered: points M (not counted: G (natural_gas))"
    # clinker: K 100 × 24 = 2 400 kWh × 0.1229 kgce/kWh (当量值, GB/T 2589-2020) = 294.96 kgce
    # over 3 t = 98.32 kgce/t (1级 ≤ 100 of GB 16780-2021)
    ck = by["cement_clinker"]
    assert ck.value == pytest.approx(98.32) and ck.level == 1
    assert ck.energy_source == "metered: points K"
    # three limited products in one enterprise: every one assessed from its meters
    assert g.coverage["products_assessed"] == g.coverage["products_present"] == 3
