"""``lingtan modbus|dlt645|files|collect`` through typer's CliRunner."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Awaitable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import typer
from typer.testing import CliRunner

from lingtan.cli.connectors import register
from lingtan.connectors.collector.runner import Collector
from lingtan.connectors.dlt645.sim import SimulatedBus, SimulatedMeter
from lingtan.connectors.modbus.registers import DataType, RegisterSpec
from lingtan.connectors.modbus.sim import SimulatedDevice, SimulatedGateway
from lingtan.registry import parse_park_text
from lingtan.store import open_store

from .conftest import MemorySink

runner = CliRunner()
DATA = Path(__file__).parent / "data"
EXAMPLES = Path(__file__).parents[2] / "docs" / "examples" / "connectors"
FRAMES = json.loads((DATA / "dlt645_published_frames.json").read_text(encoding="utf-8"))
T = TypeVar("T")


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """Root."""

    register(app)
    return app


class LoopThread:
    """An event loop in a thread, for servers the (synchronous) CLI talks to."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Awaitable[T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)  # type: ignore[arg-type]

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture
def loop_thread() -> Iterator[LoopThread]:
    lt = LoopThread()
    yield lt
    lt.close()


def test_cli_dlt645_decode_published_response() -> None:
    frame = FRAMES["baowen_jiexi_read_phase_a_voltage_response"]["hex"]
    result = runner.invoke(_app(), ["dlt645", "decode", frame])
    assert result.exit_code == 0, result.output
    assert (
        "000000000161" in result.output
        and "100.1 V" in result.output
        and "A相电压" in result.output
    )


def test_cli_dlt645_decode_json_in_english() -> None:
    frame = FRAMES["baowen_jiexi_read_forward_active_energy_response"]["hex"]
    result = runner.invoke(_app(), ["dlt645", "--lang", "en", "decode", frame, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["address"], data["control"], data["di"], data["value"], data["unit"]) == (
        "000000000161",
        "91",
        "00010000",
        "0.26",
        "kWh",
    )
    assert data["name"] == "forward active energy, total"


def test_cli_dlt645_decode_block_answer_lists_every_item() -> None:
    # the hand-built voltage block answer of test_dlt645_frame.py (checksum added up there)
    frame = "68 61 01 00 00 00 00 68 91 0A 33 32 34 35 34 55 43 55 CB 54 DB 16"
    result = runner.invoke(_app(), ["dlt645", "--lang", "en", "decode", frame, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["di"] == "0201FF00" and data["name"] == "voltage block"
    assert [(i["di"], i["value"], i["unit"]) for i in data["items"]] == [
        ("02010100", "220.1", "V"),
        ("02010200", "221.0", "V"),
        ("02010300", "219.8", "V"),
    ]
    plain = runner.invoke(_app(), ["dlt645", "decode", frame])
    assert plain.exit_code == 0 and "221.0 V" in plain.output and "C相电压" in plain.output


@pytest.mark.parametrize(
    ("capture", "code"),
    [
        (FRAMES["tjsmart_read_energy_request_as_published"]["hex"], "dlt645_bad_checksum"),
        ("68 61 01 00 00 00 00 68 91 08 33 33 34 33 59 33 33 33 8A", "dlt645_truncated"),
        ("68 61 01 00 00 00 00 68 91 08 33 33 34 33 59 33 33 33 8A 17", "dlt645_bad_end_byte"),
        ("68 61 01 00 00 00 00 68 91 06 45 44 ff ff 33 33 8a 16", "dlt645_bad_checksum"),
        ("01 03 00 00", "dlt645_no_frame"),
    ],
)
def test_cli_dlt645_decode_errors_exit_non_zero_with_their_code(capture: str, code: str) -> None:
    result = runner.invoke(_app(), ["dlt645", "decode", capture, "--json"])
    assert result.exit_code == 2
    assert json.loads(result.output)["error"]["code"] == code
    plain = runner.invoke(_app(), ["dlt645", "decode", capture])
    assert plain.exit_code == 2


def test_cli_dlt645_decode_unknown_identifier() -> None:
    from lingtan.connectors.dlt645.frame import read_response

    capture = read_response("1", 0x12345678, b"\x01").encode().hex()
    result = runner.invoke(_app(), ["dlt645", "decode", capture, "--json"])
    assert result.exit_code == 2
    assert json.loads(result.output)["error"]["code"] == "dlt645_unknown_data_identifier"


def test_cli_dlt645_read_prints_the_request_frame() -> None:
    result = runner.invoke(_app(), ["dlt645", "read", "--address", "12345678", "--di", "00010000"])
    assert result.exit_code == 0, result.output
    assert "FE FE FE FE 68 78 56 34 12 00 00 68 11 04 33 33 34 33 C6 16" in result.output


def test_cli_dlt645_read_through_a_gateway(loop_thread: LoopThread) -> None:
    bus = SimulatedBus([SimulatedMeter("000012345678", {0x02010100: "229.8"})])
    port = loop_thread.run(bus.start())
    try:
        result = runner.invoke(
            _app(),
            [
                "dlt645",
                "read",
                "--address",
                "000012345678",
                "--di",
                "02010100",
                "--gateway",
                f"127.0.0.1:{port}",
                "--json",
            ],
        )
        assert result.exit_code == 0, result.output
        data = json.loads(result.output)
        assert (
            data["value"] == "229.8"
            and data["unit"] == "V"
            and data["response"].startswith("68 78 56 34 12 00 00 68 91")
        )
    finally:
        loop_thread.run(bus.stop())


def test_cli_dlt645_read_unknown_identifier_is_refused() -> None:
    result = runner.invoke(_app(), ["dlt645", "read", "--address", "1", "--di", "12345678"])
    assert result.exit_code == 2


def test_cli_modbus_probe_against_a_loopback_server(loop_thread: LoopThread) -> None:
    spec = RegisterSpec("v", 0x2006, DataType.FLOAT32)
    device = SimulatedDevice(1, [spec])
    device.set("v", 2314.0)
    gateway = SimulatedGateway([device])
    port = loop_thread.run(gateway.start())
    try:
        args = ["modbus", "probe", "--host", "127.0.0.1", "--port", str(port), "--unit", "1"]
        args += ["--address", "0x2006", "--type", "float32", "--order", "ABCD"]
        result = runner.invoke(_app(), [*args, "--json"])
        assert result.exit_code == 0, result.output
        data = json.loads(result.output)
        assert data["registers"] == ["0x4510", "0xA000"] and data["values"]["ABCD"] == 2314.0
        assert set(data["values"]) == {"ABCD", "CDAB", "BADC", "DCBA"}
        table = runner.invoke(_app(), args)
        assert table.exit_code == 0 and "ABCD ←" in table.output and "CDAB" in table.output
    finally:
        loop_thread.run(gateway.stop())


def test_cli_modbus_probe_unreachable_exits_unavailable() -> None:
    result = runner.invoke(
        _app(),
        [
            "modbus",
            "probe",
            "--host",
            "127.0.0.1",
            "--port",
            "1",
            "--address",
            "0",
            "--timeout",
            "1",
        ],
    )
    assert result.exit_code == 6


def test_cli_modbus_templates_and_one_template() -> None:
    listing = runner.invoke(_app(), ["modbus", "templates"])
    assert listing.exit_code == 0
    for tid in ("chint_dtsu666", "schneider_iem3255", "acrel_adl3000e"):
        assert tid in listing.output
    one = runner.invoke(_app(), ["modbus", "template", "acrel_adl3000e", "--json"])
    data = json.loads(one.output)
    assert data["source"]["version"] and data["registers"][0]["key"] == "energy_total"
    assert runner.invoke(_app(), ["modbus", "template", "nope"]).exit_code == 3


@pytest.mark.parametrize(
    "example", ["connectors.yaml", "modbus.yaml", "dlt645.yaml", "mqtt.yaml", "files.yaml"]
)
def test_cli_collect_check_accepts_the_examples(example: str) -> None:
    result = runner.invoke(_app(), ["collect", "check", "--config", str(EXAMPLES / example)])
    assert result.exit_code == 0, result.output


def test_cli_collect_check_rejects_a_typo(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "connectors:\n  - kind: mqtt\n    name: a\n    client_id: c\n    topcs: []\n",
        encoding="utf-8",
    )
    result = runner.invoke(_app(), ["collect", "check", "--config", str(path)])
    assert result.exit_code == 2 and "topcs" in result.output


def test_cli_collect_status_shows_each_connector(tmp_path: Path) -> None:
    class Quiet:
        name = "pds1-gateway"
        kind = "modbus"

        async def run(self, ctx: Any) -> None:
            ctx.stats.state = "running"
            ctx.stats.record_readings(12)
            ctx.device_failed("meter-3", "timeout", lost_after=1)
            await asyncio.Event().wait()

    async def briefly() -> None:
        collector = Collector([Quiet()], MemorySink(), state_dir=tmp_path)
        stop = asyncio.Event()
        task = asyncio.ensure_future(collector.run(stop))
        await asyncio.sleep(0.2)
        stop.set()
        await task

    asyncio.run(briefly())
    result = runner.invoke(
        _app(), ["collect", "status", "--state-dir", str(tmp_path), "--rejects", "3"]
    )
    assert result.exit_code == 0, result.output
    assert "pds1-gateway" in result.output and "meter-3" in result.output
    assert "采集进程未运行" in result.output  # it stopped
    data = json.loads(
        runner.invoke(_app(), ["collect", "status", "--state-dir", str(tmp_path), "--json"]).output
    )
    entry = data["connectors"]["pds1-gateway"]
    assert entry["readings_total"] == 12 and entry["errors_total"] == 1 and entry["last_reading_at"]
    assert entry["readings_per_min"] == 12
    assert data["buffer"]["buffered_readings"] == 0 and data["running"] is False
    assert data["buffer"]["events"][0]["kind"] == "comms_lost"


def test_cli_collect_status_without_a_collector(tmp_path: Path) -> None:
    result = runner.invoke(_app(), ["collect", "status", "--state-dir", str(tmp_path)])
    assert result.exit_code == 3


def test_cli_files_preview_import_and_manual_entry(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lingtan.db'}"
    store = open_store(url)
    store.registry.save_park(
        parse_park_text(
            "park:\n  id: p\n  name: 园区\n  province: 江苏\npoints:\n"
            "  - id: W1\n    carrier: water\n    kind: total_increasing\n    unit: m3\n"
        )
    )
    store.close()
    csv_path = tmp_path / "w.csv"
    csv_path.write_text(
        "point_id,timestamp,value\nW1,2026-05-01 08:00,10\nW1,2026-05-02 08:00,12.5\n",
        encoding="utf-8",
    )
    env = {"LINGTAN_DATABASE_URL": url}
    shown = runner.invoke(
        _app(), ["files", "preview", str(csv_path), "--timezone", "Asia/Shanghai", "--rows", "1"]
    )
    assert shown.exit_code == 0, shown.output
    assert "2026-05-01T08:00:00+08:00" in shown.output and "12.5" not in shown.output
    imported = runner.invoke(
        _app(), ["files", "import", str(csv_path), "--timezone", "Asia/Shanghai"], env=env
    )
    assert imported.exit_code == 0, imported.output
    assert "accepted=2" in imported.output
    again = runner.invoke(
        _app(), ["files", "import", str(csv_path), "--timezone", "Asia/Shanghai"], env=env
    )
    assert "duplicates=2" in again.output
    entered = runner.invoke(
        _app(),
        [
            "files",
            "enter",
            "--point",
            "W1",
            "--value",
            "15",
            "--at",
            "2026-05-03T08:00+08:00",
            "--operator",
            "王工",
        ],
        env=env,
    )
    assert entered.exit_code == 0 and "accepted=1" in entered.output
    naive = runner.invoke(
        _app(),
        ["files", "enter", "--point", "W1", "--value", "15", "--at", "2026-05-03 08:00"],
        env=env,
    )
    assert naive.exit_code == 2
