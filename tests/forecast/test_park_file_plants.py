"""PV plants declared in the park file (``points[].pv_plant``): validated by the registry
loader with the field named, stored for the forecast with the source ``park file``, not
overwritten over the API, and derated by the declared temperature coefficient."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from lingtan.errors import Conflict, InvalidInput
from lingtan.forecast import pv
from lingtan.forecast import service as svc
from lingtan.registry.parkfile import parse_park_text
from lingtan.store import Store
from lingtan.store.forecast_repo import ForecastRepo
from lingtan.store.query_repo import Tenant
from tests.conftest import SMALL_PARK
from tests.forecast.test_service import ADMIN, _fill

PLANT = (
    "    pv_plant: {kwp: 500, tilt_deg: 25, azimuth_deg: 180, losses_pct: 14,"
    " temp_coeff_pct: -0.35, latitude: 31.3, longitude: 120.6}\n"
)
PV_POINT = """\
  - id: E01-pv
    carrier: pv_generation
    kind: total_increasing
    unit: kWh
    enterprise: E01
    level: 1
"""


def test_the_loader_names_the_field_of_a_bad_plant() -> None:
    bad = PLANT.replace("tilt_deg: 25", "tilt_deg: 95")
    with pytest.raises(InvalidInput) as err:
        parse_park_text(SMALL_PARK + PV_POINT + bad)
    assert "pv_plant.tilt_deg" in str(err.value)
    missing = PLANT.replace("kwp: 500, ", "")
    with pytest.raises(InvalidInput) as err:
        parse_park_text(SMALL_PARK + PV_POINT + missing)
    assert "pv_plant.kwp" in str(err.value)
    on_grid = SMALL_PARK + PV_POINT.replace("pv_generation", "electricity_grid_import") + PLANT
    with pytest.raises(InvalidInput) as err:
        parse_park_text(on_grid)
    assert "pv_plant is declared on pv_generation points" in str(err.value)


def test_a_declared_plant_is_what_the_forecast_uses(store: Store) -> None:
    store.registry.save_park(parse_park_text(SMALL_PARK + PV_POINT + PLANT))
    point = store.registry.points_by_code()["E01-pv"]
    row = ForecastRepo(store).pv_plant(tenant=Tenant(None), point_id=point.id)
    assert row is not None and row.source == "park file"
    assert (row.kwp, row.tilt_deg, row.temp_coeff_pct) == (500, 25, -0.35)
    # the API cannot overwrite it: the park file is the declaration
    with pytest.raises(Conflict):
        svc.declare_pv_plant(
            store, principal=ADMIN, point_code="E01-pv", kwp=100, tilt_deg=20,
            azimuth_deg=180, losses_pct=14, latitude=31.3, longitude=120.6,
        )  # fmt: skip
    _fill(store, "E01-pv", dt.date(2025, 3, 1), 40)
    view = svc.issue_forecast(store, principal=ADMIN, point_code="E01-pv", history_days=40)
    assert view.run.status == "ok", view.run.detail
    assert view.run.backtest["plant_source"] == "park file"
    assert view.run.backtest["temperature_derating"].startswith("none: no temperature series")
    # a changed value in the file replaces the row; a plant removed from the file is removed
    store.registry.save_park(parse_park_text(SMALL_PARK + PV_POINT + PLANT.replace("500", "600")))
    row = ForecastRepo(store).pv_plant(tenant=Tenant(None), point_id=point.id)
    assert row is not None and row.kwp == 600
    store.registry.save_park(parse_park_text(SMALL_PARK + PV_POINT))
    assert ForecastRepo(store).pv_plant(tenant=Tenant(None), point_id=point.id) is None


def test_the_temperature_coefficient_derates_at_the_pvsyst_cell_temperature() -> None:
    """1 000 W/m² at 25 °C air: T_cell = 25 + 0.9 × 1 000 × (1 − 0.1) / 29 = 52.931 °C
    (PVsyst, u_c 29, α 0.9, η 0.1); P = 100 kWp × (1 − 0.004 × 27.931) × (1 − 0.10)
    = 100 × 0.888276 × 0.9 = 79.945 kWh in the hour. Without a coefficient: 90 kWh."""
    plant = pv.PvPlant(100, 25, 180, 10, 31.3, 120.6, temp_coeff_pct=-0.4)
    got = pv.energy_from_poa(np.array([1000.0]), plant, np.array([25.0]))
    assert got[0] == pytest.approx(100 * (1 - 0.004 * 810 / 29) * 0.9)
    assert pv.energy_from_poa(np.array([1000.0]), plant)[0] == pytest.approx(90.0)
    with pytest.raises(InvalidInput) as err:
        pv.PvPlant(100, 25, 180, 10, 31.3, 120.6, temp_coeff_pct=0.5)
    assert err.value.field == "temp_coeff_pct"
