"""``lingtan environment`` with a store: init with stations, the HJ 212 server writing into the
store (subprocess, fed by the simulator), ``stations`` and ``assess --station``."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lingtan.cli import app
from tests.conftest import SMALL_PARK

runner = CliRunner()

#: a station whose MN is the simulator's first (SIM0000000000001, PW 123456)
STATION = """\
environment:
  stations:
    - code: AQ01
      name: 北门空气站
      kind: air
      mn: SIM0000000000001
      air_class: 2
      parameters:
        - {parameter: SO2, unit: µg/m3}
        - {parameter: PM2.5, unit: µg/m3}
"""


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("LINGTAN_DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", "200")
    park = tmp_path / "park.yaml"
    park.write_text(SMALL_PARK + STATION, encoding="utf-8")
    r = runner.invoke(app, ["init", "--park", str(park)])
    assert r.exit_code == 0, r.output
    # two limits: SO2 1-h (500 µg/m3) and PM2.5 24-h (75 µg/m3); the station's comms loss
    # and its invalid day (both parameters have daily statistics)
    assert "monitoring stations: created 1" in r.output and "rules created 4" in r.output
    return {"LINGTAN_DATABASE_URL": url, "COLUMNS": "300", "PATH": os.environ.get("PATH", "")}


def test_served_station_data_land_in_the_store_and_are_assessed(env: dict[str, str]) -> None:
    cmd = [
        sys.executable, "-c", "from lingtan.cli import main; main()",
        "environment", "hj212-serve", "--port", "0", "--every", "3600",
    ]  # fmt: skip
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline(), proc.stdout.readline()]
        port = re.search(r"127\.0\.0\.1:(\d+)", "".join(lines))
        assert port, lines
        sim = runner.invoke(
            app,
            ["environment", "simulate", "--port", port.group(1), "--stations", "1",
             "--minutes", "120", "--start", "2026-01-01T00:00:00+08:00"],
        )  # fmt: skip
        assert sim.exit_code == 0, sim.output
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    counters = json.loads(rest.strip().splitlines()[-1])
    # 2 hourly packets × 2 declared pollutants stored; the 4 undeclared pollutants' hourly
    # values (NO2, CO, O3, PM10) are kept as unknown points: nothing is dropped
    assert counters["stored"] == {"accepted": 4, "duplicates": 0, "rejected:unknown_point": 8}
    listed = runner.invoke(app, ["environment", "stations", "--json"])
    assert listed.exit_code == 0, listed.output
    (station,) = json.loads(listed.output)
    assert station["code"] == "AQ01"
    latest = {x["parameter"]: x for x in station["latest"]}
    assert latest["PM2.5"]["hour"] == "2026-01-01T01:00:00+08:00"
    assessed = runner.invoke(
        app,
        ["environment", "assess", "--station", "AQ01", "--from", "2026-01-01T00:00:00+08:00",
         "--to", "2026-01-02T00:00:00+08:00", "--json"],
    )  # fmt: skip
    assert assessed.exit_code == 0, assessed.output
    doc = json.loads(assessed.output)
    (pm,) = [s for s in doc["quality"]["series"] if s["parameter"] == "PM2.5"]
    # two valid hours of 24: no valid daily mean (GB 3095-2012 表4 needs 20)
    assert pm["valid_hours"] == 2 and pm["days"][0]["valid"] is False


def test_assess_needs_a_file_or_a_station(env: dict[str, str]) -> None:
    r = runner.invoke(app, ["environment", "assess"])
    assert r.exit_code != 0 and "--input FILE or --station CODE" in r.output
    r = runner.invoke(app, ["environment", "assess", "--station", "NOPE"])
    assert r.exit_code != 0 and "no such station" in r.output


OUTLET = """\
environment:
  stations:
    - code: OUT-E01
      name: 甲公司废水排放口
      kind: outlet
      enterprise: E01
      mn: OUT00000000001
      parameters:
        - {parameter: COD, unit: mg/L, hj212: w01018}
      limits:
        - {parameter: COD, limit: 50, unit: mg/L, source: 排污许可证 914403001922038216001P}
"""


def test_trend_of_an_outlet_against_its_permit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datetime as dt

    from lingtan.cli.data import open_configured
    from lingtan.ingest import ingest
    from lingtan.normalize.service import normalise_pending
    from lingtan.readings import Reading

    monkeypatch.setenv("LINGTAN_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("COLUMNS", "200")
    park = tmp_path / "park.yaml"
    park.write_text(SMALL_PARK + OUTLET, encoding="utf-8")
    assert runner.invoke(app, ["init", "--park", str(park)]).exit_code == 0
    t0 = dt.datetime(2026, 3, 1, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    with open_configured() as store:
        # 50 (equal: meets) and 60 (above: 60 / 50 − 1 = 0.2) → 1 of 2 hours, 50 %
        ingest(store, [Reading("OUT-E01:COD", t0, 50.0),
                       Reading("OUT-E01:COD", t0 + dt.timedelta(hours=1), 60.0)],
               now=dt.datetime(2026, 4, 1, tzinfo=dt.UTC))  # fmt: skip
        normalise_pending(store)
    r = runner.invoke(app, ["environment", "trend", "--station", "OUT-E01",
                            "--from", "2026-03-01T00:00:00+08:00", "--to", "2026-04-01T00:00:00+08:00"])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "2026-03" in r.output and "50.0 % (1/2)" in r.output and "0.200" in r.output
    r = runner.invoke(app, ["environment", "trend", "--station", "OUT-E01", "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert doc["kind"] == "outlet" and doc["months"][-1]["attainment"] == 0.5
    r = runner.invoke(app, ["environment", "trend", "--station", "NOPE"])
    assert r.exit_code != 0 and "no such station" in r.output
