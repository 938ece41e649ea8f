"""The data commands end to end: init, ingest (CSV), normalise, quarantine, stats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lingtan.cli import app
from tests.conftest import SMALL_PARK

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LINGTAN_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    park = tmp_path / "park.yaml"
    park.write_text(SMALL_PARK, encoding="utf-8")
    return tmp_path


def test_init_loads_and_is_idempotent(env: Path) -> None:
    first = runner.invoke(app, ["init", "--park", str(env / "park.yaml")])
    assert first.exit_code == 0, first.output
    assert "created" in first.output
    again = runner.invoke(app, ["init", "--park", str(env / "park.yaml")])
    assert again.exit_code == 0
    assert "created —" in again.output


def test_init_refuses_a_broken_file_with_its_line(env: Path) -> None:
    bad = env / "bad.yaml"
    bad.write_text(
        SMALL_PARK.replace("carrier: natural_gas", "carrier: natural_gaz"), encoding="utf-8"
    )
    result = runner.invoke(app, ["init", "--park", str(bad)])
    assert result.exit_code == 2
    line = 1 + SMALL_PARK.splitlines().index("    carrier: natural_gas")
    assert f"bad.yaml:{line} points[3].carrier" in result.output


def test_ingest_csv_stores_good_rows_and_quarantines_bad_ones(env: Path) -> None:
    """Five rows: three valid 15-minute register readings (100, 110, 130 kWh at 00:00, 00:15,
    00:30 +08:00), one naive timestamp, one unknown point. Hour 00:00–01:00 local holds
    00:00–00:30 = 30 kWh measured and 30 min missing after the last reading."""
    runner.invoke(app, ["init", "--park", str(env / "park.yaml")])
    csv = env / "readings.csv"
    csv.write_text(
        "point_id,timestamp,value,unit\n"
        "E01-main,2025-01-01T00:00:00+08:00,100,kWh\n"
        "E01-main,2025-01-01T00:15:00+08:00,110,\n"
        "E01-main,2025-01-01T00:30:00+08:00,130000,Wh\n"
        "E01-main,2025-01-01 00:45:00,140,\n"
        "nope,2025-01-01T00:45:00+08:00,1,\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["ingest", str(csv)])
    assert result.exit_code == 0, result.output
    assert "accepted 3, duplicates 0, rejected 2" in result.output
    again = runner.invoke(app, ["ingest", str(csv)])
    assert "accepted 0, duplicates 3, rejected 2" in again.output

    listed = runner.invoke(app, ["quarantine", "--json"])
    rows = json.loads(listed.output)
    assert sorted(r["reason"] for r in rows) == ["naive_timestamp"] * 2 + ["unknown_point"] * 2
    assert {r["source"] for r in rows} == {
        "file:readings.csv:5",
        "file:readings.csv:6",
    }  # file:line
    raws = {r["raw"] for r in rows}
    assert "E01-main,2025-01-01 00:45:00,140," in raws  # the file line, as read
    assert (
        '{"point": "nope", "ts": "2025-01-01T00:45:00+08:00", "value": "1.0", "unit": null}' in raws
    )

    stats = runner.invoke(
        app, ["stats", "E01-main", "--from", "2025-01-01", "--to", "2025-01-02", "--json"]
    )
    hours = json.loads(stats.output)
    assert hours[0]["hour"] == "2025-01-01T00:00:00+08:00"
    assert hours[0]["value"] == pytest.approx(30.0)
    assert hours[0]["quality"] == "partial"


def test_ingest_rejects_a_file_without_the_header(env: Path) -> None:
    csv = env / "bad.csv"
    csv.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    runner.invoke(app, ["init", "--park", str(env / "park.yaml")])
    result = runner.invoke(app, ["ingest", str(csv)])
    assert result.exit_code == 2
    assert "no column 'timestamp'" in result.output


def test_unknown_quarantine_reason_is_an_error(env: Path) -> None:
    result = runner.invoke(app, ["quarantine", "--reason", "bogus"])
    assert result.exit_code == 2
