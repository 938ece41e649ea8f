"""Rule-based comparisons for the dispatch plan: self-consumption and no battery (pure numpy).

Both work per step (Δ = ``step_hours`` [h]) on power [kW] and state of charge [kWh], with the
battery model of :class:`lingtan.dispatch.components.Battery` (the LP's):
``soc_t = soc_t−1 + Δ·(η_ch·ch_t − dis_t/η_dis)``, ``soc_min·E ≤ soc ≤ soc_max·E``,
``0 ≤ ch ≤ P_ch``, ``0 ≤ dis ≤ P_dis``.

* :func:`self_consumption` — the usual rule of a PV battery (自发自用): charge from the PV
  surplus (PV − load) up to the charge rating and ``soc_max``; discharge to cover the deficit
  (load − PV) down to ``soc_min``; never from or to the grid.
* :func:`no_battery` — the same site without storage.
* :func:`run` — the settlement both use (and the replay uses to execute a plan's battery
  setpoints against actual load and PV): requested setpoints clipped to what the ratings and
  the SoC allow, then the grid takes the rest: import up to the import limit (beyond it the
  load is short), export up to the export limit, the surplus beyond it curtailed from PV; a
  discharge that would only be curtailed is reduced.

Every step conserves energy: ``import − export + (PV − curtailed) + dis − ch + short = load``
(:meth:`Flows.residual` is zero).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lingtan.dispatch.components import F64, Battery
from lingtan.errors import InvalidInput


@dataclass(frozen=True)
class Flows:
    """Per-step flows [kW] of one settled horizon and the SoC at each step's end [kWh]."""

    import_kw: F64
    export_kw: F64
    charge_kw: F64
    discharge_kw: F64
    soc_kwh: F64  # zeros without a battery
    curtailed_kw: F64  # PV not used (export limit reached, nothing to charge)
    short_kw: F64  # load not served (import limit reached)

    def residual(self, load_kw: F64, pv_kw: F64) -> F64:
        """Supply − demand per step [kW] (zero when energy is conserved)."""
        supply = self.import_kw - self.export_kw + (pv_kw - self.curtailed_kw)
        supply = supply + self.discharge_kw + self.short_kw
        return np.asarray(supply - self.charge_kw - load_kw, dtype=np.float64)

    @property
    def end_soc_kwh(self) -> float:
        """The SoC after the last step [kWh] (0 without a battery)."""
        return float(self.soc_kwh[-1]) if self.soc_kwh.size else 0.0


def _arr(name: str, values: F64, steps: int | None = None) -> F64:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1 or (steps is not None and arr.shape[0] != steps):
        raise InvalidInput(f"{name} must be one value per step", field=name)
    if not np.isfinite(arr).all() or (arr < 0).any():
        raise InvalidInput(f"{name} must be finite and ≥ 0 at every step", field=name)
    return arr


def run(
    load_kw: F64,
    pv_kw: F64,
    *,
    step_hours: float,
    export_limit_kw: float,
    import_limit_kw: float = math.inf,
    battery: Battery | None = None,
    charge_kw: F64 | None = None,
    discharge_kw: F64 | None = None,
    soc_initial_kwh: float | None = None,
    track_import_kw: F64 | None = None,
    track_export_kw: F64 | None = None,
) -> Flows:
    """Settle requested battery setpoints [kW] against ``load_kw`` and ``pv_kw`` step by step.

    Method: per step, charge = min(request, P_ch, (soc_max·E − soc)/(Δ·η_ch)); discharge =
    min(request, P_dis, (soc − soc_min·E)·η_dis/Δ) on the SoC after charging; net = load + ch −
    dis − PV; import = min(net⁺, import limit), short = the rest; the surplus net⁻ is exported
    up to the export limit, then curtailed from PV, and what PV cannot absorb reduces the
    discharge. ``soc_initial_kwh`` defaults to ``battery.soc_initial × E``.

    With ``track_import_kw``/``track_export_kw`` (a plan's grid flows), the battery also
    absorbs what would take the grid beyond them: import above the tracked import first
    lowers the charge, then raises the discharge; export above the tracked export first
    lowers the discharge, then raises the charge — within the ratings and the SoC.
    """
    load = _arr("load_kw", load_kw)
    n = load.shape[0]
    pv = _arr("pv_kw", pv_kw, n)
    zeros = np.zeros(n)
    ch_req = zeros if charge_kw is None else _arr("charge_kw", charge_kw, n)
    dis_req = zeros if discharge_kw is None else _arr("discharge_kw", discharge_kw, n)
    tracking = battery is not None and track_import_kw is not None and track_export_kw is not None
    cap_imp = zeros if track_import_kw is None else _arr("track_import_kw", track_import_kw, n)
    cap_exp = zeros if track_export_kw is None else _arr("track_export_kw", track_export_kw, n)
    imp, exp, ch, dis = zeros.copy(), zeros.copy(), zeros.copy(), zeros.copy()
    soc_out, curt, short = zeros.copy(), zeros.copy(), zeros.copy()
    dt = step_hours
    if battery is not None:
        b = battery.checked()
        lo, hi = b.soc_min * b.energy_kwh, b.soc_max * b.energy_kwh
        soc = b.soc_initial * b.energy_kwh if soc_initial_kwh is None else soc_initial_kwh
        if not lo - 1e-6 <= soc <= hi + 1e-6:
            raise InvalidInput(
                f"initial SoC {soc:.3f} kWh lies outside [{lo:.3f}, {hi:.3f}]", field="soc"
            )
        eta_c, eta_d = b.charge_efficiency, b.discharge_efficiency
    for t in range(n):
        c = d = 0.0
        if battery is not None:
            c = min(ch_req[t], b.charge_kw, max(hi - soc, 0.0) / (dt * eta_c))
            after = soc + dt * eta_c * c
            d = min(dis_req[t], b.discharge_kw, max(after - lo, 0.0) * eta_d / dt)
            if tracking:
                c, d = _track(b, soc, c, d, load[t] + c - d - pv[t], cap_imp[t], cap_exp[t], dt)
        net = load[t] + c - d - pv[t]
        if net >= 0.0:
            imp[t] = min(net, import_limit_kw)
            short[t] = net - imp[t]
        else:
            surplus = -net
            exp[t] = min(surplus, export_limit_kw)
            excess = surplus - exp[t]
            curt[t] = min(excess, pv[t])
            cut = min(excess - curt[t], d)  # a discharge nothing can take
            d -= cut
        if battery is not None:
            soc = min(max(soc + dt * (eta_c * c - d / eta_d), lo), hi)
            soc_out[t] = soc
        ch[t], dis[t] = c, d
    return Flows(imp, exp, ch, dis, soc_out, curt, short)


def _track(
    b: Battery,
    soc: float,
    c: float,
    d: float,
    net: float,
    cap_imp: float,
    cap_exp: float,
    dt: float,
) -> tuple[float, float]:
    """Charge and discharge moved so the net grid flow stays within [−cap_exp, cap_imp]."""
    lo, hi = b.soc_min * b.energy_kwh, b.soc_max * b.energy_kwh
    eta_c, eta_d = b.charge_efficiency, b.discharge_efficiency
    if net > cap_imp:
        need = net - cap_imp
        cut = min(need, c)
        c, need = c - cut, need - cut
        room = min(b.discharge_kw, max(soc + dt * eta_c * c - lo, 0.0) * eta_d / dt)
        d += min(need, max(room - d, 0.0))
    elif -net > cap_exp:
        excess = -net - cap_exp
        cut = min(excess, d)
        d, excess = d - cut, excess - cut
        room = min(b.charge_kw, max(hi - soc, 0.0) / (dt * eta_c))
        c += min(excess, max(room - c, 0.0))
        # charging more may leave less SoC for the discharge left
        d = min(d, max(soc + dt * eta_c * c - lo, 0.0) * eta_d / dt)
    return c, d


def self_consumption(
    load_kw: F64,
    pv_kw: F64,
    battery: Battery,
    *,
    step_hours: float,
    export_limit_kw: float,
    import_limit_kw: float = math.inf,
    soc_initial_kwh: float | None = None,
) -> Flows:
    """The self-consumption rule: charge from the PV surplus (PV − load)⁺, discharge to cover
    the deficit (load − PV)⁺, each clipped by the ratings and the SoC limits (:func:`run`)."""
    load = _arr("load_kw", load_kw)
    pv = _arr("pv_kw", pv_kw, load.shape[0])
    return run(
        load,
        pv,
        step_hours=step_hours,
        export_limit_kw=export_limit_kw,
        import_limit_kw=import_limit_kw,
        battery=battery,
        charge_kw=np.maximum(pv - load, 0.0),
        discharge_kw=np.maximum(load - pv, 0.0),
        soc_initial_kwh=soc_initial_kwh,
    )


def no_battery(
    load_kw: F64,
    pv_kw: F64,
    *,
    step_hours: float,
    export_limit_kw: float,
    import_limit_kw: float = math.inf,
) -> Flows:
    """No storage: import = (load − PV)⁺, export = min((PV − load)⁺, export limit), the rest
    curtailed (:func:`run` without a battery)."""
    return run(
        load_kw,
        pv_kw,
        step_hours=step_hours,
        export_limit_kw=export_limit_kw,
        import_limit_kw=import_limit_kw,
    )
