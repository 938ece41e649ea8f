"""Input checks for the sector methods (raise ``InvalidInput`` naming the parameter)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from lingtan.carbon.methods._checks import ArrayLike, non_negative
from lingtan.errors import InvalidInput


def share(name: str, values: ArrayLike) -> NDArray[np.float64]:
    """Mass fractions in [0, 1] (contents, purities)."""
    array = non_negative(name, values)
    if np.any(array > 1):
        raise InvalidInput(
            f"{name} must lie in [0, 1] (a mass fraction, not a percent)", field=name
        )
    return array


def aligned(**arrays: NDArray[np.float64]) -> list[NDArray[np.float64]]:
    """The arrays broadcast to one length (scalars repeat); ``InvalidInput`` naming the one
    whose length differs."""
    n = max(a.size for a in arrays.values())
    out = []
    for name, a in arrays.items():
        if a.size not in (1, n):
            raise InvalidInput(f"{name} must have 1 or {n} entries, got {a.size}", field=name)
        out.append(np.broadcast_to(a, (n,)).astype(float))
    return out


def product_sum(**arrays: NDArray[np.float64]) -> float:
    """Σ over entries of the product of the (aligned) arrays."""
    parts = aligned(**arrays)
    prod = np.ones_like(parts[0])
    for p in parts:
        prod = prod * p
    return float(np.sum(prod))
