"""Transfer service: the park's licence registry of receivers and the transfer manifests
(电子转移联单, 固废法 第八十二条, 《危险废物转移管理办法》 2021).

A manifest belongs to the generating enterprise. Creating one checks each line's waste code
against the receiver's licence (code or whole category, validity, annual capacity — refused
with InvalidInput naming the code). Dispatching appends a ``transferred`` movement per line to
the generator's ledger (one transaction); the receipt appends ``received`` movements with the
quantity that arrived, and a difference is kept on the manifest and alarmed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from lingtan.errors import Conflict, InvalidInput
from lingtan.identity.roles import Permission, Principal, require, require_park_wide
from lingtan.store import Store
from lingtan.store.waste_repo import WasteRepo
from lingtan.timeutil import from_us
from lingtan.waste import catalogue, ledger
from lingtan.waste import manifests as mf
from lingtan.waste.model import Licence, Manifest, ManifestLine, MovementKind
from lingtan.waste.service import (
    ctx,
    enterprise_for,
    now_us,
    parse_time,
    require_read,
    require_write,
    to_tonnes,
)


# -- licences -----------------------------------------------------------------------------------
def add_licence(
    store: Store,
    *,
    principal: Principal,
    holder: str,
    number: str,
    codes: Sequence[str],
    capacity: float,
    unit: str,
    valid_from: str,
    valid_to: str,
) -> Licence:
    """Register a receiver's licence (park administrators): the codes or categories (HWnn) it
    covers and its annual capacity."""  # fmt: skip
    require(principal, Permission.ADMIN_PARK)
    require_park_wide(principal, "the licence registry")
    c = ctx(store, principal)
    if not codes:
        raise InvalidInput("codes: at least one code or category", field="codes")
    clean = []
    for code in codes:
        code = code.strip()
        if code.startswith("HW"):
            if catalogue.edition_for().category(code) is None:
                raise InvalidInput(f"codes: {code!r} is not a category of the list", field="codes")
        else:
            catalogue.check_code(code, field="codes")
        clean.append(code)
    for name, value in (("valid_from", valid_from), ("valid_to", valid_to)):
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            raise InvalidInput(f"{name}: {value!r} is not YYYY-MM-DD", field=name) from None
    if valid_to < valid_from:
        raise InvalidInput("valid_to: before valid_from", field="valid_to")
    repo = WasteRepo(store)
    if any(x.number == number for x in repo.licences(park_id=c.park_id)):
        raise Conflict(f"licence {number} is already registered")
    return repo.add_licence(
        park_id=c.park_id, holder=holder.strip(), number=number.strip(), codes=clean,
        capacity_t=to_tonnes(capacity, unit, field="capacity"), valid_from=valid_from,
        valid_to=valid_to, created_by=principal.actor, created_at=now_us(),
    )  # fmt: skip


def list_licences(store: Store, *, principal: Principal) -> list[Licence]:
    """The park's licence registry (public data of licensed receivers: every reader)."""
    require_read(principal)
    return WasteRepo(store).licences(park_id=ctx(store, principal).park_id)


# -- manifests ----------------------------------------------------------------------------------
def _used_t(repo: WasteRepo, licence: Licence, year: int, tz: Any, skip: int | None) -> float:
    used = 0.0
    for m in repo.licence_manifests(licence_id=licence.id):
        if m.id == skip or m.state == mf.CANCELLED:
            continue
        when = m.dispatched_at or m.created_at
        if from_us(when, tz).year == year:
            used += m.received_t if m.received_t is not None else m.quantity_t
    return used


def create_manifest(
    store: Store,
    *,
    principal: Principal,
    enterprise_id: int | None,
    number: str,
    licence_id: int,
    transporter: str,
    transporter_licence: str,
    lines: Sequence[Mapping[str, Any]],
    note: str | None = None,
) -> Manifest:
    """A draft manifest from the generator's streams to a licensed receiver."""  # fmt: skip
    require_write(principal)
    c = ctx(store, principal)
    ent = enterprise_for(store, principal, c, enterprise_id, writing=True)
    repo = WasteRepo(store)
    licence = repo.licence(park_id=c.park_id, licence_id=licence_id)
    number = number.strip()
    if not number:
        raise InvalidInput("number: required", field="number")
    if repo.manifest_number_taken(park_id=c.park_id, number=number):
        raise Conflict(f"manifest {number} already exists")
    if not lines:
        raise InvalidInput("lines: at least one waste", field="lines")
    today = from_us(now_us(), c.tz).date()
    used = _used_t(repo, licence, today.year, c.tz, None)
    out: list[ManifestLine] = []
    for i, line in enumerate(lines):
        stream = repo.stream(tenant=c.tenant, park_id=c.park_id, stream_id=int(line["stream_id"]))
        if stream.enterprise_id != ent:
            raise InvalidInput(f"lines[{i}].stream_id: not a stream of the enterprise",
                               field="lines.stream_id")  # fmt: skip
        q_t = to_tonnes(
            float(line["quantity"]), str(line.get("unit") or "t"), field="lines.quantity"
        )
        if q_t <= 0:
            raise InvalidInput(f"lines[{i}].quantity: must be positive", field="lines.quantity")
        mf.check_licence(licence, code=stream.code, category=stream.category, day=today,
                         quantity_t=q_t, used_t=used)  # fmt: skip
        used += q_t
        out.append(ManifestLine(stream_id=stream.id, code=stream.code, quantity_t=q_t))
    now = now_us()
    return repo.add_manifest(
        park_id=c.park_id, enterprise_id=ent, number=number, licence_id=licence.id,
        receiver=licence.holder, receiver_licence=licence.number, transporter=transporter,
        transporter_licence=transporter_licence, state=mf.DRAFT, lines=out, note=note,
        history=[{"at": now, "actor": principal.actor, "action": "create", "state": mf.DRAFT}],
        created_by=principal.actor, created_at=now,
    )  # fmt: skip


def list_manifests(
    store: Store,
    *,
    principal: Principal,
    state: str | None = None,
    enterprise_id: int | None = None,
) -> list[Manifest]:
    """The manifests in scope, newest first."""  # fmt: skip
    require_read(principal)
    c = ctx(store, principal)
    ent = enterprise_for(store, principal, c, enterprise_id, writing=False)
    if state is not None and state not in mf.STATES:
        raise InvalidInput(f"state: {state!r} is not one of {', '.join(mf.STATES)}", field="state")
    return WasteRepo(store).manifests(
        tenant=c.tenant, park_id=c.park_id, state=state, enterprise_id=ent or None
    )


def get_manifest(store: Store, *, principal: Principal, manifest_id: int) -> Manifest:
    """One manifest in scope."""
    require_read(principal)
    c = ctx(store, principal)
    return WasteRepo(store).manifest(tenant=c.tenant, park_id=c.park_id, manifest_id=manifest_id)


def transition(
    store: Store,
    *,
    principal: Principal,
    manifest_id: int,
    action: str,
    at: Any = None,
    received: Sequence[float] | None = None,
    unit: str = "t",
    batches: Sequence[str] | None = None,
    comment: str | None = None,
) -> Manifest:
    """Move a manifest: ``dispatch`` (appends the transfers to the ledger; ``batches``: the
    batch of each line, default the manifest number), ``receive`` (``received``: the quantity
    of each line that arrived), ``close``, ``cancel`` (a draft only)."""  # fmt: skip
    require_write(principal)
    c = ctx(store, principal)
    repo = WasteRepo(store)
    now = now_us()
    when = now if at is None else parse_time(at, c.tz)
    with store.begin() as conn:
        store.serialise(conn, 0x57A57E)
        m = repo.manifest(tenant=c.tenant, park_id=c.park_id, manifest_id=manifest_id, conn=conn)
        target = mf.next_state(m.state, action)
        values: dict[str, Any] = {"state": target}
        lines = list(m.lines)
        moves: list[dict[str, Any]] = []
        base = {"park_id": c.park_id, "enterprise_id": m.enterprise_id, "unit": "t",
                "manifest_id": m.id, "created_by": principal.actor, "created_at": now,
                "facility_id": None, "container": None, "corrects_id": None}  # fmt: skip
        if action == "dispatch":
            if batches is not None and len(batches) != len(lines):
                raise InvalidInput("batches: one per line", field="batches")
            values["dispatched_at"] = when
            for i, line in enumerate(lines):
                batch = batches[i] if batches else m.number
                moves.append({**base, "stream_id": line.stream_id, "kind": MovementKind.TRANSFERRED.value,
                              "batch": batch, "quantity": line.quantity_t,
                              "quantity_t": line.quantity_t, "at": when,
                              "note": f"联单 {m.number}"})  # fmt: skip
        elif action == "receive":
            if received is None or len(received) != len(lines):
                raise InvalidInput("received: the quantity received of each line", field="received")
            new_lines = []
            for line, qty in zip(lines, received, strict=True):
                r_t = to_tonnes(float(qty), unit, field="received")
                new_lines.append(ManifestLine(line.stream_id, line.code, line.quantity_t, r_t))
                moves.append({**base, "stream_id": line.stream_id, "kind": MovementKind.RECEIVED.value,
                              "batch": m.number, "quantity": float(qty), "unit": unit,
                              "quantity_t": r_t, "at": when,
                              "note": f"联单 {m.number} 接收 {m.receiver}"})  # fmt: skip
            values["lines"] = new_lines
            values["received_at"] = when
        elif action == "close":
            values["closed_at"] = when
        else:
            values["cancelled_at"] = when
        entry: dict[str, Any] = {
            "at": now,
            "actor": principal.actor,
            "action": action,
            "state": target,
        }
        if comment:
            entry["comment"] = comment
        if action == "receive":
            diff = ledger.receipt_difference(
                m.quantity_t, sum(x.received_t or 0.0 for x in values["lines"])
            )
            entry["difference_t"] = diff
        values["history"] = [*m.history, entry]
        repo.update_manifest(conn, m.id, **values)
        if moves:
            repo.add_movements(moves, conn)
        updated = repo.manifest(tenant=c.tenant, park_id=c.park_id, manifest_id=m.id, conn=conn)
    from lingtan.waste.alarms import check_now

    check_now(store)  # a receipt differing, a manifest closed: raise or clear at once
    return updated
