"""CLI of the BACnet/IP connector: ``lingtan bacnet discover`` and ``lingtan bacnet simulate``.

Human output is in Chinese by default; ``--lang en`` switches to English. ``--json`` output
uses English keys for scripts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
from typing import Annotated

import typer
from rich.table import Table

from lingtan.cli._common import console, domain_errors

_LANG = {"value": "zh"}

_TEXT: dict[str, tuple[str, str]] = {
    "instance": ("设备实例号", "device instance"),
    "address": ("地址", "address"),
    "vendor": ("厂商编号", "vendor id"),
    "max_apdu": ("最大APDU", "max APDU"),
    "segmentation": ("分段", "segmentation"),
    "none_found": ("没有设备应答 Who-Is", "no device answered Who-Is"),
    "simulating": ("模拟运行中,按 Ctrl-C 停止", "simulating; press Ctrl-C to stop"),
}


def _t(key: str) -> str:
    zh, en = _TEXT[key]
    return zh if _LANG["value"] == "zh" else en


bacnet_app = typer.Typer(
    help="BACnet/IP: discover devices (Who-Is/I-Am), run a simulated device.",
    no_args_is_help=True,
)


@bacnet_app.callback()
def _bacnet(
    lang: Annotated[str, typer.Option("--lang", help="zh (默认) | en")] = "zh",
) -> None:
    if lang not in ("zh", "en"):
        raise typer.BadParameter("--lang must be zh or en")
    _LANG["value"] = lang


@bacnet_app.command("discover")
def bacnet_discover(
    interface: Annotated[str, typer.Option(help="local IPv4 address/prefix, e.g. 192.168.1.10/24")],
    port: Annotated[int, typer.Option(help="local UDP port")] = 47808,
    target: Annotated[
        str | None, typer.Option(help="send Who-Is to this address (host[:port]) only")
    ] = None,
    low: Annotated[int | None, typer.Option(help="lowest device instance")] = None,
    high: Annotated[int | None, typer.Option(help="highest device instance")] = None,
    wait: Annotated[float, typer.Option(help="seconds to wait for I-Am")] = 3.0,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Send Who-Is and list the devices that answer with I-Am."""
    from lingtan.connectors.bacnet.client import discover

    with domain_errors():
        found = asyncio.run(
            discover(interface, port, target=target, low=low, high=high, wait_s=wait)
        )
    if as_json:
        console.print_json(json.dumps([f.to_dict() for f in found], ensure_ascii=False))
        return
    if not found:
        console.print(_t("none_found"))
        return
    table = Table()
    for key in ("instance", "address", "vendor", "max_apdu", "segmentation"):
        table.add_column(_t(key))
    for f in found:
        table.add_row(str(f.instance), f.address, str(f.vendor), str(f.max_apdu), f.segmentation)
    console.print(table)


@bacnet_app.command("simulate")
def bacnet_simulate(
    interface: Annotated[str, typer.Option(help="IPv4 address/prefix to bind")] = "127.0.0.1/8",
    port: Annotated[int, typer.Option(help="UDP port")] = 47809,
    instance: Annotated[int, typer.Option(help="device instance")] = 1001,
    power: Annotated[float, typer.Option(help="mean power of analog-input,1 [kW]")] = 42.5,
    interval: Annotated[float, typer.Option(help="seconds between updates")] = 1.0,
) -> None:
    """Run a simulated BACnet/IP device (analog-input power, accumulator energy, binary-input
    status) to try a configuration without hardware."""
    from lingtan.connectors.bacnet.sim import SimulatedDevice

    async def serve() -> None:
        device = SimulatedDevice(instance, interface=interface, port=port, power_kw=power)
        with domain_errors():
            device.start()
        updates = asyncio.create_task(device.run(interval))
        console.print(f"bacnet device {instance} @ {interface}:{port} — {_t('simulating')}")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        try:
            await stop.wait()
        finally:
            updates.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await updates
            device.stop()

    asyncio.run(serve())
