"""CBAM electricity from the store's monthly statistics and the factor from the factor library.

The park (Asia/Shanghai) has E01 with the electricity meter EL and E02 with EM (kWh). Monthly
statistics of 2026 are written as the normaliser keeps them:

* EL: 100 000 kWh every month, measured, except February with one day estimated →
  12 × 100 000 kWh = 1 200 000 kWh = 1 200 MWh;
* EM: January and February only → March–December missing.

Factor record ``grid.2021.national.average``: 0.5568 kgCO2/kWh = 0.5568 tCO2/MWh (MEE/NBS 公告
2024年第12号). Hot rolling makes 100 000 t of 7208 51 20 from 105 000 t of 7207 11 14 (actual SEE
2.0 direct, 0.3 indirect): indirect SEE = (1 200 × 0.5568 + 105 000 × 0.3) / 100 000
= (668.16 + 31 500) / 100 000 = 0.3216816 tCO2e/t.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import insert

from lingtan.errors import InvalidInput, NotFound
from lingtan.ghg import cbam, service
from lingtan.identity.roles import Principal, Role
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
  - {id: EL, carrier: electricity_grid_import, kind: interval, unit: kWh, enterprise: E01, level: 1}
  - {id: EM, carrier: electricity_grid_import, kind: interval, unit: kWh, enterprise: E02, level: 1}
"""
DAY = 86_400.0
EPOCH = dt.date(1970, 1, 1).toordinal()


def _month(m: int) -> tuple[int, int, float]:
    """Local day numbers of the first day of 2026-``m`` and of the next month, and its seconds."""
    a = dt.date(2026, m, 1)
    b = dt.date(2027, 1, 1) if m == 12 else dt.date(2026, m + 1, 1)
    return a.toordinal() - EPOCH, b.toordinal() - EPOCH, (b - a).days * DAY


@pytest.fixture
def park(sqlite_url: str) -> Iterator[Store]:
    store = open_store(sqlite_url)
    store.registry.save_park(parse_park_text(PARK))
    ids = {p.code: p.id for p in store.registry.points_by_id(refresh=True).values()}
    rows = []
    for m in range(1, 13):
        a, b, secs = _month(m)
        estimated = DAY if m == 2 else 0.0
        rows.append((ids["EL"], a, b, 100_000.0, secs - estimated, estimated))
        if m <= 2:
            rows.append((ids["EM"], a, b, 5_000.0, secs, 0.0))
    with store.begin() as conn:
        conn.execute(
            insert(s.stat_month),
            [
                {"point_id": p, "first_day": a, "end_day": b, "value": v, "mean": None,
                 "min": None, "max": None, "measured_s": ms, "estimated_s": es, "missing_s": 0.0,
                 "flags": 0, "n": 1, "days": b - a, "computed_at": 0}
                for p, a, b, v, ms, es in rows
            ],
        )  # fmt: skip
    try:
        yield store
    finally:
        store.close()


def _mill(**process: Any) -> dict[str, Any]:
    return {
        "name": "示例轧钢厂",
        "year": 2026,
        "processes": [
            {
                "id": "hot_rolling",
                "cn_code": "7208 51 20",
                "output": 100_000,
                "direct_emissions": 20_000,
                "precursors": [
                    {
                        "cn_code": "7207 11 14",
                        "quantity": 105_000,
                        "see_direct": 2.0,
                        "see_indirect": 0.3,
                    }
                ],
                **process,
            }
        ],
    }


METERED = {"electricity_meter": "EL", "electricity_factor_record": "grid.2021.national.average"}


def test_the_electricity_of_a_year_from_the_meter_and_the_factor_from_its_record(
    park: Store,
) -> None:
    user = enterprise_admin(park, "E01")
    inst = service.cbam_installation(park, principal=user, installation=_mill(**METERED))
    (p,) = inst.processes
    assert p.electricity == pytest.approx(1_200.0)  # MWh
    assert p.electricity_factor == pytest.approx(0.5568)
    assert p.electricity_source == "meter EL, stat_month 2026-01…2026-12 (estimated in 2026-02)"
    assert p.electricity_factor_source.startswith("grid.2021.national.average: 生态环境部")
    (g,) = cbam.embedded(inst)
    assert g.see_indirect == pytest.approx(0.3216816)
    assert g.see_direct == pytest.approx(2.3)  # (20 000 + 105 000 × 2.0) / 100 000
    # the workbook names both sources, in Chinese by default
    data = service.cbam_communication(
        park, principal=user, installation=_mill(**METERED), lang="zh-CN"
    )
    assert data["goods"][0]["electricity_source"] == p.electricity_source


def test_a_park_caller_names_the_enterprise_and_its_meters_only(park: Store) -> None:
    admin = Principal(subject="p", role=Role.PARK_ADMIN, enterprise_id=None)
    with pytest.raises(InvalidInput, match="enterprise_id"):
        service.cbam_installation(park, principal=admin, installation=_mill(**METERED))
    e01 = enterprise_admin(park, "E01").enterprise_id
    inst = service.cbam_installation(
        park, principal=admin, installation=_mill(**METERED), enterprise_id=e01
    )
    assert inst.processes[0].electricity == pytest.approx(1_200.0)
    # E02's user cannot read E01's meter, nor name E01
    e02 = enterprise_admin(park, "E02")
    with pytest.raises(InvalidInput, match="no metering point 'EL' of this enterprise"):
        service.cbam_installation(park, principal=e02, installation=_mill(**METERED))
    with pytest.raises(NotFound):
        service.cbam_installation(
            park, principal=e02, installation=_mill(**METERED), enterprise_id=e01
        )


def test_an_incomplete_year_and_contradictory_inputs_are_refused(park: Store) -> None:
    e02 = enterprise_admin(park, "E02")
    with pytest.raises(InvalidInput) as err:
        service.cbam_installation(park, principal=e02, installation=_mill(electricity_meter="EM"))
    assert err.value.field == "processes.0.electricity_meter"
    assert "2026-03" in str(err.value) and "2026-12" in str(err.value)
    with pytest.raises(InvalidInput, match="not both"):
        cbam.parse_installation(_mill(electricity=10, electricity_meter="EL"))
    with pytest.raises(InvalidInput, match="not both"):
        cbam.parse_installation(
            _mill(electricity_factor=0.5, electricity_factor_record="grid.2021.national.average")
        )
    with pytest.raises(InvalidInput, match="not an annual grid-electricity factor"):
        cbam.parse_installation(_mill(electricity_factor_record="tce.gbt2589-2020.electricity"))
    with pytest.raises(InvalidInput, match="no factor record"):
        cbam.parse_installation(_mill(electricity_factor_record="grid.1900.nowhere"))
    # without the store a metered process cannot be computed: refused, not counted as 0 MWh
    with pytest.raises(InvalidInput) as err:
        cbam.embedded(cbam.parse_installation(_mill(**METERED)))
    assert err.value.field == "processes.0.electricity_meter"


def test_the_cli_reads_the_meter_of_the_enterprise_it_names(
    park: Store, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from typer.testing import CliRunner

    from lingtan.cli import app

    monkeypatch.setenv("LINGTAN_DATABASE_URL", park.url)
    f = tmp_path / "mill.json"
    f.write_text(json.dumps(_mill(**METERED)), encoding="utf-8")
    out = tmp_path / "out.json"
    r = CliRunner().invoke(app, ["ghg", "cbam", str(f), "--enterprise", "E01", "--json", str(out)])
    assert r.exit_code == 0, r.output
    (good,) = json.loads(out.read_text(encoding="utf-8"))["goods"]
    assert good["see_indirect"] == pytest.approx(0.3216816)
    r = CliRunner().invoke(app, ["ghg", "cbam", str(f)])
    assert r.exit_code != 0 and "--enterprise" in r.output
