"""Deviation alarms of the hazardous-waste ledger, raised through the alarm engine.

A rule of kind ``waste`` (lingtan.alarms.rules.WasteRule) names one check; the engine runs it
for each enterprise of the rule's scope on every tick, and :func:`check_now` runs it at once
after a change (a manifest received, an import). Each alarm's message names the rule's source
(the rule's ``source``, else the reference record of the check in ``waste/data``). The checks:

* ``mass_balance`` — per stream and local month, generated − transferred − own − Δstorage
  beyond ``tolerance_t`` and ``tolerance_pct`` % of the generation (HJ 1259-2022: every step
  recorded, so the balance closes);
* ``plan_deviation`` — the year's generation projected from the part elapsed, against the
  management plan, beyond ``max_pct`` (偏离度; no published threshold: configurable, U);
* ``storage_time`` — stored waste within ``warn_days`` of, or past, the one-year limit
  (固废法 第八十一条; the limit counted as in :func:`lingtan.waste.ledger.storage_deadline`), or
  the later limit an approved extension of the batch permits (第八十一条第三款; the message
  names the approval's number);
* ``storage_capacity`` — a facility holding more than its declared capacity (GB 18597-2023);
* ``receipt_difference`` — a manifest received (not yet closed) with a quantity differing from
  the one sent by more than max(``tolerance_t``, ``tolerance_pct`` % of what was sent) (closing
  it after review clears the alarm);
* ``manifest_open`` — a manifest dispatched and not closed after ``open_days``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final
from zoneinfo import ZoneInfo

from lingtan.alarms.engine import Engine, register_assessor
from lingtan.alarms.model import Finding, RuleKind, Subject
from lingtan.identity.roles import Principal
from lingtan.store import Store
from lingtan.store.query_repo import Tenant
from lingtan.store.waste_repo import WasteRepo
from lingtan.timeutil import from_us
from lingtan.waste import catalogue, ledger
from lingtan.waste import manifests as mf

DAY_US: Final = 86_400 * 1_000_000
#: the reference record whose source each check names by default
CHECK_RECORD: Final = {
    "mass_balance": "ledger",
    "plan_deviation": "plan-deviation",
    "storage_time": "storage-time-limit",
    "storage_capacity": "storage-facility",
    "receipt_difference": "transfer-manifest",
    "manifest_open": "manifest-open",
}


def source_of(rule: Any) -> str:
    """The source an alarm of the rule names."""
    return str(rule.source or catalogue.rule(CHECK_RECORD[rule.check]).source)


def _park_tz(store: Store, enterprise_id: int) -> tuple[int, ZoneInfo]:
    for park in store.registry.parks():
        if any(e.id == enterprise_id for e in store.registry.enterprises(park.id)):
            return park.id, ZoneInfo(park.timezone)
    raise LookupError(enterprise_id)


def assess(store: Store, rule: Any, subject: Subject, now: int) -> Finding | None:
    """The check of a waste rule for one enterprise (the engine's assessor)."""
    if subject.enterprise_id is None:
        return None
    ent = subject.enterprise_id
    park_id, tz = _park_tz(store, ent)
    repo = WasteRepo(store)
    tenant = Tenant(ent)
    source = source_of(rule)
    check = rule.check
    if check in ("receipt_difference", "manifest_open"):
        return _manifests(repo, rule, subject, park_id, tenant, now, source)
    moves = repo.movements(tenant=tenant, park_id=park_id, until=now + 1)
    streams = {x.id: x for x in repo.streams(tenant=tenant, park_id=park_id)}
    if check == "mass_balance":
        bad = []
        for b in ledger.balances(moves, tz):
            limit = max(rule.tolerance_t, rule.tolerance_pct / 100.0 * b.generated)
            if abs(b.residual) > limit:
                bad.append(b)
        if not bad:
            return None
        worst = max(bad, key=lambda b: abs(b.residual))
        st = streams[worst.stream_id]
        return Finding(
            worst.residual,
            f"{subject.code}: {st.name} ({st.code}) {worst.month}: mass balance off by "
            f"{worst.residual:+.3f} t (generated − transferred − own − Δstorage; "
            f"{len(bad)} stream-month(s) beyond the tolerance) — {source}",
            {"months": [{"stream_id": b.stream_id, "month": b.month, "residual_t": b.residual}
                        for b in bad], "source": source},
        )  # fmt: skip
    if check == "plan_deviation":
        today = from_us(now, tz).date()
        start = dt.date(today.year, 1, 1)
        year_days = (dt.date(today.year + 1, 1, 1) - start).days
        elapsed = (today - start).days + 1
        if elapsed < rule.min_elapsed_days:
            return None
        y0 = f"{today.year:04d}-"
        actual: dict[int, float] = {}
        for b in ledger.balances(moves, tz):
            if b.month.startswith(y0):
                actual[b.stream_id] = actual.get(b.stream_id, 0.0) + b.generated
        found = []
        for plan in repo.plans(tenant=tenant, park_id=park_id, year=today.year):
            projected = ledger.projected_year(actual.get(plan.stream_id, 0.0), elapsed, year_days)
            dev = ledger.plan_deviation_pct(projected, plan.quantity_t)
            if dev is not None and abs(dev) > rule.max_pct:
                found.append((plan, projected, dev))
        if not found:
            return None
        plan, projected, dev = max(found, key=lambda x: abs(x[2]))
        st = streams[plan.stream_id]
        return Finding(
            dev,
            f"{subject.code}: {st.name} ({st.code}) {today.year}: generation projected at "
            f"{projected:.3f} t against a plan of {plan.quantity_t:.3f} t ({dev:+.1f} %, "
            f"beyond {rule.max_pct:g} %) — {source}",
            {"stream_id": plan.stream_id, "projected_t": projected, "planned_t": plan.quantity_t,
             "deviation_pct": dev, "source": source},
        )  # fmt: skip
    stock = ledger.stock(moves)
    if check == "storage_time":
        years = int(catalogue.rule("storage-time-limit").value or 1)
        extensions = repo.extensions(tenant=tenant, park_id=park_id)
        hits = []
        for item in stock:
            stored_day = from_us(item.first_stored_at, tz).date()
            ext = ledger.extension_for(extensions, item.stream_id, item.batch, stored_day)
            age = ledger.storage_age(item.first_stored_at, now, tz, years=years, extension=ext)
            if age.over or (not rule.over_only and age.days_left <= rule.warn_days):
                hits.append((item, age))
        if not hits:
            return None
        item, age = min(hits, key=lambda h: h[1].days_left)
        st = streams[item.stream_id]
        what = (
            f"{-age.days_left} day(s) past the storage limit"
            if age.over
            else f"{age.days_left} day(s) left before the storage limit"
        )
        limit = age.deadline.isoformat()
        if age.extension is not None:
            limit += f", extended by approval {age.extension.number} of {age.extension.authority}"
        return Finding(
            float(age.days_left),
            f"{subject.code}: batch {item.batch} of {st.name} ({st.code}) stored on "
            f"{age.stored_day.isoformat()}: {what} ({limit}; {len(hits)} batch(es)) — {source}",
            {"batches": [{"batch": i.batch, "stream_id": i.stream_id, "days_left": a.days_left,
                          "deadline": a.deadline.isoformat(),
                          "statutory_deadline": a.statutory.isoformat(),
                          "extension": None if a.extension is None else a.extension.number}
                         for i, a in hits],
             "source": source},
        )  # fmt: skip
    if check == "storage_capacity":
        over = []
        for f in repo.facilities(tenant=tenant, park_id=park_id):
            held = sum(x.quantity_t for x in stock if x.facility_id == f.id)
            if held > f.capacity_t + ledger.EPS_T:
                over.append((f, held))
        if not over:
            return None
        f, held = max(over, key=lambda x: x[1] - x[0].capacity_t)
        return Finding(
            held,
            f"{subject.code}: facility {f.code} holds {held:.3f} t, above its capacity of "
            f"{f.capacity_t:.3f} t — {source}",
            {"facility_id": f.id, "stock_t": held, "capacity_t": f.capacity_t, "source": source},
        )  # fmt: skip
    return None


def _manifests(
    repo: WasteRepo, rule: Any, subject: Subject, park_id: int, tenant: Tenant, now: int,
    source: str,
) -> Finding | None:  # fmt: skip
    items = repo.manifests(tenant=tenant, park_id=park_id)
    if rule.check == "receipt_difference":
        diffs = []
        for m in items:
            if m.state != mf.RECEIVED or m.received_t is None:
                continue
            d = ledger.receipt_difference(m.quantity_t, m.received_t)
            if ledger.receipt_beyond(m.quantity_t, m.received_t, rule.tolerance_t,
                                     rule.tolerance_pct):  # fmt: skip
                diffs.append((m, d))
        if not diffs:
            return None
        m, d = max(diffs, key=lambda x: abs(x[1]))
        return Finding(
            d,
            f"{subject.code}: manifest {m.number} received {m.received_t:.3f} t of "
            f"{m.quantity_t:.3f} t sent ({d:+.3f} t) — {source}",
            {"manifests": [{"id": x.id, "number": x.number, "difference_t": y} for x, y in diffs],
             "source": source},
        )  # fmt: skip
    late = [
        m
        for m in items
        if m.state in mf.OPEN
        and m.dispatched_at is not None
        and now - m.dispatched_at > rule.open_days * DAY_US
    ]
    if not late:
        return None
    oldest = min(late, key=lambda m: m.dispatched_at or 0)
    days = (now - (oldest.dispatched_at or now)) // DAY_US
    return Finding(
        float(days),
        f"{subject.code}: manifest {oldest.number} open for {days} days (over {rule.open_days}; "
        f"{len(late)} manifest(s)) — {source}",
        {"manifests": [{"id": m.id, "number": m.number} for m in late], "source": source},
    )


register_assessor(RuleKind.WASTE, assess)

#: the rule set :func:`default_rules` proposes (park rules: every enterprise)
DEFAULTS: Final[list[dict[str, Any]]] = [
    {"id": "waste-mass-balance", "name": "危险废物物料平衡偏差", "check": "mass_balance",
     "severity": "minor"},
    {"id": "waste-plan-deviation", "name": "危险废物产生量偏离管理计划", "check": "plan_deviation",
     "severity": "minor"},
    {"id": "waste-storage-approaching", "name": "危险废物贮存即将超期", "check": "storage_time",
     "severity": "minor"},
    {"id": "waste-storage-over", "name": "危险废物贮存超过期限", "check": "storage_time",
     "over_only": True, "severity": "major"},
    {"id": "waste-storage-capacity", "name": "贮存设施超出容量", "check": "storage_capacity",
     "severity": "major"},
    {"id": "waste-receipt-difference", "name": "转移联单接收量不符", "check": "receipt_difference",
     "severity": "major"},
    {"id": "waste-manifest-open", "name": "转移联单超期未办结", "check": "manifest_open",
     "severity": "minor"},
]  # fmt: skip


def default_rules() -> list[dict[str, Any]]:
    """The default waste rules as rule mappings (kind ``waste``)."""
    return [{**r, "kind": "waste", "escalate_after_min": None} for r in DEFAULTS]


def install_rules(store: Store, *, principal: Principal) -> list[str]:
    """Create the default waste rules the park does not have yet (park administrators);
    returns the codes created."""
    from lingtan.alarms import service as alarms

    return alarms.install_defaults(store, principal=principal, specs=default_rules())


def check_now(store: Store, now: int | None = None) -> dict[str, int]:
    """Evaluate the waste rules at once (after a change); raised and cleared counts."""
    report = Engine(store).evaluate(RuleKind.WASTE, now)
    return {"raised": report.raised, "cleared": report.cleared}
