"""A simulated OPC UA server (asyncua) for trying a configuration and for the tests.

Folder ``Line1`` in namespace ``urn:lingtan:sim`` (index 2) holds three variables, written
every ``tick_s`` with a source timestamp:

* ``ns=2;s=Line1.Energy`` — active energy register [kWh], increasing by power × time;
* ``ns=2;s=Line1.Power`` — active power [kW], 50 kW ± 10 kW (a slow sine);
* ``ns=2;s=Line1.Count`` — production count [pieces], +1 every tick.

Simulated time starts at ``start`` (default now) and advances ``step_s`` per tick (default
``tick_s``: real time), never past the wall clock: a test runs hours of data in seconds by
starting in the past with a large step. With ``historize`` the server keeps the history of
every variable in memory (asyncua's history manager), so HistoryRead answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import math
import socket
from pathlib import Path
from typing import Any, Final

from asyncua import ua
from asyncua.crypto.permission_rules import User, UserRole
from asyncua.server.server import Server
from asyncua.server.user_managers import UserManager
from asyncua.ua.status_codes import StatusCodes

NAMESPACE: Final = "urn:lingtan:sim"
VARIABLES: Final = ("Line1.Energy", "Line1.Power", "Line1.Count")


class _Users(UserManager):
    """Accepts the listed user names with their passwords, nobody else."""

    def __init__(self, users: dict[str, str]) -> None:
        self.users = users

    def get_user(
        self, iserver: Any, username: str | None = None, password: str | None = None,
        certificate: Any = None,
    ) -> User | None:  # fmt: skip
        if username is not None and self.users.get(username) == password:
            return User(role=UserRole.User)
        return None


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class SimulatedServer:
    """An asyncua server with the variables of the module docstring."""

    def __init__(
        self,
        *,
        tick_s: float = 1.0,
        start: dt.datetime | None = None,
        step_s: float | None = None,
        historize: bool = True,
        energy_kwh: float = 1000.0,
        certificate: Path | None = None,
        private_key: Path | None = None,
        users: dict[str, str] | None = None,
    ) -> None:
        self.tick_s = tick_s
        self.step_s = tick_s if step_s is None else step_s
        self.clock = start
        self.historize = historize
        self.energy = energy_kwh
        self.power = 50.0
        self.count = 0
        self.ticks = 0
        self.port = 0
        self.endpoint = ""
        #: variable name → status code written with its next values (tests: a failed sensor)
        self.status: dict[str, int] = {}
        self._server: Server | None = None
        self._vars: dict[str, ua.NodeId] = {}
        self._task: asyncio.Task[None] | None = None
        #: with a certificate and key: Basic256Sha256 (Sign, SignAndEncrypt) only
        self.certificate = certificate
        self.private_key = private_key
        #: user name → password accepted (``None``: anonymous and any user)
        self.users = users

    async def start(self, port: int = 0, host: str = "127.0.0.1") -> int:
        """Start serving on ``host:port`` (0: a free port); returns the port."""
        self.port = port or free_port()
        self.endpoint = f"opc.tcp://{host}:{self.port}/lingtan/"
        server = Server(user_manager=_Users(self.users) if self.users is not None else None)
        await server.init()
        server.set_endpoint(self.endpoint)
        server.set_server_name("lingtan simulated line")
        if self.certificate is not None and self.private_key is not None:
            await server.load_certificate(str(self.certificate))
            await server.load_private_key(str(self.private_key))
            server.set_security_policy(
                [
                    ua.SecurityPolicyType.Basic256Sha256_Sign,
                    ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt,
                ]
            )
        else:
            server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
        idx = await server.register_namespace(NAMESPACE)
        line = await server.nodes.objects.add_folder(
            ua.NodeId(ua.String("Line1"), ua.Int16(idx)), f"{idx}:Line1"
        )
        initial = {"Line1.Energy": self.energy, "Line1.Power": self.power, "Line1.Count": 0.0}
        nodes = []
        for name in VARIABLES:
            var = await line.add_variable(
                ua.NodeId(ua.String(name), ua.Int16(idx)),
                f"{idx}:{name.split('.')[1]}",
                ua.Variant(initial[name], ua.VariantType.Double),
            )
            nodes.append(var)
            self._vars[name] = var.nodeid
        await server.start()
        self._server = server
        if self.clock is None:
            self.clock = dt.datetime.now(tz=dt.UTC)
        # the first values carry the start of simulated time; historizing starts with them
        # (a value written unchanged raises no data change, OPC 10000-4 §7.22.2)
        await self.write()
        if self.historize:
            await server.historize_node_data_change(nodes, period=dt.timedelta(days=2), count=0)
        self._task = asyncio.create_task(self._run(), name="opcua-sim")
        return self.port

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.tick_s)
            self.advance()
            await self.write()

    def advance(self) -> None:
        """One tick of simulated time: power, energy and count move on."""
        assert self.clock is not None
        now = dt.datetime.now(tz=dt.UTC)
        step = min(self.step_s, max(0.0, (now - self.clock).total_seconds()))
        self.clock += dt.timedelta(seconds=step)
        self.ticks += 1
        self.power = 50.0 + 10.0 * math.sin(self.ticks / 10.0)
        self.energy += self.power * step / 3600.0
        self.count += 1

    async def write(self) -> None:
        """Write the current values with the simulated source timestamp."""
        assert self._server is not None
        values = {"Line1.Energy": self.energy, "Line1.Power": self.power,
                  "Line1.Count": float(self.count)}  # fmt: skip
        for name, value in values.items():
            stamps: dict[str, Any] = {
                "SourceTimestamp": self.clock,
                "ServerTimestamp": dt.datetime.now(tz=dt.UTC),
            }
            dv = ua.DataValue(
                ua.Variant(value, ua.VariantType.Double),
                StatusCode=ua.StatusCode(ua.UInt32(self.status.get(name, StatusCodes.Good))),
                **stamps,
            )
            await self._server.write_attribute_value(self._vars[name], dv)

    async def stop(self) -> None:
        """Stop the updates and the server."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._server is not None:
            await self._server.stop()
            self._server = None


__all__ = ["NAMESPACE", "VARIABLES", "SimulatedServer", "free_port"]
