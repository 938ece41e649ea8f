"""IEC 104 codec: APDUs written octet by octet from IEC 60870-5-104 §5.1 / IEC 60870-5-101
§7 → readings; CP56Time2a in the RTU's zone; quality bits refuse a value; the encoders (the
simulated RTU's, the commands) against the same octets and by round trip; the ``kind: iec104``
configuration is validated with errors naming the field."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from lingtan.connectors.collector.config import build_connector, parse_config
from lingtan.connectors.iec104.apci import i_frame
from lingtan.connectors.iec104.codec import (
    C_CI_NA_1,
    C_CS_NA_1,
    C_IC_NA_1,
    QCC_GENERAL_READ,
    QOI_STATION,
    ApduError,
    ClockSync,
    Command,
    InfoObject,
    PointMap,
    clock_sync_asdu,
    clock_sync_of,
    command_asdu,
    cp56time2a,
    decode_apdu,
    decode_clock_sync,
    decode_command,
    encode_asdu,
    encode_cp56time2a,
    objects_per_asdu,
    single,
    to_readings,
)
from lingtan.errors import InvalidInput

RX = dt.datetime(2026, 3, 1, 9, 0, 0, tzinfo=dt.UTC)
POINTS = {
    (1, 1001): PointMap(1, 1001, "M_ME_TF_1", "P-power", unit="kW"),
    (1, 1002): PointMap(1, 1002, "M_ME_NC_1", "P-volt", unit="kV"),
    (1, 2001): PointMap(1, 2001, "M_IT_NA_1", "P-energy", scale=0.01, unit="kWh"),
    (1, 2002): PointMap(1, 2002, "M_IT_NA_1", "P-energy-2", scale=0.01, unit="kWh"),
    (1, 3001): PointMap(1, 3001, "M_SP_NA_1", "P-breaker"),
}

#: CP56Time2a of 2026-12-07 (a Monday) 08:00:00.250: ms 250 = FA 00, minute 00, hour 08,
#: day 7 with day of week 1 in bits 5–7 (0x20 | 7 = 27), month 0C, year 26 = 1A
TAG = "FA 00 00 08 27 0C 1A"
#: I-frame (68, length, four control octets) with M_ME_TF_1 (0x24 = 36), VSQ 01, COT 03 00
#: (spontaneous, originator 0), CA 01 00, IOA 1001 = 0x0003E9 → E9 03 00, R32 42.5 =
#: 0x422A0000 → 00 00 2A 42, QDS 00, the tag; ASDU 6 + 3 + 5 + 7 = 21 octets, APDU length 25
ME_TF = f"68 19 00 00 00 00 24 01 03 00 01 00 E9 03 00 00 00 2A 42 00 {TAG}"
#: M_ME_NC_1 (0x0D), interrogated by station (COT 20 = 0x14), IOA 1002 (EA 03 00), R32 1.25 =
#: 0x3FA00000, QDS C0 = IV (bit 7) | NT (bit 6); ASDU 14 octets, length 18
ME_NC_BAD = "68 12 00 00 00 00 0D 01 14 00 01 00 EA 03 00 00 00 A0 3F C0"
#: M_IT_NA_1 (0x0F), SQ = 1 with two objects (VSQ 82), COT 37 (0x25, general counter
#: interrogation), IOA 2001 = 0x0007D1; BCR 123450 = 0x0001E23A → 3A E2 01 00, sequence octet
#: 03 (number 3, no flag); BCR 1000 = 0x3E8, octet A0 = IV | CY; ASDU 6 + 3 + 2 × 5 = 19,
#: length 23
IT_SEQ = "68 17 00 00 00 00 0F 82 25 00 01 00 D1 07 00 3A E2 01 00 03 E8 03 00 00 A0"
#: M_SP_NA_1, COT 20, IOA 3001 = 0x000BB9, SIQ 01 (on); ASDU 10 octets, length 14
SP = "68 0E 00 00 00 00 01 01 14 00 01 00 B9 0B 00 01"


def apdu(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


def read(text: str, zone: dt.tzinfo = dt.UTC) -> list:  # type: ignore[type-arg]
    frame = apdu(text)
    asdu = decode_apdu(frame)
    assert asdu is not None
    readings, problems = to_readings(
        asdu, POINTS, received_at=RX, zone=zone, source="iec104:rtu", raw=frame.hex()
    )
    assert problems == []
    return readings


def test_short_float_with_time_tag_takes_the_rtu_time() -> None:
    (r,) = read(ME_TF)
    assert (r.point, r.value, r.unit) == ("P-power", 42.5, "kW")
    assert r.ts == dt.datetime(2026, 12, 7, 8, 0, 0, 250_000, tzinfo=dt.UTC)
    assert r.source == "iec104:rtu:1/1001"
    assert r.reason is None


def test_time_tag_is_read_in_the_rtu_zone() -> None:
    # the same octets from an RTU on Beijing time: 08:00:00.25 +08:00 = 00:00:00.25 UTC
    (r,) = read(ME_TF, ZoneInfo("Asia/Shanghai"))
    assert r.ts == dt.datetime(2026, 12, 7, 0, 0, 0, 250_000, tzinfo=dt.UTC)


def test_a_time_tag_marked_invalid_gives_the_receive_time_marked() -> None:
    # minute octet 80: IV of the time tag set
    (r,) = read(ME_TF.replace(TAG, "FA 00 80 08 27 0C 1A"))
    assert r.ts == RX
    assert r.source == "iec104:rtu:1/1001:rx"
    assert cp56time2a(bytes.fromhex("FA00000800 0C1A".replace(" ", "")), dt.UTC) is None  # day 0


def test_summer_time_bit_settles_the_repeated_hour() -> None:
    # 2026-10-25 02:30 happens twice in Europe/Berlin (CEST +02:00, then CET +01:00);
    # ms 0 = 00 00, minute 30 = 1E, hour 2 (| 80 with SU), day 25 = 19, month 10 = 0A, year 1A
    berlin = ZoneInfo("Europe/Berlin")
    summer = cp56time2a(bytes.fromhex("00001E82190A1A"), berlin)
    winter = cp56time2a(bytes.fromhex("00001E02190A1A"), berlin)
    assert summer is not None and winter is not None
    assert summer.astimezone(dt.UTC) == dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC)
    assert winter.astimezone(dt.UTC) == dt.datetime(2026, 10, 25, 1, 30, tzinfo=dt.UTC)


def test_quality_bits_refuse_the_value_with_their_names() -> None:
    (r,) = read(ME_NC_BAD)
    assert (r.point, r.value, r.ts) == ("P-volt", 1.25, RX)  # no time tag: receive time
    assert r.reason == "iec104_quality"
    assert r.problem == "IEC 104 quality NT, IV (not topical, invalid)"
    assert r.raw is not None and apdu(ME_NC_BAD).hex() in r.raw


def test_integrated_totals_in_a_sequence() -> None:
    first, second = read(IT_SEQ)
    # 123450 counts × 0.01 kWh = 1234.5 kWh
    assert (first.point, first.value, first.reason) == ("P-energy", 1234.5, None)
    # IOA 2002 (the next address of the sequence): 1000 × 0.01 = 10.0, refused for CY and IV
    assert (second.point, second.value) == ("P-energy-2", 10.0)
    assert second.problem == "IEC 104 quality CY, IV (carry, invalid)"


def test_single_point() -> None:
    (r,) = read(SP)
    assert (r.point, r.value, r.reason) == ("P-breaker", 1, None)


def test_frames_that_are_not_data() -> None:
    assert decode_apdu(bytes.fromhex("68040B000000")) is None  # U-frame STARTDT con
    assert decode_apdu(bytes.fromhex("680401000200")) is None  # S-frame
    # C_IC_NA_1 (100) activation confirmation: not a monitored type
    assert decode_apdu(apdu("68 0E 00 00 02 00 64 01 07 00 01 00 00 00 00 14")) is None
    with pytest.raises(ApduError):
        decode_apdu(apdu(ME_TF)[:-1])  # the length octet says one more
    with pytest.raises(ApduError):
        decode_apdu(apdu("68 18" + ME_TF[5:-3]))  # consistent length, object truncated


def test_a_mapped_address_of_another_type_is_a_problem() -> None:
    frame = apdu(SP.replace("B9 0B 00", "E9 03 00"))  # a single point at the float's IOA
    asdu = decode_apdu(frame)
    assert asdu is not None
    readings, problems = to_readings(
        asdu, POINTS, received_at=RX, zone=dt.UTC, source="s", raw=frame.hex()
    )
    assert readings == []
    assert problems == ["1/1001: type 1 is not M_ME_TF_1 (P-power)"]


def test_single_precision_values_are_the_shortest_decimal() -> None:
    # 44.471 is not exact in single precision; its widening is 44.47100067138672
    assert single(44.47100067138672) == 44.471


def _entry(**over: object) -> dict[str, object]:
    entry: dict[str, object] = {
        "kind": "iec104",
        "name": "rtu",
        "host": "127.0.0.1",
        "common_address": 1,
        "time_zone": "Asia/Shanghai",
        "points": [
            {"ioa": 1001, "type": "M_ME_TF_1", "point": "P"},
            {"ioa": 2001, "type": "M_IT_NA_1", "point": "E", "scale": 0.01, "unit": "kWh"},
        ],
    }
    entry.update(over)
    return entry


def _error(**over: object) -> str:
    with pytest.raises(InvalidInput) as err:
        parse_config({"connectors": [_entry(**over)]})
    return str(err.value)


def test_config_builds_and_defaults() -> None:
    connector = build_connector(parse_config({"connectors": [_entry()]}).connectors[0])
    assert connector.kind == "iec104"
    assert connector.cfg.port == 2404  # type: ignore[attr-defined]
    assert connector.counter_addresses == [1]  # type: ignore[attr-defined]


def test_config_errors_name_the_field() -> None:
    assert "connectors.0.iec104.time_zone" in _error(time_zone="Asia/Beijing")
    assert "connectors.0.iec104.common_address" in _error(common_address=0)
    assert "connectors.0.iec104.port" in _error(port=70000)
    bad_type = _error(points=[{"ioa": 1, "type": "M_ME_NA_1", "point": "P"}])
    assert "connectors.0.iec104.points.0.type" in bad_type
    bad_ioa = _error(points=[{"ioa": 16_777_216, "type": "M_SP_NA_1", "point": "P"}])
    assert "connectors.0.iec104.points.0.ioa" in bad_ioa
    bad_scale = _error(points=[{"ioa": 1, "type": "M_SP_NA_1", "point": "P", "scale": 0}])
    assert "connectors.0.iec104.points.0.scale" in bad_scale
    twice = [{"ioa": 7, "type": "M_SP_NA_1", "point": "A"},
             {"ioa": 7, "type": "M_ME_NC_1", "point": "B"}]  # fmt: skip
    assert "points.1.ioa: 1/7 is mapped twice (points.0)" in _error(points=twice)
    assert "connectors.0.iec104.time_zone" in _error(time_zone=None)
    assert "connectors.0.iec104.colour" in _error(colour="red")
    assert "connectors.0.iec104.clock_sync_interval_s" in _error(clock_sync_interval_s=0)
    assert "connectors.0.iec104.clock_sync" in _error(clock_sync="sometimes")


def test_apci_parameters_default_and_errors() -> None:
    connector = build_connector(parse_config({"connectors": [_entry()]}).connectors[0])
    # IEC 60870-5-104:2006 defaults: k 12, w 8, t1 15 s, t2 10 s, t3 20 s
    params = connector.cfg.apci()  # type: ignore[attr-defined]
    assert (params.k, params.w, params.t1, params.t2, params.t3) == (12, 8, 15.0, 10.0, 20.0)
    assert "w: 13 is larger than k (12)" in _error(w=13)
    assert "t2_s: 15 s must be below t1_s (15 s)" in _error(t2_s=15)
    assert "connectors.0.iec104.t3_s" in _error(t3_s=0)
    assert "connectors.0.iec104.k" in _error(k=32_768)


# --------------------------------------------------------------------------- encoding


def test_time_tag_encoded_in_the_zone() -> None:
    at = dt.datetime(2026, 12, 7, 8, 0, 0, 250_000, tzinfo=dt.UTC)
    assert encode_cp56time2a(at, dt.UTC) == apdu(TAG)
    # the same octets are 00:00:00.25 UTC on an RTU keeping Beijing time
    beijing = dt.datetime(2026, 12, 7, 0, 0, 0, 250_000, tzinfo=dt.UTC)
    assert encode_cp56time2a(beijing, ZoneInfo("Asia/Shanghai")) == apdu(TAG)
    # 2026-10-25 (Sunday: day of week 7, 7 << 5 | 25 = F9) 00:30 UTC is 02:30 CEST: SU set
    # (82); an hour later 02:30 CET (02)
    berlin = ZoneInfo("Europe/Berlin")
    summer = dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC)
    assert encode_cp56time2a(summer, berlin) == apdu("00 00 1E 82 F9 0A 1A")
    winter = summer + dt.timedelta(hours=1)
    assert encode_cp56time2a(winter, berlin) == apdu("00 00 1E 02 F9 0A 1A")
    for instant in (summer, winter):
        back = cp56time2a(encode_cp56time2a(instant, berlin), berlin)
        # (an ambiguous wall time compares unequal across zones, PEP 495: compare in UTC)
        assert back is not None and back.astimezone(dt.UTC) == instant


def test_asdus_encoded_as_the_hand_written_octets() -> None:
    tagged = InfoObject(1001, 42.5, (), apdu(TAG))
    assert encode_asdu(36, 3, 1, [tagged]) == apdu(ME_TF)[6:]
    bad = InfoObject(1002, 1.25, ("NT", "IV"))
    assert encode_asdu(13, 20, 1, [bad]) == apdu(ME_NC_BAD)[6:]
    assert encode_asdu(1, 20, 1, [InfoObject(3001, 1, ())]) == apdu(SP)[6:]
    # M_IT_NA_1 (0F), one addressed object (VSQ 01), COT 37 (25), IOA 2001 (D1 07 00),
    # BCR 123450 (3A E2 01 00), sequence octet 00
    counter = InfoObject(2001, 123_450, ())
    assert encode_asdu(15, 37, 1, [counter]) == apdu("0F 01 25 00 01 00 D1 07 00 3A E2 01 00 00")
    with pytest.raises(ValueError, match="needs a 7-octet time tag"):
        encode_asdu(36, 3, 1, [InfoObject(1001, 1.0, ())])
    with pytest.raises(ValueError, match="quality bits"):
        encode_asdu(1, 3, 1, [InfoObject(1, 1, ("OV",))])  # SIQ has no overflow bit


def test_every_type_round_trips() -> None:
    tag = apdu(TAG)
    cases = {
        1: InfoObject(7, 1, ("BL",)),
        30: InfoObject(7, 0, ("SB",), tag),
        13: InfoObject(7, 44.471, ("OV",)),
        36: InfoObject(7, -0.5, (), tag),
        15: InfoObject(7, -123, ("CY", "CA")),
        37: InfoObject(7, 2_147_483_647, ("IV",), tag),
    }
    for type_id, obj in cases.items():
        asdu = decode_apdu(i_frame(0, 0, encode_asdu(type_id, 3, 65_534, [obj, obj])))
        assert asdu is not None
        assert (asdu.type_id, asdu.cause, asdu.common_address) == (type_id, 3, 65_534)
        for got in asdu.objects:
            value = single(got.value) if asdu.family == "float" else got.value
            assert (got.ioa, value, got.quality, got.time_tag) == (
                obj.ioa, obj.value, obj.quality, obj.time_tag,
            )  # fmt: skip


def test_interrogation_commands() -> None:
    # C_IC_NA_1 (64) act (06) to CA 1, IOA 0, QOI 20 (14); C_CI_NA_1 (65) QCC 5
    assert command_asdu(C_IC_NA_1, 1, QOI_STATION) == apdu("64 01 06 00 01 00 00 00 00 14")
    assert command_asdu(C_CI_NA_1, 1, QCC_GENERAL_READ) == apdu("65 01 06 00 01 00 00 00 00 05")
    # actcon (07) of a general interrogation, as an RTU sends it
    con = decode_command(apdu("68 0E 00 00 02 00 64 01 07 00 01 00 00 00 00 14"))
    assert con == Command(C_IC_NA_1, 7, False, 1, 20)
    # a negative actcon (P/N bit 6 with cause 7: 47) of a counter interrogation
    refused = decode_command(apdu("68 0E 00 00 02 00 65 01 47 00 01 00 00 00 00 05"))
    assert refused == Command(C_CI_NA_1, 7, True, 1, 5)
    assert decode_command(apdu(SP)) is None


#: C_CS_NA_1 for 2025-03-01 08:30:15.250 Beijing time (Asia/Shanghai), common address 1, as the
#: first I-frame of a connection:
#:   68 14        start, length 4 + 16 = 20 (0x14)
#:   00 00 00 00  I-format, N(S) 0, N(R) 0
#:   67           type 103 = 0x67 (C_CS_NA_1)
#:   01           VSQ: SQ 0, one object
#:   06 00        COT 6 (act), P/N 0, T 0; originator address 0
#:   01 00        common address 1, little endian
#:   00 00 00     IOA 0
#:   92 3B        milliseconds 15 × 1000 + 250 = 15250 = 0x3B92, little endian
#:   1E           minutes 30 = 0x1E, IV 0
#:   08           hours 8, SU 0 (China keeps no summer time)
#:   C1           day of month 1 | day of week 6 (2025-03-01 is a Saturday: 2025-01-01 was a
#:                Wednesday, + 31 + 28 days = 59 = 8 weeks + 3 days) << 5 = 0xC0 | 0x01
#:   03           month 3
#:   19           year 25 = 0x19
CS_ACT = "68 14 00 00 00 00 67 01 06 00 01 00 00 00 00 92 3B 1E 08 C1 03 19"


def test_clock_synchronisation_command() -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    at = dt.datetime(2025, 3, 1, 8, 30, 15, 250_000, tzinfo=shanghai)
    assert i_frame(0, 0, clock_sync_asdu(1, at, shanghai)) == apdu(CS_ACT)
    # the same instant given in UTC (00:30:15.25) is written as Beijing wall time
    utc = dt.datetime(2025, 3, 1, 0, 30, 15, 250_000, tzinfo=dt.UTC)
    assert clock_sync_asdu(1, utc, shanghai) == apdu(CS_ACT)[6:]
    # the RTU's actcon (COT 07) echoes the time; a refusal sets P/N (07 | 40 = 47)
    tag = apdu("92 3B 1E 08 C1 03 19")
    con = decode_clock_sync(
        apdu("68 14 02 00 02 00 67 01 07 00 01 00 00 00 00 92 3B 1E 08 C1 03 19")
    )
    assert con == ClockSync(7, False, 1, tag)
    assert con.type_id == C_CS_NA_1
    refused = decode_clock_sync(
        apdu("68 14 02 00 02 00 67 01 47 00 01 00 00 00 00 92 3B 1E 08 C1 03 19")
    )
    assert refused == ClockSync(7, True, 1, tag)
    back = cp56time2a(refused.time_tag, shanghai)
    assert back is not None and back == at
    assert clock_sync_of(apdu(CS_ACT)[6:], cause=7, negative=True) == apdu(
        "67 01 47 00 01 00 00 00 00 92 3B 1E 08 C1 03 19"
    )
    # a summer instant in a zone that keeps summer time sets SU: 2025-07-01 (a Tuesday: day
    # of week 2, 2 << 5 | 1 = 41) 10:00 UTC is 12:00 CEST in Berlin (0C | 80 = 8C)
    berlin = ZoneInfo("Europe/Berlin")
    summer = dt.datetime(2025, 7, 1, 10, 0, tzinfo=dt.UTC)
    assert clock_sync_asdu(1, summer, berlin)[9:] == apdu("00 00 00 8C 41 07 19")
    # neither a data ASDU nor an interrogation command; a truncated one is an error
    assert decode_apdu(apdu(CS_ACT)) is None
    assert decode_command(apdu(CS_ACT)) is None
    assert decode_clock_sync(apdu(SP)) is None
    with pytest.raises(ApduError, match="clock synchronisation ASDU of 15 octets"):
        decode_clock_sync(apdu("68 13 00 00 00 00 67 01 06 00 01 00 00 00 00 92 3B 1E 08 C1 03"))


def test_objects_per_asdu() -> None:
    # ASDU ≤ 249 octets (APDU ≤ 255): header 6 + n × (IOA 3 + R32 4 + QDS 1) → n = 30
    assert objects_per_asdu(13) == 30
    # with the 7-octet time tag: 6 + n × 15 ≤ 249 → 16
    assert objects_per_asdu(36) == 16
