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
    assert result.exit_code == 1, result.output  # rows were rejected
    assert "read 5 lines: accepted 3, duplicates 0, rejected 2" in result.output
    again = runner.invoke(app, ["ingest", str(csv), "--allow-rejects"])
    assert again.exit_code == 0, again.output
    assert "read 5 lines: accepted 0, duplicates 3, rejected 2" in again.output

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


def test_ingest_rejects_malformed_lines_with_their_number_and_reads_the_next(env: Path) -> None:
    """Seven data lines: three malformed ones (an unbalanced quote, a semicolon-delimited line,
    an extra field) between four good register readings (100, 110, 130, 160 kWh). Each bad line
    is quarantined on its own with its number; none swallows the line after it, so the four
    good lines are accepted: 7 lines read = 4 accepted + 0 duplicates + 3 rejected."""
    runner.invoke(app, ["init", "--park", str(env / "park.yaml")])
    lines = [
        "point_id,timestamp,value",
        "E01-main,2025-01-01T00:00:00+08:00,100",
        'E01-main,"2025-01-01T00:15:00+08:00,105',  # line 3: the quote is never closed
        "E01-main,2025-01-01T00:30:00+08:00,110",
        "E01-main;2025-01-01T00:45:00+08:00;120",  # line 5: another delimiter
        "E01-main,2025-01-01T01:00:00+08:00,125,kWh",  # line 6: a field the header lacks
        "E01-main,2025-01-01T01:15:00+08:00,130",
        "",
        "E01-main,2025-01-01T01:30:00+08:00,160",
    ]
    csv = env / "mixed.csv"
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(csv), "--no-normalise"])
    assert result.exit_code == 1, result.output
    assert "read 7 lines: accepted 4, duplicates 0, rejected 3" in result.output
    assert '"malformed_row": 3' in result.output

    rows = json.loads(runner.invoke(app, ["quarantine", "--json"]).output)
    by_source = {r["source"]: r for r in rows}
    assert set(by_source) == {"file:mixed.csv:3", "file:mixed.csv:5", "file:mixed.csv:6"}
    assert all(r["reason"] == "malformed_row" for r in rows)
    for number in (3, 5, 6):
        row = by_source[f"file:mixed.csv:{number}"]
        assert row["raw"] == lines[number - 1]  # the line exactly as in the file
        assert row["detail"].startswith(f"line {number}: ")
    assert "unbalanced quote" in by_source["file:mixed.csv:3"]["detail"]
    assert "1 field where the header has 3" in by_source["file:mixed.csv:5"]["detail"]
    assert "4 fields where the header has 3" in by_source["file:mixed.csv:6"]["detail"]

    stats = runner.invoke(app, ["normalise"])
    assert stats.exit_code == 0, stats.output
    hours = json.loads(
        runner.invoke(
            app, ["stats", "E01-main", "--from", "2025-01-01", "--to", "2025-01-02", "--json"]
        ).output
    )
    # 00:00–01:00 holds 100 → 110 (00:30) then 110 → 130 (01:15) apportioned by time:
    # 10 + 20 × 30/45 = 23.333… kWh
    assert hours[0]["value"] == pytest.approx(10 + 20 * 30 / 45)


def test_ingest_allow_rejects_keeps_exit_zero(env: Path) -> None:
    runner.invoke(app, ["init", "--park", str(env / "park.yaml")])
    csv = env / "one-bad.csv"
    csv.write_text("point_id,timestamp,value\nE01-main,2025-01-01T00:00:00+08:00\n", "utf-8")
    strict = runner.invoke(app, ["ingest", str(csv), "--no-normalise"])
    assert (
        strict.exit_code == 1
        and "read 1 lines: accepted 0, duplicates 0, rejected 1" in strict.output
    )
    lenient = runner.invoke(app, ["ingest", str(csv), "--no-normalise", "--allow-rejects"])
    assert lenient.exit_code == 0, lenient.output


def test_ingest_reads_a_file_whose_lines_end_in_bare_carriage_returns(env: Path) -> None:
    # classic Mac line ends: Python's csv module raised _csv.Error on the first of them
    runner.invoke(app, ["init", "--park", str(env / "park.yaml")])
    csv = env / "mac.csv"
    csv.write_bytes(
        b"point_id,timestamp,value\r"
        b"E01-main,2025-01-01T00:00:00+08:00,100\r"
        b"E01-main,2025-01-01T00:15:00+08:00,110\r"
    )
    result = runner.invoke(app, ["ingest", str(csv), "--no-normalise"])
    assert result.exit_code == 0, result.output
    assert "read 2 lines: accepted 2, duplicates 0, rejected 0" in result.output
    assert "2/2" in result.output  # the progress bar counts the same lines
