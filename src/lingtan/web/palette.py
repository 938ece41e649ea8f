"""The one carrier palette of the dashboard: every chart colours a carrier (能源品种) the same.

Keyed by :class:`lingtan.registry.model.Carrier` value; the pages pass the colours to the
scripts with the chart data (``colours`` in each chart's JSON), so no script keeps its own.
Colours were chosen for contrast on white and between neighbours (not from a standard).
"""

from __future__ import annotations

from typing import Final

from lingtan.registry.model import Carrier

#: carrier → colour (CSS hex)
CARRIER_COLOURS: Final[dict[str, str]] = {
    Carrier.ELECTRICITY_GRID_IMPORT.value: "#3a6ea5",  # blue: grid power
    Carrier.ELECTRICITY_EXPORT.value: "#7fa7d1",  # light blue: power sent out
    Carrier.PV_GENERATION.value: "#e0a526",  # amber: sun
    Carrier.DIRECT_GREEN.value: "#2f9e77",  # green: green power
    Carrier.STORAGE_CHARGE.value: "#8e6bbf",  # violet: storage in
    Carrier.STORAGE_DISCHARGE.value: "#b79fdc",  # light violet: storage out
    Carrier.EV_CHARGING.value: "#4db6ac",  # teal
    Carrier.NATURAL_GAS.value: "#d35400",  # orange: gas
    Carrier.DIESEL.value: "#6d4c41",  # brown: oil
    Carrier.GASOLINE.value: "#a1887f",  # light brown: oil
    Carrier.COAL.value: "#37474f",  # charcoal
    Carrier.STEAM.value: "#c0392b",  # red: steam
    Carrier.HEAT.value: "#e57373",  # light red: heat
    Carrier.COOLING.value: "#4fc3f7",  # cyan: cold
    Carrier.WATER.value: "#1565c0",  # deep blue: water
    Carrier.OTHER.value: "#6b7f78",  # grey
}
#: colour of anything not a carrier (totals, the unmetered remainder)
NEUTRAL: Final = "#1f7a5a"
#: quality shading on curves: estimated and missing (partial shows as missing)
QUALITY_COLOURS: Final[dict[str, str]] = {
    "estimated": "rgba(224, 165, 38, 0.25)",
    "partial": "rgba(192, 57, 43, 0.15)",
    "missing": "rgba(192, 57, 43, 0.30)",
}
#: markers of events on curves (flags of the statistics)
EVENT_COLOURS: Final[dict[str, str]] = {"reset": "#c0392b", "spike": "#8e24aa", "jump": "#e65100"}


def colour(carrier: str | None) -> str:
    """The colour of a carrier (unknown ones: the colour of ``other``)."""
    return CARRIER_COLOURS.get(carrier or "", CARRIER_COLOURS[Carrier.OTHER.value])


def series_colours(carriers: list[str]) -> list[str]:
    """Colours of several series: by carrier, and distinct shades when a carrier repeats (two
    electricity meters compared on one chart)."""
    seen: dict[str, int] = {}
    out = []
    for c in carriers:
        k = seen.get(c, 0)
        seen[c] = k + 1
        out.append(colour(c) if k == 0 else _shade(colour(c), k))
    return out


def _shade(hex_colour: str, k: int) -> str:
    """``hex_colour`` lightened (k odd) or darkened (k even) by 25 % per step."""
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    step = min(0.25 * ((k + 1) // 2), 0.75)
    if k % 2:
        r, g, b = (int(x + (255 - x) * step) for x in (r, g, b))
    else:
        r, g, b = (int(x * (1 - step)) for x in (r, g, b))
    return f"#{r:02x}{g:02x}{b:02x}"
