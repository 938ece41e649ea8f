"""``lingtan bacnet simulate`` in a subprocess, found by ``lingtan bacnet discover``; the
worked example configuration validates."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from lingtan.cli import app
from lingtan.connectors.collector.config import load_config

EXAMPLE = Path(__file__).parents[3] / "docs" / "examples" / "connectors" / "bacnet.yaml"


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_simulate_and_discover() -> None:
    port = free_udp_port()
    cmd = [
        sys.executable, "-c", "from lingtan.cli import main; main()",
        "bacnet", "--lang", "en", "simulate", "--port", str(port), "--instance", "1777",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "bacnet device 1777" in line, proc.stderr.read() if proc.stderr else ""
        result = CliRunner().invoke(
            app,
            ["bacnet", "discover", "--interface", "127.0.0.1/8", "--port", str(free_udp_port()),
             "--target", f"127.0.0.1:{port}", "--wait", "2", "--json"],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        found = json.loads(result.output)
        assert [(d["instance"], d["address"]) for d in found] == [(1777, f"127.0.0.1:{port}")]
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)


def test_discover_with_half_a_range_names_the_field() -> None:
    result = CliRunner().invoke(
        app, ["bacnet", "discover", "--interface", "127.0.0.1/8", "--low", "1"]
    )
    assert result.exit_code != 0
    assert "low" in result.output


def test_the_worked_example_is_valid() -> None:
    config = load_config(EXAMPLE)
    bacnet = config.connectors[0]
    assert bacnet.kind == "bacnet"
    assert [d.name for d in bacnet.devices] == ["ahu-1", "chiller-1"]  # type: ignore[union-attr]
