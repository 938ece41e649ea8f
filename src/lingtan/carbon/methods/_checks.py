"""Input checks shared by the formula modules (they raise ``InvalidInput`` naming the parameter)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from lingtan.errors import InvalidInput

ArrayLike = float | Sequence[float] | NDArray[np.float64]

#: Ratio of the molar masses of CO2 and C (44/12): converts a mass of carbon to a mass of CO2.
#: This defines the formula, it is not a published factor, so it lives in code.
CO2_PER_C: float = 44.0 / 12.0


def vector(name: str, values: ArrayLike) -> NDArray[np.float64]:
    """``values`` as a 1-D float array; ``InvalidInput`` if not finite."""
    array = np.atleast_1d(np.asarray(values, dtype=float))
    if array.ndim != 1:
        raise InvalidInput(f"{name} must be a number or a 1-D sequence", field=name)
    if not np.all(np.isfinite(array)):
        raise InvalidInput(f"{name} must be finite", field=name)
    return array


def non_negative(name: str, values: ArrayLike) -> NDArray[np.float64]:
    """``values`` as a 1-D array; ``InvalidInput`` if any is negative (allowed range [0, inf))."""
    array = vector(name, values)
    if np.any(array < 0):
        raise InvalidInput(f"{name} must be ≥ 0 (allowed range [0, inf))", field=name)
    return array


def scalar_non_negative(name: str, value: float) -> float:
    """A finite scalar ≥ 0."""
    if not np.isfinite(value) or value < 0:
        raise InvalidInput(f"{name} must be a finite number ≥ 0, got {value!r}", field=name)
    return float(value)


def scalar_positive(name: str, value: float) -> float:
    """A finite scalar > 0."""
    if not np.isfinite(value) or value <= 0:
        raise InvalidInput(f"{name} must be a finite number > 0, got {value!r}", field=name)
    return float(value)


def fraction(name: str, values: ArrayLike) -> NDArray[np.float64]:
    """Values in (0, 1] (oxidation rates)."""
    array = vector(name, values)
    if np.any((array <= 0) | (array > 1)):
        raise InvalidInput(f"{name} must lie in (0, 1]", field=name)
    return array


def paired(
    name_a: str, a: NDArray[np.float64], name_b: str, b: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Broadcast a scalar against a vector; ``InvalidInput`` if two vectors differ in length."""
    if a.size == 1 and b.size != 1:
        a = np.full(b.shape, a[0])
    elif b.size == 1 and a.size != 1:
        b = np.full(a.shape, b[0])
    if a.shape != b.shape:
        raise InvalidInput(
            f"{name_a} and {name_b} must have the same length ({a.size} ≠ {b.size})", field=name_b
        )
    return a, b


def weighted_sum(
    name_a: str, a: ArrayLike, name_b: str, b: ArrayLike, *, b_may_be_zero: bool = True
) -> float:
    """Σ a·b with both non-negative."""
    x, y = paired(name_a, non_negative(name_a, a), name_b, non_negative(name_b, b))
    return float(np.dot(x, y))
