"""State of green charge of a storage (储能): which share of what it discharges is green.

A storage adds no green energy of its own (no certificates are issued for independent storage,
domain reference §3.4); it shifts green energy it was charged with, minus its losses. The
tracking keeps two stocks, the stored energy E and its green part G [kWh]:

* discharge first, at the share of the stock at the start of the hour:
  g_out,h = min(d_h, E) · G / E;  G ← G − g_out,h;  E ← max(E − d_h, 0);
  discharge beyond E (a meter or an unknown initial state) is not green and is reported;
* then charge, green first from the green supply left in the hour:
  g_in,h = min(c_h, a_h);  E ← E + η · c_h;  G ← G + η · g_in,h;  loss_h = (1 − η) · g_in,h,

with η the round-trip efficiency, applied when energy enters the store. Green energy is
conserved: G_0 + Σ g_in = Σ g_out + Σ loss + G_end.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from lingtan.errors import InvalidInput

F64 = NDArray[np.float64]


@dataclass(frozen=True)
class StorageFlows:
    """Metered hourly charge and discharge of one storage [kWh] and its round-trip efficiency."""

    charge: F64
    discharge: F64
    #: round-trip efficiency η (0, 1]: energy out ÷ energy in over a full cycle
    efficiency: float
    #: energy in store at the start [kWh] and its green part (carried over from before)
    initial_energy: float = 0.0
    initial_green: float = 0.0


@dataclass(frozen=True)
class StorageResult:
    """Green flows of the storage per hour [kWh]."""

    green_in: F64
    green_out: F64
    green_loss: F64
    #: discharge no stored energy explains (counted as not green) [kWh]
    unexplained: F64
    initial_green: float
    end_energy: float
    end_green: float


def track_green_share(flows: StorageFlows, green_available: F64) -> StorageResult:
    """Track the green part of the stored energy hour by hour.

    Parameters
    ----------
    flows : StorageFlows
        Charge and discharge [kWh] per hour, efficiency η in (0, 1].
    green_available : array [kWh]
        Green energy of each hour that no consumer took and the storage may charge with.

    Notes
    -----
    See the module docstring for the equations.
    """
    charge = np.asarray(flows.charge, dtype=np.float64)
    discharge = np.asarray(flows.discharge, dtype=np.float64)
    avail = np.asarray(green_available, dtype=np.float64)
    if not (charge.shape == discharge.shape == avail.shape) or charge.ndim != 1:
        raise InvalidInput(
            "storage charge, discharge and green supply must be hourly arrays of one length",
            field="storage",
        )
    for name, arr in (("storage.charge", charge), ("storage.discharge", discharge)):
        if not np.isfinite(arr).all() or (arr < 0).any():
            raise InvalidInput(f"{name} must be finite and ≥ 0 kWh every hour", field=name)
    eta = float(flows.efficiency)
    if not 0.0 < eta <= 1.0:
        raise InvalidInput(
            f"storage round-trip efficiency must lie in (0, 1], got {eta}", field="efficiency"
        )
    if not 0.0 <= flows.initial_green <= flows.initial_energy:
        raise InvalidInput(
            "initial green energy must lie between 0 and the initial stored energy",
            field="initial_green",
        )
    g_in = np.minimum(charge, np.maximum(avail, 0.0))
    n = charge.shape[0]
    g_out = np.zeros(n)
    unexplained = np.zeros(n)
    e, g = float(flows.initial_energy), float(flows.initial_green)
    # the only sequential part of matching: the state carries over from hour to hour
    for h, (c, d, gi) in enumerate(
        zip(charge.tolist(), discharge.tolist(), g_in.tolist(), strict=True)
    ):
        if d > 0.0:
            taken = min(d, e)
            out = taken * g / e if e > 0.0 else 0.0
            out = min(out, g)
            g_out[h] = out
            g -= out
            unexplained[h] = d - taken
            e -= taken
        if c > 0.0:
            e += eta * c
            g += eta * gi
    return StorageResult(
        green_in=g_in,
        green_out=g_out,
        green_loss=(1.0 - eta) * g_in,
        unexplained=unexplained,
        initial_green=float(flows.initial_green),
        end_energy=e,
        end_green=g,
    )
