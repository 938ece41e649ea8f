"""CLI of the OPC UA connector: ``lingtan opcua browse ENDPOINT`` and ``lingtan opcua simulate``.

Collecting from OPC UA servers is ``lingtan collect`` with ``kind: opcua`` entries
(docs/connectors.md).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from lingtan.cli._common import console, domain_errors
from lingtan.errors import InvalidInput

opcua_app = typer.Typer(
    help="OPC UA: browse a server's node tree, run a simulated server (OPC UA 调试).",
    no_args_is_help=True,
)


@opcua_app.command("browse")
def opcua_browse(
    endpoint: Annotated[str, typer.Argument(help="opc.tcp://host:port[/path]")],
    root: Annotated[
        str | None, typer.Option(help="node id to start from (default the Objects folder)")
    ] = None,
    depth: Annotated[int, typer.Option(min=1, max=10, help="levels below the root")] = 3,
    standard: Annotated[
        bool, typer.Option("--standard", help="also the standard nodes of namespace 0")
    ] = False,
    no_values: Annotated[
        bool, typer.Option("--no-values", help="do not read the variables' values")
    ] = False,
    username: Annotated[str | None, typer.Option()] = None,
    password: Annotated[str | None, typer.Option()] = None,
    security_policy: Annotated[str, typer.Option(help="None | Basic256Sha256")] = "None",
    security_mode: Annotated[str | None, typer.Option(help="Sign | SignAndEncrypt")] = None,
    certificate: Annotated[Path | None, typer.Option(help="client certificate")] = None,
    private_key: Annotated[Path | None, typer.Option(help="client private key")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Print the node tree of a server (node id, browse name, class, value): what to map."""
    from lingtan.connectors.opcua.client import browse
    from lingtan.connectors.opcua.config import OpcuaEndpoint

    with domain_errors():
        try:
            cfg = OpcuaEndpoint(
                endpoint=endpoint,
                username=username,
                password=password,
                security_policy=security_policy,  # type: ignore[arg-type]
                security_mode=security_mode,  # type: ignore[arg-type]
                certificate=certificate,
                private_key=private_key,
            )
        except ValidationError as err:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'endpoint'}: {e['msg']}"
                for e in err.errors()
            )
            raise InvalidInput(problems, field="endpoint") from err
        nodes = asyncio.run(
            browse(cfg, root=root, depth=depth, values=not no_values, standard=standard)
        )
    if as_json:
        rows = [
            {"depth": n.depth, "node_id": n.node_id, "browse_name": n.browse_name,
             "node_class": n.node_class, "value": n.value}
            for n in nodes
        ]  # fmt: skip
        console.print_json(json.dumps(rows, ensure_ascii=False))
        return
    for n in nodes:
        value = f" = {n.value}" if n.value else ""
        console.print(
            f"{'  ' * n.depth}{n.node_id}  {n.browse_name}  [{n.node_class}]{value}",
            highlight=False,
            markup=False,
        )


@opcua_app.command("simulate")
def opcua_simulate(
    port: Annotated[int, typer.Option(min=1, max=65535)] = 4840,
    tick: Annotated[float, typer.Option(help="seconds between updates")] = 1.0,
    no_history: Annotated[bool, typer.Option("--no-history", help="keep no history")] = False,
) -> None:
    """Run a simulated OPC UA server on 127.0.0.1 (Line1.Energy, Line1.Power, Line1.Count)."""
    from lingtan.cli.connectors import _wait_for_signal
    from lingtan.connectors.opcua.sim import SimulatedServer

    if tick <= 0:
        raise typer.BadParameter("--tick must be positive", param_hint="--tick")

    async def serve() -> None:
        sim = SimulatedServer(tick_s=tick, historize=not no_history)
        await sim.start(port=port)
        console.print(
            f"OPC UA {sim.endpoint} — ns=2;s=Line1.Energy, ns=2;s=Line1.Power, "
            "ns=2;s=Line1.Count — 模拟运行中,按 Ctrl-C 停止 (simulating; Ctrl-C stops)",
            highlight=False,
        )
        try:
            await _wait_for_signal()
        finally:
            await sim.stop()

    asyncio.run(serve())


def register(app: typer.Typer) -> None:
    """Add ``opcua browse|simulate``."""
    app.add_typer(opcua_app, name="opcua")
