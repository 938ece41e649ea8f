"""Virtual points: hourly statistics as a weighted sum of member points' statistics."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from lingtan.normalize.hourly import HOUR_S, HourlyStats, hour_starts
from lingtan.normalize.quality import Flag


def combine(
    weights: Mapping[int, float], rows: Mapping[int, Mapping[str, Any]], h0: int, h1: int
) -> HourlyStats:
    """Σ weight × member value per hour in [h0, h1).

    An hour is known only if every member has a value for it; otherwise its value is NULL,
    it is entirely missing and flagged ``MEMBER_MISSING``. A known hour takes the largest
    missing and estimated shares among its members (the weakest member sets the quality).
    """
    hours = hour_starts(h0, h1)
    nh = len(hours)
    value = np.zeros(nh)
    known = np.ones(nh, bool)
    missing = np.zeros(nh)
    estimated = np.zeros(nh)
    flags = np.zeros(nh, np.int64)
    n = np.zeros(nh, np.int64)
    for member, weight in weights.items():
        cols = rows.get(member)
        member_value = np.full(nh, np.nan)
        member_missing = np.full(nh, HOUR_S)
        member_est = np.zeros(nh)
        if cols is not None and len(cols["hours"]):
            idx = (cols["hours"] - h0) // (hours[1] - hours[0] if nh > 1 else 1)
            idx = idx.astype(np.int64)
            member_value[idx] = cols["value"]
            member_missing[idx] = cols["missing_s"]
            member_est[idx] = cols["estimated_s"]
            flags[idx] |= cols["flags"]
            n[idx] += cols["n"]
        has = ~np.isnan(member_value)
        known &= has
        value += np.where(has, weight * np.nan_to_num(member_value), 0.0)
        missing = np.maximum(missing, member_missing)
        estimated = np.maximum(estimated, member_est)
    flags = np.where(known, flags, flags | int(Flag.MEMBER_MISSING))
    missing = np.where(known, missing, HOUR_S)
    estimated = np.where(known, np.minimum(estimated, HOUR_S - missing), 0.0)
    measured = HOUR_S - missing - estimated
    nan = np.full(nh, np.nan)
    return HourlyStats(
        hours,
        np.where(known, value, np.nan),
        nan,
        nan.copy(),
        nan.copy(),
        measured,
        estimated,
        missing,
        flags,
        n,
    )
