"""``lingtan opcua browse`` against the simulated server (run in a thread's event loop, as the
CLI is synchronous), and its errors naming the field."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator

import pytest
import typer
from typer.testing import CliRunner

from lingtan.cli.opcua import register
from lingtan.connectors.opcua.sim import SimulatedServer

runner = CliRunner()


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """Root."""

    register(app)
    return app


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    sim = SimulatedServer(tick_s=3600.0)
    asyncio.run_coroutine_threadsafe(sim.start(), loop).result(30)
    yield sim.endpoint
    asyncio.run_coroutine_threadsafe(sim.stop(), loop).result(30)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


def test_browse_prints_the_node_tree(endpoint: str) -> None:
    result = runner.invoke(_app(), ["opcua", "browse", endpoint])
    assert result.exit_code == 0, result.output
    assert "ns=2;s=Line1.Energy  2:Energy  [Variable] = 1000.0" in result.output
    assert "ns=2;s=Line1  2:Line1  [Object]" in result.output


def test_browse_json(endpoint: str) -> None:
    result = runner.invoke(_app(), ["opcua", "browse", endpoint, "--json", "--no-values"])
    assert result.exit_code == 0, result.output
    rows = {r["node_id"]: r for r in json.loads(result.output)}
    assert rows["ns=2;s=Line1.Count"] == {
        "depth": 1, "node_id": "ns=2;s=Line1.Count", "browse_name": "2:Count",
        "node_class": "Variable", "value": "",
    }  # fmt: skip


def test_browse_errors_name_the_field() -> None:
    result = runner.invoke(_app(), ["opcua", "browse", "http://127.0.0.1:4840"])
    assert result.exit_code != 0
    assert "endpoint" in result.output
    result = runner.invoke(
        _app(), ["opcua", "browse", "opc.tcp://127.0.0.1:1", "--security-policy", "Basic256Sha256"]
    )
    assert result.exit_code != 0
    assert "security_mode" in result.output


def test_browse_of_a_server_that_is_not_there_is_unavailable() -> None:
    result = runner.invoke(_app(), ["opcua", "browse", "opc.tcp://127.0.0.1:1/"])
    assert result.exit_code != 0
    assert "cannot connect" in result.output
