"""Overdue measures and plans behind their targets, raised through the alarm engine.

A rule of kind ``programme`` (:class:`lingtan.alarms.rules.ProgrammeRule`) is about an
enterprise or the park, as the inspection rule of :mod:`lingtan.equipment.alarms` is; unlike
it, its alarms are one per record: the engine asks :func:`subjects` for the measures (or the
plans) in the rule's scope at each evaluation and runs :func:`assess` on each, so an alarm
names one measure or one plan and clears by itself when that record is in order again.

* ``check: measure_overdue`` — today (the park's local date) is more than ``grace_days``
  past the measure's scheduled end and its status is neither completed, verified nor
  cancelled. Clears when the status becomes one of those or the end moves to today or later.
* ``check: plan_behind`` — a plan of the park's current local year whose progress
  (:func:`lingtan.programme.service.plan_progress_of`, the numbers of the /programme page and
  of ``GET /programme/plans/{id}/progress``) has a target ``off_track``, the ceilings judged at
  the latest month with metered data; a plan without a metered month is not judged. Clears
  when every target is on track (or without data) again. The progress reads twelve months of
  indicator evaluation, so a tick checks a plan at most every :data:`PLAN_EVERY_US`.

``serve`` (through the API router's import) and ``lingtan alarms evaluate`` run it on every
tick; :func:`check_now` evaluates at once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final
from zoneinfo import ZoneInfo

from lingtan.alarms.engine import Engine, register_assessor
from lingtan.alarms.model import Finding, RuleKind, Subject, SubjectKind
from lingtan.errors import NotFound
from lingtan.identity.roles import Principal
from lingtan.programme.service import plan_progress_of
from lingtan.store import Store
from lingtan.store.programme_repo import MeasureRow, PlanRow, ProgrammeRepo
from lingtan.store.query_repo import Tenant
from lingtan.timeutil import local_date

#: a measure in one of these states is done with (never overdue)
CLOSED_STATUSES: Final = frozenset({"completed", "verified", "cancelled"})
#: how often a tick re-computes a plan's progress at most [µs] (as a budget's projection)
PLAN_EVERY_US: Final = 15 * 60 * 1_000_000


def _scope(store: Store, subject: Subject) -> tuple[Any, int | None] | None:
    """The park and enterprise (None: the whole park) a rule's subject stands for."""
    if subject.kind is SubjectKind.PARK:
        park = next((p for p in store.registry.parks() if p.code == subject.code), None)
        return None if park is None else (park, None)
    if subject.kind is SubjectKind.ENTERPRISE:
        for p in store.registry.parks():
            if any(e.id == subject.key for e in store.registry.enterprises(p.id)):
                return p, subject.key
    return None


def _today(store: Store, park_id: int, now: int) -> dt.date:
    return local_date(now, ZoneInfo(store.registry.park(park_id).timezone))


def _plan_code(store: Store, p: PlanRow) -> str:
    """A plan's subject code: its owner's code, its year and its id (plans have no code)."""
    owner = store.registry.park(p.park_id).code
    if p.enterprise_id is not None:
        owner = next(
            (e.code for e in store.registry.enterprises(p.park_id) if e.id == p.enterprise_id),
            owner,
        )
    return f"{owner[:40]}:{p.year}:{p.id}"


def subjects(store: Store, rule: Any, subject: Subject, now: int) -> list[Subject]:
    """The measures (or this year's plans) of the rule's enterprise, or of the whole park
    (every enterprise's and the park's own), each a subject of its owner's tenancy."""
    found = _scope(store, subject)
    if found is None:
        return []
    park, enterprise_id = found
    tenant = Tenant.park_wide() if enterprise_id is None else Tenant.of_enterprise(enterprise_id)
    repo = ProgrammeRepo(store)
    if rule.check == "measure_overdue":
        return [
            Subject(SubjectKind.MEASURE, m.id, m.code, m.enterprise_id)
            for m in repo.measures(tenant=tenant, park_id=park.id)
        ]
    year = _today(store, park.id, now).year
    return [
        Subject(SubjectKind.PLAN, p.id, _plan_code(store, p), p.enterprise_id)
        for p in repo.plans(tenant=tenant, park_id=park.id, year=year,
                            enterprise_id=enterprise_id)
    ]  # fmt: skip


def _measure(store: Store, measure_id: int) -> MeasureRow | None:
    repo = ProgrammeRepo(store)
    for park in store.registry.parks():
        try:
            return repo.measure(measure_id, tenant=Tenant.park_wide(), park_id=park.id)
        except NotFound:
            continue
    return None


def _plan(store: Store, plan_id: int) -> PlanRow | None:
    repo = ProgrammeRepo(store)
    for park in store.registry.parks():
        try:
            return repo.plan(plan_id, tenant=Tenant.park_wide(), park_id=park.id)
        except NotFound:
            continue
    return None


def measure_overdue(
    row: MeasureRow, plan: PlanRow, today: dt.date, grace_days: int
) -> Finding | None:
    """The finding of an overdue measure, None when it is not overdue: a measure ending on
    ``today`` is not late; the day after its end it is 1 day overdue."""
    if row.status in CLOSED_STATUSES:
        return None
    end = dt.date.fromisoformat(row.document["schedule"]["end"])
    days = (today - end).days
    if days <= grace_days:
        return None
    # the message names the end, not the days: it stays the same from day to day, so the
    # alarm is raised once (a later end re-words it, an end moved past today clears it)
    return Finding(
        float(days),
        f"{row.code}: measure {row.name} of plan {plan.year} {plan.title} past its scheduled "
        f"end {end.isoformat()} (not completed)",
        {"measure_id": row.id, "plan_id": plan.id, "end": end.isoformat(),
         "status": row.status, "days_overdue": days},
    )  # fmt: skip


def _shortfall(line: Any) -> float:
    """How far an off-track line is from its target to date [%]: above a ceiling (or the
    intensity limit), short of a savings target."""
    if not line.to_date:
        return 0.0
    ratio = float(line.actual) / float(line.to_date)
    short = line.target.startswith(("savings", "water_savings"))
    return (1.0 - ratio if short else ratio - 1.0) * 100.0


def plan_behind(store: Store, plan: PlanRow) -> Finding | None:
    """The finding of a plan off track at its latest metered month, None when on track."""
    prog = plan_progress_of(store, plan)
    if prog.last_month is None:
        return None
    off = [x for x in prog.lines if x.status == "off_track"]
    if not off:
        return None
    # "intensity" last: the zh-CN wording words the other target codes as a list
    off.sort(key=lambda x: x.target == "intensity")
    names = ", ".join(x.target for x in off)
    return Finding(
        round(max(_shortfall(x) for x in off), 6),
        f"{_plan_code(store, plan)}: plan {plan.year} {plan.title} off track as of "
        f"{plan.year}-{prog.last_month:02d}: {names}",
        {"plan_id": plan.id, "year": plan.year, "month": prog.last_month,
         "targets": [x.as_dict() for x in off]},
    )  # fmt: skip


def assess(store: Store, rule: Any, subject: Subject, now: int) -> Finding | None:
    """The check of a programme rule for one measure or plan (the engine's assessor)."""
    if subject.kind is SubjectKind.MEASURE:
        row = _measure(store, subject.key)
        if row is None:
            return None
        plan = _plan(store, row.plan_id)
        if plan is None:
            return None
        return measure_overdue(row, plan, _today(store, row.park_id, now), rule.grace_days)
    if subject.kind is SubjectKind.PLAN:
        plan = _plan(store, subject.key)
        return None if plan is None else plan_behind(store, plan)
    return None


register_assessor(
    RuleKind.PROGRAMME, assess, subjects=subjects,
    every_us=lambda rule: PLAN_EVERY_US if rule.check == "plan_behind" else 0,
)  # fmt: skip

#: the rules :func:`install_rules` proposes (一般, as the overdue-inspection rule)
DEFAULTS: Final[list[dict[str, Any]]] = [
    {"id": "programme-measure-overdue", "name": "节能措施逾期未完成", "kind": "programme",
     "check": "measure_overdue", "severity": "minor"},
    {"id": "programme-plan-behind", "name": "节能计划未达进度", "kind": "programme",
     "check": "plan_behind", "severity": "minor"},
]  # fmt: skip


def install_rules(store: Store, *, principal: Principal) -> list[str]:
    """Create the default rules in the caller's scope if missing; codes created."""
    from lingtan.alarms import service as alarms

    return alarms.install_defaults(store, principal=principal, specs=DEFAULTS)


def check_now(store: Store, now: int | None = None) -> dict[str, int]:
    """Evaluate the programme rules at once; raised and cleared counts."""
    report = Engine(store).evaluate(RuleKind.PROGRAMME, now)
    return {"raised": report.raised, "cleared": report.cleared}
