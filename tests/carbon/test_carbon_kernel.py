"""The in-memory kernel: shapes, index checks, per-boundary factors."""

from __future__ import annotations

import numpy as np
import pytest

from lingtan.carbon.kernel import aggregate_point_hours, hourly_emissions
from lingtan.errors import InvalidInput


def test_aggregate_small_by_hand() -> None:
    """Points (b, c): p0 (0,0) [1,2], p1 (0,0) [3,4], p2 (1,1) [5,6] → totals [4,6] and [5,6].

    Factors c0 [0.1, 0.2], c1 [1, 0]: e[0,0] = 4×0.1 + 6×0.2 = 1.6; e[1,1] = 5×1 + 6×0 = 5.
    """
    values = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    totals = aggregate_point_hours(values, np.array([0, 0, 1]), np.array([0, 0, 1]), 2, 2)
    np.testing.assert_array_equal(totals[0, 0], [4.0, 6.0])
    np.testing.assert_array_equal(totals[1, 1], [5.0, 6.0])
    np.testing.assert_array_equal(totals[0, 1], [0.0, 0.0])
    e = hourly_emissions(totals, np.array([[0.1, 0.2], [1.0, 0.0]]))
    np.testing.assert_allclose(e, [[1.6, 0.0], [0.0, 5.0]])
    per_boundary = np.broadcast_to(np.array([[0.1, 0.2], [1.0, 0.0]]), (2, 2, 2)).copy()
    per_boundary[1, 1] = [2.0, 0.0]
    np.testing.assert_allclose(hourly_emissions(totals, per_boundary), [[1.6, 0.0], [0.0, 10.0]])


def test_kernel_rejects_bad_shapes_and_indices() -> None:
    """Indices out of range and mismatched shapes are InvalidInput naming the argument."""
    values = np.ones((2, 3))
    with pytest.raises(InvalidInput) as err:
        aggregate_point_hours(values, np.array([0, 5]), np.array([0, 0]), 2, 1)
    assert err.value.field == "boundary_index"
    with pytest.raises(InvalidInput) as err:
        aggregate_point_hours(values, np.array([0, 0]), np.array([0, -1]), 2, 1)
    assert err.value.field == "carrier_index"
    with pytest.raises(InvalidInput):
        aggregate_point_hours(np.ones(3), np.array([0]), np.array([0]), 1, 1)
    with pytest.raises(InvalidInput) as err:
        hourly_emissions(np.ones((1, 2, 3)), np.ones((2, 4)))
    assert err.value.field == "factors"
