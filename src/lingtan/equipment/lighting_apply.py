"""Public-lighting levels written to the circuits, stored and alarmed (keyword-only, explicit
principal, no web framework).

A zone's level at an instant (:func:`lingtan.equipment.lighting.change_at`: switch-on at
sunset + offset, the dimming steps, switch-off at sunrise + offset) goes out through the
dispatch setpoint code itself (:func:`lingtan.dispatch.control.write_one`: Modbus function 16,
read back with function 3, bounded retries, a level outside the device's declared range refused
and not written). Every outcome is stored (``lighting_write``) with the instant the level took
effect and why, and the ``dispatch`` alarm rules of check ``lighting`` are evaluated at once
(:mod:`lingtan.dispatch.alarms`): a circuit whose newest write did not end ``ok`` raises.

Lighting is the park's: writing needs a park administrator, reading a park-wide reader; an
enterprise's user is answered as for a zone that does not exist.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Final
from zoneinfo import ZoneInfo

from lingtan.dispatch import control
from lingtan.equipment import lighting
from lingtan.errors import InvalidInput, NotFound
from lingtan.identity.roles import Permission, Principal, require, require_park_wide
from lingtan.store import Store
from lingtan.store.equipment_repo import EquipmentRepo
from lingtan.store.lighting_repo import LightingRepo
from lingtan.timeutil import from_us, to_us, utcnow

log = logging.getLogger(__name__)

#: a level read as the same as one stored (levels are whole or tenth percents)
_SAME: Final = 1e-6


def _zone_spec(store: Store, park_id: int, code: str) -> lighting.ZoneSpec:
    return lighting.parse_zone(EquipmentRepo(store).zone(park_id=park_id, code=code).spec)


def controlled_zones(store: Store, park_id: int) -> list[lighting.ZoneSpec]:
    """The park's zones that declare circuits to write to (the applier's work); a stored
    declaration that no longer validates is left out and logged, the others still run."""
    out = []
    for z in EquipmentRepo(store).zones(park_id=park_id):
        try:
            spec = lighting.parse_zone(z.spec)
        except InvalidInput as e:
            log.warning("lighting zone %s left out: %s", z.code, e)
            continue
        if spec.control is not None and spec.control.devices:
            out.append(spec)
    return out


def _targets(spec: lighting.ZoneSpec, level: float) -> list[control.Target]:
    """One target per controlled circuit; ``min_kw``/``max_kw`` read as the allowed range in %
    (0…100 when not declared)."""
    assert spec.control is not None
    out = []
    for d in spec.control.devices:
        low = 0.0 if d.min_kw is None else d.min_kw
        high = 100.0 if d.max_kw is None else d.max_kw
        out.append(control.Target(d, "lighting", level, level, low, high))
    return out


async def _write(
    spec: lighting.ZoneSpec, items: list[control.Target], factory: Any, delay_s: float | None
) -> list[dict[str, Any]]:
    """Write the targets, one connection per gateway, circuits of a gateway in turn."""
    assert spec.control is not None
    gateways = {g.code: g for g in spec.control.gateways}
    results: list[dict[str, Any]] = [{} for _ in items]
    by_gateway: dict[str, list[int]] = {}
    for i, t in enumerate(items):
        by_gateway.setdefault(t.control.gateway, []).append(i)
    for code, idx in by_gateway.items():
        client = factory(gateways[code])
        try:
            for i in idx:
                results[i] = await control.write_one(client, items[i], delay_s=delay_s)
        finally:
            client.close()
    return results


async def apply_lighting(
    store: Store,
    *,
    principal: Principal,
    code: str,
    now: dt.datetime,
    dry_run: bool = False,
    only_changed: bool = False,
    client_factory: Any = None,
    delay_s: float | None = None,
) -> dict[str, Any]:
    """Write the zone's level at ``now`` to each controlled circuit and store every outcome
    (park administrators). ``only_changed``: leave out a circuit whose newest stored write
    already has that level and ended ``ok`` (the applier's restart and rechecks). ``dry_run``:
    the registers that would be written, nothing written or stored."""
    from lingtan.connectors.modbus.registers import encode

    require(principal, Permission.ADMIN_PARK)
    require_park_wide(principal, "public lighting")
    park = store.registry.park(principal.park_id)
    tz = ZoneInfo(park.timezone)
    spec = _zone_spec(store, park.id, code)
    if spec.control is None:
        raise InvalidInput(
            "control: the zone declares no control section: lingtan writes to no device",
            field="control",
        )
    change = lighting.change_at(spec, now, tz)
    level, why = (0.0, "day") if change is None else (change.level_pct, change.reason)
    since = now if change is None else change.at
    targets = _targets(spec, level)
    out: dict[str, Any] = {
        "zone": code, "at": now.isoformat(), "since": since.isoformat(), "level_pct": level,
        "reason": why, "dry_run": dry_run,
    }  # fmt: skip
    if dry_run:
        out["devices"] = [
            {"device": t.control.device, "refused": control.refusal(t),
             "registers": None if control.refusal(t) else encode(t.register, t.value)}
            for t in targets
        ]  # fmt: skip
        return out
    repo = LightingRepo(store)
    skipped: list[str] = []
    if only_changed:
        last = repo.latest(park_id=park.id, zone=code)
        keep = []
        for t in targets:
            w = last.get(t.control.device)
            if w is not None and w.status == "ok" and abs(w.level_pct - level) <= _SAME:
                skipped.append(t.control.device)
            else:
                keep.append(t)
        targets = keep
    out["already_set"] = skipped
    factory = control.modbus_client if client_factory is None else client_factory
    results = await _write(spec, targets, factory, delay_s)
    written_at = to_us(utcnow())
    records = []
    for t, r in zip(targets, results, strict=True):
        failed = [a.get("reason") for a in r["attempts"] if a.get("status") != "ok"]
        records.append({
            "park_id": park.id, "zone": code, "device": t.control.device, "at": to_us(since),
            "level_pct": level, "reason": why, "status": r["status"], "readback": r["readback"],
            "error": None if r["status"] == "ok" or not failed else failed[-1],
            "attempts": r["attempts"], "written_by": principal.actor, "written_at": written_at,
        })  # fmt: skip
    repo.add_writes(records)
    out["devices"] = [
        {"device": x["device"], "status": x["status"], "readback": x["readback"],
         "error": x["error"], "attempts": x["attempts"]}
        for x in records
    ]  # fmt: skip
    if records:
        from lingtan.dispatch.alarms import check_now

        out["alarms"] = check_now(store, to_us(now))
    return out


def apply_lighting_now(store: Store, **kwargs: Any) -> dict[str, Any]:
    """:func:`apply_lighting` from synchronous code (the CLI, the applier's thread)."""
    import asyncio

    return asyncio.run(apply_lighting(store, **kwargs))


def lighting_writes(
    store: Store, *, principal: Principal, code: str, limit: int = 200
) -> list[dict[str, Any]]:
    """The levels written to the zone's circuits, newest first (park-wide readers; for an
    enterprise's user the zone does not exist)."""
    require(principal, Permission.READ)
    if principal.enterprise_id is not None:
        raise NotFound(f"lighting zone {code!r} not found")
    if not 1 <= limit <= 5000:
        raise InvalidInput("limit: must lie within 1–5000", field="limit")
    park = store.registry.park(principal.park_id)
    tz = ZoneInfo(park.timezone)
    EquipmentRepo(store).zone(park_id=park.id, code=code)  # NotFound for an unknown zone
    out = []
    for w in LightingRepo(store).writes(park_id=park.id, zone=code, limit=limit):
        d = w.as_dict()
        d["at"] = from_us(w.at, tz).isoformat(timespec="seconds")
        d["written_at"] = from_us(w.written_at, tz).isoformat(timespec="seconds")
        out.append(d)
    return out
