"""``lingtan meter replace|import|list`` end to end on SQLite: a replacement recorded after the
readings were normalised revises the hour; bad input gets a clear error and records nothing."""

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
    assert runner.invoke(app, ["init", "--park", str(park)]).exit_code == 0
    readings = tmp_path / "readings.csv"
    readings.write_text(
        "point_id,timestamp,value\n"
        "E01-main,2025-03-01T08:00:00+08:00,100\n"
        "E01-main,2025-03-01T08:15:00+08:00,110\n"
        "E01-main,2025-03-01T08:30:00+08:00,120\n"
        "E01-main,2025-03-01T08:45:00+08:00,55\n"
        "E01-main,2025-03-01T09:00:00+08:00,65\n",
        encoding="utf-8",
    )
    assert runner.invoke(app, ["ingest", str(readings)]).exit_code == 0
    return tmp_path


def hour_0800(env: Path) -> dict[str, object]:
    out = runner.invoke(
        app,
        ["stats", "E01-main", "--from", "2025-03-01T08:00:00+08:00", "--to",
         "2025-03-01T09:00:00+08:00", "--json"],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    (row,) = json.loads(out.output)
    return dict(row)


def test_meter_replace_revises_the_hour_and_lists_it(env: Path) -> None:
    """E01-main (rated 400 kW) reads 100, 110, 120 at 08:00–08:30 and, after its meter was
    replaced at 08:40 (old final 123, new initial 50), 55 and 65 at 08:45, 09:00. Before the
    replacement is recorded, 55 is taken for consumption since a restart from zero: 85 kWh,
    estimated. Recorded: 10 + 10 + 3 + 5 + 10 = 38 kWh, measured."""
    assert hour_0800(env)["value"] == 85.0
    r = runner.invoke(
        app,
        ["meter", "replace", "E01-main", "--at", "2025-03-01T08:40:00+08:00",
         "--old-final", "123", "--new-initial", "50", "--note", "工单 7"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "recorded 1 replacement(s), 0 already recorded" in r.output
    row = hour_0800(env)
    assert row["value"] == 38.0 and row["quality"] == "measured"
    assert row["flags"] == ["replacement"]
    listed = json.loads(runner.invoke(app, ["meter", "list", "E01-main", "--json"]).output)
    assert [(x["point"], x["at"], x["old_final"], x["new_initial"], x["note"], x["source"])
            for x in listed] == [
        ("E01-main", "2025-03-01T08:40:00+08:00", 123.0, 50.0, "工单 7", "cli")
    ]  # fmt: skip


def test_meter_replace_refuses_bad_input(env: Path) -> None:
    cases = [
        (["E01-main", "--at", "2025-03-01 08:40", "--old-final", "123", "--new-initial", "50"],
         2, "no UTC offset"),
        (["E01-main", "--at", "2025-03-01T08:40:00+08:00", "--old-final", "119",
          "--new-initial", "50"], 2, "old_final 119 is below the last reading before it"),
        (["E01-main", "--at", "2025-03-01T08:40:00+08:00", "--old-final", "123",
          "--new-initial", "-1"], 2, "below zero"),
        (["E77-main", "--at", "2025-03-01T08:40:00+08:00", "--old-final", "123",
          "--new-initial", "50"], 2, "unknown point 'E77-main'"),
    ]  # fmt: skip
    for args, code, expected in cases:
        r = runner.invoke(app, ["meter", "replace", *args])
        assert r.exit_code == code, (args, r.output)
        assert expected in " ".join(r.output.split()), (args, r.output)
    assert json.loads(runner.invoke(app, ["meter", "list", "--json"]).output) == []
    assert hour_0800(env)["value"] == 85.0


def test_meter_import_is_all_or_nothing_and_idempotent(env: Path) -> None:
    bad = env / "bad.csv"
    bad.write_text(
        "point,at,old_final,new_initial\n"
        "E01-main,2025-03-01T08:40:00+08:00,123,50\n"
        "E01-main,2025-03-01T09:40:00+08:00,60,x\n",
        encoding="utf-8",
    )
    r = runner.invoke(app, ["meter", "import", str(bad)])
    assert r.exit_code == 2 and "bad.csv:3 new_initial: 'x' is not a number" in r.output
    assert json.loads(runner.invoke(app, ["meter", "list", "--json"]).output) == []
    good = env / "good.csv"
    good.write_text(
        "point,at,old_final,new_initial,multiplier,note\n"
        "E01-main,2025-03-01T08:40:00+08:00,123,50,,工单 7\n",
        encoding="utf-8",
    )
    first = runner.invoke(app, ["meter", "import", str(good)])
    assert first.exit_code == 0 and "recorded 1 replacement(s)" in first.output, first.output
    again = runner.invoke(app, ["meter", "import", str(good)])
    assert "recorded 0 replacement(s), 1 already recorded" in again.output
    (row,) = json.loads(runner.invoke(app, ["meter", "list", "--json"]).output)
    assert row["source"] == "csv:good.csv:2"
    assert hour_0800(env)["value"] == 38.0


def test_park_file_replacements_are_recorded_by_init(env: Path) -> None:
    park = env / "park.yaml"
    park.write_text(
        SMALL_PARK
        + "meter_replacements:\n"
        + "  - {point: E01-main, at: 2025-03-01T08:40:00+08:00, old_final: 123, new_initial: 50}\n",
        encoding="utf-8",
    )
    r = runner.invoke(app, ["init", "--park", str(park)])
    assert r.exit_code == 0, r.output
    assert "'meter_replacement': 1" in r.output
    assert hour_0800(env)["value"] == 38.0
