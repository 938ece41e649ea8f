"""The shrunk demo park (2 months, 4 enterprises) through store-backed accounting and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from lingtan.accounting import account_enterprises, account_park
from lingtan.cli.account import register
from lingtan.demo.run import run
from lingtan.store import Store, open_store
from lingtan.timeutil import year_bounds_us
from tests.accounting.parks import load_january

runner = CliRunner()
FILE_KEYS = {
    "basis",
    "year",
    "emissions_tco2",
    "energy_tce",
    "intensity_tco2_per_tce",
    "scope2_location_tco2",
    "scope2_market_tco2",
    "offsets_tco2",
    "factors",
    "electricity_conversion",
}


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """Root."""

    register(app)
    return app


def test_demo_park_accounts_as_the_sum_of_owners(store: Store) -> None:
    """Park E电 = 0.8325 kg × (Σ grid import of every owner's boundary points − export sent as
    fossil): the virtual PARK-grid-enterprises (boundary false) is not added; direct green is 0;
    the park's export counts as non-fossil up to the park's PV of the same hour and as fossil
    beyond it (export_kind=pv_first, the default), read here from each point's hourly
    statistics. Each enterprise's grid adds up with the park's own to the park's."""
    from zoneinfo import ZoneInfo

    import numpy as np

    run(store, months=2, enterprises=4)
    park = store.registry.park()
    h0, h1 = year_bounds_us(2025, ZoneInfo(park.timezone))
    rows = store.stats.carrier_totals(park_id=park.id, h0=h0, h1=h1)
    grid = sum(r["value"] for r in rows if r["carrier"] == "electricity_grid_import")
    points = store.registry.points_by_code()
    ids = [points["PARK-export"].id, points["PARK-pv"].id]
    hours = store.stats.hours(None, ids, h0, h1)
    export, pv = (
        dict(zip(hours[i]["hours"].tolist(), np.nan_to_num(hours[i]["value"]), strict=True))
        for i in ids
    )
    fossil = sum(max(0.0, e - pv.get(h, 0.0)) for h, e in export.items())
    assert fossil > 0  # the battery sends some electricity out after sunset
    result = account_park(store, year=2025)
    assert result.activity.electricity.received_kwh("grid") == pytest.approx(grid)
    assert result.activity.electricity.sent_kwh("fossil") == pytest.approx(fossil)
    assert result.inventory.emissions["electricity"] == pytest.approx(
        (grid - fossil) * 0.8325 / 1000
    )
    enterprises = account_enterprises(store, year=2025)
    assert [r.boundary for r in enterprises] == ["E01", "E02", "E03", "E04"]
    park_own = sum(
        r["value"]
        for r in rows
        if r["carrier"] == "electricity_grid_import" and r["enterprise_key"] == 0
    )
    assert sum(
        r.activity.electricity.received_kwh("grid") for r in enterprises
    ) + park_own == pytest.approx(grid)
    assert all(r.inventory.scope2_location_tco2 for r in enterprises)
    assert result.inventory.intensity_tco2_per_tce is not None


@pytest.fixture
def cli_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("LINGTAN_DATABASE_URL", url)
    store = open_store(url)
    load_january(store)
    return store


def test_cli_park_json_has_the_file_mode_keys(cli_store: Store) -> None:
    """--park --json prints the file mode's keys plus the period and the stored result id."""
    result = runner.invoke(_app(), ["account", "--park", "--year", "2025", "--json", "--explain"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) >= FILE_KEYS | {"result_id", "sources", "month", "explain"}
    assert data["basis"] == "park" and data["month"] is None
    assert data["emissions_tco2"]["electricity"] == pytest.approx(2.664)
    month = runner.invoke(
        _app(), ["account", "--park", "--year", "2025", "--month", "1", "--enterprise", "E01",
                 "--json"],
    )  # fmt: skip
    assert month.exit_code == 0, month.output
    assert json.loads(month.output)["basis"] == "enterprise"
    history = runner.invoke(_app(), ["account", "--park", "--year", "2025", "--history", "--json"])
    assert [r["result_id"] for r in json.loads(history.output)] == [data["result_id"]]


def test_cli_park_table_and_errors(cli_store: Store, tmp_path: Path) -> None:
    """The readable table prints; a supplement is stored first; bad input exits non-zero."""
    sup = tmp_path / "sup.yaml"
    sup.write_text(
        "boundary: park\nname: 补充\nyear: 2025\nprovince: 江苏\n"
        "process:\n  - {product: 石灰, amount: 2, unit: t, factor: 0.5}\n",
        encoding="utf-8",
    )
    ok = runner.invoke(
        _app(),
        ["account", "--park", "--year", "2025", "--supplement", str(sup), "--lang", "en",
         "--explain", "--json"],
    )  # fmt: skip
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output)["emissions_tco2"]["process"] == pytest.approx(1.0)
    table = runner.invoke(_app(), ["account", "--park", "--year", "2025", "--explain"])
    assert table.exit_code == 0 and "acc-park" in table.output
    assert runner.invoke(_app(), ["account", "--park"]).exit_code == 2  # no --year
    assert runner.invoke(_app(), ["account", "--park", "--year", "2025", "--enterprise", "E9"]
                         ).exit_code == 3  # fmt: skip
    both = runner.invoke(_app(), ["account", "--park", "--input", str(sup)])
    assert both.exit_code == 2
