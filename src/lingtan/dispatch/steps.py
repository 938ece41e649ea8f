"""A solved plan as it is stored: its per-step arrays (kW; SoC in kWh; prices 元/kWh; factors
kgCO2/kWh; reasons as dicts) and the energy balance they must keep."""

from __future__ import annotations

from typing import Any

import numpy as np

from lingtan.dispatch.components import Site
from lingtan.dispatch.plan import Plan


def _lists(a: Any) -> list[float]:
    return [round(float(x), 6) for x in np.asarray(a)]


def steps_of(site: Site, plan: Plan) -> dict[str, Any]:
    """The per-step arrays a plan is stored with (kW, kWh for SoC, 元/kWh, kgCO2/kWh)."""
    return {
        "import_kw": _lists(plan.import_kw),
        "export_kw": _lists(plan.export_kw),
        "load_kw": _lists(plan.load_kw),
        "fixed_load_kw": _lists(site.fixed_load_kw),
        "pv_kw": {c: _lists(v) for c, v in plan.pv_kw.items()},
        "pv_forecast_kw": {p.code: _lists(p.forecast_kw) for p in site.pv},
        "curtailed_kw": {c: _lists(v) for c, v in plan.curtailed_kw.items()},
        "charge_kw": {c: _lists(v) for c, v in plan.charge_kw.items()},
        "discharge_kw": {c: _lists(v) for c, v in plan.discharge_kw.items()},
        "soc_kwh": {c: _lists(v) for c, v in plan.soc_kwh.items()},
        "ev_kw": {c: _lists(v) for c, v in plan.ev_kw.items()},
        "ev_charger": {s.code: s.charger for s in site.sessions},
        "flex_kw": {c: _lists(v) for c, v in plan.flex_kw.items()},
        "generator_kw": {c: _lists(v) for c, v in plan.generator_kw.items()},
        "short_kw": _lists(plan.short_kw),
        "surplus_kw": _lists(plan.surplus_kw),
        "marginal_price": _lists(plan.marginal_price),
        "import_price": _lists(site.grid.import_price),
        "export_price": _lists(site.grid.export_price),
        "carbon_factor": _lists(site.grid.carbon_factor),
        "reasons": [[r.as_dict() for r in step] for step in plan.reasons],
    }


def balance_residual(steps: dict[str, Any]) -> Any:
    """Supply − demand per stored step [kW] (zero for every solved plan)."""

    def total(key: str) -> Any:
        return sum((np.asarray(v) for v in steps[key].values()), np.zeros(len(steps["import_kw"])))

    supply = np.asarray(steps["import_kw"]) - np.asarray(steps["export_kw"])
    supply = supply + np.asarray(steps["short_kw"]) - np.asarray(steps["surplus_kw"])
    supply = supply + total("pv_kw") + total("discharge_kw") + total("generator_kw")
    demand = np.asarray(steps["fixed_load_kw"]) + total("charge_kw") + total("ev_kw")
    return supply - (demand + total("flex_kw"))
