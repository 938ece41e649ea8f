"""CLI of the IEC 104 connector: ``lingtan iec104 simulate`` (a simulated RTU on loopback).

Collecting from IEC 60870-5-104 outstations is ``lingtan collect`` with ``kind: iec104``
entries (docs/connectors.md).
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from lingtan.cli._common import console

iec104_app = typer.Typer(
    help="IEC 60870-5-104: run a simulated RTU (IEC 104 调试).",
    no_args_is_help=True,
)


@iec104_app.command("simulate")
def iec104_simulate(
    port: Annotated[int, typer.Option(min=1, max=65535)] = 2404,
    common_address: Annotated[int, typer.Option(min=1, max=65534)] = 1,
    tick: Annotated[float, typer.Option(help="seconds between updates")] = 1.0,
    time_zone: Annotated[
        str, typer.Option(help="the zone of the RTU's clock, in which time tags are written")
    ] = "UTC",
) -> None:
    """Run a simulated RTU on 127.0.0.1: IOA 1001 power (M_ME_TF_1), 1002 voltage (M_ME_NC_1),
    2001 energy counter (M_IT_NA_1), 3001 breaker (M_SP_NA_1)."""
    from lingtan.cli.connectors import _wait_for_signal

    if tick <= 0:
        raise typer.BadParameter("--tick must be positive", param_hint="--tick")
    from lingtan.connectors.iec104.sim import SimulatedRtu

    try:
        sim = SimulatedRtu(port=port, common_address=common_address, time_zone=time_zone)
    except (KeyError, ValueError) as err:
        raise typer.BadParameter(
            f"{time_zone!r} is not a time zone (e.g. Asia/Shanghai, UTC)", param_hint="--time-zone"
        ) from err

    async def serve() -> None:
        await sim.start()
        updates = asyncio.create_task(sim.run(tick))
        console.print(
            f"IEC 104 RTU 127.0.0.1:{port}, common address {common_address}, clock {time_zone} — "
            "IOA 1001 power, "
            "1002 voltage, 2001 energy counter, 3001 breaker — 模拟运行中,按 Ctrl-C 停止 "
            "(simulating; Ctrl-C stops)",
            highlight=False,
        )
        try:
            await _wait_for_signal()
        finally:
            updates.cancel()
            await sim.stop()

    asyncio.run(serve())


def register(app: typer.Typer) -> None:
    """Add ``iec104 simulate``."""
    app.add_typer(iec104_app, name="iec104")
