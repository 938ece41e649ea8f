"""Smart poles (智慧灯杆) of a lighting zone: devices grouping existing points by role
(lighting circuit, EV charger meter, environment sensor), validated against the registry
(an unknown point names its field, and in a file its line), listed with each point's newest
reading — by the service and the CLI, on hand-written park and zone files."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lingtan.cli import app
from lingtan.equipment import service
from lingtan.errors import InvalidInput
from lingtan.identity.roles import SYSTEM
from lingtan.ingest import ingest
from lingtan.readings import Reading
from lingtan.registry import parse_park_text
from lingtan.store import Store, open_store

SH = dt.timezone(dt.timedelta(hours=8))
PARK = """\
park:
  id: pole-park
  name: 灯杆测试园区
  province: 江苏
  timezone: Asia/Shanghai
enterprises:
  - id: E01
    name: 甲企业
points:
  - {id: LT-1, carrier: electricity_grid_import, kind: total_increasing, unit: kWh}
  - {id: LT-2, carrier: electricity_grid_import, kind: total_increasing, unit: kWh}
  - {id: EV-1, carrier: electricity_grid_import, kind: total_increasing, unit: kWh}
  - {id: ENV-pm25, carrier: other, kind: measurement, unit: ug/m3}
  - {id: E01-main, carrier: electricity_grid_import, kind: total_increasing, unit: kWh,
     enterprise: E01}
"""
ZONE = {
    "code": "RD-1", "name": "园区主干道", "kind": "road", "circuits": ["LT-1", "LT-2"],
    "latitude": 31.30, "longitude": 120.60,
    "poles": [
        {"code": "P-01", "name": "1号杆", "lighting": ["LT-1"], "ev_charger": ["EV-1"],
         "environment": ["ENV-pm25"]},
        {"code": "P-02", "lighting": ["LT-2"]},
    ],
}  # fmt: skip


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(f"sqlite:///{tmp_path / 'p.db'}")
    s.registry.save_park(parse_park_text(PARK))
    try:
        yield s
    finally:
        s.close()


def _pole(**kw: object) -> dict[str, object]:
    return {**ZONE, "poles": [{"code": "P-01", **kw}]}


def test_poles_list_their_points_with_the_newest_values(store: Store) -> None:
    service.put_zone(store, principal=SYSTEM, data=ZONE)
    t0 = dt.datetime(2025, 3, 10, 20, tzinfo=SH)
    ingest(store, [
        Reading("EV-1", t0, 100.0), Reading("EV-1", t0 + dt.timedelta(hours=1), 112.5),
        Reading("ENV-pm25", t0, 35.0), Reading("ENV-pm25", t0 + dt.timedelta(hours=2), 41.0),
        Reading("LT-1", t0, 7.0),
    ], now=t0 + dt.timedelta(days=1))  # fmt: skip
    poles = service.poles(store, principal=SYSTEM, code="RD-1")
    assert [p["code"] for p in poles] == ["P-01", "P-02"]
    got = {r["point"]: r for r in poles[0]["points"]}
    assert [r["role"] for r in poles[0]["points"]] == ["lighting", "ev_charger", "environment"]
    # the newest reading of each: EV-1 at 21:00 = 112.5, ENV-pm25 at 22:00 = 41.0, LT-1 7.0
    assert got["EV-1"]["value"] == 112.5 and got["EV-1"]["at"].startswith("2025-03-10T21:00")
    assert got["ENV-pm25"]["value"] == 41.0 and got["ENV-pm25"]["unit"] == "µg/m3"
    assert got["LT-1"]["value"] == 7.0
    # a point without readings: no value, not zero
    assert poles[1]["points"] == [{"role": "lighting", "point": "LT-2", "name": "LT-2",
                                   "unit": "kWh", "value": None, "at": None}]  # fmt: skip


@pytest.mark.parametrize(
    ("pole", "field"),
    [
        ({"ev_charger": ["EV-9"]}, "poles.0.ev_charger.0"),  # no such point
        ({"environment": ["ENV-pm25", "E01-main"]}, "poles.0.environment.1"),  # an enterprise's
        ({"lighting": ["EV-1"]}, "poles[0].lighting[0]"),  # not a circuit of the zone
        ({"lighting": []}, "poles.0"),  # groups nothing
    ],
)
def test_a_bad_pole_names_its_field(store: Store, pole: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        service.put_zone(store, principal=SYSTEM, data=_pole(**pole))
    assert err.value.field == field, str(err.value)
    assert service.zones(store, principal=SYSTEM) == []  # nothing stored


def test_cli_names_the_line_of_an_unknown_point(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINGTAN_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("COLUMNS", "300")
    runner = CliRunner()
    (tmp_path / "park.yaml").write_text(PARK, encoding="utf-8")
    assert runner.invoke(app, ["init", "--park", str(tmp_path / "park.yaml")]).exit_code == 0
    bad = tmp_path / "zones.yaml"
    bad.write_text(
        """\
zones:
  - code: RD-1
    name: 园区主干道
    kind: road
    circuits: [LT-1]
    latitude: 31.3
    longitude: 120.6
    poles:
      - code: P-01
        lighting: [LT-1]
        ev_charger:
          - EV-1
          - EV-9
""",
        encoding="utf-8",
    )
    out = runner.invoke(app, ["equipment", "zone", str(bad)])
    assert out.exit_code != 0
    # EV-9 is on line 13 of the file
    assert "zones.yaml:13" in out.output and "poles.0.ev_charger.1" in out.output, out.output
    good = tmp_path / "zone.yaml"
    good.write_text(bad.read_text("utf-8").replace("          - EV-9\n", ""), encoding="utf-8")
    out = runner.invoke(app, ["equipment", "zone", str(good)])
    assert out.exit_code == 0 and "1 pole(s)" in out.output, out.output
    out = runner.invoke(app, ["equipment", "poles", "RD-1"])
    assert out.exit_code == 0, out.output
    assert "P-01" in out.output and "充电桩计量" in out.output and "EV-1" in out.output
