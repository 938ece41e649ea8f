"""``lingtan environment hj212-serve`` in a subprocess, fed by ``lingtan environment simulate``,
its hourly CSV assessed by ``lingtan environment assess`` — the by-hand loop, no store."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import signal
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from lingtan.cli import app
from lingtan.connectors.hj212.packet import BEIJING
from lingtan.connectors.hj212.sim import station_packets, station_specs

START = "2026-01-01T00:00:00+08:00"


def test_serve_simulate_and_assess_by_hand(tmp_path: Path) -> None:
    specs = station_specs(2)
    stations = tmp_path / "stations.csv"
    stations.write_text("mn,pw\n" + "".join(f"{s.mn},{s.pw}\n" for s in specs))
    hourly = tmp_path / "hourly.csv"
    cmd = [
        sys.executable, "-c", "from lingtan.cli import main; main()",
        "environment", "hj212-serve", "--port", "0", "--stations", str(stations),
        "--every", "3600", "--csv", str(hourly),
    ]  # fmt: skip
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={"COLUMNS": "300"}
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        port = re.search(r"127\.0\.0\.1:(\d+)", first)
        assert port, first
        runner = CliRunner()
        sim = runner.invoke(
            app,
            ["environment", "simulate", "--port", port.group(1), "--stations", "2",
             "--minutes", "120", "--start", START],
        )  # fmt: skip
        assert sim.exit_code == 0, sim.output
        # 120 minute packets + 2 hourly packets per station, each answered
        assert sim.output.count("│ 122 ") >= 2 * 2, sim.output
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    counters = json.loads(rest.strip().splitlines()[-1])
    assert counters["accepted"] == {"2051": 240, "2061": 4}
    assert counters["answers_sent"] == {"9014": 244}
    assert counters["rejected"] == {}

    # the CSV holds the hourly averages the simulator sent, parameter names and units mapped
    with hourly.open() as fh:
        rows = list(csv.DictReader(fh))
    start = dt.datetime.fromisoformat(START)
    sent = {
        (s.mn, s.pollutant, s.data_time.astimezone(BEIJING).isoformat()): s.values["Avg"]
        for spec in specs
        for _, batch in station_packets(spec, start, 120)
        for s in batch
        if s.cn == "2061"
    }
    code = {"SO2": "a21026", "NO2": "a21004", "CO": "a21005", "O3": "a05024",
            "PM10": "a34002", "PM2.5": "a34004"}  # fmt: skip
    got = {(r["station"], code[r["parameter"]], r["ts"]): float(r["value"]) for r in rows}
    assert got == sent
    assert {r["unit"] for r in rows if r["parameter"] == "CO"} == {"mg/m3"}

    assessed = CliRunner().invoke(app, ["environment", "assess", "--input", str(hourly), "--json"])
    assert assessed.exit_code == 0, assessed.output
    doc = json.loads(assessed.output)
    # two hours a day are far from the 20 a valid daily mean needs
    assert len(doc["series"]) == 12
    assert all(not d["valid"] for s in doc["series"] for d in s["days"])


def test_simulate_says_when_the_server_is_unreachable() -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on: bound, never listening
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        out = CliRunner().invoke(
            app, ["environment", "simulate", "--port", str(port), "--minutes", "1"]
        )
    assert out.exit_code != 0
    assert "cannot reach the HJ 212 server" in out.output
