"""Monthly quantities (certificates' monthly shares, monthly trade settlements) spread over
the hours of their month.

A certificate (绿证) stands for 1 000 kWh (发改能源〔2023〕1044号); matching counts it as the
carbon accounting does, pro rata over the months of the consumption period it was retired
for (:func:`lingtan.greenpower.counting.count_green`). No hour is on a certificate or a
trade settlement (绿电交易结算), so each month's amount is spread evenly over the local hours
of that month. Energy whose month lies outside the matched hours is returned, never dropped
silently."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from lingtan.errors import InvalidInput

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


def spread_over_month_hours(
    month_keys: Sequence[int], kwh: Sequence[float], hour_months: I64
) -> tuple[F64, float]:
    """Hourly energy from monthly amounts: each month's kWh ÷ its number of matched hours.

    Parameters
    ----------
    month_keys : sequence of int
        Month of each amount as ``year * 12 + month - 1``.
    kwh : sequence of float
        Energy of each amount [kWh], ≥ 0.
    hour_months : array of int
        Local month key of each matched hour (same encoding).

    Returns
    -------
    (hourly [kWh], outside [kWh]): the spread energy per hour and the energy whose month has
    no hour in ``hour_months``.

    Notes
    -----
    e_h = Σ_{i: m_i = m(h)} E_i / N_m(h), with N_m the hours of month m — Σ_h e_h + outside =
    Σ_i E_i exactly (up to float rounding).
    """
    keys = np.asarray(month_keys, np.int64)
    amounts = np.asarray(kwh, np.float64)
    if keys.shape != amounts.shape:
        raise InvalidInput("one month per amount", field="kwh")
    if not np.isfinite(amounts).all() or (amounts < 0).any():
        raise InvalidInput("monthly amounts must be finite and ≥ 0 kWh", field="kwh")
    hm = np.asarray(hour_months, np.int64)
    months, counts = np.unique(hm, return_counts=True)
    pos = np.searchsorted(months, keys)
    inside = (
        (pos < months.size) & (months[np.minimum(pos, max(months.size - 1, 0))] == keys)
        if months.size
        else np.zeros(keys.shape, bool)
    )
    per_month = np.zeros(months.size)
    np.add.at(per_month, pos[inside], amounts[inside])
    rate = per_month / np.maximum(counts, 1)
    hourly = rate[np.searchsorted(months, hm)] if hm.size else np.zeros(0)
    return hourly.astype(np.float64), float(amounts[~inside].sum())
