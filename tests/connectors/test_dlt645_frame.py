"""DL/T 645-2007 codec: published frames, each error distinct, round trips (Hypothesis)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lingtan.connectors.dlt645 import data_ids, frame
from lingtan.connectors.dlt645.data_ids import (
    BLOCKS,
    TABLE,
    BadValue,
    UnknownDataIdentifier,
    decode_block,
    decode_value,
    encode_block,
    encode_value,
    split_block,
)
from lingtan.connectors.dlt645.frame import (
    BadChecksum,
    BadEndByte,
    BadFrame,
    Dlt645Error,
    Frame,
    NoFrame,
    TruncatedFrame,
    decode_frame,
    extract_frame,
    format_di,
    hex_to_bytes,
    read_address_request,
    read_request,
    read_response,
)

PUBLISHED = json.loads(
    (Path(__file__).parent / "data" / "dlt645_published_frames.json").read_text(encoding="utf-8")
)
GOOD = {k: v for k, v in PUBLISHED.items() if "expect" in v}
BAD = {k: v for k, v in PUBLISHED.items() if "expect_error" in v}


@pytest.mark.parametrize("name", sorted(GOOD))
def test_dlt645_published_frame_decodes_as_its_source_says(name: str) -> None:
    case = GOOD[name]
    f = decode_frame(hex_to_bytes(case["hex"]))
    expect = case["expect"]
    assert f.address == expect["address"]
    assert f"{f.control:02X}" == expect["control"]
    if "di" in expect:
        assert f.di is not None and format_di(f.di) == expect["di"]
    if "value" in expect:
        assert f.di is not None
        assert decode_value(f.di, f.payload) == Decimal(expect["value"])
        assert data_ids.lookup(f.di).unit == expect["unit"]


@pytest.mark.parametrize("name", sorted(BAD))
def test_dlt645_published_frame_with_bad_checksum_is_rejected(name: str) -> None:
    with pytest.raises(Dlt645Error) as err:
        decode_frame(hex_to_bytes(BAD[name]["hex"]))
    assert err.value.code == BAD[name]["expect_error"]


def test_dlt645_request_encoding_matches_the_luat_forum_frame() -> None:
    wanted = PUBLISHED["luat_forum_read_forward_active_energy_request"]["hex"]
    assert read_request("12345678", "00010000").encode().hex().upper() == wanted


def test_dlt645_read_address_request_matches_the_tjsmart_frame() -> None:
    wanted = hex_to_bytes(PUBLISHED["tjsmart_read_address_request"]["hex"])
    assert read_address_request().encode(wakeup=3) == wanted


def test_dlt645_bad_checksum_error_names_both_sums() -> None:
    raw = bytearray(read_request("1", "00010000").encode())
    raw[-2] ^= 0x01
    with pytest.raises(BadChecksum) as err:
        decode_frame(bytes(raw))
    assert err.value.actual != err.value.expected
    assert err.value.code == "dlt645_bad_checksum"


def test_dlt645_truncated_frame_is_its_own_error() -> None:
    raw = read_request("1", "00010000").encode()
    with pytest.raises(TruncatedFrame) as err:
        decode_frame(raw[:-3])
    assert err.value.code == "dlt645_truncated"


def test_dlt645_wrong_end_byte_is_its_own_error() -> None:
    raw = bytearray(read_request("1", "00010000").encode())
    raw[-1] = 0x17
    with pytest.raises(BadEndByte) as err:
        decode_frame(bytes(raw))
    assert err.value.code == "dlt645_bad_end_byte"


def test_dlt645_unknown_identifier_is_its_own_error() -> None:
    response = read_response("1", 0x12345678, b"\x00\x00")
    f = decode_frame(response.encode())
    with pytest.raises(UnknownDataIdentifier) as err:
        decode_value(0x12345678, f.payload)
    assert err.value.code == "dlt645_unknown_data_identifier"


def test_dlt645_errors_are_distinct_classes_and_codes() -> None:
    classes = [
        NoFrame,
        TruncatedFrame,
        BadChecksum,
        BadEndByte,
        BadFrame,
        UnknownDataIdentifier,
        BadValue,
    ]
    codes = {c.code for c in classes}
    assert len(codes) == len(classes)


def test_dlt645_missing_second_start_byte_is_a_bad_frame() -> None:
    raw = bytearray(read_request("1", "00010000").encode(wakeup=0))
    raw[7] = 0x00
    with pytest.raises(BadFrame):
        decode_frame(bytes(raw))


def test_dlt645_not_a_frame() -> None:
    with pytest.raises(NoFrame):
        decode_frame(b"\x01\x03\x00\x00")
    with pytest.raises(NoFrame):
        decode_frame(b"")


def test_dlt645_value_that_is_not_bcd_is_a_bad_value() -> None:
    with pytest.raises(BadValue):
        decode_value("00010000", b"\xff\xff\xff\xff")
    with pytest.raises(BadValue):
        decode_value("00010000", b"\x00\x00\x00")  # one byte short


def test_dlt645_signed_power_uses_the_top_bit_of_the_last_byte() -> None:
    # -1.2345 kW, format XX.XXXX: digits 012345 sent low byte first, sign bit on the highest byte
    assert decode_value("02030000", bytes([0x45, 0x23, 0x81])) == Decimal("-1.2345")
    assert encode_value("02030000", Decimal("-1.2345")) == bytes([0x45, 0x23, 0x81])


def test_dlt645_unsigned_quantity_refuses_a_negative_value() -> None:
    with pytest.raises(BadValue):
        encode_value("00010000", -1)


def test_dlt645_address_identifier_is_text() -> None:
    payload = encode_value("04000401", "000012345678")
    assert decode_value("04000401", payload) == "000012345678"


def test_dlt645_table_covers_the_quantities_the_issue_names() -> None:
    wanted = [
        "00000000",
        "00010000",
        "00010100",
        "00010200",
        "00010300",
        "00010400",
        "00020000",
        "02010100",
        "02010200",
        "02010300",
        "02020100",
        "02020200",
        "02020300",
        "02030000",
        "02040000",
        "02060000",
        "04000401",
    ]
    assert all(int(w, 16) in TABLE for w in wanted)


def test_dlt645_stream_with_noise_and_echo_yields_the_meter_frame() -> None:
    request = read_request("000000000161", "00010000").encode()
    answer = bytes.fromhex(
        PUBLISHED["baowen_jiexi_read_forward_active_energy_response"]["hex"].replace(" ", "")
    )
    stream = b"\x00\x11garbage" + request + b"\xfe\xfe" + answer
    frames = []
    buf = stream
    while buf:
        got, used = extract_frame(buf)
        buf = buf[used:]
        if got is None:
            break
        frames.append(got)
    assert [f.from_meter for f in frames] == [False, True]


@given(st.binary(max_size=64), st.integers(min_value=1, max_value=40))
def test_dlt645_stream_split_anywhere_still_gives_the_frame(noise: bytes, cut: int) -> None:
    answer = read_response("123456789012", "02010100", encode_value("02010100", "230.5")).encode()
    noise = noise.replace(b"\x68", b"\x00")
    stream = noise + answer
    cut = min(cut, len(stream))
    found, used = extract_frame(stream[:cut])
    if found is None:
        found, used = extract_frame(stream[used:])
    assert found is not None and found.from_meter
    assert decode_value("02010100", found.payload) == Decimal("230.5")


addresses = st.text(alphabet="0123456789", min_size=12, max_size=12)


@given(
    addresses, st.integers(min_value=0, max_value=0xFF), st.binary(max_size=200), st.integers(0, 4)
)
def test_dlt645_frame_round_trip(address: str, control: int, data: bytes, wakeup: int) -> None:
    f = Frame(address, control, data)
    assert decode_frame(f.encode(wakeup=wakeup)) == f


@given(st.binary(max_size=80))
def test_dlt645_decoder_raises_only_its_own_errors_on_garbage(garbage: bytes) -> None:
    try:
        decode_frame(garbage)
    except Dlt645Error:
        pass


@given(st.sampled_from(sorted(d for d, row in TABLE.items() if not row.text)), st.data())
def test_dlt645_value_round_trip_for_every_identifier(di: int, data: st.DataObject) -> None:
    row = TABLE[di]
    top = 10 ** (row.length * 2 - 1)
    # a signed quantity gives up the top bit: its highest digit is at most 7
    largest = 8 * top - 1 if row.signed else 10 * top - 1
    magnitude = data.draw(st.integers(min_value=0, max_value=largest))
    sign = -1 if row.signed and data.draw(st.booleans()) else 1
    value = Decimal(sign * magnitude).scaleb(-row.decimals)
    payload = encode_value(di, value)
    assert len(payload) == row.length
    assert decode_value(di, payload) == value


def test_dlt645_module_is_pure() -> None:
    source = Path(frame.__file__).read_text(encoding="utf-8") + Path(data_ids.__file__).read_text(
        encoding="utf-8"
    )
    for forbidden in (
        "import socket",
        "import asyncio",
        "import time",
        "datetime.now",
        "import serial",
    ):
        assert forbidden not in source


# -- block identifiers (数据块) -------------------------------------------------------------
#
# Hand-built answers of meter 000000000161. Each value is written in its Table A.3 format
# (voltage XXX.X, 2 bytes; current XXX.XXX, 3 bytes; power XX.XXXX, 3 bytes; power factor
# X.XXX, 2 bytes), BCD low byte first, the top bit of the highest byte set for a negative
# value; every data byte is sent +33H. The checksums were added up by hand:
#
# voltage block 0201FF00, A 220.1 V, B 221.0 V, C 219.8 V
#   as meant  00 FF 01 02 | 01 22 | 10 22 | 98 21             (L = 0AH)
#   as sent   33 32 34 35 | 34 55 | 43 55 | CB 54
#   CS = 68+61+01+68+91+0A (= 1CD) + 33+32+34+35+34+55+43+55+CB+54 (= 30E) = 4DB → DB
# current block 0202FF00, A 5.123 A, B -0.250 A, C 12.000 A
#   as meant  00 FF 02 02 | 23 51 00 | 50 02 80 | 00 20 01    (L = 0DH)
#   as sent   33 32 35 35 | 56 84 33 | 83 35 B3 | 33 53 34
#   CS = 1D0 + (CF + 10D + 16B + BA = 401) = 5D1 → D1
# active power block 0203FF00, total 1.2345 kW, A 0.5000, B -0.0230, C 0.7575
#   as meant  00 FF 03 02 | 45 23 01 | 00 50 00 | 30 02 80 | 75 75 00   (L = 10H)
#   as sent   33 32 36 35 | 78 56 34 | 33 83 33 | 63 35 B3 | A8 A8 33
#   CS = 1D3 + (D0 + 102 + E9 + 14B + 183 = 589) = 75C → 5C
# power factor block 0206FF00, total 0.985, A 0.990, B 0.970, C -0.500
#   as meant  00 FF 06 02 | 85 09 | 90 09 | 70 09 | 00 85     (L = 0CH)
#   as sent   33 32 39 35 | B8 3C | C3 3C | A3 3C | 33 B8
#   CS = 1CF + (D3 + F4 + FF + DF + EB = 490) = 65F → 5F
BLOCK_FRAMES = {
    "voltage": (
        "68 61 01 00 00 00 00 68 91 0A 33 32 34 35 34 55 43 55 CB 54 DB 16",
        0x0201FF00,
        [(0x02010100, "220.1"), (0x02010200, "221.0"), (0x02010300, "219.8")],
    ),
    "current": (
        "68 61 01 00 00 00 00 68 91 0D 33 32 35 35 56 84 33 83 35 B3 33 53 34 D1 16",
        0x0202FF00,
        [(0x02020100, "5.123"), (0x02020200, "-0.250"), (0x02020300, "12.000")],
    ),
    "active_power": (
        "68 61 01 00 00 00 00 68 91 10 33 32 36 35 78 56 34 33 83 33 63 35 B3 A8 A8 33 5C 16",
        0x0203FF00,
        [
            (0x02030000, "1.2345"),
            (0x02030100, "0.5000"),
            (0x02030200, "-0.0230"),
            (0x02030300, "0.7575"),
        ],
    ),
    "power_factor": (
        "68 61 01 00 00 00 00 68 91 0C 33 32 39 35 B8 3C C3 3C A3 3C 33 B8 5F 16",
        0x0206FF00,
        [
            (0x02060000, "0.985"),
            (0x02060100, "0.990"),
            (0x02060200, "0.970"),
            (0x02060300, "-0.500"),
        ],
    ),
}


@pytest.mark.parametrize("name", sorted(BLOCK_FRAMES))
def test_dlt645_block_answer_decodes_to_one_value_per_item(name: str) -> None:
    capture, di, expected = BLOCK_FRAMES[name]
    answer = decode_frame(hex_to_bytes(capture))
    assert answer.address == "000000000161" and answer.control == 0x91 and answer.di == di
    got = [(row.di, value) for row, value in decode_block(di, answer.payload)]
    assert got == [(item, Decimal(text)) for item, text in expected]
    # and the simulator's encoder writes the same bytes back
    assert encode_block(di, {item: Decimal(text) for item, text in expected}) == answer.payload


def test_dlt645_block_request_frame() -> None:
    # 68 61 01 00 00 00 00 68 11 04 + DI 00 FF 01 02 sent as 33 32 34 35;
    # CS = 68+61+01+68+11+04 (= 147) + 33+32+34+35 (= CE) = 215 → 15
    expected = "FE FE FE FE 68 61 01 00 00 00 00 68 11 04 33 32 34 35 15 16"
    assert read_request("000000000161", "0201FF00").encode().hex(" ").upper() == expected


def test_dlt645_block_sizes_follow_the_item_formats() -> None:
    # voltage 3 × XXX.X (2 bytes); current 3 × XXX.XXX (3); active, reactive, apparent power
    # 4 × XX.XXXX (3); power factor 4 × X.XXX (2) — DL/T 645-2007 Table A.3
    sizes = {f"{di:08X}": (len(b.elements), b.length) for di, b in BLOCKS.items()}
    assert sizes == {
        "0201FF00": (3, 6),
        "0202FF00": (3, 9),
        "0203FF00": (4, 12),
        "0204FF00": (4, 12),
        "0205FF00": (4, 12),
        "0206FF00": (4, 8),
    }
    units = {f"{di:08X}": b.unit for di, b in BLOCKS.items()}
    assert units == {
        "0201FF00": "V",
        "0202FF00": "A",
        "0203FF00": "kW",
        "0204FF00": "kvar",
        "0205FF00": "kVA",
        "0206FF00": "1",
    }
    # voltages have no direction; current, power and power factor carry it in the top bit
    assert [e.signed for e in BLOCKS[0x0201FF00].elements] == [False] * 3
    assert all(e.signed for di in (0x0202FF00, 0x0203FF00, 0x0206FF00) for e in BLOCKS[di].elements)


def test_dlt645_block_answer_of_the_wrong_length_is_a_bad_value() -> None:
    with pytest.raises(BadValue, match="needs 6 value bytes"):
        split_block("0201FF00", bytes.fromhex("0122102298"))  # one byte short
    with pytest.raises(BadValue):
        decode_block("0201FF00", bytes.fromhex("01221022FFFF"))  # C is not BCD


def test_dlt645_block_identifier_is_not_a_single_quantity() -> None:
    with pytest.raises(UnknownDataIdentifier, match="02010100, 02010200, 02010300"):
        data_ids.lookup("0201FF00")
    with pytest.raises(UnknownDataIdentifier):
        data_ids.lookup_block("02010100")
