"""HJ 212-2017 packet codec: CRC, parsing, building, errors with reasons, flags → quality."""

from __future__ import annotations

import datetime as dt

import pytest

from lingtan.connectors.hj212 import packet as p
from lingtan.connectors.hj212.packet import PacketError, Pollutant

#: the communication example of HJ 212-2017 (appendix), as quoted by public HJ 212 codecs
STANDARD_EXAMPLE = (
    b"##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;"
    b"MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1C80\r\n"
)


def crc_bitwise(data: bytes) -> int:
    """An independent, bit-by-bit reading of HJ 212-2017 Appendix A: the register's high byte
    is shifted down and XORed with the data byte; then each of the 8 bits is shifted out to the
    right, XORing the reflected polynomial A001H whenever a 1 falls out."""
    reg = [1] * 16  # reg[0] is the least significant bit, initial value FFFFH
    for byte in data:
        high = reg[8:] + [0] * 8  # crc >> 8
        bits = [(byte >> i) & 1 for i in range(8)] + [0] * 8
        reg = [a ^ b for a, b in zip(high, bits, strict=True)]
        for _ in range(8):
            out = reg[0]
            reg = [*reg[1:], 0]
            if out:
                poly = [(0xA001 >> i) & 1 for i in range(16)]
                reg = [a ^ b for a, b in zip(reg, poly, strict=True)]
    return sum(bit << i for i, bit in enumerate(reg))


def test_crc_reproduces_the_standard_example() -> None:
    segment = STANDARD_EXAMPLE[6:-6]
    assert len(segment) == 101
    assert p.crc16(segment) == 0x1C80
    assert crc_bitwise(segment) == 0x1C80


def test_crc_matches_the_bitwise_reading_on_other_data() -> None:
    for data in (b"", b"A", b"QN=1;ST=22", bytes(range(256))):
        assert p.crc16(data) == crc_bitwise(data)


def test_parse_the_standard_example() -> None:
    pk = p.parse(STANDARD_EXAMPLE)
    assert (pk.qn, pk.st, pk.cn, pk.pw, pk.mn) == (
        "20160801085857223",
        "32",
        "1062",
        "100000",
        "010000A8900016F000169DC0",
    )
    assert pk.flag == 5 and pk.wants_answer  # 5 = version 000001, D=0, A=1
    assert pk.params == {"RtdInterval": "30"}


#: a real-time packet of a water station as published in a public HJ 212 codec's tests: no QN,
#: no Flag (older data loggers), CRC written in lower case
PUBLISHED_REALTIME = (
    b"##0178ST=32;CN=2011;PW=123456;MN=0873HHMZWSLH02;"
    b"CP=&&DataTime=20160103133030;060-Rtd=3.0943,060-Flag=N;011-Rtd=18.0412,011-Flag=N;"
    b"001-Rtd=8.2137,001-Flag=N;B01-Rtd=10.9890,B01-Flag=N&&a9c1\r\n"
)


def test_a_published_packet_without_qn_and_flag_parses() -> None:
    pk = p.parse(PUBLISHED_REALTIME)
    assert (pk.qn, pk.flag, pk.wants_answer, pk.command) == (None, None, False, "realtime")
    assert crc_bitwise(PUBLISHED_REALTIME[6:-6]) == 0xA9C1
    assert [(x.code, x.values, x.flag) for x in pk.pollutants] == [
        ("060", {"Rtd": 3.0943}, "N"),
        ("011", {"Rtd": 18.0412}, "N"),
        ("001", {"Rtd": 8.2137}, "N"),
        ("B01", {"Rtd": 10.989}, "N"),
    ]


def hand_built_minute_packet() -> bytes:
    """A 2051 minute packet built by hand; the CRC comes from the bitwise reading."""
    segment = (
        b"QN=20260101080100000;ST=22;CN=2051;PW=123456;MN=STATION01;Flag=5;"
        b"CP=&&DataTime=20260101080000;a34004-Avg=41.200,a34004-Min=40.000,"
        b"a34004-Max=43.500,a34004-Flag=N;a21026-Avg=9.000,a21026-Flag=M&&"
    )
    return b"##%04d%s%04X\r\n" % (len(segment), segment, crc_bitwise(segment))


def test_parse_a_hand_built_minute_packet() -> None:
    pk = p.parse(hand_built_minute_packet())
    assert pk.command == "minute"
    # DataTime is station local time (Beijing): 08:00 +08:00 = 00:00 UTC
    assert pk.data_time == dt.datetime(2026, 1, 1, 0, 0, tzinfo=dt.UTC)
    pm25, so2 = pk.pollutants
    assert pm25 == Pollutant("a34004", {"Avg": 41.2, "Min": 40.0, "Max": 43.5}, "N")
    assert (pm25.quality, pm25.valid) == ("measured", True)
    assert (so2.flag, so2.quality, so2.valid) == ("M", "missing", False)


def test_build_round_trips() -> None:
    ts = dt.datetime(2026, 3, 2, 10, 0, tzinfo=p.BEIJING)
    cp = p.format_cp(ts, [Pollutant("a05024", {"Avg": 88.125, "Max": 90.5}, "N")])
    frame = p.build(st="22", cn="2061", pw="pw", mn="MN1", qn=p.qn_of(ts), flag=5, cp=cp)
    pk = p.parse(frame)
    assert pk.cn == "2061" and pk.data_time == ts and pk.qn == "20260302100000000"
    assert pk.pollutants[0].values == {"Avg": 88.125, "Max": 90.5}
    assert p.crc16(frame[6:-6]) == crc_bitwise(frame[6:-6])


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (STANDARD_EXAMPLE.replace(b"1C80", b"1C81"), "bad_crc"),
        (STANDARD_EXAMPLE.replace(b"##0101", b"##0102"), "length_mismatch"),
        (STANDARD_EXAMPLE[:-2], "truncated"),
        (STANDARD_EXAMPLE[:50] + b"\r\n", "length_mismatch"),
        (STANDARD_EXAMPLE.replace(b"##0101", b"##01x1"), "bad_length"),
        (STANDARD_EXAMPLE.replace(b"##0101", b"##2000"), "too_long"),
        (b"$$" + STANDARD_EXAMPLE[2:], "no_header"),
    ],
)
def test_broken_packets_raise_with_a_reason(frame: bytes, reason: str) -> None:
    with pytest.raises(PacketError) as err:
        p.parse(frame)
    assert err.value.reason == reason


def _framed(segment: str) -> bytes:
    data = segment.encode()
    return b"##%04d%s%04X\r\n" % (len(data), data, crc_bitwise(data))


@pytest.mark.parametrize(
    ("segment", "reason"),
    [
        (
            "QN=20260101080100000;ST=22;CN=2051;PW=1;Flag=5;CP=&&DataTime=20260101080000&&",
            "missing_field",
        ),
        ("ST=22;CN=2051;PW=1;MN=X;Flag=5", "missing_field"),
        ("ST=22;CN=2051;PW=1;MN=X;CP=&&DataTime=2026010108&&", "malformed_cp"),
        ("ST=22;CN=2051;PW=1;MN=X;CP=&&DataTime=20260101080000;a34004-Avg=abc&&", "malformed_cp"),
        ("ST=22;CN=2051;PW=1;MN=X;CP=&&DataTime=20260101080000;a34004-Avg&&", "malformed_cp"),
        ("ST=22;CN=2051;PW=1;MN=X;CP=&&a34004-Avg=1&&", "malformed_cp"),
        ("ST=22;CN=2051;PW=1;MN=X;Flag=x;CP=&&&&", "malformed_field"),
        ("QN=2026;ST=22;CN=2051;PW=1;MN=X;CP=&&&&", "malformed_field"),
    ],
)
def test_malformed_segments_raise_with_a_reason(segment: str, reason: str) -> None:
    with pytest.raises(PacketError) as err:
        p.parse(_framed(segment))
    assert err.value.reason == reason


def test_every_data_flag_maps_to_a_quality_label() -> None:
    rules = p.flag_rules()
    assert set(rules) == set("NFMSDCTB")
    assert {f for f, r in rules.items() if r.valid} == {"N"}
    assert rules["S"].quality == "estimated"
    assert all(rules[f].quality == "missing" for f in "FMDCTB")
    # an unknown flag is not trusted
    assert Pollutant("x", {"Avg": 1.0}, "Z").valid is False


def test_answers_carry_the_request_qn() -> None:
    req = p.parse(STANDARD_EXAMPLE)
    for frame, cn in (
        (p.data_answer(req), "9014"),
        (p.request_answer(req, 1), "9011"),
        (p.execution_result(req, 1), "9012"),
    ):
        ans = p.parse(frame)
        assert (ans.cn, ans.qn, ans.st, ans.mn, ans.wants_answer) == (
            cn,
            req.qn,
            "91",
            req.mn,
            False,
        )
    assert p.parse(p.request_answer(req, 1)).params == {"QnRtn": "1"}
