"""Year-on-year (同比) and month-on-month (环比) figures of the overview, from the monthly
totals the overview service already returns (``year.months``: tce and electricity per month
of the year to date). Pure: the caller fetches the overviews.

Change rate = (current − reference) / reference (GB/T 2589 says nothing of it; this is the
ordinary relative change used in Chinese statistical bulletins for 同比/环比增长率). No rate
when the reference is missing or not positive (shown as —, never as 0 or infinity).
"""

from __future__ import annotations

from typing import Any

#: the monthly totals compared, as named in the overview's ``months`` rows
MEASURES = ("tce", "electricity_kwh")


def rate(current: float | None, reference: float | None) -> float | None:
    """(current − reference) / reference; None when either is unknown or the reference is
    not positive."""
    if current is None or reference is None or reference <= 0:
        return None
    return (current - reference) / reference


def _known(block: dict[str, Any] | None) -> bool:
    """Whether an overview's month or year block has any data (a period with every second
    missing has a total of 0 that means "unknown", never "nothing used")."""
    return block is not None and float(block["quality"]["missing"]) < 1.0 - 1e-9


def _value(overview: dict[str, Any] | None, month: int, measure: str, block: str) -> float | None:
    """One month's total (``block="month"``) or the year to date through ``month``
    (``block="year"``) of an overview; None when unknown."""
    if overview is None or not _known(overview.get(block)):
        return None
    months = overview["year"]["months"]
    rows = [m for m in months if (m["month"] == month if block == "month" else m["month"] <= month)]
    if not rows or any(m[measure] is None for m in rows):
        return None
    return float(sum(m[measure] for m in rows))


def figures(
    current: dict[str, Any],
    previous: dict[str, Any] | None,
    year_before: dict[str, Any] | None,
) -> list[dict[str, Any]]:
    """同比 and 环比 of the month of ``current["as_of"]`` and 同比 of the year to date.

    ``previous``: the overview as of the last day of the month before; ``year_before``: the
    overview as of the same day a year earlier. One row per measure: the month, the previous
    month (whole), the same month last year (to the same day), the year to date and last
    year's; a total whose period has no data at all is unknown (None), not 0."""
    month = int(str(current["as_of"])[5:7])
    prev_no = 12 if month == 1 else month - 1
    out = []
    for measure in MEASURES:
        cur = _value(current, month, measure, "month")
        prev = _value(previous, prev_no, measure, "month")
        ly = _value(year_before, month, measure, "month")
        ytd = _value(current, month, measure, "year")
        ly_ytd = _value(year_before, month, measure, "year")
        out.append(
            {
                "measure": measure,
                "month": cur,
                "previous_month": prev,
                "mom": rate(cur, prev),
                "month_last_year": ly,
                "yoy": rate(cur, ly),
                "ytd": ytd,
                "ytd_last_year": ly_ytd,
                "ytd_yoy": rate(ytd, ly_ytd),
            }
        )
    return out
