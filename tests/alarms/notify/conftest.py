"""Fixtures of the notification tests: a webhook receiver on loopback answering as scripted,
an SMTP server on loopback, and channel helpers."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from lingtan.alarms.notify.model import Channel, channel_spec
from lingtan.config import Settings
from lingtan.store import Store

#: 2026-01-01T00:00:00Z in epoch µs: the injected clock of the delivery tests
T0 = 1_767_225_600_000_000
S = 1_000_000  # µs per second


@dataclass
class Received:
    """A request the receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Hook:
    """A webhook receiver: answers the statuses in ``script`` in turn (then 200); a request
    to a path in ``hang`` hangs until the test ends (``release``) instead of answering."""

    url: str
    script: list[int] = field(default_factory=list)
    hang: set[str] = field(default_factory=set)
    received: list[Received] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def hook() -> Iterator[Hook]:
    state = Hook(url="")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                state.received.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                hangs = self.path in state.hang
                status = state.script.pop(0) if state.script and not hangs else 200
            if hangs:
                state.release.wait(30)
                return
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()


@dataclass
class Mailbox:
    """What the SMTP server received: (envelope sender, recipients, raw message) per mail."""

    host: str
    port: int
    mails: list[tuple[str, list[str], bytes]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.mails.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[Mailbox]:
    box = Mailbox("127.0.0.1", _free_port())
    controller = Controller(box, hostname=box.host, port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


def settings(**kw: Any) -> Settings:
    """Test settings: a short timeout, the documented back-off."""
    base: dict[str, Any] = {"environment": "test", "notify_timeout_s": 2.0}
    base.update(kw)
    return Settings(**base)


def add_channel(
    store: Store,
    *,
    code: str,
    kind: str = "webhook",
    target: Any,
    enterprise: str | None = None,
    secret: str | None = "whsec-test-0123456789",
    **kw: Any,
) -> Channel:
    """Store a channel of the loaded park (``enterprise``: an enterprise code)."""
    park = store.registry.park()
    ent_id = None
    if enterprise is not None:
        ent_id = next(e.id for e in store.registry.enterprises(park.id) if e.code == enterprise)
    spec = channel_spec(code=code, name=code, kind=kind, target=target, enterprise_id=ent_id, **kw)
    with store.begin() as conn:
        return store.outbox.create_channel(
            conn,
            park_id=park.id,
            spec=spec,
            secret=secret if kind == "webhook" else None,
            created_by="test",
            now=T0,
        )


def enterprise_id(store: Store, code: str) -> int:
    park = store.registry.park()
    return next(e.id for e in store.registry.enterprises(park.id) if e.code == code)
