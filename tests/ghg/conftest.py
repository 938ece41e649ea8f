"""Small GHG documents for the tests (synthetic plants)."""

from __future__ import annotations

from typing import Any

import pytest

EV = {"kind": "measured", "reference": "LAB-2025-001", "tier": 3}


def series(unit: str, values: list[float | None]) -> dict[str, Any]:
    """A monthly series; None leaves the month out (missing)."""
    return {
        "unit": unit,
        "months": [
            {"month": i + 1, "value": v, "evidence": EV}
            for i, v in enumerate(values)
            if v is not None
        ],
    }


def flat(unit: str, annual: float) -> dict[str, Any]:
    """An annual figure spread evenly over twelve months."""
    return series(unit, [annual / 12] * 12)


@pytest.fixture
def smelter() -> dict[str, Any]:
    """An aluminium smelter: 100 000 t, default anode parameters, CWPB anode effects 0.2 min."""
    return {
        "enterprise": "示例铝业",
        "year": 2025,
        "sector": "aluminium",
        "product": "aluminium",
        "output": flat("t", 100_000),
        "sources": [
            {"id": "anode", "method": "al_anode", "series": {"output": flat("t", 100_000)}},
            {
                "id": "pfc",
                "method": "al_pfc_slope",
                "key": "cwpb",
                "series": {
                    "output": flat("t", 100_000),
                    "anode_effect_minutes": series("AE-min/cell-day", [0.2] * 12),
                },
            },
            {
                "id": "power",
                "method": "electricity",
                "series": {"purchased": flat("MWh", 1_350_000)},
                "params": {"emission_factor": {"record": "grid.2022.national.average"}},
            },
        ],
    }
