r"""In-memory accounting kernel for hourly statistics: aggregate first, then multiply.

Within one hour a factor is constant, so :math:`\sum_p kWh_{p,h} f_h = f_h \sum_p kWh_{p,h}`:
point-hour activity is summed to (boundary, carrier, hour) totals first and only those totals are
multiplied by the hourly factors. Exact, and the multiplication touches B·C·H numbers instead of
P·H. The store-backed path keeps the same (boundary, carrier, hour) rollups as data arrives and
calls :func:`hourly_emissions` directly.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from lingtan.errors import InvalidInput


def aggregate_point_hours(
    values: NDArray[np.floating],
    boundary_index: NDArray[np.integer],
    carrier_index: NDArray[np.integer],
    n_boundaries: int,
    n_carriers: int,
) -> NDArray[np.float64]:
    """Sum point-hour activity into (boundary, carrier, hour) totals.

    Parameters
    ----------
    values : ndarray, shape (P, H)
        Hourly activity of each metering point (kWh, GJ, Nm3 ... per carrier's unit). [unit]
    boundary_index : ndarray of int, shape (P,)
        Boundary (enterprise, building ...) of each point, in ``[0, n_boundaries)``.
    carrier_index : ndarray of int, shape (P,)
        Carrier of each point, in ``[0, n_carriers)``.
    n_boundaries, n_carriers : int
        Sizes of the output.

    Returns
    -------
    ndarray, shape (n_boundaries, n_carriers, H)
        Hourly totals per boundary and carrier. [unit]
    """
    if values.ndim != 2:
        raise InvalidInput("values must have shape (points, hours)", field="values")
    n_points, n_hours = values.shape
    b = np.asarray(boundary_index, dtype=np.int64)
    c = np.asarray(carrier_index, dtype=np.int64)
    if b.shape != (n_points,) or c.shape != (n_points,):
        raise InvalidInput(
            "boundary_index and carrier_index need one entry per point", field="boundary_index"
        )
    if n_points and (b.min() < 0 or b.max() >= n_boundaries):
        raise InvalidInput(
            f"boundary_index must lie in [0, {n_boundaries})", field="boundary_index"
        )
    if n_points and (c.min() < 0 or c.max() >= n_carriers):
        raise InvalidInput(f"carrier_index must lie in [0, {n_carriers})", field="carrier_index")
    group = b * n_carriers + c
    out = np.zeros((n_boundaries * n_carriers, n_hours), dtype=np.float64)
    # Points arrive grouped (the store orders them by boundary and carrier): sum each run of
    # equal group ids with one reduceat over a contiguous block, never copying the input.
    if n_points:
        change = np.flatnonzero(np.diff(group)) + 1
        starts = np.concatenate(([0], change))
        ends = np.concatenate((change, [n_points]))
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
            out[group[start]] += values[start:end].sum(axis=0)
    return out.reshape(n_boundaries, n_carriers, n_hours)


def hourly_emissions(
    activity: NDArray[np.floating], factors: NDArray[np.floating]
) -> NDArray[np.float64]:
    """Emissions per boundary and carrier from hourly totals and hourly factors.

    Parameters
    ----------
    activity : ndarray, shape (B, C, H)
        Hourly activity totals, e.g. from :func:`aggregate_point_hours`. [unit]
    factors : ndarray, shape (C, H) or (B, C, H)
        Emission factor of each carrier (optionally per boundary) in each hour; a carrier with a
        constant factor repeats it. [tCO2/unit]

    Returns
    -------
    ndarray, shape (B, C)
        :math:`\\sum_h A_{b,c,h} f_{c,h}`. [tCO2]
    """
    if activity.ndim != 3:
        raise InvalidInput(
            "activity must have shape (boundaries, carriers, hours)", field="activity"
        )
    if factors.shape == activity.shape:
        same: NDArray[np.float64] = np.einsum("bch,bch->bc", activity, factors)
        return same
    if factors.shape != activity.shape[1:]:
        raise InvalidInput(
            f"factors must have shape {activity.shape[1:]} or {activity.shape}, got {factors.shape}",
            field="factors",
        )
    out: NDArray[np.float64] = np.einsum("bch,ch->bc", activity, factors)
    return out
