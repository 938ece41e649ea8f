"""The enterprise account: months, missing months, boundaries, defaults from the libraries."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from lingtan.errors import InvalidInput
from lingtan.ghg.account import account, parse_document
from tests.ghg.conftest import EV, flat, series


def test_smelter_market_boundary_keeps_pfcs_and_leaves_power_out(smelter: dict[str, Any]) -> None:
    r = account(parse_document(smelter))
    # anode 150 304 (test_methods) + PFC slope 22 803.066 (AR5) = 173 107.066 tCO2e
    assert r.market().value == pytest.approx(173_107.066)
    assert r.direct().value == pytest.approx(173_107.066)
    # electricity 1 350 000 MWh × 0.5366 = 724 410 tCO2, outside the market boundary
    assert r.indirect().value == pytest.approx(724_410)
    gases = r.per_gas()
    assert gases is not None
    assert gases.tonnes["CF4"] == pytest.approx(2.86) and gases.tonnes["C2F6"] == pytest.approx(
        0.34606
    )
    # per month intensity: 173 107.066 / 100 000 = 1.73107066 tCO2e/t
    assert r.intensity()[6] == pytest.approx(1.73107066)
    assert "aluminium.anode.net_consumption" in r.unverified()
    assert r.intensity_trend()["slope_per_month"] == pytest.approx(0.0, abs=1e-9)  # flat year


def test_intensity_trend_is_the_least_squares_slope(smelter: dict[str, Any]) -> None:
    doc = copy.deepcopy(smelter)
    # output rising 10 000 t a month with the same emissions: intensity e/q_m; take 3 months
    # only (others missing) — months 1, 2, 3 at 173 107.066/12 over 8 000, 10 000, 12 000 t
    doc["output"] = series("t", [8_000.0, 10_000.0, 12_000.0] + [None] * 9)
    r = account(parse_document(doc))
    e = 173_107.066 / 12
    i1, i2, i3 = e / 8_000, e / 10_000, e / 12_000
    # slope over x = 1, 2, 3: Σ(x − 2)(y − ȳ)/Σ(x − 2)² = (i3 − i1)/2
    assert r.intensity_trend()["slope_per_month"] == pytest.approx((i3 - i1) / 2)
    assert r.intensity()[2] == pytest.approx(i2) and r.intensity()[4] is None


def test_missing_month_is_flagged_not_zero_filled(smelter: dict[str, Any]) -> None:
    doc = copy.deepcopy(smelter)
    doc["sources"][1]["series"]["anode_effect_minutes"] = series(
        "AE-min/cell-day", [0.2] * 6 + [None] + [0.2] * 5
    )
    r = account(parse_document(doc))
    assert r.market().value is None
    assert r.market().missing == (7,)
    # the partial figure counts 11 months: 173 107.066 × 11/12 = 158 681.477
    assert r.market().partial == pytest.approx(173_107.066 * 11 / 12)
    assert {"source": "pfc", "month": 7, "status": "missing"} in r.missing()
    assert r.intensity()[7] is None


def test_steel_works_fuel_defaults_come_from_the_carbon_library() -> None:
    doc = {
        "enterprise": "示例钢铁",
        "year": 2025,
        "sector": "steel",
        "sources": [
            {"id": "coke", "method": "fuel", "key": "coke", "edition": "gbt32151.5-2015",
             "series": {"consumed": flat("t", 100_000)}},
            {"id": "limestone", "method": "steel_flux", "key": "limestone",
             "series": {"consumed": flat("t", 50_000)},
             "params": {"purity": {"value": 0.9, "evidence": EV}}},
            {"id": "steel_out", "method": "steel_sequestered", "key": "crude_steel",
             "series": {"output": flat("t", 1_000_000)}},
        ],
    }  # fmt: skip
    r = account(parse_document(doc))
    # 286 041.8825 (coke) + 19 800 (limestone) − 15 400 (crude steel) = 290 441.8825
    assert r.direct().value == pytest.approx(290_441.8825, rel=1e-9)
    used = {u.id for s in r.sources for u in s.records}
    assert "fuel.gbt32151.5-2015.coke.ncv" in used and "steel.flux.limestone.ef" in used


def test_measured_route_beside_the_calculation_route() -> None:
    doc = {
        "enterprise": "示例电厂",
        "year": 2025,
        "sector": "power",
        "sources": [
            {"id": "coal_lab", "method": "measured_carbon",
             "series": {"mass": flat("t", 10_000)},
             "params": {"carbon_content": {"value": 0.60, "evidence": EV},
                        "oxidation": {"value": 0.98, "evidence": EV}}},
            {"id": "stack", "method": "cems",
             "series": {"volume": flat("Nm3", 1.2e9),
                        "concentration": series("mg/Nm3", [235_620.7] * 12)}},
        ],
    }  # fmt: skip
    r = account(parse_document(doc))
    by = {s.id: s.figure(r.report).value for s in r.sources}
    assert by["coal_lab"] == pytest.approx(21_560)  # 10 000 × 0.6 × 0.98 × 44/12
    # 1.2 × 10⁹ Nm³ × 235 620.7 mg/Nm³ × 10⁻⁹ = 282 744.84 t
    assert by["stack"] == pytest.approx(282_744.84)


def test_refusals_name_the_field(smelter: dict[str, Any]) -> None:
    bad = copy.deepcopy(smelter)
    bad["sources"][0]["params"] = {"sulphur": {"value": -0.01, "evidence": EV}}
    with pytest.raises(InvalidInput) as err:
        account(parse_document(bad))
    assert err.value.field == "sources.anode.params.sulphur"
    no_ref = copy.deepcopy(smelter)
    no_ref["output"]["months"][0]["evidence"] = {"kind": "measured"}
    with pytest.raises(InvalidInput) as err:
        parse_document(no_ref)
    assert err.value.field is not None and err.value.field.startswith("output.months.0.evidence")
    gas_in_m3 = {
        "enterprise": "x", "year": 2025, "sector": "other",
        "sources": [{"id": "gas", "method": "fuel", "key": "natural_gas",
                     "series": {"consumed": flat("m3", 1e6)}}],
    }  # fmt: skip
    with pytest.raises(InvalidInput) as err:
        account(parse_document(gas_in_m3))  # the default NCV is per 10^4 m3
    assert err.value.field == "sources.gas.series.consumed.unit"
    stray = copy.deepcopy(smelter)
    stray["sources"][0]["params"] = {"sulfur": {"value": 0.02, "evidence": EV}}  # misspelt
    with pytest.raises(InvalidInput) as err:
        account(parse_document(stray))
    assert err.value.field == "sources.anode.params.sulfur"
    unknown = copy.deepcopy(smelter)
    unknown["sources"][1]["key"] = "soderberg"
    with pytest.raises(InvalidInput) as err:
        account(parse_document(unknown))
    assert err.value.field == "sources.pfc.key"
