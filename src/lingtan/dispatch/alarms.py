"""Alarms of setpoints the devices did not confirm, raised through the alarm engine.

A rule of kind ``dispatch`` (:class:`lingtan.alarms.rules.DispatchRule`) is about the park.
``check: setpoint`` is on while the newest write of some device within ``within_min`` did not
end ``ok`` (read-back mismatch, timeout, gateway unreachable, device exception, or refused
outside the device's limits); ``check: tracking`` while the newest tracked step of some device
within ``within_min`` measured a power outside its tolerance; ``check: lighting`` while the newest
level written to some public-lighting circuit within ``within_min`` did not end ``ok``
(``lighting_write``, :mod:`lingtan.equipment.lighting_apply`: the same outbound path). Each
clears by itself once each device's newest write (tracked step) is good again. :func:`check_now` runs the rules at once
after a write (:func:`lingtan.dispatch.service.apply_setpoints_async`); ``serve`` runs them on
every tick like the other module checks.
"""

from __future__ import annotations

from typing import Any, Final

from lingtan.alarms.engine import Engine, register_assessor
from lingtan.alarms.model import Finding, RuleKind, Subject, SubjectKind
from lingtan.identity.roles import Principal
from lingtan.store import Store
from lingtan.store.dispatch_repo import DispatchRepo, SetpointWriteRow
from lingtan.store.lighting_repo import LightingRepo, LightingWriteRow

MINUTE_US: Final = 60_000_000


def _newest(rows: list[SetpointWriteRow], tracked: bool) -> dict[str, SetpointWriteRow]:
    out: dict[str, SetpointWriteRow] = {}
    for w in rows:  # newest first
        if tracked and w.tracking is None:
            continue
        out.setdefault(w.device, w)
    return out


def assess(store: Store, rule: Any, subject: Subject, now: int) -> Finding | None:
    """The check of a dispatch rule for the park (the engine's assessor)."""
    if subject.kind is not SubjectKind.PARK:
        return None
    park = next((p for p in store.registry.parks() if p.code == subject.code), None)
    if park is None:
        return None
    since = now - int(rule.within_min * MINUTE_US)
    if rule.check == "lighting":
        return _lighting(store, subject, park.id, since)
    rows = DispatchRepo(store).writes(park_id=park.id, since=since)
    if rule.check == "tracking":
        bad = [w for w in _newest(rows, True).values() if w.tracking == "off"]
        if not bad:
            return None
        devices = ", ".join(
            f"{w.device} {w.measured_kw:.1f} kW against {w.setpoint_kw:g} kW" for w in bad
        )
        return Finding(
            float(len(bad)),
            f"{subject.code}: {len(bad)} device(s) not following the dispatch setpoint "
            f"(measured mean of the step outside the tolerance): {devices}",
            {"writes": [_evidence(w) for w in bad]},
        )
    bad = [w for w in _newest(rows, False).values() if w.status != "ok"]
    if not bad:
        return None
    devices = ", ".join(f"{w.device} ({w.status})" for w in bad)
    return Finding(
        float(len(bad)),
        f"{subject.code}: dispatch setpoint not confirmed by {len(bad)} device(s): {devices}",
        {"writes": [_evidence(w) for w in bad]},
    )


def _lighting(store: Store, subject: Subject, park_id: int, since: int) -> Finding | None:
    """The newest write of each lighting circuit (by zone) since ``since`` that failed."""
    newest: dict[tuple[str, str], LightingWriteRow] = {}
    for w in LightingRepo(store).writes(park_id=park_id, since=since):  # newest first
        newest.setdefault((w.zone, w.device), w)
    bad = [w for w in newest.values() if w.status != "ok"]
    if not bad:
        return None
    circuits = ", ".join(f"{w.zone}/{w.device} ({w.status})" for w in bad)
    return Finding(
        float(len(bad)),
        f"{subject.code}: lighting level not confirmed by {len(bad)} circuit(s): {circuits}",
        {"writes": [
            {"write_id": w.id, "zone": w.zone, "device": w.device, "status": w.status,
             "level_pct": w.level_pct, "reason": w.reason, "readback": w.readback,
             "error": w.error, "attempts": len(w.attempts)}
            for w in bad
        ]},
    )  # fmt: skip


def _evidence(w: SetpointWriteRow) -> dict[str, Any]:
    return {
        "write_id": w.id, "plan_id": w.plan_id, "step": w.step, "device": w.device,
        "status": w.status, "setpoint_kw": w.setpoint_kw, "written": w.written,
        "readback": w.readback, "measured_kw": w.measured_kw, "tracking": w.tracking,
        "reason": (w.attempts[-1].get("reason") if w.attempts else None),
        "attempts": len(w.attempts),
    }  # fmt: skip


register_assessor(RuleKind.DISPATCH, assess)

#: the rules :func:`install_rules` proposes
DEFAULTS: Final[list[dict[str, Any]]] = [
    {"id": "dispatch-setpoint", "name": "调度设定值未被设备确认", "check": "setpoint",
     "severity": "major"},
    {"id": "dispatch-tracking", "name": "设备未跟踪调度设定值", "check": "tracking",
     "severity": "minor"},
]  # fmt: skip


def install_rules(store: Store, *, principal: Principal) -> list[str]:
    """Create the default dispatch rules the park does not have yet (park administrators);
    returns the codes created."""
    from lingtan.alarms import service as alarms

    specs = [{**spec, "kind": "dispatch"} for spec in DEFAULTS]
    return alarms.install_defaults(store, principal=principal, specs=specs)


def check_now(store: Store, now: int | None = None) -> dict[str, int]:
    """Evaluate the dispatch rules at once; raised and cleared counts."""
    report = Engine(store).evaluate(RuleKind.DISPATCH, now)
    return {"raised": report.raised, "cleared": report.cleared}
