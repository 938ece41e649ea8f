"""Hypothesis invariants of the accounting: totals, linearity, net electricity sign."""

from __future__ import annotations

from typing import Any

import pytest
from carbon_documents import park_document
from hypothesis import given, settings
from hypothesis import strategies as st

from lingtan.carbon.activity import parse_activity
from lingtan.carbon.factors import default_library
from lingtan.carbon.inventory import account
from lingtan.carbon.methods import park_annex4

LIBRARY = default_library()
amount = st.floats(min_value=0, max_value=1e7, allow_nan=False, allow_infinity=False)
FUEL_UNITS = {
    "natural_gas": "Nm3",
    "diesel": "t",
    "gasoline": "t",
    "fuel_oil": "t",
    "anthracite": "t",
}


@st.composite
def activities(draw: st.DrawFn) -> dict[str, Any]:
    fuels = [
        {
            "fuel": f,
            "use": draw(st.sampled_from(["terminal", "power", "heat", "bunker", "feedstock"])),
            "amount": draw(amount),
            "unit": FUEL_UNITS[f],
        }
        for f in draw(st.lists(st.sampled_from(sorted(FUEL_UNITS)), max_size=4))
    ]
    grid = draw(amount)
    green = draw(st.floats(min_value=0, max_value=1)) * grid
    direct = draw(amount)
    share = st.floats(min_value=0, max_value=1)
    received = [
        {"kind": "grid", "kwh": grid},
        {"kind": "green_certified", "kwh": green},
        {"kind": "direct_non_fossil", "kwh": direct},
    ]
    # exports never exceed what was received, so the park's energy consumption stays positive
    sent = [
        {"kind": "fossil", "kwh": draw(share) * (grid - green)},
        {"kind": "non_fossil", "kwh": draw(share) * direct},
    ]
    heat_in = draw(amount)
    heat = {
        "received": [{"kind": draw(st.sampled_from(["fossil", "non_fossil"])), "gj": heat_in}],
        "sent": [{"kind": "fossil", "gj": draw(share) * heat_in}],
    }
    process = [{"product": "石灰", "amount": draw(amount), "unit": "t", "factor": 0.683}]
    # a floor of grid electricity keeps the park's energy consumption positive
    received[0]["kwh"] = grid + 1000.0
    return park_document(
        boundary=draw(st.sampled_from(["park", "enterprise"])),
        fuels=fuels,
        electricity={"received": received, "sent": sent},
        heat=heat,
        process=process,
    )


@settings(max_examples=60, deadline=None)
@given(activities())
def test_total_equals_sum_of_parts(doc: dict[str, Any]) -> None:
    """total = fuel + conversion + electricity + heat + process + bunker, on both bases."""
    inv = account(parse_activity(doc), library=LIBRARY)
    parts = sum(v for k, v in inv.emissions.items() if k != "total")
    assert inv.emissions["total"] == pytest.approx(parts, rel=1e-9, abs=1e-6)


@settings(max_examples=60, deadline=None)
@given(activities(), st.floats(min_value=0.01, max_value=1000))
def test_scaling_activity_scales_emissions(doc: dict[str, Any], k: float) -> None:
    """Multiplying every amount by k multiplies every emission term (and energy in tce) by k."""
    activity = parse_activity(doc)
    base = account(activity, library=LIBRARY)
    scaled = account(activity.scaled(k), library=LIBRARY)
    for term, value in base.emissions.items():
        assert scaled.emissions[term] == pytest.approx(k * value, rel=1e-9, abs=1e-6)
    assert scaled.energy_tce == pytest.approx(k * (base.energy_tce or 0), rel=1e-9, abs=1e-6)
    if base.basis == "park":
        assert scaled.intensity_tco2_per_tce == pytest.approx(base.intensity_tco2_per_tce, rel=1e-9)


@settings(max_examples=200, deadline=None)
@given(amount, st.floats(0, 1), st.floats(0, 1), amount, amount)
def test_exported_not_above_received_keeps_net_electricity_non_negative(
    grid: float, green_share: float, sent_share: float, direct: float, sent_non_fossil: float
) -> None:
    """Sending at most the fossil-factor electricity received keeps E电 ≥ 0 (附件4 二（二）3①)."""
    f = 0.8325e-3
    green = grid * green_share
    sent_fossil = (grid - green) * sent_share
    e = park_annex4.emissions_electricity_net(
        [grid - green, green, direct], [f, 0.0, 0.0], [sent_fossil, sent_non_fossil], [f, 0.0]
    )
    assert e >= -1e-9
