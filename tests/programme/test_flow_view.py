"""Circular-economy and carbon-complementarity projects on the park's energy-flow view: each
flow as a link between the two enterprises with its basis and avoided energy and carbon,
scoped by tenancy (an enterprise sees the flows it is party to, only)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from lingtan.api.overview import service as overview
from lingtan.api.overview.schemas import EnergyFlow
from lingtan.identity.roles import Principal, Role
from lingtan.programme import service
from lingtan.store import Store, open_store
from tests.indicators import golden_park

PARK = Principal(subject="p", role=Role.PARK_ADMIN, enterprise_id=None)
HEAT = {"value": 0.03412, "unit": "tce/GJ", "record": "GB/T 2589-2020 heat 0.03412 tce/GJ"}
#: a synthetic factor of the test (tCO2 per GJ of steam replaced), not a reference value
CO2 = {"value": 0.11, "unit": "tCO2/GJ", "record": "test: synthetic 0.11 tCO2/GJ"}


@pytest.fixture(scope="module")
def park(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('flow') / 'f.db'}")
    text = golden_park.PARK.replace(
        "  - id: B\n    name: 乙企业\n",
        "  - id: B\n    name: 乙企业\n  - id: C\n    name: 丙企业\n",
    )
    assert "丙企业" in text
    # 48 hourly readings from 2025-01-01 01:00 local: the local days 1 and 2 January
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(golden_park, "PARK", text)
        golden_park.load(store, hours=48)
    ids = {e.code: e.id for e in store.registry.enterprises(store.registry.park().id)}
    a = Principal(subject="a", role=Role.ENTERPRISE_ADMIN, enterprise_id=ids["A"])
    service.add_record(store, principal=a, data={
        "kind": "circular_project", "enterprise_id": ids["A"], "title": "甲蒸汽供乙",
        "body": {
            "name": "余热蒸汽", "kind": "steam",
            "flows": [{"supplier_id": ids["A"], "receiver_id": ids["B"], "carrier": "steam",
                       "unit": "GJ", "quantity": 1200}],
            "energy_factor": HEAT, "carbon_factor": CO2,
        },
        "cites": {"period_start": "2025-01-01", "period_end": "2025-01-31"},
    })  # fmt: skip
    service.add_record(store, principal=PARK, data={
        "kind": "circular_project", "title": "乙余热供甲（计量）",
        "body": {
            "name": "余热回收", "kind": "waste_heat",
            "flows": [{"supplier_id": ids["B"], "receiver_id": ids["A"], "carrier": "heat",
                       "unit": "GJ", "point": "B-steam"}],
            "energy_factor": HEAT,
        },
        "cites": {"period_start": "2025-01-01", "period_end": "2025-01-02"},
    })  # fmt: skip
    service.add_record(store, principal=PARK, data={
        "kind": "circular_project", "title": "往年项目",
        "body": {
            "name": "2024年副产品", "kind": "by_product",
            "flows": [{"supplier_id": ids["A"], "receiver_id": ids["B"], "carrier": "steam",
                       "unit": "GJ", "quantity": 50}],
        },
        "cites": {"period_start": "2024-01-01", "period_end": "2024-12-31"},
    })  # fmt: skip
    yield store
    store.close()


def _ids(store: Store) -> dict[str, int]:
    return {e.code: e.id for e in store.registry.enterprises(store.registry.park().id)}


def _flow(store: Store, who: Principal, **kw: Any) -> dict[str, Any]:
    out = overview.energy_flow(store, principal=who, year=2025, **kw)
    EnergyFlow.model_validate(out)  # the API's schema holds
    return out


def test_projects_are_links_between_the_enterprises(park: Store) -> None:
    out = _flow(park, PARK)
    by = {c["project"]: c for c in out["circular"]}
    assert set(by) == {"余热蒸汽", "余热回收"}  # the 2024 project is outside the year
    nodes = out["nodes"]
    steam = by["余热蒸汽"]
    assert (nodes[steam["source"]]["name"], nodes[steam["target"]]["name"]) == ("甲企业", "乙企业")
    assert steam["basis"] == "declared" and steam["quantity"] == pytest.approx(1200)
    # 1 200 GJ × 0.03412 tce/GJ = 40.944 tce; 1 200 GJ × 0.11 tCO2/GJ = 132 tCO2
    assert steam["avoided_tce"] == pytest.approx(40.944)
    assert steam["avoided_tco2"] == pytest.approx(132)
    assert steam["energy_factor"]["record"].startswith("GB/T 2589-2020")
    heat = by["余热回收"]
    # metered at B-steam: 2 GJ/h × 48 h (1–2 January) = 96 GJ; × 0.03412 = 3.27552 tce
    assert (heat["basis"], heat["point"]) == ("metered", "B-steam")
    assert heat["quantity"] == pytest.approx(96)
    assert heat["avoided_tce"] == pytest.approx(3.27552)
    assert heat["avoided_tco2"] is None  # no carbon factor cited: no figure
    assert (heat["supplier"], heat["receiver"]) == ("乙企业", "甲企业")
    # not part of the park's comprehensive energy consumption
    plain = {k: v for k, v in out.items() if k != "circular"}
    assert plain["total_tce"] == pytest.approx(
        sum(
            x["value"]
            for x in out["links"]
            if nodes[x["target"]]["kind"] == "owner" and x["carrier"] != "storage_discharge"
        )
        - sum(x["value"] for x in out["links"] if x["carrier"] == "electricity_export")
    )


def test_a_month_outside_a_project_shows_none_of_it(park: Store) -> None:
    # both 2025 projects cite January only
    assert _flow(park, PARK, month=2)["circular"] == []
    assert len(_flow(park, PARK, month=1)["circular"]) == 2


def test_tenancy_parties_only(park: Store) -> None:
    ids = _ids(park)
    c = Principal(subject="c", role=Role.ENTERPRISE_ADMIN, enterprise_id=ids["C"])
    assert _flow(park, c)["circular"] == []
    # B is party to A's record and to the park's: it sees both flows (not the 2024 one)
    b = Principal(subject="b", role=Role.ENTERPRISE_VIEWER, enterprise_id=ids["B"])
    assert {x["project"] for x in _flow(park, b)["circular"]} == {"余热蒸汽", "余热回收"}
    # a park-wide caller's view of C: none
    assert _flow(park, PARK, enterprise_id=ids["C"])["circular"] == []
