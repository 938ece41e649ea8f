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

from lingtan.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from lingtan.identity.roles import Permission, Principal, require, require_park_wide
from lingtan.store import Store
from lingtan.store.waste_repo import WasteRepo
from lingtan.timeutil import from_us
from lingtan.waste import catalogue, ledger
from lingtan.waste import manifests as mf
from lingtan.waste.model import (
    Licence,
    Manifest,
    ManifestLine,
    MovementKind,
    TransferApproval,
)
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
    enterprise_id: int | None = None,
    province: str | None = None,
) -> Licence:
    """Register a receiver's licence (park administrators): the codes or categories (HWnn) it
    covers and its annual capacity; ``enterprise_id`` when the receiver is an enterprise of the
    park (its users then confirm the receipts), ``province`` where it is (跨省转移 check)."""  # fmt: skip
    require(principal, Permission.ADMIN_PARK)
    require_park_wide(principal, "the licence registry")
    c = ctx(store, principal)
    if enterprise_id is not None and not any(
        e.id == enterprise_id for e in store.registry.enterprises(c.park_id)
    ):
        raise NotFound("enterprise not found")
    if province is not None:
        province = province.strip() or None
    clean = _codes(codes)
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
        enterprise_id=enterprise_id, province=province,
    )  # fmt: skip


def list_licences(store: Store, *, principal: Principal) -> list[Licence]:
    """The park's licence registry (public data of licensed receivers: every reader)."""
    require_read(principal)
    return WasteRepo(store).licences(park_id=ctx(store, principal).park_id)


# -- cross-province transfer approvals ----------------------------------------------------------
def _codes(codes: Sequence[str], day: dt.date | None = None) -> list[str]:
    clean = []
    for code in codes:
        code = code.strip()
        if code.startswith("HW"):
            if catalogue.edition_for(day).category(code) is None:
                raise InvalidInput(f"codes: {code!r} is not a category of the list", field="codes")
        else:
            catalogue.check_code(code, day=day, field="codes")
        clean.append(code)
    if not clean:
        raise InvalidInput("codes: at least one code or category", field="codes")
    return clean


def add_approval(
    store: Store,
    *,
    principal: Principal,
    enterprise_id: int | None,
    number: str,
    destination: str,
    codes: Sequence[str],
    quantity: float,
    unit: str,
    valid_from: str,
    valid_to: str,
) -> TransferApproval:
    """Record a cross-province transfer approval (跨省转移审批, 固废法 第八十二条) the
    generating enterprise holds: the approval's number, the destination province, the codes or
    categories, the quantity and the validity. The origin is the park's province."""  # fmt: skip
    require_write(principal)
    c = ctx(store, principal)
    ent = enterprise_for(store, principal, c, enterprise_id, writing=True)
    park = store.registry.park(c.park_id)
    number, destination = number.strip(), destination.strip()
    if not number:
        raise InvalidInput("number: required", field="number")
    if not destination:
        raise InvalidInput("destination: required", field="destination")
    if not mf.cross_province(park.province, destination):
        raise InvalidInput(
            f"destination: {destination} is the park's own province ({park.province}): no "
            "cross-province approval applies",
            field="destination",
        )
    for name, value in (("valid_from", valid_from), ("valid_to", valid_to)):
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            raise InvalidInput(f"{name}: {value!r} is not YYYY-MM-DD", field=name) from None
    if valid_to < valid_from:
        raise InvalidInput("valid_to: before valid_from", field="valid_to")
    q_t = to_tonnes(quantity, unit, field="quantity")
    if q_t <= 0:
        raise InvalidInput("quantity: must be positive", field="quantity")
    repo = WasteRepo(store)
    if repo.approval_number_taken(park_id=c.park_id, number=number):
        raise Conflict(f"approval {number} is already recorded")
    return repo.add_approval(
        park_id=c.park_id, enterprise_id=ent, number=number, origin=park.province,
        destination=destination, codes=_codes(codes), quantity_t=q_t, valid_from=valid_from,
        valid_to=valid_to, created_by=principal.actor, created_at=now_us(),
    )  # fmt: skip


def list_approvals(
    store: Store, *, principal: Principal, enterprise_id: int | None = None
) -> list[TransferApproval]:
    """The approvals in scope (an enterprise: its own)."""
    require_read(principal)
    c = ctx(store, principal)
    ent = enterprise_for(store, principal, c, enterprise_id, writing=False)
    return WasteRepo(store).approvals(tenant=c.tenant, park_id=c.park_id, enterprise_id=ent or None)


def _approval_for(
    repo: WasteRepo,
    c: Any,
    ent: int,
    approval_id: int | None,
    licence: Licence,
    park_province: str,
    lines: Sequence[ManifestLine],
    categories: Sequence[str],
    day: dt.date,
) -> TransferApproval:
    """The approval a cross-province manifest runs under: the one named, else the first of the
    enterprise's approvals that covers every line. InvalidInput when none does."""
    mine = repo.approvals(tenant=c.tenant, park_id=c.park_id, enterprise_id=ent)
    if approval_id is not None:
        named = [a for a in mine if a.id == approval_id]
        if not named:
            raise NotFound("approval not found")
        candidates = named
    else:
        candidates = mine
    assert licence.province is not None
    errors: list[str] = []
    for a in candidates:
        used = sum(m.quantity_t for m in repo.approval_manifests(approval_id=a.id)
                   if m.state != mf.CANCELLED)  # fmt: skip
        try:
            for line, category in zip(lines, categories, strict=True):
                mf.check_approval(a, destination=licence.province, code=line.code,
                                  category=category, day=day, quantity_t=line.quantity_t,
                                  used_t=used)  # fmt: skip
                used += line.quantity_t
        except InvalidInput as err:
            if approval_id is not None:
                raise
            errors.append(str(err))
            continue
        return a
    raise InvalidInput(
        f"approval_id: the receiver {licence.holder} is in {licence.province}, outside the "
        f"park's province {park_province}: a cross-province transfer needs an approval "
        "(跨省转移审批, 固废法 第八十二条) covering its codes and quantity"
        + (f" ({'; '.join(errors)})" if errors else "; none is recorded"),
        field="approval_id",
    )


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
    approval_id: int | None = None,
) -> Manifest:
    """A draft manifest from the generator's streams to a licensed receiver. A receiver in
    another province needs a cross-province approval (``approval_id``, or the enterprise's
    first approval that covers the manifest)."""  # fmt: skip
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
    categories: list[str] = []
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
        categories.append(stream.category)
    park = store.registry.park(c.park_id)
    approval: TransferApproval | None = None
    if mf.cross_province(park.province, licence.province):
        approval = _approval_for(repo, c, ent, approval_id, licence, park.province, out,
                                 categories, today)  # fmt: skip
    elif approval_id is not None:
        raise InvalidInput(
            "approval_id: the receiver is not outside the park's province (or its licence "
            "states no province): no approval applies",
            field="approval_id",
        )
    now = now_us()
    return repo.add_manifest(
        park_id=c.park_id, enterprise_id=ent, number=number, licence_id=licence.id,
        receiver=licence.holder, receiver_licence=licence.number, transporter=transporter,
        transporter_licence=transporter_licence, state=mf.DRAFT, lines=out, note=note,
        receiver_enterprise_id=licence.enterprise_id,
        approval_id=None if approval is None else approval.id,
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
    # an enterprise's user without a filter sees its own and those addressed to it
    named = None if principal.enterprise_id is not None and enterprise_id is None else ent
    return WasteRepo(store).manifests(
        tenant=c.tenant, park_id=c.park_id, state=state, enterprise_id=named or None,
        receiver=True,
    )  # fmt: skip


def get_manifest(store: Store, *, principal: Principal, manifest_id: int) -> Manifest:
    """One manifest in scope (its generator's or its receiver's)."""
    require_read(principal)
    c = ctx(store, principal)
    return WasteRepo(store).manifest(
        tenant=c.tenant, park_id=c.park_id, manifest_id=manifest_id, receiver=True
    )


def _party(principal: Principal, m: Manifest, action: str) -> str:
    """Who takes ``action`` on ``m``: ``park``, ``generator`` or ``receiver``; refuse a step
    that is not the caller's. A receiver in the park confirms its receipts itself (the
    generator may not record them); it takes no other step. A park-wide caller records any
    step (e.g. from the national system's manifest)."""
    if principal.enterprise_id is None:
        return "park"
    if principal.enterprise_id == m.enterprise_id:
        if action == "receive" and m.receiver_enterprise_id not in (None, m.enterprise_id):
            raise PermissionDenied(
                f"manifest {m.number}: the receipt is confirmed by the receiver {m.receiver}"
            )
        return "generator" if m.receiver_enterprise_id != m.enterprise_id else "receiver"
    if action != "receive":
        raise PermissionDenied(f"manifest {m.number}: the receiver only confirms the receipt")
    return "receiver"


def may_receive(principal: Principal, m: Manifest) -> bool:
    """Whether ``principal`` records the receipt of ``m`` now (a dispatched manifest; the
    party rules of :func:`_party`; the write permission) — what the dashboard offers."""
    if m.state != "dispatched" or not principal.can(Permission.WRITE):
        return False
    try:
        _party(principal, m, "receive")
    except PermissionDenied:
        return False
    return True


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
        m = repo.manifest(tenant=c.tenant, park_id=c.park_id, manifest_id=manifest_id,
                          conn=conn, receiver=True)  # fmt: skip
        target = mf.next_state(m.state, action)
        party = _party(principal, m, action)
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
            "by": party,
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
        updated = repo.manifest(tenant=c.tenant, park_id=c.park_id, manifest_id=m.id,
                                conn=conn, receiver=True)  # fmt: skip
    from lingtan.waste.alarms import check_now

    check_now(store)  # a receipt differing, a manifest closed: raise or clear at once
    return updated
