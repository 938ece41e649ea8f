"""Stored matching runs: a park-local year matched hour by hour, kept with its method and the
versions of its inputs, so a published matching can be read again as it was and compared with
what the same method gives once late data has arrived.

A run is the park's (matching shares the pool over every consumer's load): storing one is a
park-level action; an enterprise user reads its own consumer of any stored run, never another
consumer, the park total or the priority order. Runs are appended; storing a run with the same
year and method (rule, priority, storage efficiency) marks the current one it replaces
``superseded``, naming the run that replaced it — both stay readable.

**Inputs' versions.** For each consumer the SHA-256 of its hourly input arrays (the balance
carriers of its boundary meters, its trades and certificates spread over the hours) with their
totals and its data status; the same for the pool (park PV less export, park trades and
certificates, the storage flows); the grid-factor series and records used. Two runs whose
digests of a consumer agree matched that consumer from the same hourly inputs.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from typing import Any

import numpy as np

from lingtan.accounting.scope import park_scope, require_enterprise, require_park_level
from lingtan.errors import InvalidInput, NotFound
from lingtan.greenpower.matching.allocate import Rule
from lingtan.greenpower.matching.intensity import intensity
from lingtan.greenpower.matching.service import (
    CARRIERS,
    CHARGE,
    DISCHARGE,
    EXPORT,
    PV,
    MatchingRun,
    run_matching,
    summary,
)
from lingtan.store import Store
from lingtan.store.matching_repo import MatchingRepo, StoredRun
from lingtan.timeutil import to_us, utcnow

#: the version of the matching method a run was computed with (allocation, storage, factors);
#: raised when a change of the method changes results
METHOD_VERSION = "1"
#: the hourly arrays kept per consumer (rows in the order of ``inputs.rows``)
HOURLY = ("load", "matched", "em_location", "em_market", "em_hourly_matched")


def _digest(*arrays: np.ndarray[Any, Any]) -> str:
    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(a, dtype="<f8").tobytes())
    return h.hexdigest()


def input_versions(run: MatchingRun) -> dict[str, Any]:
    """The versions of a run's inputs: per consumer and for the pool, digests and totals."""
    d = run.data
    consumers: dict[str, Any] = {}
    for i, code in enumerate(d.codes):
        rows = [d.flows[c][i] for c in CARRIERS]
        gen = d.generation[i] if d.generation else None
        if gen is not None and gen.hourly is not None:
            rows.append(gen.hourly)  # the direct-supply project's metered generation
        consumers[code] = {
            "enterprise_id": None if d.owners[i] == 0 else d.owners[i],
            "sha256": _digest(*rows, d.trades[i], d.certificates[i]),
            "kwh": {
                **{c: round(float(d.flows[c][i].sum()), 6) for c in CARRIERS},
                "trade": round(float(d.trades[i].sum()), 6),
                "certificate": round(float(d.certificates[i].sum()), 6),
            },
            "missing_grid_hours": int(d.missing_hours[i]),
            "unknown_hours_by_carrier": d.unknown_hours[i],
        }
    pool = (
        d.flows[PV][0],
        d.flows[EXPORT][0],
        d.flows[CHARGE][0],
        d.flows[DISCHARGE][0],
        d.pooled_trades,
        d.pooled_certificates,
    )
    basis = run.factor_basis
    return {
        "consumers": consumers,
        # the consumers in the order of the hourly arrays' rows
        "rows": list(d.codes),
        "pool": {
            "sha256": _digest(*pool),
            "trade_kwh": round(float(d.pooled_trades.sum()), 6),
            "certificate_kwh": round(float(d.pooled_certificates.sum()), 6),
            "certificates_outside_kwh": d.certificates_outside_kwh,
            "trades_outside_kwh": d.trades_outside_kwh,
        },
        "factors": {
            "sha256": _digest(run.factor, np.array([run.residual_factor])),
            "label": basis["label"],
            "series": None if basis["series"] is None else basis["series"].get("id"),
            "annual": basis["annual"].get("id"),
            "residual": run.residual_basis.get("id"),
        },
        "start_us": int(d.hours[0]),
        "hours": int(d.hours.size),
    }


def pack_hourly(run: MatchingRun) -> bytes:
    """The per-consumer hourly arrays and the hourly factor as a compressed ``.npz``."""
    buf = io.BytesIO()
    np.savez_compressed(
        buf,
        load=run.hourly.load,
        matched=run.hourly.matched_total,
        em_location=run.emissions["location"],
        em_market=run.emissions["market"],
        em_hourly_matched=run.emissions["hourly_matched"],
        factor=run.factor,
    )
    return buf.getvalue()


def _unpack(blob: bytes) -> dict[str, np.ndarray[Any, Any]]:
    with np.load(io.BytesIO(blob)) as z:
        return {k: z[k] for k in z.files}


def _cut(doc: dict[str, Any], enterprise_scope: int | None) -> dict[str, Any]:
    """A park-wide report cut to what an enterprise caller may see: its own consumer."""
    if enterprise_scope is None:
        return doc
    return {
        **doc,
        "priority": None,  # the order names other consumers
        "consumers": [c for c in doc["consumers"] if c["enterprise_id"] == enterprise_scope],
        "park_total": None,
    }


def _cut_inputs(inputs: dict[str, Any], enterprise_scope: int | None) -> dict[str, Any]:
    if enterprise_scope is None:
        return inputs
    return {
        "consumers": {
            code: c
            for code, c in inputs["consumers"].items()
            if c["enterprise_id"] == enterprise_scope
        },
        "factors": inputs["factors"],
        "start_us": inputs["start_us"],
        "hours": inputs["hours"],
    }


def _brief(r: StoredRun, enterprise_scope: int | None) -> dict[str, Any]:
    doc = _cut(r.summary, enterprise_scope)
    total = doc["park_total"]
    return {
        "id": r.id,
        "year": r.year,
        "rule": r.rule,
        "priority": None if enterprise_scope is not None else r.priority,
        "storage_efficiency": r.storage_efficiency,
        "method_version": r.method_version,
        "status": r.status,
        "superseded_by": r.superseded_by,
        "superseded_at_us": r.superseded_at,
        "created_by": r.created_by,
        "created_at_us": r.created_at,
        "note": r.note,
        "cfe_hourly": None if total is None else total["cfe_hourly"],
        "consumers": [
            {"code": c["code"], "cfe_hourly": c["cfe_hourly"], "load_kwh": c["load_kwh"]}
            for c in doc["consumers"]
        ],
    }


def store_run(
    store: Store,
    *,
    year: int,
    rule: Rule = "pro_rata",
    priority: Sequence[str] | None = None,
    storage_efficiency: float | None = None,
    note: str | None = None,
    enterprise_scope: int | None = None,
    park_id: int | None = None,
    actor: str = "system",
) -> dict[str, Any]:
    """Match the year and store the run (park-level); the current run of the same year and
    method becomes superseded by it. Returns the new run's brief with ``superseded``."""
    require_park_level(enterprise_scope, "storing a matching run")
    run = run_matching(
        store,
        year=year,
        park_id=park_id,
        rule=rule,
        priority=priority,
        storage_efficiency=storage_efficiency,
    )
    doc = summary(run)
    stored_priority = doc["priority"] if rule == "priority" else None
    repo = MatchingRepo(store)
    scope = run.data.scope
    run_id, old = repo.add_run(
        park_id=scope.park.id,
        year=year,
        rule=rule,
        priority=stored_priority,
        storage_efficiency=storage_efficiency,
        method_version=METHOD_VERSION,
        inputs=input_versions(run),
        summary=doc,
        hourly=pack_hourly(run),
        note=note,
        now=to_us(utcnow()),
        actor=actor,
    )
    got = repo.run(park_id=scope.park.id, run_id=run_id)
    assert got is not None
    return {**_brief(got, None), "superseded": old}


def _stored(store: Store, run_id: int, park_id: int | None, *, hourly: bool = False) -> StoredRun:
    park = park_scope(store, park_id).park
    got = MatchingRepo(store).run(park_id=park.id, run_id=run_id, hourly=hourly)
    if got is None:
        raise NotFound(f"matching run {run_id} not found")
    return got


def list_runs(
    store: Store,
    *,
    year: int | None = None,
    enterprise_scope: int | None = None,
    park_id: int | None = None,
) -> list[dict[str, Any]]:
    """The park's stored runs, newest first, each cut to the caller's scope."""
    park = park_scope(store, park_id).park
    return [
        _brief(r, enterprise_scope) for r in MatchingRepo(store).runs(park_id=park.id, year=year)
    ]


def read_run(
    store: Store, run_id: int, *, enterprise_scope: int | None = None, park_id: int | None = None
) -> dict[str, Any]:
    """A stored run as it was stored: the monthly report and the inputs' versions, cut to the
    caller's scope."""
    r = _stored(store, run_id, park_id)
    return {
        "run": _brief(r, enterprise_scope),
        "inputs": _cut_inputs(r.inputs, enterprise_scope),
        "report": _cut(r.summary, enterprise_scope),
    }


def run_hours(
    store: Store,
    run_id: int,
    *,
    enterprise_id: int | None = None,
    enterprise_scope: int | None = None,
    park_id: int | None = None,
) -> dict[str, Any]:
    """One consumer's stored hours (an enterprise, or with None the park total for park-wide
    callers and one's own enterprise for an enterprise caller), as
    :func:`~lingtan.greenpower.matching.service.owner_hours` gives them live."""
    scope = park_scope(store, park_id)
    if enterprise_id is not None:
        require_enterprise(scope, enterprise_id, enterprise_scope)
    elif enterprise_scope is not None:
        enterprise_id = enterprise_scope
    r = _stored(store, run_id, park_id, hourly=True)
    assert r.hourly is not None
    arrays = _unpack(r.hourly)
    codes = list(r.inputs["rows"])
    owners = [r.inputs["consumers"][c]["enterprise_id"] for c in codes]
    if enterprise_id is None:
        rows = list(range(len(codes)))
        code = r.summary["park"]
    else:
        if enterprise_id not in owners:
            raise NotFound(f"enterprise {enterprise_id} is not a consumer of run {run_id}")
        rows = [owners.index(enterprise_id)]
        code = codes[rows[0]]
    load = arrays["load"][rows].sum(axis=0)
    matched = arrays["matched"][rows].sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        cfe = np.where(load > 0, matched / np.where(load > 0, load, 1.0), np.nan)

    def listed(a: np.ndarray[Any, Any]) -> list[float | None]:
        return [None if not np.isfinite(x) else round(float(x), 6) for x in a]

    return {
        "run_id": r.id,
        "status": r.status,
        "year": r.year,
        "code": code,
        "start_us": r.inputs["start_us"],
        "hours": r.inputs["hours"],
        "load_kwh": listed(load),
        "matched_kwh": listed(matched),
        "cfe": listed(cfe),
        "intensity_kg_per_kwh": {
            basis: listed(intensity(arrays[f"em_{basis}"][rows].sum(axis=0), load))
            for basis in ("location", "market", "hourly_matched")
        },
        "grid_factor_kg_per_kwh": listed(arrays["factor"]),
        "factor_basis": r.summary["factors"]["location_and_hourly"]["label"],
    }


def _diff(before: float | None, after: float | None) -> float | None:
    if before is None or after is None:
        return None
    return after - before


def compare_run(
    store: Store, run_id: int, *, enterprise_scope: int | None = None, park_id: int | None = None
) -> dict[str, Any]:
    """A stored run against the same method run now on today's data (late readings,
    corrected ledger, new factor series): which inputs changed, and per consumer in the
    caller's scope the year's and each month's load, matched green energy and hourly CFE,
    stored and now, with the difference (now − stored)."""
    r = _stored(store, run_id, park_id)
    if r.method_version != METHOD_VERSION:
        raise InvalidInput(
            f"run {run_id} was computed with method version {r.method_version}, "
            f"the platform now uses {METHOD_VERSION}: a comparison would mix methods",
            field="run_id",
        )
    now = run_matching(
        store,
        year=r.year,
        park_id=park_id,
        rule=r.rule,  # type: ignore[arg-type]
        priority=r.priority,
        storage_efficiency=r.storage_efficiency,
    )
    inputs_now = input_versions(now)
    then = _cut(r.summary, enterprise_scope)
    current = _cut(summary(now), enterprise_scope)
    then_in = _cut_inputs(r.inputs, enterprise_scope)
    now_in = _cut_inputs(inputs_now, enterprise_scope)
    changed = sorted(
        code
        for code in set(then_in["consumers"]) | set(now_in["consumers"])
        if then_in["consumers"].get(code, {}).get("sha256")
        != now_in["consumers"].get(code, {}).get("sha256")
    )
    if enterprise_scope is None and r.inputs["pool"]["sha256"] != inputs_now["pool"]["sha256"]:
        changed.append("pool")
    if then_in["factors"]["sha256"] != now_in["factors"]["sha256"]:
        changed.append("factors")
    by_code = {c["code"]: c for c in current["consumers"]}
    consumers = []
    for c in then["consumers"]:
        n = by_code.get(c["code"])
        months = []
        for i, m in enumerate(c["months"]):
            nm = None if n is None else n["months"][i]
            months.append(
                {
                    "month": m["month"],
                    "load_kwh": [m["load_kwh"], None if nm is None else nm["load_kwh"]],
                    "matched_kwh": [
                        m["hourly_matched_kwh"],
                        None if nm is None else nm["hourly_matched_kwh"],
                    ],
                    "cfe_hourly": [m["cfe_hourly"], None if nm is None else nm["cfe_hourly"]],
                    "load_difference_kwh": _diff(
                        m["load_kwh"], None if nm is None else nm["load_kwh"]
                    ),
                    "matched_difference_kwh": _diff(
                        m["hourly_matched_kwh"], None if nm is None else nm["hourly_matched_kwh"]
                    ),
                }
            )
        consumers.append(
            {
                "code": c["code"],
                "in_current_data": n is not None,
                "load_kwh": [c["load_kwh"], None if n is None else n["load_kwh"]],
                "cfe_hourly": [c["cfe_hourly"], None if n is None else n["cfe_hourly"]],
                "cfe_difference": _diff(c["cfe_hourly"], None if n is None else n["cfe_hourly"]),
                "data_status": [c["data_status"], None if n is None else n["data_status"]],
                "months": months,
            }
        )
    out: dict[str, Any] = {
        "run": _brief(r, enterprise_scope),
        "pairs": "[stored, now]",
        "inputs_changed": changed,
        "consumers": consumers,
        "park_total": None,
    }
    if enterprise_scope is None:
        a, b = r.summary["park_total"], current["park_total"]
        out["park_total"] = {
            "load_kwh": [a["load_kwh"], b["load_kwh"]],
            "cfe_hourly": [a["cfe_hourly"], b["cfe_hourly"]],
            "cfe_difference": _diff(a["cfe_hourly"], b["cfe_hourly"]),
            "supply_kwh": [a["supply_kwh"], b["supply_kwh"]],
        }
    return out
