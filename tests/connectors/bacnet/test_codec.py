"""BACnet codec: constructed property values and constructed APDU bytes → readings; status
flags refuse fault/out-of-service values; the ``kind: bacnet`` configuration is validated."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from bacpypes3.basetypes import BinaryPV, Scale, StatusFlags
from bacpypes3.primitivedata import Enumerated, Real, Unsigned

from lingtan.connectors.bacnet.apdu import ApduError, decode_ack
from lingtan.connectors.bacnet.codec import (
    REFUSED_REASON,
    CodecError,
    ObjectPoint,
    PropertyError,
    decode,
    decode_all,
    numeric_value,
    real,
    scale_factor,
)
from lingtan.connectors.bacnet.codec import StatusFlags as Flags
from lingtan.connectors.collector.config import build_connector, parse_config
from lingtan.errors import InvalidInput
from lingtan.ingest import ingest
from lingtan.registry.parkfile import parse_park_text
from lingtan.store import open_store

PARK = """\
park:
  id: bac
  name: 楼宇自控测试园区
  province: 江苏
enterprises:
  - id: E01
    name: 测试企业
points:
  - id: P-power
    carrier: electricity_grid_import
    kind: measurement
    unit: kW
"""

TS = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)
POWER = ObjectPoint("analog-input", 1, "P-power", unit="kW")
ENERGY = ObjectPoint("accumulator", 1, "P-energy", unit="kWh")
STATUS = ObjectPoint("binary-input", 1, "P-run")


def test_real_present_value_is_the_single_precision_number() -> None:
    # 44.471 is not exact in single precision; its widening is 44.47100067138672
    d = decode(POWER, Real(44.471), StatusFlags([0, 0, 0, 0]), ts=TS, source="t")
    assert d.reason is None
    assert d.reading.value == 44.471
    assert d.reading.unit == "kW"
    assert d.reading.point == "P-power"
    assert real(0.1) == 0.1


def test_binary_present_value_is_zero_or_one() -> None:
    assert numeric_value("binary-input", BinaryPV("active")) == 1
    assert numeric_value("binary-input", BinaryPV("inactive")) == 0
    assert numeric_value("binary-input", Enumerated(1)) == 1
    assert numeric_value("binary-input", "inactive") == 0
    with pytest.raises(CodecError):
        numeric_value("binary-input", Enumerated(2))


def test_accumulator_is_scaled_by_its_scale_property() -> None:
    # float-scale 0.1 (a REAL: 0.1 in single precision): 123450 × 0.1 = 12345.0 kWh
    d = decode(ENERGY, Unsigned(123450), [0, 0, 0, 0], ts=TS, source="t",
               device_scale=Scale(floatScale=0.1))  # fmt: skip
    assert d.reading.value == 12345.0
    # integer-scale -2 means 10^-2: 123457 × 0.01 = 1234.57
    d = decode(ENERGY, Unsigned(123457), None, ts=TS, source="t",
               device_scale=Scale(integerScale=-2))  # fmt: skip
    assert d.reading.value == 1234.57
    # no Scale: the count as it is
    assert decode(ENERGY, Unsigned(7), None, ts=TS, source="t").reading.value == 7
    # a mapping's scale replaces the device's: 123457 × 0.001 = 123.457
    own = ObjectPoint("accumulator", 1, "P-energy", scale=0.001)
    d = decode(own, Unsigned(123457), None, ts=TS, source="t", device_scale=Scale(floatScale=0.1))
    assert d.reading.value == 123.457
    assert scale_factor({"integer-scale": 3}) == 1000.0
    with pytest.raises(CodecError):
        scale_factor("ten")


def test_accumulator_needs_an_unsigned() -> None:
    with pytest.raises(CodecError, match="Unsigned"):
        numeric_value("accumulator", -1)
    with pytest.raises(CodecError):
        numeric_value("accumulator", Real(1.5))


def test_analog_scale_multiplies() -> None:
    # a present value in W mapped with scale 0.001: 42500 W → 42.5
    mapping = ObjectPoint("analog-value", 3, "P-power", scale=0.001, unit="kW")
    assert decode(mapping, Real(42500.0), None, ts=TS, source="t").reading.value == 42.5


@pytest.mark.parametrize(
    ("bits", "refused", "names"),
    [
        ([0, 0, 0, 0], False, []),
        ([1, 0, 0, 0], False, ["in-alarm"]),
        ([0, 0, 1, 0], False, ["overridden"]),
        ([0, 1, 0, 0], True, ["fault"]),
        ([0, 0, 0, 1], True, ["out-of-service"]),
        ([1, 1, 0, 1], True, ["in-alarm", "fault", "out-of-service"]),
    ],
)
def test_status_flags_refuse_fault_and_out_of_service(
    bits: list[int], refused: bool, names: list[str]
) -> None:
    flags = StatusFlags(bits)
    assert Flags.from_bits(flags).names() == names
    d = decode(POWER, Real(1.5), flags, ts=TS, source="bacnet:x/y")
    assert (d.reason == REFUSED_REASON) is refused
    if refused:
        assert "P-power" in d.detail
        assert all(n in d.detail for n in names if n in ("fault", "out-of-service"))
    if names:
        assert d.reading.raw is not None and "status-flags=" in d.reading.raw


def test_short_bit_string_and_bad_flags() -> None:
    assert Flags.from_bits([0, 1]) == Flags(fault=True)
    with pytest.raises(CodecError):
        Flags.from_bits(["x"])


def test_value_that_is_not_a_number_is_an_error() -> None:
    with pytest.raises(CodecError):
        numeric_value("analog-input", "12")
    with pytest.raises(CodecError):
        numeric_value("analog-input", float("nan"))
    with pytest.raises(CodecError):
        numeric_value("analog-input", None)


def test_decode_all_keeps_refuses_and_reports() -> None:
    values = {
        "analog-input,1": {"present-value": Real(42.5), "status-flags": StatusFlags([0, 0, 0, 0])},
        "accumulator,1": {
            "present-value": Unsigned(10),
            "status-flags": StatusFlags([0, 0, 0, 1]),
            "scale": Scale(floatScale=0.5),
        },
        "binary-input,1": {"present-value": PropertyError("object: unknown-object")},
    }
    kept, refused, problems = decode_all([POWER, ENERGY, STATUS], values, ts=TS, source="t")
    assert [(r.point, r.value) for r in kept] == [("P-power", 42.5)]
    # 10 counts × 0.5 = 5.0, refused for out-of-service
    assert [(d.reading.point, d.reading.value, d.reason) for d in refused] == [
        ("P-energy", 5.0, "bacnet_status")
    ]
    assert problems == ["binary-input,1: present-value: object: unknown-object"]


def test_a_faulted_value_is_quarantined_with_its_point_time_and_value(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'q.db'}")
    try:
        store.registry.save_park(parse_park_text(PARK))
        healthy = decode(POWER, Real(42.5), [0, 0, 0, 0], ts=TS, source="bacnet:bms/ahu")
        later = TS + dt.timedelta(minutes=1)
        # status flags in BACnet order in-alarm, fault, …: the fault bit set
        faulted = decode(POWER, Real(40.0), [0, 1, 0, 0], ts=later, source="bacnet:bms/ahu")
        assert faulted.reading.reason == REFUSED_REASON
        ack = ingest(store, [healthy.reading, faulted.reading], source="test")
        assert (ack.accepted, ack.rejected, ack.reasons) == (1, 1, {"bacnet_status": 1})
        (kept,) = store.readings.rejected(reason="bacnet_status")
        _, values = store.readings.fetch(store.registry.points_by_code()["P-power"].id)
    finally:
        store.close()
    assert values.tolist() == [42.5]
    assert (kept["point_code"], kept["ts_text"], kept["value_text"]) == (
        "P-power",
        later.isoformat(),
        "40.0",
    )
    assert kept["ts"] is not None
    assert kept["detail"].startswith("analog-input,1 → P-power: status flag fault set")
    assert kept["raw"] == "analog-input,1 present-value=40.0 status-flags=fault"


def test_object_point_fields_are_checked() -> None:
    with pytest.raises(InvalidInput) as err:
        ObjectPoint("multi-state-input", 1, "P")
    assert err.value.field == "object_type"
    with pytest.raises(InvalidInput) as err:
        ObjectPoint("analog-input", 4_194_303, "P")
    assert err.value.field == "instance"
    with pytest.raises(InvalidInput) as err:
        ObjectPoint("analog-input", 1, "P", scale=0.0)
    assert err.value.field == "scale"


# --- constructed APDUs (ANSI/ASHRAE 135 clause 20.1/20.2 encoding), decoded by bacpypes3

#: ReadProperty-ACK: 0x30 complex-ACK, invoke id 1, service 12 (readProperty);
#: [0] object id analog-input(0),1 → 0C 00000001; [1] present-value(85) → 19 55;
#: [3] { REAL 42.5 = 0x422A0000 → 44 422A0000 } → 3E … 3F
RP_ACK = "30 01 0C 0C 00000001 19 55 3E 44 422A0000 3F"

#: ReadPropertyMultiple-ACK: 0x30, invoke id 2, service 14 (readPropertyMultiple);
#: accumulator(23),1 → 23<<22|1 = 0x05C00001: 0C 05C00001, list of results 1E … 1F:
#:   present-value [2] 29 55, [4] { Unsigned 123450 = 0x01E23A → 23 01E23A }
#:   status-flags(111) [2] 29 6F, [4] { BIT STRING, 4 unused bits, fault = 0100 → 82 04 40 }
#:   scale(187) [2] 29 BB, [4] { float-scale [0] REAL 0.1 = 0x3DCCCCCD → 0C 3DCCCCCD }
#: analog-value(2),7 → 2<<22|7 = 0x00800007: present-value answered with
#:   [5] { error class object(1) 91 01, error code unknown-object(31) 91 1F } → 5E … 5F
RPM_ACK = (
    "30 02 0E"
    " 0C 05C00001 1E 29 55 4E 23 01E23A 4F 29 6F 4E 82 04 40 4F 29 BB 4E 0C 3DCCCCCD 4F 1F"
    " 0C 00800007 1E 29 55 5E 91 01 91 1F 5F 1F"
)


def test_read_property_ack_bytes() -> None:
    values = decode_ack(bytes.fromhex(RP_ACK))
    kept, refused, problems = decode_all([POWER], values, ts=TS, source="t")
    assert [(r.point, r.value) for r in kept] == [("P-power", 42.5)]
    assert not refused and not problems


def test_read_property_multiple_ack_bytes() -> None:
    values = decode_ack(bytes.fromhex(RPM_ACK))
    assert set(values) == {"accumulator,1", "analog-value,7"}
    av = ObjectPoint("analog-value", 7, "P-x")
    kept, refused, problems = decode_all([ENERGY, av], values, ts=TS, source="t")
    assert kept == []
    # 123450 counts × 0.1 = 12345.0 kWh, refused: the fault flag is set
    assert [(d.reading.value, d.reason) for d in refused] == [(12345.0, "bacnet_status")]
    assert "fault" in refused[0].detail
    assert problems == ["analog-value,7: present-value: object: unknown-object"]


def test_bytes_that_are_not_an_ack() -> None:
    with pytest.raises(ApduError):
        decode_ack(bytes.fromhex("10 08"))  # unconfirmed Who-Is
    with pytest.raises(ApduError):
        decode_ack(b"\x30")


# --- configuration

BASE = {
    "kind": "bacnet",
    "name": "bms",
    "interface": "127.0.0.1/8",
    "port": 47820,
    "devices": [
        {
            "name": "ahu",
            "instance": 1001,
            "address": "127.0.0.1:47809",
            "cov": True,
            "objects": [
                {"type": "analog-input", "instance": 1, "point": "P-power"},
                {"type": "accumulator", "instance": 1, "point": "P-energy", "unit": "kWh"},
            ],
        }
    ],
}


def _with(**device: object) -> dict[str, object]:
    dev = {**BASE["devices"][0], **device}  # type: ignore[index]
    return {"connectors": [{**BASE, "devices": [dev]}]}


def test_config_builds_a_connector() -> None:
    config = parse_config({"connectors": [BASE]})
    connector = build_connector(config.connectors[0])
    assert connector.kind == "bacnet"
    device = connector.devices[0]  # type: ignore[attr-defined]
    assert [o.key for o in device.objects] == ["analog-input,1", "accumulator,1"]
    assert device.cov and device.cov_lifetime_s == 300


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (_with(objects=[{"type": "multi-state-input", "instance": 1, "point": "P"}]), "type"),
        (_with(objects=[{"type": "analog-input", "instance": -1, "point": "P"}]), "instance"),
        (
            _with(objects=[{"type": "analog-input", "instance": 1, "point": "P", "scale": 0}]),
            "scale",
        ),
        (_with(objects=[{"type": "analog-input", "instance": 1, "point": "P", "x": 1}]), "x"),
        (_with(address="plc-7"), "address"),
        (_with(address="127.0.0.1:99999"), "address"),
        (_with(cov_lifetime_s=0), "cov_lifetime_s"),
        (_with(poll_interval_s=0), "poll_interval_s"),
        (_with(objects=[]), "objects"),
        ({"connectors": [{**BASE, "interface": "0.0.0.0"}]}, "interface"),
    ],
)
def test_config_errors_name_the_field(change: dict[str, object], where: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_config(change)
    assert where in str(err.value)


def test_config_objects_mapped_twice() -> None:
    twice = [{"type": "analog-input", "instance": 1, "point": p} for p in ("A", "B")]
    with pytest.raises(InvalidInput, match="mapped twice"):
        parse_config(_with(objects=twice))
