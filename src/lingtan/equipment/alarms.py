"""Overdue inspections raised through the alarm engine.

A rule of kind ``inspection`` (:class:`lingtan.alarms.rules.InspectionRule`) is about an
enterprise or the park. Its condition is on while some plan in its scope is more than
``grace_days`` past its next due date (:func:`lingtan.equipment.inspections.next_due`, park
local date); it clears by itself once each such plan's work order is done (the completion
moves the plan's due date). ``serve`` and ``lingtan alarms evaluate`` run it on every tick.

:func:`install_rules` also proposes the park's rule on levels written to public-lighting
circuits (kind ``dispatch``, check ``lighting``), evaluated by :mod:`lingtan.dispatch.alarms`.
"""

from __future__ import annotations

from typing import Any, Final

import lingtan.dispatch.alarms  # noqa: F401  (registers the check of lighting writes)
from lingtan.alarms.engine import Engine, register_assessor
from lingtan.alarms.model import Finding, RuleKind, Subject, SubjectKind
from lingtan.equipment.service import overdue_plans
from lingtan.identity.roles import Principal
from lingtan.store import Store


def assess(store: Store, rule: Any, subject: Subject, now: int) -> Finding | None:
    """The check of an inspection rule for an enterprise or the park (the engine's assessor)."""
    park = None
    if subject.kind is SubjectKind.PARK:
        park = next((p for p in store.registry.parks() if p.code == subject.code), None)
        enterprise_id = None
    elif subject.kind is SubjectKind.ENTERPRISE:
        enterprise_id = subject.key
        for p in store.registry.parks():
            if any(e.id == enterprise_id for e in store.registry.enterprises(p.id)):
                park = p
                break
    else:
        return None
    if park is None:
        return None
    late = [
        v
        for v in overdue_plans(store, park_id=park.id, enterprise_id=enterprise_id, now=now)
        if v["days_overdue"] > rule.grace_days
    ]
    if not late:
        return None
    listed = ", ".join(f"{v['code']} ({v['kind_zh']}, due {v['next_due']})" for v in late)
    return Finding(
        float(max(v["days_overdue"] for v in late)),
        f"{subject.code}: {len(late)} inspection plan(s) overdue: {listed}",
        {"plans": [{k: v[k] for k in ("id", "code", "kind", "next_due", "days_overdue")}
                   for v in late]},
    )  # fmt: skip


register_assessor(RuleKind.INSPECTION, assess)

#: the rules :func:`install_rules` proposes; the lighting rule is the park's (kind
#: ``dispatch``, check ``lighting``: a level written to a lighting circuit not confirmed,
#: evaluated by :mod:`lingtan.dispatch.alarms` like a dispatch setpoint)
DEFAULTS: Final[list[dict[str, Any]]] = [
    {"id": "inspection-overdue", "name": "巡检/检定计划逾期", "kind": "inspection",
     "check": "overdue", "severity": "minor"},
    {"id": "lighting-setpoint", "name": "照明调光设定值未被回路确认", "kind": "dispatch",
     "check": "lighting", "severity": "major"},
]  # fmt: skip


def install_rules(store: Store, *, principal: Principal) -> list[str]:
    """Create the default rules in the caller's scope if missing (the lighting rule for
    park-wide callers only); codes created."""
    from lingtan.alarms import service as alarms

    specs = [s for s in DEFAULTS if s["kind"] != "dispatch" or principal.enterprise_id is None]
    return alarms.install_defaults(store, principal=principal, specs=specs)


def check_now(store: Store, now: int | None = None) -> dict[str, int]:
    """Evaluate the inspection rules at once; raised and cleared counts."""
    report = Engine(store).evaluate(RuleKind.INSPECTION, now)
    return {"raised": report.raised, "cleared": report.cleared}
