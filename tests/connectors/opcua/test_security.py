"""OPC UA security over loopback: Basic256Sha256 with SignAndEncrypt and a user name/password
against the simulated server holding its own certificate; a wrong password is refused and
reported as a comms loss, never as readings."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from asyncua.crypto.cert_gen import setup_self_signed_certificate
from cryptography.x509.oid import ExtendedKeyUsageOID

from lingtan.connectors.collector.config import build_connector, parse_config
from lingtan.connectors.opcua.client import OpcuaConnector
from lingtan.connectors.opcua.sim import SimulatedServer
from tests.connectors.conftest import Recorder, wait_until


async def _pair(directory: Path, name: str, usage: object) -> tuple[Path, Path]:
    key, cert = directory / f"{name}-key.pem", directory / f"{name}-cert.der"
    await setup_self_signed_certificate(
        key, cert, f"urn:lingtan:test:{name}", socket.gethostname(), [usage],  # type: ignore[list-item]
        {"countryName": "CN", "organizationName": "lingtan test", "commonName": name},
    )  # fmt: skip
    return cert, key


@pytest.fixture
async def secured(tmp_path: Path) -> AsyncIterator[tuple[SimulatedServer, Path, Path]]:
    server_cert, server_key = await _pair(tmp_path, "server", ExtendedKeyUsageOID.SERVER_AUTH)
    client_cert, client_key = await _pair(tmp_path, "client", ExtendedKeyUsageOID.CLIENT_AUTH)
    sim = SimulatedServer(
        tick_s=3600.0, certificate=server_cert, private_key=server_key,
        users={"collector": "s3cret"},
    )  # fmt: skip
    await sim.start()
    try:
        yield sim, client_cert, client_key
    finally:
        await sim.stop()


def _connector(sim: SimulatedServer, cert: Path, key: Path, password: str) -> OpcuaConnector:
    entry = {
        "kind": "opcua",
        "name": "line1",
        "endpoint": sim.endpoint,
        "security_policy": "Basic256Sha256",
        "security_mode": "SignAndEncrypt",
        "certificate": str(cert),
        "private_key": str(key),
        "username": "collector",
        "password": password,
        "retry_initial_s": 0.2,
        "retry_max_s": 0.5,
        "nodes": [{"node": "ns=2;s=Line1.Energy", "point": "E-line1"}],
    }
    connector = build_connector(parse_config({"connectors": [entry]}).connectors[0])
    assert isinstance(connector, OpcuaConnector)
    return connector


async def test_sign_and_encrypt_with_a_user(secured: tuple[SimulatedServer, Path, Path]) -> None:
    sim, cert, key = secured
    connector = _connector(sim, cert, key, "s3cret")
    recorder = Recorder("line1", "opcua")
    task = asyncio.ensure_future(connector.run(recorder.ctx))
    try:
        await wait_until(lambda: bool(recorder.readings), limit_s=15, what="a secured reading")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert recorder.readings[0].value == 1000.0
    assert not recorder.events


async def test_a_wrong_password_is_a_comms_loss(
    secured: tuple[SimulatedServer, Path, Path],
) -> None:
    sim, cert, key = secured
    connector = _connector(sim, cert, key, "wrong")
    recorder = Recorder("line1", "opcua")
    task = asyncio.ensure_future(connector.run(recorder.ctx))
    try:
        await wait_until(lambda: bool(recorder.events), limit_s=15, what="the loss reported")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert recorder.events[0].kind == "comms_lost"
    assert "Bad" in recorder.events[0].detail
    assert not recorder.readings
