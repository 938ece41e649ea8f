"""Monthly activity from the metered statistics (``stat_month``) on a tiny park, by hand.

The park (Asia/Shanghai, no DST) has E01 with two natural-gas meters G1, G2 (m3) and E02 with
H1. The monthly statistics rows are written as the normaliser keeps them (value, measured /
estimated / missing seconds):

* January (31 d = 2 678 400 s): G1 30 000 m3, G2 20 000 m3, all measured → 5 × 10⁴ m3;
* February (28 d = 2 419 200 s): G1 10 000 with one day estimated, G2 10 000 measured → 2 × 10⁴
  m3, estimated share 86 400 / (2 × 2 419 200) = 1/56 = 1.8 %;
* March: G2 has one day missing (86 400 / 2 678 400 = 3.2 % of the month) → the month is missing;
* April–December: no rows → missing.

With the measured NCV 400 GJ/10⁴ m3, carbon content 0.015 tC/GJ and oxidation 1, one 10⁴ m3 emits
400 × 0.015 × 44/12 = 22 tCO2 (GB/T 32151.5 fuel combustion): January 110 t, February 44 t.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import insert

from lingtan.errors import InvalidInput
from lingtan.ghg import service
from lingtan.registry import parse_park_text
from lingtan.store import Store, open_store
from lingtan.store import schema as s
from tests.waste.conftest import enterprise_admin

PARK = """\
park: {id: tiny, name: 小园区, province: 江苏, timezone: Asia/Shanghai}
enterprises:
  - {id: E01, name: 甲}
  - {id: E02, name: 乙}
points:
  - {id: G1, carrier: natural_gas, kind: interval, unit: m3, enterprise: E01, level: 1}
  - {id: G2, carrier: natural_gas, kind: interval, unit: m3, enterprise: E01, level: 1}
  - {id: H1, carrier: natural_gas, kind: interval, unit: m3, enterprise: E02, level: 1}
"""
DAY = 86_400.0
EV = {"kind": "measured", "reference": "LAB-7", "tier": 3}
# local day numbers (days since 1970-01-01) of 2025-01-01, -02-01, -03-01, -04-01
JAN, FEB, MAR, APR = 20089, 20120, 20148, 20179


@pytest.fixture
def tiny(sqlite_url: str) -> Iterator[Store]:
    store = open_store(sqlite_url)
    store.registry.save_park(parse_park_text(PARK))
    ids = {p.code: p.id for p in store.registry.points_by_id(refresh=True).values()}
    rows = [  # (point, first day, end day, value, measured s, estimated s, missing s)
        ("G1", JAN, FEB, 30_000.0, 31 * DAY, 0.0, 0.0),
        ("G2", JAN, FEB, 20_000.0, 31 * DAY, 0.0, 0.0),
        ("G1", FEB, MAR, 10_000.0, 27 * DAY, DAY, 0.0),
        ("G2", FEB, MAR, 10_000.0, 28 * DAY, 0.0, 0.0),
        ("G1", MAR, APR, 9_000.0, 31 * DAY, 0.0, 0.0),
        ("G2", MAR, APR, 5_000.0, 30 * DAY, 0.0, DAY),
        ("H1", JAN, FEB, 777.0, 31 * DAY, 0.0, 0.0),
    ]
    with store.begin() as conn:
        conn.execute(
            insert(s.stat_month),
            [
                {"point_id": ids[code], "first_day": a, "end_day": b, "value": v, "mean": None,
                 "min": None, "max": None, "measured_s": ms, "estimated_s": es, "missing_s": xs,
                 "flags": 0, "n": 1, "days": b - a, "computed_at": 0}
                for code, a, b, v, ms, es, xs in rows
            ],
        )  # fmt: skip
    try:
        yield store
    finally:
        store.close()


def _doc(series: dict[str, Any]) -> dict[str, Any]:
    return {
        "enterprise": "甲",
        "year": 2025,
        "sector": "other",
        "sources": [
            {
                "id": "gas",
                "method": "fuel",
                "key": "natural_gas",
                "series": {"consumed": series},
                "params": {
                    "ncv": {"value": 400, "evidence": EV},
                    "carbon_content": {"value": 0.015, "evidence": EV},
                    "oxidation": {"value": 1, "evidence": EV},
                },
            }
        ],
    }


def test_months_come_from_the_statistics_with_their_quality(tiny: Store) -> None:
    e01 = enterprise_admin(tiny, "E01")
    service.submit(tiny, principal=e01, enterprise_id=None,
                   document=_doc({"unit": "10^4 m3", "carrier": "natural_gas"}))  # fmt: skip
    _, r = service.result(tiny, principal=e01, enterprise_id=None, year=2025)
    months = r.sources[0].months
    assert months[1] is not None and months[1].co2e("AR5") == pytest.approx(110.0)
    assert months[2] is not None and months[2].co2e("AR5") == pytest.approx(44.0)
    assert all(months[m] is None for m in range(3, 13))  # never zero-filled
    assert r.direct().value is None and r.direct().partial == pytest.approx(154.0)
    ev = {e["month"]: e for e in r.sources[0].evidence["consumed"]}
    assert ev[1]["reference"] == "meter G1 + meter G2, stat_month 2025-01"
    assert (ev[1]["kind"], ev[1]["tier"]) == ("measured", 3)
    assert (ev[2]["kind"], ev[2]["tier"]) == ("calculated", 2)
    assert "estimated 1.8%" in ev[2]["reference"]
    reasons = {x["month"]: x.get("reason", "") for x in r.missing()}
    assert "meter G2: stat_month 2025-03 incomplete (3.2% of the month" in reasons[3]
    assert "no statistics for 2025-04" in reasons[4]


def test_one_meter_and_refusals_name_the_field(tiny: Store) -> None:
    e01 = enterprise_admin(tiny, "E01")
    one = _doc({"unit": "m3", "meter": "G1"})
    one["sources"][0]["params"]["ncv"]["value"] = 0.04  # GJ/m3: 400 GJ/10^4 m3
    service.submit(tiny, principal=e01, enterprise_id=None, document=one)
    _, r = service.result(tiny, principal=e01, enterprise_id=None, year=2025)
    # G1 alone: 30 000 m3 × 0.04 × 0.015 × 44/12 = 66 tCO2; March complete for G1: 9 000 → 19.8
    assert r.sources[0].months[1].co2e("AR5") == pytest.approx(66.0)  # type: ignore[union-attr]
    assert r.sources[0].months[3].co2e("AR5") == pytest.approx(19.8)  # type: ignore[union-attr]
    cases = [
        ({"unit": "m3", "meter": "H1"}, "sources.gas.series.consumed.meter"),  # E02's meter
        ({"unit": "m3", "meter": "G9"}, "sources.gas.series.consumed.meter"),
        ({"unit": "t", "meter": "G1"}, "sources.gas.series.consumed.unit"),
        ({"unit": "m3", "carrier": "coal"}, "sources.gas.series.consumed.carrier"),
        ({"unit": "m3", "meter": "G1", "months": [{"month": 1, "value": 1, "evidence": EV}]},
         "sources.gas.series.consumed"),
    ]  # fmt: skip
    for series, field in cases:
        with pytest.raises(InvalidInput) as err:
            service.submit(tiny, principal=e01, enterprise_id=None, document=_doc(series))
        assert err.value.field == field, (series, err.value)
    # E02 reading its own statistics is not affected by E01's documents
    e02 = enterprise_admin(tiny, "E02")
    doc = copy.deepcopy(_doc({"unit": "m3", "meter": "H1"}))
    doc["sources"][0]["params"]["ncv"]["value"] = 0.04
    service.submit(tiny, principal=e02, enterprise_id=None, document=doc)
    _, r2 = service.result(tiny, principal=e02, enterprise_id=None, year=2025)
    assert r2.sources[0].months[1].co2e("AR5") == pytest.approx(777 * 0.04 * 0.015 * 44 / 12)  # type: ignore[union-attr]
