"""The demo park declares one PV plant per PV meter, with the generator's parameters
(demo/series.py ``pv_generation``), so its PV forecasts take the declared-plant path; a PV
point without a plant still says so."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lingtan.cli import app
from lingtan.demo import park as demo_park
from lingtan.demo.run import run
from lingtan.forecast import service as svc
from lingtan.registry.parkfile import parse_park_text
from lingtan.store import Store, open_store
from tests.forecast.test_service import ADMIN, PARK, _fill


def test_every_pv_meter_of_the_demo_declares_the_generators_plant() -> None:
    model = demo_park.build_park()
    meters = [p for p in model.points if p.carrier == "pv_generation" and p.unit == "kWh"]
    # 15 enterprises with pv_kwp (E01–E05, E09–E14, E16–E18, E20) and the park's roof
    assert len(meters) == 16
    assert all(p.pv_plant is not None for p in meters)
    by_id = {p.id: p.pv_plant for p in meters}
    e01, park = by_id["E01-pv"], by_id["PARK-pv"]
    assert e01 is not None and park is not None
    assert (e01.kwp, park.kwp) == (3000, 8000)  # demo/park.py: E01 pv_kwp, PARK_PV_KWP
    # the generator: a 25° roof facing south (pvlib azimuth 180), performance ratio 0.8
    # → losses 1 − 0.8 = 20 %, no temperature model, the park's site 31.30 N 120.60 E
    assert (e01.tilt_deg, e01.azimuth_deg, e01.losses_pct) == (25, 180, 20)
    assert e01.temp_coeff_pct is None
    assert (e01.latitude, e01.longitude) == (31.30, 120.60)
    # the power measurement (kW) carries no plant: the park file declares them on kWh meters
    power = next(p for p in model.points if p.id == "PARK-pv-power")
    assert power.pv_plant is None


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The shrunk demo (E01–E03; E01 has 3 000 kWp) over January: 31 days of PV history."""
    path: Path = tmp_path_factory.mktemp("demo") / "demo.db"
    store = open_store(f"sqlite:///{path}")
    run(store, months=1, enterprises=3)
    yield store
    store.close()


def test_a_demo_pv_forecast_uses_the_declared_plant(demo: Store) -> None:
    # the forecast day stays in the season of the history (DJF): the cloud factors are
    # learned per season, and 1 March (MAM) would have none
    view = svc.issue_forecast(
        demo, principal=ADMIN, point_code="E01-pv", issue_day=dt.date(2025, 1, 30),
        history_days=30, backtest_days=7,
    )  # fmt: skip
    assert view.run.status == "ok", view.run.detail
    assert view.run.model == "pv_clear_sky"  # clear sky × the learned cloud factor
    assert view.run.backtest["plant_source"] == "park file"
    assert view.run.backtest["plant"]["kwp"] == 3000
    assert view.run.backtest["plant"]["losses_pct"] == 20
    assert len(view.hours) == 24 and view.run.first_day == "2025-01-31"


def test_the_forecast_command_names_the_plant(demo: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINGTAN_DATABASE_URL", demo.url)
    monkeypatch.setenv("COLUMNS", "250")
    out = CliRunner().invoke(
        app, ["forecast", "train", "--point", "E02-pv", "--issue-day", "2025-01-30",
              "--history-days", "30"],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    # demo/park.py: E02 has 2 500 kWp; the generator's 25° south roof with 20 % losses
    assert "pv_clear_sky" in out.output
    assert "plant 2500 kWp, tilt 25°, azimuth 180°, losses 20 % (park file)" in out.output


def test_a_pv_point_without_a_plant_still_says_so(store: Store) -> None:
    # built by hand: a PV meter with statistics but no pv_plant in the park file
    store.registry.save_park(parse_park_text(PARK))
    _fill(store, "E01-pv", dt.date(2025, 3, 1), 40)
    view = svc.issue_forecast(store, principal=ADMIN, point_code="E01-pv", history_days=40)
    assert view.run.status == "missing_inputs"
    assert "has no declared plant" in view.run.detail
    assert not view.hours
