"""The microgrid as component tables (after PyPSA/linopy): what the dispatch model optimises.

A :class:`Site` is everything one day-ahead (or intraday) plan needs, in canonical units:
power in kW per step, energy in kWh, prices in 元/kWh (元/kW for the demand charge, 元/tCO2
for the carbon price), grid factors in kgCO2/kWh. Per-step series are arrays of ``steps``
values; step ``t`` covers ``[t·Δ, (t+1)·Δ)`` hours of the horizon with Δ = ``step_hours``.

The tables are checked here, where they are built, so the model never meets a negative
capacity, an efficiency above 1 or a session that departs before it arrives: each error names
the component and the field (``InvalidInput``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
from numpy.typing import NDArray

from lingtan.errors import InvalidInput

F64 = NDArray[np.float64]

#: objective terms, each switched on by a weight > 0 (docs/dispatch.md §Objective)
TERMS: Final = ("energy", "demand", "carbon", "green", "degradation")


def series(
    name: str, values: Sequence[float] | F64, steps: int, *, minimum: float | None = 0.0
) -> F64:
    """One per-step series as a float array of ``steps`` finite values (≥ ``minimum``)."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1 or arr.shape[0] != steps:
        raise InvalidInput(
            f"{name} must have one value per step ({steps}), got {arr.shape}", field=name
        )
    if not np.isfinite(arr).all():
        raise InvalidInput(f"{name} must be finite at every step", field=name)
    if minimum is not None and (arr < minimum).any():
        raise InvalidInput(f"{name} must be ≥ {minimum:g} at every step", field=name)
    return arr


def _check(ok: bool, message: str, name: str) -> None:
    if not ok:
        raise InvalidInput(message, field=name)


def _fraction(name: str, value: float) -> None:
    _check(
        0.0 <= value <= 1.0 and np.isfinite(value), f"{name} must lie in [0, 1], got {value}", name
    )


@dataclass(frozen=True)
class Grid:
    """The park's grid connection (并网点): limits, prices and the grid's carbon per step.

    ``import_price``/``export_price`` [元/kWh] come from the ToU tariff (export from the
    feed-in price; 0 where export earns nothing). ``carbon_factor`` [kgCO2/kWh] is the factor
    of the chosen basis (location, market or hourly series). ``green_share`` [0–1] is the
    carbon-free share of grid electricity per step (0 when unknown: every imported kWh counts
    as not green). ``demand_price`` [元/kW per month] applies to the month's peak import above
    ``month_peak_kw``, the peak already set this month (only an increase costs money).
    """

    import_limit_kw: float
    export_limit_kw: float
    import_price: F64
    export_price: F64
    carbon_factor: F64
    green_share: F64 | None = None
    demand_price: float = 0.0
    month_peak_kw: float = 0.0

    def checked(self, steps: int) -> Grid:
        _check(
            self.import_limit_kw >= 0, "grid import limit must be ≥ 0 kW", "grid.import_limit_kw"
        )
        _check(
            self.export_limit_kw >= 0,
            "grid export limit must be ≥ 0 kW (0: export not allowed)",
            "grid.export_limit_kw",
        )
        _check(self.demand_price >= 0, "demand price must be ≥ 0 元/kW", "grid.demand_price")
        _check(self.month_peak_kw >= 0, "month peak must be ≥ 0 kW", "grid.month_peak_kw")
        share = None
        if self.green_share is not None:
            share = series("grid.green_share", self.green_share, steps)
            _check(
                bool((share <= 1.0).all()),
                "grid green share must lie in [0, 1]",
                "grid.green_share",
            )
        return Grid(
            import_limit_kw=float(self.import_limit_kw),
            export_limit_kw=float(self.export_limit_kw),
            # a negative price is real (spot markets), so only finiteness is required
            import_price=series("grid.import_price", self.import_price, steps, minimum=None),
            export_price=series("grid.export_price", self.export_price, steps, minimum=None),
            carbon_factor=series("grid.carbon_factor", self.carbon_factor, steps),
            green_share=share,
            demand_price=float(self.demand_price),
            month_peak_kw=float(self.month_peak_kw),
        )


@dataclass(frozen=True)
class Pv:
    """A PV plant: its forecast power per step [kW]; the plan may curtail it."""

    code: str
    forecast_kw: F64
    curtailable: bool = True

    def checked(self, steps: int) -> Pv:
        return Pv(
            self.code,
            series(f"pv[{self.code}].forecast_kw", self.forecast_kw, steps),
            self.curtailable,
        )


@dataclass(frozen=True)
class Battery:
    """A battery (储能): ratings, efficiencies, state-of-charge limits and the end target.

    SoC fractions are of ``energy_kwh``. ``soc_end`` is the least SoC at the end of the
    horizon (None: at least the initial SoC, so a day's plan does not borrow from tomorrow).
    ``degradation_cost`` [元/kWh] is charged per kWh discharged (throughput counted once).
    """

    code: str
    energy_kwh: float
    charge_kw: float
    discharge_kw: float
    charge_efficiency: float = 0.95
    discharge_efficiency: float = 0.95
    soc_min: float = 0.1
    soc_max: float = 0.9
    soc_initial: float = 0.5
    soc_end: float | None = None
    degradation_cost: float = 0.0

    def checked(self) -> Battery:
        n = f"battery[{self.code}]"
        _check(self.energy_kwh > 0, f"{n}.energy_kwh must be > 0", f"{n}.energy_kwh")
        _check(
            self.charge_kw >= 0 and self.discharge_kw >= 0,
            f"{n} power ratings must be ≥ 0 kW",
            f"{n}.charge_kw",
        )
        for name in ("charge_efficiency", "discharge_efficiency"):
            v = getattr(self, name)
            _check(0.0 < v <= 1.0, f"{n}.{name} must lie in (0, 1], got {v}", f"{n}.{name}")
        for name in ("soc_min", "soc_max", "soc_initial"):
            _fraction(f"{n}.{name}", getattr(self, name))
        _check(self.soc_min <= self.soc_max, f"{n}.soc_min must not exceed soc_max", f"{n}.soc_min")
        _check(
            self.soc_min <= self.soc_initial <= self.soc_max,
            f"{n}.soc_initial {self.soc_initial} lies outside [soc_min, soc_max]",
            f"{n}.soc_initial",
        )
        if self.soc_end is not None:
            _fraction(f"{n}.soc_end", self.soc_end)
        _check(
            self.degradation_cost >= 0,
            f"{n}.degradation_cost must be ≥ 0 元/kWh",
            f"{n}.degradation_cost",
        )
        return self

    @property
    def end_target(self) -> float:
        """The least SoC at the end of the horizon [fraction]."""
        return self.soc_initial if self.soc_end is None else self.soc_end


@dataclass(frozen=True)
class Charger:
    """An EV charger (充电桩/站): the most power all sessions on it may draw together [kW]."""

    code: str
    max_kw: float

    def checked(self) -> Charger:
        _check(
            self.max_kw >= 0, f"charger[{self.code}].max_kw must be ≥ 0", f"charger[{self.code}]"
        )
        return self


@dataclass(frozen=True)
class EvSession:
    """One EV charging session (V1G: the car only charges): present in steps
    ``[arrival, departure)``, needing ``energy_kwh`` by departure at ≤ ``max_kw``."""

    code: str
    charger: str
    arrival: int
    departure: int
    energy_kwh: float
    max_kw: float

    def checked(self, steps: int) -> EvSession:
        n = f"ev[{self.code}]"
        _check(
            0 <= self.arrival < self.departure <= steps,
            f"{n} must arrive before it departs within the horizon (0 ≤ arrival < departure ≤ {steps})",
            f"{n}.arrival",
        )
        _check(self.energy_kwh >= 0, f"{n}.energy_kwh must be ≥ 0", f"{n}.energy_kwh")
        _check(self.max_kw >= 0, f"{n}.max_kw must be ≥ 0", f"{n}.max_kw")
        return self


@dataclass(frozen=True)
class FlexLoad:
    """A shiftable load: its baseline per step [kW]; within ``[window_start, window_end)`` the
    plan may move up to ``max_shift_kw`` per step, keeping the window's energy unchanged."""

    code: str
    baseline_kw: F64
    window_start: int
    window_end: int
    max_shift_kw: float

    def checked(self, steps: int) -> FlexLoad:
        n = f"flex[{self.code}]"
        _check(
            0 <= self.window_start < self.window_end <= steps,
            f"{n} window must lie within the horizon",
            f"{n}.window_start",
        )
        _check(self.max_shift_kw >= 0, f"{n}.max_shift_kw must be ≥ 0", f"{n}.max_shift_kw")
        return FlexLoad(
            self.code,
            series(f"{n}.baseline_kw", self.baseline_kw, steps),
            self.window_start,
            self.window_end,
            float(self.max_shift_kw),
        )


@dataclass(frozen=True)
class Generator:
    """A diesel or gas generator: a fossil source with its fuel cost [元/kWh] and emission
    factor [kgCO2/kWh electricity]."""

    code: str
    max_kw: float
    fuel_cost: float
    factor: float

    def checked(self) -> Generator:
        n = f"generator[{self.code}]"
        _check(self.max_kw >= 0, f"{n}.max_kw must be ≥ 0", f"{n}.max_kw")
        _check(self.fuel_cost >= 0, f"{n}.fuel_cost must be ≥ 0", f"{n}.fuel_cost")
        _check(self.factor >= 0, f"{n}.factor must be ≥ 0", f"{n}.factor")
        return self


@dataclass(frozen=True)
class DemandResponse:
    """A demand-response call (需求响应): in steps ``[start, end)`` grid import must stay at or
    below ``(1 − reduction) × baseline_kw`` (the baseline the call is judged against)."""

    start: int
    end: int
    reduction: float
    baseline_kw: F64

    def checked(self, steps: int) -> DemandResponse:
        _check(
            0 <= self.start < self.end <= steps,
            "demand-response window must lie within the horizon",
            "demand_response.start",
        )
        _check(
            0.0 < self.reduction <= 1.0,
            f"demand-response reduction must lie in (0, 1], got {self.reduction}",
            "demand_response.reduction",
        )
        return DemandResponse(
            self.start,
            self.end,
            float(self.reduction),
            series("demand_response.baseline_kw", self.baseline_kw, steps),
        )


@dataclass(frozen=True)
class Objective:
    """Weights of the objective terms (0 switches a term off) and the carbon price.

    * ``energy``: energy cost of imports less export revenue and generator fuel [元];
    * ``demand``: demand charge on the increase of the month's peak import [元];
    * ``carbon``: emissions [tCO2] × ``carbon_price`` [元/tCO2];
    * ``green``: ``green_price`` [元/kWh] for every kWh of the load not met carbon-free in its
      step (grid import × (1 − grid green share)): the hourly CFE score priced;
    * ``degradation``: battery throughput × its degradation cost [元].
    """

    energy: float = 1.0
    demand: float = 1.0
    carbon: float = 0.0
    green: float = 0.0
    degradation: float = 1.0
    carbon_price: float = 0.0
    green_price: float = 0.0

    def checked(self) -> Objective:
        for name in (*TERMS, "carbon_price", "green_price"):
            v = getattr(self, name)
            _check(
                v >= 0 and np.isfinite(v),
                f"objective.{name} must be finite and ≥ 0",
                f"objective.{name}",
            )
        return self


@dataclass(frozen=True)
class Site:
    """Everything one plan needs: the horizon, the fixed load and the component tables."""

    steps: int
    step_hours: float
    #: load nobody plans (the park's demand without EVs, flexible loads and storage) [kW]
    fixed_load_kw: F64
    grid: Grid
    pv: tuple[Pv, ...] = ()
    batteries: tuple[Battery, ...] = ()
    chargers: tuple[Charger, ...] = ()
    sessions: tuple[EvSession, ...] = ()
    flex: tuple[FlexLoad, ...] = ()
    generators: tuple[Generator, ...] = ()
    demand_response: DemandResponse | None = None
    objective: Objective = field(default_factory=Objective)

    def checked(self) -> Site:
        """The same site with every table validated (raises ``InvalidInput``)."""
        _check(self.steps > 0, "a plan needs at least one step", "steps")
        _check(0.0 < self.step_hours <= 24.0, "step_hours must lie in (0, 24]", "step_hours")
        seen: set[tuple[str, str]] = set()
        for kind, items in (
            ("pv", self.pv),
            ("battery", self.batteries),
            ("charger", self.chargers),
            ("ev", self.sessions),
            ("flex", self.flex),
            ("generator", self.generators),
        ):
            for item in items:
                _check(bool(item.code), f"every {kind} needs a code", kind)
                _check(
                    (kind, item.code) not in seen, f"{kind} code {item.code!r} appears twice", kind
                )
                seen.add((kind, item.code))
        known_chargers = {c.code for c in self.chargers}
        for s in self.sessions:
            _check(
                s.charger in known_chargers,
                f"ev[{s.code}] names unknown charger {s.charger!r}",
                f"ev[{s.code}].charger",
            )
        n = self.steps
        return Site(
            steps=n,
            step_hours=float(self.step_hours),
            fixed_load_kw=series("fixed_load_kw", self.fixed_load_kw, n),
            grid=self.grid.checked(n),
            pv=tuple(p.checked(n) for p in self.pv),
            batteries=tuple(b.checked() for b in self.batteries),
            chargers=tuple(c.checked() for c in self.chargers),
            sessions=tuple(s.checked(n) for s in self.sessions),
            flex=tuple(f.checked(n) for f in self.flex),
            generators=tuple(g.checked() for g in self.generators),
            demand_response=None
            if self.demand_response is None
            else self.demand_response.checked(n),
            objective=self.objective.checked(),
        )
