"""Modbus register maps: decoding in every order, block planning, templates."""

from __future__ import annotations

import math
import struct
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lingtan.connectors.modbus import registers
from lingtan.connectors.modbus.library import load_template, parse_rows, template_ids
from lingtan.connectors.modbus.registers import (
    MAX_READ_REGISTERS,
    ORDERS,
    WIDTH,
    DataType,
    RegisterSpec,
    decode,
    decode_all_orders,
    decode_block,
    decode_raw,
    encode_raw,
    plan_blocks,
)
from lingtan.errors import InvalidInput


def test_modbus_decode_float32_in_the_four_orders() -> None:
    # 0x4510A000 is the IEEE 754 float 2314.0; the DTSU666 manual gives phase voltage in 0.1 V
    assert decode_raw([0x4510, 0xA000], DataType.FLOAT32, "ABCD") == 2314.0
    assert decode_raw([0xA000, 0x4510], DataType.FLOAT32, "CDAB") == 2314.0
    assert decode_raw([0x1045, 0x00A0], DataType.FLOAT32, "BADC") == 2314.0
    assert decode_raw([0x00A0, 0x1045], DataType.FLOAT32, "DCBA") == 2314.0


def test_modbus_decode_float32_word_swapped_scaled_dtsu666_voltage() -> None:
    spec = load_template("chint_dtsu666").spec("voltage_a")
    assert decode(spec, [0x4510, 0xA000]).value == pytest.approx(231.4)


def test_modbus_decode_int64_energy_in_wh_schneider() -> None:
    # iEM3000 manual: Total Active Energy Import, Int64, Wh (register 3204, address 3203)
    spec = load_template("schneider_iem3255").spec("energy_import_total")
    assert (spec.address, spec.type, spec.unit) == (3203, DataType.INT64, "Wh")
    registers_ = list(struct.unpack(">4H", (123_456_789_012).to_bytes(8, "big")))
    assert decode(spec, registers_).value == 123_456_789_012.0


def test_modbus_decode_acrel_energy_applies_the_manual_factor() -> None:
    # ADL3000-E manual: E = data x PT x CT x 0.01 kWh; the template applies 0.01
    spec = load_template("acrel_adl3000e").spec("energy_import_total")
    assert decode(spec, [0x0001, 0xE240]).value == pytest.approx(1234.56)


def test_modbus_decode_bcd() -> None:
    assert decode_raw([0x1234], DataType.BCD16) == 1234.0
    assert decode_raw([0x0012, 0x3456], DataType.BCD32) == 123456.0


def test_modbus_bad_bcd_is_returned_with_its_registers_not_dropped() -> None:
    spec = RegisterSpec("e", 0, DataType.BCD16, unit="kWh")
    got = decode(spec, [0x12AF])
    assert got.value is None and got.error and got.raw == "12af"


def test_modbus_nan_float_is_kept_with_an_error() -> None:
    spec = RegisterSpec("p", 0, DataType.FLOAT32, unit="kW")
    got = decode(spec, [0x7FC0, 0x0000])
    assert got.value is not None and math.isnan(got.value)
    assert got.error == "not finite" and got.raw == "7fc00000"


def test_modbus_signed_and_unsigned_16_bit() -> None:
    assert decode_raw([0xFFFF], DataType.INT16) == -1.0
    assert decode_raw([0xFFFF], DataType.UINT16) == 65535.0
    assert decode_raw([0x3412], DataType.UINT16, "BADC") == 0x1234


def test_modbus_probe_shows_every_order() -> None:
    values = decode_all_orders([0x4510, 0xA000], DataType.FLOAT32)
    assert set(values) == set(ORDERS)
    assert values["ABCD"] == 2314.0 and values["CDAB"] != 2314.0
    assert set(decode_all_orders([1], DataType.UINT16)) == {"ABCD", "BADC"}


def test_modbus_spec_validation_names_the_field() -> None:
    with pytest.raises(InvalidInput) as err:
        RegisterSpec("x", 0, DataType.FLOAT32, function=2)
    assert err.value.field == "function"
    with pytest.raises(InvalidInput):
        RegisterSpec("x", 65535, DataType.FLOAT32)  # runs past the last register
    with pytest.raises(InvalidInput):
        RegisterSpec("x", 0, order="ACBD")
    with pytest.raises(InvalidInput):
        RegisterSpec("x", 0, unit="furlong")
    with pytest.raises(InvalidInput):
        RegisterSpec("x", 0, scale=0.0)


def test_modbus_blocks_merge_contiguous_registers() -> None:
    specs = [RegisterSpec(f"k{i}", 100 + 2 * i, DataType.FLOAT32) for i in range(10)]
    blocks = plan_blocks(specs)
    assert [(b.start, b.count, len(b.specs)) for b in blocks] == [(100, 20, 10)]


def test_modbus_blocks_respect_gap_and_function_code() -> None:
    specs = [
        RegisterSpec("a", 0, DataType.UINT16),
        RegisterSpec("b", 5, DataType.UINT16),
        RegisterSpec("c", 0, DataType.UINT16, function=4),
    ]
    assert len(plan_blocks(specs, max_gap=0)) == 3
    merged = plan_blocks(specs, max_gap=4)
    assert [(b.function, b.start, b.count) for b in merged] == [(3, 0, 6), (4, 0, 1)]


spec_lists = st.lists(
    st.builds(
        lambda key, address, dtype, function: RegisterSpec(
            f"k{key}", min(address, 0x10000 - WIDTH[dtype]), dtype, function
        ),
        st.integers(0, 10_000),
        st.integers(0, 0xFFFF),
        st.sampled_from(list(DataType)),
        st.sampled_from([3, 4]),
    ),
    max_size=60,
)


@given(spec_lists, st.integers(0, 30), st.integers(1, MAX_READ_REGISTERS))
def test_modbus_block_plan_covers_every_spec_within_125_registers(
    specs: list[RegisterSpec], max_gap: int, max_registers: int
) -> None:
    blocks = plan_blocks(specs, max_gap=max_gap, max_registers=max(max_registers, 4))
    planned = [s for b in blocks for s in b.specs]
    assert sorted(map(id, planned)) == sorted(map(id, specs))
    for b in blocks:
        assert 1 <= b.count <= MAX_READ_REGISTERS
        for s in b.specs:
            assert s.function == b.function
            assert b.start <= s.address and s.end <= b.start + b.count


@given(st.sampled_from(list(DataType)), st.sampled_from(ORDERS), st.data())
def test_modbus_encode_decode_round_trip(dtype: DataType, order: str, data: st.DataObject) -> None:
    if dtype in (DataType.FLOAT32, DataType.FLOAT64):
        value = data.draw(
            st.floats(
                allow_nan=False, allow_infinity=False, width=32 if dtype is DataType.FLOAT32 else 64
            )
        )
    elif dtype in (DataType.BCD16, DataType.BCD32):
        value = float(data.draw(st.integers(0, 10 ** (4 * WIDTH[dtype]) - 1)))
    else:
        bits = 16 * WIDTH[dtype]
        signed = dtype.value.startswith("int")
        lo, hi = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2**bits - 1)
        value = float(data.draw(st.integers(lo, hi).filter(lambda v: abs(v) < 2**53)))
    regs = encode_raw(value, dtype, order)
    assert len(regs) == WIDTH[dtype]
    assert decode_raw(regs, dtype, order) == value


def test_modbus_decode_block_takes_each_value_at_its_offset() -> None:
    specs = [RegisterSpec("a", 10, DataType.UINT16), RegisterSpec("b", 12, DataType.UINT32)]
    (block,) = plan_blocks(specs, max_gap=1)
    values = decode_block(block, [7, 0, 0x0001, 0x0002])
    assert [(d.spec.key, d.value) for d in values] == [("a", 7.0), ("b", 65538.0)]


@pytest.mark.parametrize("template_id", template_ids())
def test_modbus_template_names_its_manual_and_version(template_id: str) -> None:
    template = load_template(template_id)
    assert template.source["document"] and template.source["version"]
    assert template.source.get("addressing")
    assert template.registers
    assert all(s.unit for s in template.registers)
    assert any(s.kind != "measurement" for s in template.registers)  # at least one energy register


def test_modbus_at_least_three_meters_sold_in_china_are_shipped() -> None:
    vendors = {load_template(t).vendor.split()[0] for t in template_ids()}
    assert {"CHINT", "Schneider", "Acrel"} <= vendors


def test_modbus_template_extends_replaces_rows_by_key() -> None:
    base = load_template("chint_dtsu666")
    variant = load_template("chint_dtsu666_e4000")
    assert variant.spec("energy_import_total").address == 0x401E
    assert base.spec("energy_import_total").address == 0x101E
    assert variant.spec("voltage_a") == base.spec("voltage_a")


def test_modbus_inline_rows_reject_unknown_fields() -> None:
    with pytest.raises(InvalidInput):
        parse_rows([{"key": "a", "address": 1, "scael": 0.1}])
    with pytest.raises(InvalidInput):
        parse_rows([{"key": "a", "address": 1}, {"key": "a", "address": 2}])
    (spec,) = parse_rows([{"key": "a", "address": "0x10", "type": "int32", "order": "cdab"}])
    assert (spec.address, spec.order) == (16, "CDAB")


def test_modbus_registers_module_is_pure() -> None:
    source = Path(registers.__file__).read_text(encoding="utf-8")
    for forbidden in ("pymodbus", "import socket", "import asyncio", "datetime"):
        assert forbidden not in source
