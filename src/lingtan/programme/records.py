"""What programme records compute from the data they cite.

* Circular-economy / carbon-complementarity projects (7.9.13, 8.1.4): each flow's quantity is
  declared or the metered total of its point over the cited period; avoided energy = quantity ×
  the energy factor [tce per flow unit], avoided carbon = quantity × the carbon factor [tCO2
  per flow unit] — each factor cites its record (no factor: no figure, never zero).
* Building energy-saving reviews (7.3.11): each submitted value against the design standard's
  limit record (a null limit is "no limit record", confidence L — lingtan holds no limit values
  of the building design standards); the post-occupancy energy use intensity EUI = Σ metered
  energy of the site's boundary supply and generation points convertible to kWh (exports left
  out) over the cited period / floor area [kWh/m²],
  annualised × 365 / days to compare with the design EUI.
* Significant energy uses (GB/T 23331-2020 6.3): the cited points' metered consumption and its
  share of the owner's boundary supply and generation over the cited period.
* Cleaner-production audits: options by cost class (no/low-cost, medium/high-cost), their
  status and, for an option linked to a measure, the measure's verified savings.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from lingtan import units
from lingtan.errors import InvalidInput
from lingtan.programme import models as m
from lingtan.store import Store

_EPOCH = dt.date(1970, 1, 1).toordinal()


def _span(cites: m.Cites, field: str) -> tuple[dt.date, dt.date]:
    if cites.period_start is None or cites.period_end is None:
        raise InvalidInput(f"{field}: metered values need cites.period_start and period_end",
                           field="cites.period_start")  # fmt: skip
    return cites.period_start, cites.period_end


def _metered(store: Store, point_ids: list[int], first: dt.date, last: dt.date) -> dict[int, float]:
    """Σ statistics per point over local days first … last; points without data left out."""
    out: dict[int, float] = {}
    rows = store.stats.point_periods(point_ids, first.toordinal() - _EPOCH,
                                     last.toordinal() + 1 - _EPOCH)  # fmt: skip
    for r in rows:
        if r.value is not None:
            out[r.point_id] = out.get(r.point_id, 0.0) + float(r.value)
    return out


def _per(factor: m.Factor, flow_unit: str, what: str, k: int) -> float:
    parts = factor.unit.split("/", 1)
    if len(parts) != 2 or parts[1] != flow_unit:
        raise InvalidInput(
            f"body.{what}.unit: {factor.unit} is not per {flow_unit} (flow {k})",
            field=f"body.{what}.unit",
        )
    return factor.value


def circular(
    store: Store, park_id: int, project: m.CircularProject, cites: m.Cites
) -> dict[str, Any]:
    """Flows and avoided energy and carbon of a circular project."""
    points = store.registry.points_by_code(refresh=True)
    flows = []
    tce = tco2 = 0.0
    have_tce = project.energy_factor is not None
    have_co2 = project.carbon_factor is not None
    for k, f in enumerate(project.flows):
        if f.point is not None:
            first, last = _span(cites, f"body.flows.{k}.point")
            p = points[f.point]
            got = _metered(store, [p.id], first, last).get(p.id)
            qty = None if got is None else units.convert(got, p.unit, f.unit)
            source = "metered"
        else:
            qty, source = f.quantity, "declared"
        line: dict[str, Any] = {**f.model_dump(), "quantity": qty, "source": source}
        if qty is not None and project.energy_factor is not None:
            line["avoided_tce"] = qty * _per(project.energy_factor, f.unit, "energy_factor", k)
            tce += line["avoided_tce"]
        if qty is not None and project.carbon_factor is not None:
            line["avoided_tco2"] = qty * _per(project.carbon_factor, f.unit, "carbon_factor", k)
            tco2 += line["avoided_tco2"]
        have_tce = have_tce and qty is not None
        have_co2 = have_co2 and qty is not None
        flows.append(line)
    return {
        "flows": flows,
        "avoided_tce": tce if have_tce else None,
        "avoided_tco2": tco2 if have_co2 else None,
        "energy_factor": None if project.energy_factor is None else project.energy_factor.model_dump(),
        "carbon_factor": None if project.carbon_factor is None else project.carbon_factor.model_dump(),
        "period": [None if cites.period_start is None else cites.period_start.isoformat(),
                   None if cites.period_end is None else cites.period_end.isoformat()],
    }  # fmt: skip


def building(
    store: Store, park_id: int, tz: ZoneInfo, review: m.BuildingReview, cites: m.Cites
) -> dict[str, Any]:
    """Checks of the submitted values and the post-occupancy EUI."""
    del tz
    checks = []
    for v in review.submitted:
        if v.limit is None:
            status = "no_limit_record"
        elif v.limit_kind == "max":
            status = "meets" if v.value <= v.limit else "exceeds"
        else:
            status = "meets" if v.value >= v.limit else "below"
        checks.append({**v.model_dump(), "status": status})
    eui: dict[str, Any] | None = None
    if review.site_code is not None and cites.period_start and cites.period_end:
        site = next(s for s in store.registry.sites(park_id) if s.code == review.site_code)
        pts = [
            p for p in store.registry.points_by_id(refresh=True).values()
            if p.site_id == site.id and p.kind != "measurement" and p.boundary
            and _received(p.carrier)
        ]  # fmt: skip
        counted = [p for p in pts if units.compatible(p.unit, "kWh")]
        sums = _metered(store, [p.id for p in counted], cites.period_start, cites.period_end)
        if sums:
            kwh = sum(units.convert(sums[p.id], p.unit, "kWh") for p in counted if p.id in sums)
            days = (cites.period_end - cites.period_start).days + 1
            value = kwh / review.floor_area_m2
            annual = value * 365.0 / days
            eui = {
                "kwh": kwh, "days": days, "eui_kwh_m2": value,
                "eui_kwh_m2_annualised": annual, "design_eui_kwh_m2": review.design_eui_kwh_m2,
                "ratio_to_design": None if review.design_eui_kwh_m2 is None
                else annual / review.design_eui_kwh_m2,
                "points": [p.code for p in counted if p.id in sums],
                "not_counted": [p.code for p in pts if p not in counted],
            }  # fmt: skip
    return {"checks": checks, "decision": review.decision, "post_occupancy": eui}


def cleaner_production(
    audit: m.CleanerProductionAudit, verified: dict[int, dict[str, Any] | None]
) -> dict[str, Any]:
    """Options by cost class with their linked measures' verified savings."""
    out: dict[str, list[dict[str, Any]]] = {"no_low": [], "medium_high": []}
    for o in audit.options:
        v = verified.get(o.measure_id) if o.measure_id is not None else None
        out[o.cost_class].append({
            **o.model_dump(),
            "verified_savings": None if v is None else v["verification"]["savings"],
            "verified_unit": None if v is None else v["verification"]["unit"],
            "savings_tce": None if v is None else v.get("savings_tce"),
        })  # fmt: skip
    return {
        "stage": audit.stage,
        "options": out,
        "counts": {k: len(v) for k, v in out.items()},
        "implemented": sum(1 for o in audit.options if o.status == "implemented"),
    }


def _received(carrier: str) -> bool:
    """Whether a boundary point of ``carrier`` measures energy used (supply or generation, as
    the energy statistics count it), not energy sent out."""
    from lingtan.indicators.energy import ROLES

    return ROLES.get(carrier, ROLES["other"]).role in ("supply", "generation")


def significant_use(
    store: Store, park_id: int, owner: int | None, cites: m.Cites
) -> dict[str, Any] | None:
    """A significant energy use's metered consumption over the cited period: each cited point's
    total (in its unit) and the share of the owner's consumption — Σ cited points convertible
    to kWh ÷ Σ the owner's boundary supply and generation points convertible to kWh (exports
    left out; GB/T 23331-2020 6.3 b). None
    without cited points or period."""
    if not cites.points or cites.period_start is None or cites.period_end is None:
        return None
    by_code = store.registry.points_by_code(refresh=True)
    cited = [by_code[c] for c in cites.points]
    boundary = [
        p for p in by_code.values()
        if p.park_id == park_id and p.boundary and p.kind != "measurement"
        and (owner is None or p.enterprise_id == owner) and units.compatible(p.unit, "kWh")
        and _received(p.carrier)
    ]  # fmt: skip
    ids = list({p.id for p in cited} | {p.id for p in boundary})
    sums = _metered(store, ids, cites.period_start, cites.period_end)
    lines = [{"point": p.code, "value": sums.get(p.id), "unit": p.unit} for p in cited]
    energy = [p for p in cited if units.compatible(p.unit, "kWh")]
    num = sum(units.convert(sums[p.id], p.unit, "kWh") for p in energy if p.id in sums)
    den = sum(units.convert(sums[p.id], p.unit, "kWh") for p in boundary if p.id in sums)
    return {
        "points": lines,
        "cited_kwh": num if any(p.id in sums for p in energy) else None,
        "owner_kwh": den if any(p.id in sums for p in boundary) else None,
        "share": num / den if den > 0 and any(p.id in sums for p in energy) else None,
    }


def circular_flows(
    store: Store, park_id: int, *, scope: int | None, first: dt.date, last: dt.date
) -> list[dict[str, Any]]:
    """The flows of the park's circular projects for the energy-flow view (7.9.13, 8.1.4).

    A project is shown when its cited period overlaps ``first … last`` or it cites none; with
    ``scope`` an enterprise, only the flows it is party to (supplier or receiver), whoever keeps
    the record. Each flow comes with its basis (declared, or metered at a named point over the
    project's cited period) and its avoided energy and carbon from the project's cited factors
    (:func:`circular`); a flow that cannot be computed (a metered flow without a cited period)
    has no quantity and says why."""
    from lingtan.store.programme_repo import ProgrammeRepo
    from lingtan.store.query_repo import Tenant

    rows = ProgrammeRepo(store).records(
        tenant=Tenant.park_wide(), park_id=park_id, kinds=["circular_project"]
    )
    out: list[dict[str, Any]] = []
    for row in rows:
        cites = m.Cites.model_validate(row.cites)
        if cites.period_start is not None and cites.period_start > last:
            continue
        if cites.period_end is not None and cites.period_end < first:
            continue
        project = m.CircularProject.model_validate(row.body)
        party = [
            k for k, f in enumerate(project.flows)
            if scope is None or scope in (f.supplier_id, f.receiver_id)
        ]  # fmt: skip
        if not party:
            continue
        error: str | None = None
        try:
            lines = circular(store, park_id, project, cites)["flows"]
        except (InvalidInput, KeyError) as e:
            error = str(e)
            lines = [
                {**f.model_dump(), "quantity": f.quantity,
                 "source": "metered" if f.point is not None else "declared"}
                for f in project.flows
            ]  # fmt: skip
        for k in party:
            line = lines[k]
            basis = line["source"]
            out.append({
                "record_id": row.id, "project": project.name, "kind": project.kind,
                "owner_id": row.enterprise_id, "flow": k,
                "supplier_id": line["supplier_id"], "receiver_id": line["receiver_id"],
                "carrier": line["carrier"], "unit": line["unit"],
                "quantity": line["quantity"] if error is None or basis == "declared" else None,
                "basis": basis, "point": line["point"],
                "period_start": None if cites.period_start is None
                else cites.period_start.isoformat(),
                "period_end": None if cites.period_end is None else cites.period_end.isoformat(),
                "avoided_tce": line.get("avoided_tce"),
                "avoided_tco2": line.get("avoided_tco2"),
                "energy_factor": None if project.energy_factor is None
                else project.energy_factor.model_dump(),
                "carbon_factor": None if project.carbon_factor is None
                else project.carbon_factor.model_dump(),
                "error": error,
            })  # fmt: skip
    return out
