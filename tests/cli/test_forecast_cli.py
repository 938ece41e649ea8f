"""``lingtan forecast`` end to end on a small park: weather import, training, showing."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lingtan.cli import app
from lingtan.store import open_store
from tests.conftest import SMALL_PARK
from tests.forecast.test_service import _fill

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("LINGTAN_DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", "200")
    park = tmp_path / "park.yaml"
    park.write_text(SMALL_PARK, encoding="utf-8")
    assert runner.invoke(app, ["init", "--park", str(park)]).exit_code == 0
    store = open_store(url)
    _fill(store, "E01-main", dt.date(2025, 3, 1), 35)
    store.close()
    return tmp_path


def test_train_then_show(env: Path) -> None:
    trained = runner.invoke(
        app, ["forecast", "train", "--point", "E01-main", "--point", "E02-main"]
    )
    assert trained.exit_code == 0, trained.output
    assert "E01-main" in trained.output and "ok" in trained.output
    # E02-main has no statistics: its status says so, nothing is borrowed
    assert "missing_inputs" in trained.output
    shown = runner.invoke(app, ["forecast", "show", "--id", "1"])
    assert shown.exit_code == 0, shown.output
    assert "04-05 00:00" in shown.output  # 1 March + 35 days: the forecast is for 5 April
    unknown = runner.invoke(app, ["forecast", "train", "--horizon", "month_ahead"])
    assert unknown.exit_code != 0 and "horizon" in unknown.output


def test_import_weather_reports_a_bad_line(env: Path) -> None:
    good = env / "t.csv"
    good.write_text("hour,value\n2025-04-01T00:00:00+08:00,12.5\n", encoding="utf-8")
    ok = runner.invoke(
        app, ["forecast", "import-weather", str(good), "--code", "t", "--quantity",
              "temperature", "--source", "station 58357"],
    )  # fmt: skip
    assert ok.exit_code == 0, ok.output
    assert "1 hours" in ok.output
    bad = env / "bad.csv"
    bad.write_text("hour,value\n2025-04-01T00:00:00+08:00,abc\n", encoding="utf-8")
    refused = runner.invoke(
        app, ["forecast", "import-weather", str(bad), "--code", "t", "--quantity",
              "temperature", "--source", "x"],
    )  # fmt: skip
    assert refused.exit_code != 0 and "line 2" in refused.output


def test_train_an_enterprise_and_the_park_load(env: Path) -> None:
    """The load of E01 and of the park: the statistics here are point rows without owner
    rollups, so both are stored as missing_inputs (nothing is read as zero)."""
    # --park alone is the park's load (--park CODE would name the park to work on)
    trained = runner.invoke(app, ["forecast", "train", "--enterprise", "E01", "--park"])
    assert trained.exit_code == 0, trained.output
    assert "E01" in trained.output and "test-park" in trained.output
    assert trained.output.count("missing_inputs") == 2
    shown = runner.invoke(app, ["forecast", "show"])
    assert shown.exit_code == 0, shown.output
    assert "E01" in shown.output and "test-park" in shown.output
    unknown = runner.invoke(app, ["forecast", "train", "--enterprise", "E99"])
    assert unknown.exit_code != 0
    named = runner.invoke(app, ["forecast", "train", "--park", "test-park", "--park-load"])
    assert named.exit_code == 0 and "test-park" in named.output, named.output


def test_quarter_hour_needs_readings(env: Path) -> None:
    # E02-main is read every 15 minutes (the default interval) but has no readings: a status,
    # no values; a 15-minute forecast needs the readings themselves, not hourly statistics
    out = runner.invoke(app, ["forecast", "quarter-hour", "--point", "E02-main", "--json"])
    assert out.exit_code == 0, out.output
    assert '"missing_inputs"' in out.output and "has no readings" in out.output


def test_quarter_hour_store_keeps_the_forecast_with_its_status(env: Path) -> None:
    # stored even without readings: a 15-minute run with its status and no slots, then listed
    out = runner.invoke(
        app, ["forecast", "quarter-hour", "--point", "E02-main", "--store", "--json"]
    )
    assert out.exit_code == 0, out.output
    got = json.loads(out.output)
    assert got["resolution_s"] == 900 and got["status"] == "missing_inputs"
    assert got["slots"] == 0 and got["id"] > 0
    shown = runner.invoke(app, ["forecast", "show", "--id", str(got["id"]), "--json"])
    assert shown.exit_code == 0 and '"resolution_s": 900' in shown.output, shown.output
