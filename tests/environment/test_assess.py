"""Assessing a long CSV by hand, and the ``lingtan environment assess`` command."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from lingtan.cli import app
from lingtan.environment.assess import assess, read_csv
from lingtan.errors import InvalidInput

SH = ZoneInfo("Asia/Shanghai")


def csv_text() -> str:
    """Station S1, 2025-01-02 local (UTC 2025-01-01T16:00Z …): PM2.5 at 80 µg/m³ for 24 hours
    (class 2 limit 75 → exceeded, 80/75 − 1 = 0.0667); SO2 at 0.15 mg/m³ = 150 µg/m³ (equal to the
    class 2 24-h limit → compliant); the next local day only 19 PM2.5 hours (invalid)."""
    rows = ["station,parameter,ts,value,unit"]
    start = dt.datetime(2025, 1, 1, 16, tzinfo=dt.UTC)
    for h in range(48):
        ts = (start + dt.timedelta(hours=h)).isoformat()
        pm = "80" if h < 24 else ("20" if h < 43 else "")
        rows.append(f"S1,PM2.5,{ts},{pm},µg/m³")
        rows.append(f"S1,SO2,{ts},0.15,mg/m3")
    return "\n".join(rows) + "\n"


def test_assessment_of_a_file() -> None:
    result = assess(read_csv(csv_text()), 2, SH)
    pm, so2 = result.series
    assert (pm.parameter, so2.parameter) == ("PM2.5", "SO2")
    d1, d2 = pm.days
    assert (d1.day, d1.value, d1.count, d1.valid, d1.exceeded) == (
        dt.date(2025, 1, 2),
        80.0,
        24,
        True,
        True,
    )
    assert d1.multiple == pytest.approx(80 / 75 - 1)
    assert (d2.day, d2.count, d2.valid, d2.exceeded) == (dt.date(2025, 1, 3), 19, False, False)
    # SO2: 0.15 mg/m³ compared with 150 µg/m³ in the file's unit: equal is compliant
    assert [d.exceeded for d in so2.days] == [False, False]
    assert so2.days[0].limit == pytest.approx(0.15)
    assert "GB 3095-2012 表1 24h" in so2.sources


def test_naive_timestamps_are_rejected_with_the_line() -> None:
    text = (
        "station,parameter,ts,value,unit\nS1,PM2.5,2025-01-01T00:00:00+08:00,1,µg/m3\n"
        "S1,PM2.5,2025-01-01T01:00:00,1,µg/m3\n"
    )
    with pytest.raises(InvalidInput, match=r"line 3.*naive"):
        read_csv(text)


def test_duplicate_hours_and_bad_headers_are_refused() -> None:
    with pytest.raises(InvalidInput, match="header"):
        read_csv("a,b\n")
    dup = (
        "station,parameter,ts,value,unit\nS,O3,2025-01-01T00:00:00Z,1,µg/m3\n"
        "S,O3,2025-01-01T00:00:00+00:00,2,µg/m3\n"
    )
    with pytest.raises(InvalidInput, match="two values"):
        read_csv(dup)


def test_cli_assess_without_any_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINGTAN_DATABASE_URL", f"sqlite:///{tmp_path / 'never-created.db'}")
    path = tmp_path / "air.csv"
    path.write_text(csv_text(), encoding="utf-8")
    runner = CliRunner()
    out = runner.invoke(
        app, ["environment", "assess", "--input", str(path), "--class", "2", "--json"]
    )
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)
    pm = next(s for s in doc["series"] if s["parameter"] == "PM2.5")
    assert pm["days"][0]["exceeded"] is True
    # HJ 633-2012 daily AQI: 2025-01-02 PM2.5 80 → 107 and SO2 0.15 mg/m³ = 150 µg/m³ → 100
    # (the 150 breakpoint); 2025-01-03 PM2.5 invalid (19 h): SO2 alone, 100
    (d1, d2) = doc["aqi_daily"]["S1"]
    assert (d1["day"], d1["aqi"], d1["primary"], d1["items"]["SO2_24h"]["iaqi"]) == (
        "2025-01-02", 107, ["PM2.5_24h"], 100,
    )  # fmt: skip
    assert (d2["aqi"], d2["primary"], d2["category"]) == (100, ["SO2_24h"], "良")
    assert not (tmp_path / "never-created.db").exists()
    table = runner.invoke(app, ["environment", "assess", "--input", str(path)])
    assert table.exit_code == 0 and "PM2.5" in table.output


def test_cli_assess_reports_a_naive_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("station,parameter,ts,value,unit\nS,O3,2025-01-01T00:00:00,1,µg/m3\n")
    out = CliRunner().invoke(app, ["environment", "assess", "--input", str(path)])
    assert out.exit_code != 0
    assert "line 2" in out.output


def test_water_parameters_get_their_daily_class() -> None:
    # DO at 5.5 mg/L for 24 local hours → mean 5.5 → class III (≥5, <6); NH3-N 0.4 → class II
    rows = ["station,parameter,ts,value,unit"]
    for h in range(24):
        ts = dt.datetime(2025, 6, 1, h, tzinfo=SH).isoformat()
        rows += [f"W1,DO,{ts},5.5,mg/L", f"W1,NH3-N,{ts},0.4,mg/l"]
    result = assess(read_csv("\n".join(rows)), 2, SH)
    classes = {r.parameter: [d.water_class for d in r.days] for r in result.series}
    assert classes == {"DO": ["III"], "NH3-N": ["II"]}


def test_a_value_that_is_not_a_number_names_its_line() -> None:
    text = (
        "station,parameter,ts,value,unit\nS,O3,2025-01-01T00:00:00Z,1,µg/m3\n"
        "S,O3,2025-01-01T01:00:00Z,n/a,µg/m3\n"
    )
    with pytest.raises(InvalidInput, match=r"line 3: value 'n/a'"):
        read_csv(text)


def test_mixed_units_in_a_series_are_converted_to_its_first_unit() -> None:
    # 0.2 mg/m³ = 200 µg/m³; the series keeps µg/m³, the unit of its first line
    text = (
        "station,parameter,ts,value,unit\nS,SO2,2025-01-01T01:00:00Z,100,µg/m3\n"
        "S,SO2,2025-01-01T00:00:00Z,0.2,mg/m3\n"
    )
    (series,) = read_csv(text)
    assert series.unit == "µg/m3"
    assert series.value.tolist() == [200.0, 100.0]  # sorted by hour: 00:00 then 01:00


def test_annual_mean_against_each_station_class() -> None:
    # 2025 at 20 µg/m³ PM2.5 every hour at two stations: the annual limit is 15 for class 1
    # (exceeded) and 35 for class 2 (compliant); 365 valid days ≥ 324
    rows = ["station,parameter,ts,value,unit"]
    start = dt.datetime(2025, 1, 1, tzinfo=SH)
    for h in range(365 * 24):
        ts = (start + dt.timedelta(hours=h)).isoformat()
        rows += [f"A,PM2.5,{ts},20,µg/m3", f"B,PM2.5,{ts},20,µg/m3"]
    result = assess(read_csv("\n".join(rows)), {"A": 1, "B": 2}, SH)
    a, b = result.series
    assert (a.annual_limit, b.annual_limit) == (15.0, 35.0)
    assert [(x.year, x.days, x.valid, x.value) for x in a.annual] == [(2025, 365, True, 20.0)]
    assert (a.annual_exceeded, b.annual_exceeded) == ([2025], [])
    with pytest.raises(InvalidInput, match="no air class"):
        assess(read_csv("\n".join(rows)), {"A": 1}, SH)


def test_cli_classes_file(tmp_path: Path) -> None:
    data = tmp_path / "air.csv"
    data.write_text(csv_text(), encoding="utf-8")
    classes = tmp_path / "classes.csv"
    classes.write_text("station,class\nS1,1\n")
    out = CliRunner().invoke(
        app, ["environment", "assess", "--input", str(data), "--classes", str(classes), "--json"]
    )
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)
    so2 = next(s for s in doc["series"] if s["parameter"] == "SO2")
    # class 1 SO2 24-h limit is 50 µg/m³ = 0.05 mg/m³: 0.15 mg/m³ is 2 times over (3 − 1)
    assert so2["air_class"] == 1
    assert so2["days"][0]["exceeded"] is True
    assert so2["days"][0]["multiple"] == pytest.approx(2.0)
    classes.write_text("station,class\nS1,3\n")
    bad = CliRunner().invoke(
        app, ["environment", "assess", "--input", str(data), "--classes", str(classes)]
    )
    assert bad.exit_code != 0 and "class 1 or 2" in bad.output
