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


def _month(months: list[dict[str, Any]], month: int) -> dict[str, Any] | None:
    return next((m for m in months if m["month"] == month), None)


def _ytd(months: list[dict[str, Any]], through: int, measure: str) -> float | None:
    values = [m[measure] for m in months if m["month"] <= through]
    if not values or any(v is None for v in values):
        return None
    return float(sum(values))


def figures(
    current: dict[str, Any],
    year_before: dict[str, Any] | None,
    month_before_months: list[dict[str, Any]] | None,
) -> list[dict[str, Any]]:
    """同比 and 环比 of the month of ``current["as_of"]`` and 同比 of the year to date.

    ``year_before``: the overview as of the same day a year earlier; ``month_before_months``:
    the monthly totals holding the previous month (the current year's, or in January the
    previous year's through December). One row per measure: the month, the previous month
    (whole), the same month last year (to the same day), the year to date and last year's."""
    as_of = str(current["as_of"])
    month = int(as_of[5:7])
    months = current["year"]["months"]
    prev_months = month_before_months if month_before_months is not None else months
    prev_no = 12 if month == 1 else month - 1
    ly_months = year_before["year"]["months"] if year_before is not None else []
    out = []
    for measure in MEASURES:
        cur = _month(months, month)
        prev = _month(prev_months, prev_no)
        ly = _month(ly_months, month)
        cur_v = None if cur is None else cur[measure]
        prev_v = None if prev is None else prev[measure]
        ly_v = None if ly is None else ly[measure]
        ytd = _ytd(months, month, measure)
        ly_ytd = _ytd(ly_months, month, measure) if ly_months else None
        out.append(
            {
                "measure": measure,
                "month": cur_v,
                "previous_month": prev_v,
                "mom": rate(cur_v, prev_v),
                "month_last_year": ly_v,
                "yoy": rate(cur_v, ly_v),
                "ytd": ytd,
                "ytd_last_year": ly_ytd,
                "ytd_yoy": rate(ytd, ly_ytd),
            }
        )
    return out
