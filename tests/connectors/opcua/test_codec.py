"""OPC UA codec and configuration: constructed DataValues → readings, refused statuses kept.

Status codes are the values of OPC 10000-6 Annex A (StatusCode.csv), e.g. BadSensorFailure
0x808C0000, UncertainLastUsableValue 0x40900000; severity is bits 30–31 (OPC 10000-4 §7.39).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from asyncua import ua
from asyncua.ua.status_codes import StatusCodes
from asyncua.ua.uaerrors import UaStatusCodeError

from lingtan.connectors.collector.buffer import decode_readings, encode_readings
from lingtan.connectors.collector.config import parse_config
from lingtan.connectors.opcua.codec import NodePoint, severity, status_name, to_reading
from lingtan.errors import InvalidInput
from lingtan.ingest import ingest
from lingtan.readings import Reading
from lingtan.registry import parse_park_text
from lingtan.store import open_store

T = dt.datetime(2026, 3, 1, 8, 15, 30, tzinfo=dt.UTC)
SERVER_T = T + dt.timedelta(milliseconds=250)
ENERGY = NodePoint("ns=2;s=Line1.Energy", "E-line1", 1.0, "kWh")
POWER = NodePoint("ns=2;s=Line1.Power", "P-line1", 0.001, "kW")


def dv(value: Any, code: int = 0, *, source: Any = T, server: Any = SERVER_T) -> ua.DataValue:
    variant = ua.Variant(value) if value is not None else ua.Variant()
    return ua.DataValue(
        variant, StatusCode=ua.StatusCode(code), SourceTimestamp=source, ServerTimestamp=server
    )


def test_severity_is_the_top_two_bits() -> None:
    assert severity(0x0000_0000) == "good"
    assert severity(0x002D_0000) == "good"  # GoodSubscriptionTransferred: still bits 00
    assert severity(0x4090_0000) == "uncertain"  # UncertainLastUsableValue
    assert severity(0x808C_0000) == "bad"  # BadSensorFailure
    assert severity(0xC000_0000) == "bad"  # reserved pattern 11: not a measured value
    assert status_name(0x808C_0000) == "BadSensorFailure"
    assert status_name(ua.StatusCodes.UncertainLastUsableValue) == "UncertainLastUsableValue"


def test_good_value_takes_the_source_timestamp_and_scale() -> None:
    r = to_reading(POWER, dv(52_500.0), source="opcua:line1:ns=2;s=Line1.Power")
    # 52 500 W × 0.001 = 52.5 kW
    assert r == Reading("P-line1", T, 52.5, "kW", "opcua:line1:ns=2;s=Line1.Power")
    assert r.problem is None and r.reason is None


def test_integer_value_unscaled_is_kept_as_it_is() -> None:
    r = to_reading(ENERGY, dv(123456))
    assert r.value == 123456 and type(r.value) is int


def test_server_timestamp_when_the_source_gave_none() -> None:
    assert to_reading(ENERGY, dv(1.0, source=None)).ts == SERVER_T


def test_naive_timestamps_are_utc() -> None:
    r = to_reading(ENERGY, dv(1.0, source=T.replace(tzinfo=None)))
    assert r.ts == T and r.ts.utcoffset() == dt.timedelta(0)  # type: ignore[union-attr]


def test_no_timestamp_at_all_is_left_to_the_pipeline_with_the_payload() -> None:
    r = to_reading(ENERGY, dv(1.0, source=None, server=None))
    assert r.ts is None
    assert r.raw is not None and json.loads(r.raw)["node"] == "ns=2;s=Line1.Energy"


@pytest.mark.parametrize(
    ("code", "name", "level"),
    [
        (0x808C_0000, "BadSensorFailure", "bad"),
        (0x808A_0000, "BadNotConnected", "bad"),
        (0x4090_0000, "UncertainLastUsableValue", "uncertain"),
    ],
)
def test_bad_and_uncertain_values_are_refused_with_their_status(
    code: int, name: str, level: str
) -> None:
    r = to_reading(POWER, dv(52_500.0, code), source="opcua:line1:ns=2;s=Line1.Power")
    assert r.reason == "opcua_bad_status"
    assert r.problem == f"OPC UA status {name} (0x{code:08X}, {level})"
    assert r.point == "P-line1" and r.ts == T
    assert r.value == 52_500.0  # the value as the server sent it, not scaled
    raw = json.loads(r.raw or "")
    assert raw["status"] == f"0x{code:08X}" and raw["status_name"] == name
    assert raw["source_timestamp"] == T.isoformat()


def test_text_value_is_handed_over_for_the_pipeline_to_reject() -> None:
    assert to_reading(ENERGY, dv("n/a")).value == "n/a"


def test_refusal_survives_the_spill_buffer() -> None:
    r = to_reading(POWER, dv(1.0, 0x808C_0000))
    (back,) = decode_readings(encode_readings([r]))
    assert back == r


PARK = """\
park:
  id: opcua
  name: OPC UA 测试园区
  province: 江苏
enterprises:
  - id: E01
    name: 测试企业
points:
  - id: E-line1
    carrier: electricity_grid_import
    kind: total_increasing
    unit: kWh
  - id: P-line1
    carrier: electricity_grid_import
    kind: measurement
    unit: kW
"""


def test_refused_values_land_in_the_quarantine_at_their_instant(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'q.db'}")
    try:
        store.registry.save_park(parse_park_text(PARK))
        good = to_reading(POWER, dv(52_500.0), source="opcua:line1:p")
        bad = to_reading(POWER, dv(1.0, 0x808C_0000, source=T + dt.timedelta(seconds=1)))
        ack = ingest(store, [good, bad], source="test")
        assert (ack.accepted, ack.rejected, ack.reasons) == (1, 1, {"opcua_bad_status": 1})
        (kept,) = store.readings.rejected(reason="opcua_bad_status")
        assert kept["detail"] == "OPC UA status BadSensorFailure (0x808C0000, bad)"
        assert kept["point_code"] == "P-line1"
        assert json.loads(kept["raw"])["status_name"] == "BadSensorFailure"
        assert kept["ts"] is not None  # filed at its instant, unlike an unreadable row
    finally:
        store.close()


def _entry(**over: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "kind": "opcua",
        "name": "line1",
        "endpoint": "opc.tcp://127.0.0.1:4840/",
        "nodes": [{"node": "ns=2;s=Line1.Energy", "point": "E-line1"}],
    }
    entry.update(over)
    return entry


def _problem(**over: Any) -> str:
    with pytest.raises(InvalidInput) as err:
        parse_config({"connectors": [_entry(**over)]})
    return str(err.value)


def test_config_accepts_a_plain_and_a_secured_server() -> None:
    cfg = parse_config({"connectors": [_entry(sampling_interval_ms=250)]}).connectors[0]
    assert cfg.kind == "opcua" and cfg.sampling_interval_ms == 250
    secured = _entry(
        security_policy="Basic256Sha256",
        security_mode="Sign",
        certificate="/etc/c.der",
        private_key="/etc/k.pem",
        username="u",
        password="p",
    )
    cfg = parse_config({"connectors": [secured]}).connectors[0]
    assert cfg.mode == "Sign"  # type: ignore[union-attr]


def test_config_errors_name_the_field() -> None:
    assert "endpoint" in _problem(endpoint="http://x:4840")
    assert "nodes.0.node" in _problem(nodes=[{"node": "Line1.Energy!", "point": "E"}])
    assert "nodes.0.scale" in _problem(nodes=[{"node": "ns=2;i=5", "point": "E", "scale": 0}])
    assert "sampling_interval_ms" in _problem(sampling_interval_ms=0)
    assert "security_mode" in _problem(security_policy="Basic256Sha256")
    assert "certificate, private_key" in _problem(
        security_policy="Basic256Sha256", security_mode="SignAndEncrypt"
    )
    assert "security_mode" in _problem(security_mode="Sign")
    assert "username, password" in _problem(username="u")
    twice = [{"node": "ns=2;i=5", "point": "A"}, {"node": "ns=2;i=5", "point": "B"}]
    assert "nodes.1.node" in _problem(nodes=twice)
    assert "nodes" in _problem(nodes=[])
    assert "typo" in _problem(typo=1)


class _NoHistoryNode:
    """A node whose server keeps no history (answers BadHistoryOperationUnsupported)."""

    def __init__(self) -> None:
        self.asked = 0

    async def read_raw_history(self, *args: Any, **kwargs: Any) -> list[ua.DataValue]:
        self.asked += 1
        raise UaStatusCodeError(StatusCodes.BadHistoryOperationUnsupported)


async def test_a_server_without_history_is_said_once_and_not_asked_again() -> None:
    from lingtan.connectors.opcua.client import OpcuaConnector
    from tests.connectors.conftest import Recorder

    cfg = parse_config({"connectors": [_entry(backfill_h=1)]}).connectors[0]
    connector = OpcuaConnector(cfg)  # type: ignore[arg-type]
    recorder = Recorder("line1", "opcua")
    node = _NoHistoryNode()
    nodes: dict[str, Any] = {"ns=2;s=Line1.Energy": node}
    await connector._backfill(recorder.ctx, nodes)
    connector.committed["ns=2;s=Line1.Energy"] = T  # as after a reconnection
    await connector._backfill(recorder.ctx, nodes)
    assert node.asked == 1
    assert connector.history is False
    assert connector.without_history == {"ns=2;s=Line1.Energy"}
    assert "no history read" in recorder.ctx.stats.last_error
    assert not recorder.readings
