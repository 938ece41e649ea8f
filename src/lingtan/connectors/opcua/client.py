"""OPC UA client: browse, subscribe, read history, reconnect — the I/O part of the connector.

One session per configured server. Every mapped node is a monitored item of one subscription
(OPC 10000-4 §5.12–5.13) sampled at ``sampling_interval_ms``; each notification becomes a
reading (:mod:`lingtan.connectors.opcua.codec`) handed to the collector, which batches it into
the ingest pipeline or its spill buffer.

No loss across outages: OPC UA has no acknowledgement a client could hold back until its store
has committed, so the connector remembers, per node, the source timestamp of the newest value
the collector has made durable (the ``on_committed`` callback). After a reconnection it reads
the history of every node from that instant (HistoryRead with ReadRawModifiedDetails, OPC
10000-11 §6.4.3) where the server keeps one, and submits it with the live values; the ingest
pipeline is idempotent on (point, timestamp), so an overlap is counted as duplicates. At the
first connection ``backfill_h`` hours are read back the same way. A server without history
(``BadHistoryOperationUnsupported`` …) is said once in the status; the live values go on.

A connection that fails or drops is reported as ``comms_lost`` for the server's points and
retried with back-off; ``comms_restored`` follows once a session is up again.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asyncua import ua
from asyncua.client.client import Client
from asyncua.client.ua_client import UaClientState
from asyncua.common.node import Node
from asyncua.crypto import security_policies, uacrypto
from asyncua.ua.status_codes import StatusCodes
from asyncua.ua.uaerrors import UaError, UaStatusCodeError
from cryptography import x509

from lingtan.connectors.base import (
    Backoff,
    ConnectorContext,
    raise_if_cancelled,
    run_sessions,
    utcnow,
)
from lingtan.connectors.opcua.codec import NodePoint, to_reading
from lingtan.connectors.opcua.config import OpcuaConfig, OpcuaEndpoint
from lingtan.errors import Unavailable
from lingtan.readings import Reading

log = logging.getLogger(__name__)

#: the errors of a session that a reconnection may cure
SESSION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    ConnectionError,
    UaError,
    Unavailable,
)

#: a server that keeps no history of a node answers one of these (OPC 10000-4 §7.39)
_NO_HISTORY = {
    StatusCodes.BadHistoryOperationUnsupported,
    StatusCodes.BadHistoryOperationInvalid,
    StatusCodes.BadNotReadable,
    StatusCodes.BadUserAccessDenied,
    StatusCodes.BadNotSupported,
}

#: readings per submission when a history read returns many values
_CHUNK = 5000


async def make_client(cfg: OpcuaEndpoint) -> Client:
    """An unconnected client set up with the endpoint's security and identity."""
    client = Client(cfg.endpoint, timeout=cfg.timeout_s)
    if cfg.username is not None:
        client.set_user(cfg.username)
        client.set_password(cfg.password or "")
    if cfg.security_policy != "None":
        assert cfg.certificate is not None
        assert cfg.private_key is not None
        # the ApplicationDescription must name the certificate's application URI
        # (OPC 10000-4 §6.1.3: the URI in its subjectAltName)
        uri = await certificate_uri(cfg.certificate)
        if uri:
            client.application_uri = uri
        await client.set_security(
            security_policies.SecurityPolicyBasic256Sha256,
            certificate=str(cfg.certificate),
            private_key=str(cfg.private_key),
            server_certificate=str(cfg.server_certificate) if cfg.server_certificate else None,
            mode=getattr(ua.MessageSecurityMode, cfg.mode),
        )
    return client


async def certificate_uri(path: Path) -> str | None:
    """The application URI in a certificate's subjectAltName, if it has one."""
    try:
        cert = await uacrypto.load_certificate(path)
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except (OSError, ValueError, x509.ExtensionNotFound) as err:
        if isinstance(err, OSError):
            raise Unavailable(f"cannot read the certificate {path}: {err}") from err
        return None
    uris = san.value.get_values_for_type(x509.UniformResourceIdentifier)
    return uris[0] if uris else None


@dataclass(frozen=True, slots=True)
class BrowsedNode:
    """One node of the address space as ``lingtan opcua browse`` prints it."""

    depth: int
    node_id: str
    browse_name: str
    node_class: str
    value: str = ""


async def browse(
    cfg: OpcuaEndpoint,
    *,
    root: str | None = None,
    depth: int = 3,
    values: bool = True,
    standard: bool = False,
) -> list[BrowsedNode]:
    """The node tree under ``root`` (default the Objects folder) to ``depth`` levels, with
    the current value of each variable; the standard nodes of namespace 0 (``Server``,
    ``Aliases`` …) only with ``standard``."""
    client = await make_client(cfg)
    try:
        await client.connect()
    except SESSION_ERRORS as err:
        raise Unavailable(f"cannot connect to {cfg.endpoint}: {err}") from err
    out: list[BrowsedNode] = []
    try:
        start = client.get_node(root) if root else client.nodes.objects
        await _walk(start, 0, depth, values, standard, out)
    except SESSION_ERRORS as err:
        raise Unavailable(f"browsing {cfg.endpoint} failed: {err}") from err
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.disconnect(), cfg.timeout_s)
    return out


async def _walk(
    node: Node, level: int, depth: int, values: bool, standard: bool, out: list[BrowsedNode]
) -> None:
    if level >= depth:
        return
    for child in await node.get_children():
        if not standard and child.nodeid.NamespaceIndex == 0:
            continue
        name = await child.read_browse_name()
        node_class = await child.read_node_class()
        value = ""
        if values and node_class == ua.NodeClass.Variable:
            try:
                value = repr(await child.read_value())
            except UaError as err:
                value = f"<{err}>"
        out.append(
            BrowsedNode(level, child.nodeid.to_string(), name.to_string(), node_class.name, value)
        )
        await _walk(child, level + 1, depth, values, standard, out)


class _Handler:
    """Receives the subscription's notifications (on the event loop) into a queue."""

    def __init__(self, queue: asyncio.Queue[tuple[str, ua.DataValue] | Exception]) -> None:
        self.queue = queue
        self.keys: dict[ua.NodeId, str] = {}

    def datachange_notification(self, node: Node, val: Any, data: Any) -> None:
        key = self.keys.get(node.nodeid)
        if key is not None:
            self.queue.put_nowait((key, data.monitored_item.Value))

    def status_change_notification(self, status: ua.StatusChangeNotification) -> None:
        code = status.Status
        self.queue.put_nowait(ConnectionError(f"subscription status {code}"))


class OpcuaConnector:
    """Subscribes to the mapped nodes of one server (module docstring)."""

    kind = "opcua"

    def __init__(self, cfg: OpcuaConfig) -> None:
        self.cfg = cfg
        self.name = cfg.name
        self.mappings: dict[str, NodePoint] = {m.node: m for m in cfg.mappings()}
        self.points = tuple(m.point for m in self.mappings.values())
        #: node → source timestamp of its newest committed value (where a backfill starts)
        self.committed: dict[str, dt.datetime] = {}
        #: sessions opened, and whether the server answered history reads (None: not asked)
        self.sessions = 0
        self.history: bool | None = None
        #: nodes whose history the server said it does not keep (not asked again)
        self.without_history: set[str] = set()
        self.connected = asyncio.Event()
        self._backfilled = False

    async def run(self, ctx: ConnectorContext) -> None:
        """Collect until cancelled; reconnect with back-off."""
        await run_sessions(
            ctx,
            lambda backoff: self._session(ctx, backoff),
            device=self.cfg.endpoint,
            errors=SESSION_ERRORS,
            backoff=Backoff(initial=self.cfg.retry_initial_s, maximum=self.cfg.retry_max_s),
            lost_after=self.cfg.lost_after,
            points=self.points,
            on_error=self.connected.clear,
        )

    async def _session(self, ctx: ConnectorContext, backoff: Backoff) -> None:
        cfg = self.cfg
        client = await make_client(cfg)
        queue: asyncio.Queue[tuple[str, ua.DataValue] | Exception] = asyncio.Queue()
        handler = _Handler(queue)
        try:
            await client.connect()
            self.sessions += 1
            nodes = {key: client.get_node(key) for key in self.mappings}
            handler.keys = {node.nodeid: key for key, node in nodes.items()}
            sub = await client.create_subscription(cfg.publishing_interval_ms, handler)
            # enough queue for every sample taken between two publications
            depth = max(1, math.ceil(cfg.publishing_interval_ms / cfg.sampling_interval_ms) + 1)
            results = await sub.subscribe_data_change(
                list(nodes.values()),
                queuesize=depth,
                sampling_interval=ua.Double(cfg.sampling_interval_ms),
            )
            for key, result in zip(nodes, _as_list(results), strict=True):
                if isinstance(result, ua.StatusCode):
                    self._node_refused(ctx, key, f"monitored item refused: {result.name}")
            ctx.stats.state = "running"
            ctx.device_ok(cfg.endpoint, points=self.points)
            backoff.reset()
            self.connected.set()
            await self._backfill(ctx, nodes)
            await self._receive(ctx, client, queue)
        finally:
            self.connected.clear()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.disconnect(), cfg.timeout_s)

    def _node_refused(self, ctx: ConnectorContext, key: str, detail: str) -> None:
        ctx.stats.rejected_payloads += 1
        ctx.stats.record_error(f"{key}: {detail}")
        ctx.reject_payload(f"opcua:{self.name}:{key}", "opcua_node", detail)

    async def _backfill(self, ctx: ConnectorContext, nodes: dict[str, Node]) -> None:
        """Read back what the server keeps since the newest committed value of each node
        (after a reconnection), or ``backfill_h`` hours at the first connection."""
        end = utcnow()
        first = not self._backfilled and self.cfg.backfill_h > 0
        for key, node in nodes.items():
            start = self.committed.get(key)
            if start is None and first:
                start = end - dt.timedelta(hours=self.cfg.backfill_h)
            if start is None or key in self.without_history:
                continue
            try:
                values = await node.read_raw_history(start, end, numvalues=0, return_bounds=False)
            except UaStatusCodeError as err:
                if err.code in _NO_HISTORY:
                    log.info("%s keeps no history of %s (%s)", self.cfg.endpoint, key, err)
                    ctx.stats.record_error(f"{key}: no history read ({type(err).__name__})")
                    self.without_history.add(key)
                    if self.history is None:
                        self.history = False
                    continue
                # another refusal (a continuation point lost …): said, and the live values go on
                log.warning("history read of %s failed: %s", key, err)
                ctx.stats.record_error(f"{key}: history read failed ({type(err).__name__})")
                continue
            self.history = True
            mapping = self.mappings[key]
            source = f"opcua:{self.name}:{key}"
            readings = [to_reading(mapping, dv, source=source) for dv in values]
            for k in range(0, len(readings), _CHUNK):
                await self._submit(ctx, readings[k : k + _CHUNK])
        self._backfilled = True

    async def _receive(
        self,
        ctx: ConnectorContext,
        client: Client,
        queue: asyncio.Queue[tuple[str, ua.DataValue] | Exception],
    ) -> None:
        while True:
            raise_if_cancelled()
            try:
                first = await asyncio.wait_for(queue.get(), timeout=0.5)
            except TimeoutError:
                _check_alive(client)
                continue
            items = [first]
            while not queue.empty():
                items.append(queue.get_nowait())
            readings: list[Reading] = []
            failure: Exception | None = None
            for item in items:
                if isinstance(item, Exception):
                    failure = failure or item
                    continue
                key, dv = item
                readings.append(
                    to_reading(self.mappings[key], dv, source=f"opcua:{self.name}:{key}")
                )
            if readings:
                await self._submit(ctx, readings)
            if failure is not None:
                raise failure
            _check_alive(client)

    async def _submit(self, ctx: ConnectorContext, readings: Sequence[Reading]) -> None:
        latest: dict[str, dt.datetime] = {}
        prefix = f"opcua:{self.name}:"
        for r in readings:
            if isinstance(r.ts, dt.datetime) and r.reason is None:
                key = r.source.removeprefix(prefix)
                if key not in latest or r.ts > latest[key]:
                    latest[key] = r.ts

        def committed() -> None:
            for key, ts in latest.items():
                if key not in self.committed or ts > self.committed[key]:
                    self.committed[key] = ts

        ctx.stats.record_readings(len(readings))
        await ctx.submit(readings, on_committed=committed)


def _check_alive(client: Client) -> None:
    state = client.uaclient.state
    if state is not UaClientState.CONNECTED:
        raise ConnectionError(f"session lost (state {state.value})")


def _as_list(results: Any) -> list[Any]:
    return list(results) if isinstance(results, list | tuple) else [results]


__all__ = ["BrowsedNode", "OpcuaConnector", "browse", "make_client"]
