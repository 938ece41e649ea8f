"""Waste ledger, manifests, licences and exchange: rows appended (the ledger never changes a
movement), read back scoped by tenant. A manifest's and a deal's workflow state is updated in
place with its history; a listing's state likewise."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, insert, or_, select, update

from lingtan.errors import NotFound
from lingtan.store import schema as s
from lingtan.store.query_repo import Tenant, _owner
from lingtan.waste.exchange import Deal, Listing
from lingtan.waste.model import (
    Facility,
    Licence,
    Manifest,
    ManifestLine,
    Movement,
    MovementKind,
    Plan,
    StorageExtension,
    Stream,
    TransferApproval,
)

if TYPE_CHECKING:
    from lingtan.store.core import Store


def _stream(r: Any) -> Stream:
    return Stream(
        id=int(r.id), park_id=int(r.park_id), enterprise_id=int(r.enterprise_id), code=r.code,
        category=r.category, name=r.name, form=r.form, hazard=json.loads(r.hazard),
        process=r.process, listed=bool(r.listed), edition=r.edition, created_by=r.created_by,
        created_at=int(r.created_at),
    )  # fmt: skip


def _plan(r: Any) -> Plan:
    return Plan(
        id=int(r.id), enterprise_id=int(r.enterprise_id), stream_id=int(r.stream_id),
        year=int(r.year), quantity_t=float(r.quantity_t), created_by=r.created_by,
        created_at=int(r.created_at),
    )  # fmt: skip


def _facility(r: Any) -> Facility:
    return Facility(
        id=int(r.id), park_id=int(r.park_id), enterprise_id=int(r.enterprise_id), code=r.code,
        name=r.name, location=r.location, capacity=float(r.capacity), unit=r.unit,
        capacity_t=float(r.capacity_t), created_by=r.created_by, created_at=int(r.created_at),
    )  # fmt: skip


def _opt(v: Any) -> int | None:
    return None if v is None else int(v)


def _movement(r: Any) -> Movement:
    return Movement(
        id=int(r.id), enterprise_id=int(r.enterprise_id), stream_id=int(r.stream_id),
        kind=MovementKind(r.kind), batch=r.batch, quantity=float(r.quantity), unit=r.unit,
        quantity_t=float(r.quantity_t), at=int(r.at), facility_id=_opt(r.facility_id),
        container=r.container, manifest_id=_opt(r.manifest_id), corrects_id=_opt(r.corrects_id),
        note=r.note, created_by=r.created_by, created_at=int(r.created_at),
    )  # fmt: skip


def _licence(r: Any) -> Licence:
    return Licence(
        id=int(r.id), park_id=int(r.park_id), holder=r.holder, number=r.number,
        codes=json.loads(r.codes), capacity_t=float(r.capacity_t), valid_from=r.valid_from,
        valid_to=r.valid_to, created_by=r.created_by, created_at=int(r.created_at),
        enterprise_id=_opt(r.enterprise_id), province=r.province,
    )  # fmt: skip


def _approval(r: Any) -> TransferApproval:
    return TransferApproval(
        id=int(r.id), park_id=int(r.park_id), enterprise_id=int(r.enterprise_id),
        number=r.number, origin=r.origin, destination=r.destination, codes=json.loads(r.codes),
        quantity_t=float(r.quantity_t), valid_from=r.valid_from, valid_to=r.valid_to,
        created_by=r.created_by, created_at=int(r.created_at),
    )  # fmt: skip


def _extension(r: Any) -> StorageExtension:
    return StorageExtension(
        id=int(r.id), park_id=int(r.park_id), enterprise_id=int(r.enterprise_id),
        stream_id=int(r.stream_id), batch=r.batch, authority=r.authority, number=r.number,
        approved_on=r.approved_on, until=r.until, created_by=r.created_by,
        created_at=int(r.created_at), note=r.note,
    )  # fmt: skip


def _manifest(r: Any) -> Manifest:
    return Manifest(
        id=int(r.id), park_id=int(r.park_id), enterprise_id=int(r.enterprise_id),
        number=r.number, licence_id=int(r.licence_id), receiver=r.receiver,
        receiver_licence=r.receiver_licence, transporter=r.transporter,
        transporter_licence=r.transporter_licence, state=r.state,
        lines=[ManifestLine(**x) for x in json.loads(r.lines)], created_by=r.created_by,
        created_at=int(r.created_at), dispatched_at=_opt(r.dispatched_at),
        received_at=_opt(r.received_at), closed_at=_opt(r.closed_at),
        cancelled_at=_opt(r.cancelled_at), note=r.note, history=json.loads(r.history),
        receiver_enterprise_id=_opt(r.receiver_enterprise_id), approval_id=_opt(r.approval_id),
    )  # fmt: skip


def _listing(r: Any) -> Listing:
    return Listing(
        id=int(r.id), park_id=int(r.park_id), enterprise_id=int(r.enterprise_id), side=r.side,
        material=r.material, code=r.code, quantity=float(r.quantity), unit=r.unit,
        quantity_t=float(r.quantity_t), period_from=r.period_from, period_to=r.period_to,
        quality=r.quality, location=r.location, state=r.state, created_by=r.created_by,
        created_at=int(r.created_at),
    )  # fmt: skip


def _deal(r: Any) -> Deal:
    return Deal(
        id=int(r.id), park_id=int(r.park_id), offer_id=int(r.offer_id), want_id=_opt(r.want_id),
        seller_id=int(r.seller_id), buyer_id=int(r.buyer_id), material=r.material,
        quantity=float(r.quantity), unit=r.unit, quantity_t=float(r.quantity_t),
        agreed_on=r.agreed_on, completed_on=r.completed_on, state=r.state, note=r.note,
        created_by=r.created_by, created_at=int(r.created_at),
    )  # fmt: skip


def manifest_lines_json(lines: Sequence[ManifestLine]) -> str:
    """The stored form of a manifest's lines."""
    return json.dumps(
        [
            {"stream_id": x.stream_id, "code": x.code, "quantity_t": x.quantity_t,
             "received_t": x.received_t}
            for x in lines
        ],
        ensure_ascii=False,
    )  # fmt: skip


def _manifest_scope(t: Any, tenant: Tenant, receiver: bool) -> Any:
    """The manifests a tenant sees: its own (as generator), and with ``receiver`` those whose
    receiver is the tenant's enterprise."""
    own = _owner(t.c.enterprise_id, tenant)
    if not receiver or tenant.enterprise_id is None:
        return own
    return or_(own, _owner(t.c.receiver_enterprise_id, tenant))


class WasteRepo:
    """Repository of the waste tables."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def _insert(self, conn: Connection, table: Any, values: dict[str, Any]) -> int:
        return int(conn.execute(insert(table).values(**values).returning(table.c.id)).scalar_one())

    # -- streams, plans, facilities --------------------------------------------------------
    def add_stream(self, **values: Any) -> Stream:
        """Append a stream."""
        t = s.waste_stream
        values = {**values, "hazard": json.dumps(values["hazard"])}
        with self._store.begin() as conn:
            new_id = self._insert(conn, t, values)
            return _stream(conn.execute(select(t).where(t.c.id == new_id)).one())

    def streams(
        self, *, tenant: Tenant, park_id: int, enterprise_id: int | None = None
    ) -> list[Stream]:
        """The streams in scope (of one enterprise when given)."""
        t = s.waste_stream
        q = select(t).where(t.c.park_id == park_id, _owner(t.c.enterprise_id, tenant))
        if enterprise_id is not None:
            q = q.where(t.c.enterprise_id == enterprise_id)
        with self._store.begin() as conn:
            return [_stream(r) for r in conn.execute(q.order_by(t.c.id))]

    def stream(self, *, tenant: Tenant, park_id: int, stream_id: int) -> Stream:
        """One stream in scope (NotFound otherwise)."""
        t = s.waste_stream
        q = select(t).where(
            t.c.id == stream_id, t.c.park_id == park_id, _owner(t.c.enterprise_id, tenant)
        )
        with self._store.begin() as conn:
            row = conn.execute(q).first()
        if row is None:
            raise NotFound("waste stream not found")
        return _stream(row)

    def stream_by_name(self, *, enterprise_id: int, name: str) -> Stream | None:
        """An enterprise's stream by name, or None."""
        t = s.waste_stream
        q = select(t).where(t.c.enterprise_id == enterprise_id, t.c.name == name)
        with self._store.begin() as conn:
            row = conn.execute(q).first()
        return None if row is None else _stream(row)

    def add_plan(self, **values: Any) -> Plan:
        """Append a plan row (the newest of a stream and year is in force)."""
        t = s.waste_plan
        with self._store.begin() as conn:
            new_id = self._insert(conn, t, values)
            return _plan(conn.execute(select(t).where(t.c.id == new_id)).one())

    def plans(
        self,
        *,
        tenant: Tenant,
        park_id: int,
        year: int | None = None,
        enterprise_id: int | None = None,
    ) -> list[Plan]:
        """The plans in force (newest per stream and year) in scope."""  # fmt: skip
        t = s.waste_plan
        q = select(t).where(t.c.park_id == park_id, _owner(t.c.enterprise_id, tenant))
        if year is not None:
            q = q.where(t.c.year == year)
        if enterprise_id is not None:
            q = q.where(t.c.enterprise_id == enterprise_id)
        with self._store.begin() as conn:
            rows = [_plan(r) for r in conn.execute(q.order_by(t.c.id))]
        newest: dict[tuple[int, int], Plan] = {}
        for p in rows:
            newest[(p.stream_id, p.year)] = p
        return list(newest.values())

    def add_facility(self, **values: Any) -> Facility:
        """Append a storage facility."""
        t = s.waste_facility
        with self._store.begin() as conn:
            new_id = self._insert(conn, t, values)
            return _facility(conn.execute(select(t).where(t.c.id == new_id)).one())

    def facilities(
        self, *, tenant: Tenant, park_id: int, enterprise_id: int | None = None
    ) -> list[Facility]:
        """The storage facilities in scope."""
        t = s.waste_facility
        q = select(t).where(t.c.park_id == park_id, _owner(t.c.enterprise_id, tenant))
        if enterprise_id is not None:
            q = q.where(t.c.enterprise_id == enterprise_id)
        with self._store.begin() as conn:
            return [_facility(r) for r in conn.execute(q.order_by(t.c.id))]

    # -- movements --------------------------------------------------------------------------
    def add_movements(
        self, rows: Sequence[dict[str, Any]], conn: Connection | None = None
    ) -> list[int]:
        """Append movements in one transaction (``conn``: the caller's)."""
        if conn is None:
            with self._store.begin() as own:
                return self.add_movements(rows, own)
        return [self._insert(conn, s.waste_movement, r) for r in rows]

    def movements(
        self,
        *,
        tenant: Tenant,
        park_id: int,
        enterprise_id: int | None = None,
        stream_id: int | None = None,
        batch: str | None = None,
        until: int | None = None,
    ) -> list[Movement]:
        """The movements in scope, in time order."""  # fmt: skip
        t = s.waste_movement
        q = select(t).where(t.c.park_id == park_id, _owner(t.c.enterprise_id, tenant))
        if enterprise_id is not None:
            q = q.where(t.c.enterprise_id == enterprise_id)
        if stream_id is not None:
            q = q.where(t.c.stream_id == stream_id)
        if batch is not None:
            q = q.where(t.c.batch == batch)
        if until is not None:
            q = q.where(t.c.at < until)
        with self._store.begin() as conn:
            return [_movement(r) for r in conn.execute(q.order_by(t.c.at, t.c.id))]

    def movement(self, *, tenant: Tenant, park_id: int, movement_id: int) -> Movement:
        """One movement in scope (NotFound otherwise)."""
        t = s.waste_movement
        q = select(t).where(
            t.c.id == movement_id, t.c.park_id == park_id, _owner(t.c.enterprise_id, tenant)
        )
        with self._store.begin() as conn:
            row = conn.execute(q).first()
        if row is None:
            raise NotFound("waste movement not found")
        return _movement(row)

    # -- licences ---------------------------------------------------------------------------
    def add_licence(self, **values: Any) -> Licence:
        """Append a receiver's licence."""
        t = s.waste_licence
        values = {**values, "codes": json.dumps(values["codes"])}
        with self._store.begin() as conn:
            new_id = self._insert(conn, t, values)
            return _licence(conn.execute(select(t).where(t.c.id == new_id)).one())

    def licences(self, *, park_id: int) -> list[Licence]:
        """The park's licence registry."""
        t = s.waste_licence
        with self._store.begin() as conn:
            rows = conn.execute(select(t).where(t.c.park_id == park_id).order_by(t.c.id))
            return [_licence(r) for r in rows]

    def licence(self, *, park_id: int, licence_id: int) -> Licence:
        """One licence of the park (NotFound otherwise)."""
        t = s.waste_licence
        q = select(t).where(t.c.id == licence_id, t.c.park_id == park_id)
        with self._store.begin() as conn:
            row = conn.execute(q).first()
        if row is None:
            raise NotFound("licence not found")
        return _licence(row)

    def licence_manifests(self, *, licence_id: int) -> list[Manifest]:
        """Every manifest naming a licence (the capacity check counts them; any tenant)."""
        t = s.waste_manifest
        with self._store.begin() as conn:
            rows = conn.execute(select(t).where(t.c.licence_id == licence_id))
            return [_manifest(r) for r in rows]

    def approval_manifests(self, *, approval_id: int) -> list[Manifest]:
        """Every manifest running under an approval (its quantity check counts them)."""
        t = s.waste_manifest
        with self._store.begin() as conn:
            rows = conn.execute(select(t).where(t.c.approval_id == approval_id))
            return [_manifest(r) for r in rows]

    # -- cross-province transfer approvals ---------------------------------------------------
    def add_approval(self, **values: Any) -> TransferApproval:
        """Append a cross-province transfer approval."""
        t = s.waste_transfer_approval
        values = {**values, "codes": json.dumps(values["codes"])}
        with self._store.begin() as conn:
            new_id = self._insert(conn, t, values)
            return _approval(conn.execute(select(t).where(t.c.id == new_id)).one())

    def approvals(
        self, *, tenant: Tenant, park_id: int, enterprise_id: int | None = None
    ) -> list[TransferApproval]:
        """The approvals in scope (an enterprise: its own)."""
        t = s.waste_transfer_approval
        q = select(t).where(t.c.park_id == park_id, _owner(t.c.enterprise_id, tenant))
        if enterprise_id is not None:
            q = q.where(t.c.enterprise_id == enterprise_id)
        with self._store.begin() as conn:
            return [_approval(r) for r in conn.execute(q.order_by(t.c.id))]

    def approval_number_taken(self, *, park_id: int, number: str) -> bool:
        """Whether the park already has an approval of this number."""
        t = s.waste_transfer_approval
        q = select(func.count()).where(t.c.park_id == park_id, t.c.number == number)
        with self._store.begin() as conn:
            return bool(conn.execute(q).scalar_one())

    # -- storage-time extensions --------------------------------------------------------------
    def add_extension(self, **values: Any) -> StorageExtension:
        """Append an approved extension of a batch's storage time."""
        t = s.waste_storage_extension
        with self._store.begin() as conn:
            new_id = self._insert(conn, t, values)
            return _extension(conn.execute(select(t).where(t.c.id == new_id)).one())

    def extensions(
        self,
        *,
        tenant: Tenant,
        park_id: int,
        enterprise_id: int | None = None,
        stream_id: int | None = None,
        batch: str | None = None,
    ) -> list[StorageExtension]:
        """The storage-time extensions in scope (an enterprise: its own), in entry order."""  # fmt: skip
        t = s.waste_storage_extension
        q = select(t).where(t.c.park_id == park_id, _owner(t.c.enterprise_id, tenant))
        if enterprise_id is not None:
            q = q.where(t.c.enterprise_id == enterprise_id)
        if stream_id is not None:
            q = q.where(t.c.stream_id == stream_id)
        if batch is not None:
            q = q.where(t.c.batch == batch)
        with self._store.begin() as conn:
            return [_extension(r) for r in conn.execute(q.order_by(t.c.id))]

    # -- manifests --------------------------------------------------------------------------
    def add_manifest(self, **values: Any) -> Manifest:
        """Append a manifest (a draft)."""
        t = s.waste_manifest
        values = {
            **values,
            "lines": manifest_lines_json(values["lines"]),
            "history": json.dumps(values.get("history", []), ensure_ascii=False),
        }
        with self._store.begin() as conn:
            new_id = self._insert(conn, t, values)
            return _manifest(conn.execute(select(t).where(t.c.id == new_id)).one())

    def manifests(
        self,
        *,
        tenant: Tenant,
        park_id: int,
        state: str | None = None,
        enterprise_id: int | None = None,
        receiver: bool = False,
    ) -> list[Manifest]:
        """The manifests in scope, newest first (``receiver``: an enterprise also sees those
        addressed to it)."""  # fmt: skip
        t = s.waste_manifest
        q = select(t).where(t.c.park_id == park_id, _manifest_scope(t, tenant, receiver))
        if state is not None:
            q = q.where(t.c.state == state)
        if enterprise_id is not None:
            q = q.where(t.c.enterprise_id == enterprise_id)
        with self._store.begin() as conn:
            return [_manifest(r) for r in conn.execute(q.order_by(t.c.id.desc()))]

    def manifest(
        self,
        *,
        tenant: Tenant,
        park_id: int,
        manifest_id: int,
        conn: Connection | None = None,
        receiver: bool = False,
    ) -> Manifest:
        """One manifest in scope (NotFound otherwise; ``receiver``: an enterprise also sees
        those addressed to it)."""
        t = s.waste_manifest
        q = select(t).where(
            t.c.id == manifest_id, t.c.park_id == park_id, _manifest_scope(t, tenant, receiver)
        )
        if conn is None:
            with self._store.begin() as own:
                row = own.execute(q).first()
        else:
            row = conn.execute(q).first()
        if row is None:
            raise NotFound("manifest not found")
        return _manifest(row)

    def manifest_number_taken(self, *, park_id: int, number: str) -> bool:
        """Whether the park already has a manifest of this number."""
        t = s.waste_manifest
        q = select(func.count()).where(t.c.park_id == park_id, t.c.number == number)
        with self._store.begin() as conn:
            return bool(conn.execute(q).scalar_one())

    def update_manifest(self, conn: Connection, manifest_id: int, **values: Any) -> None:
        """Change a manifest's workflow columns (state, times, lines received, history)."""
        if "lines" in values:
            values["lines"] = manifest_lines_json(values["lines"])
        if "history" in values:
            values["history"] = json.dumps(values["history"], ensure_ascii=False)
        t = s.waste_manifest
        conn.execute(update(t).where(t.c.id == manifest_id).values(**values))

    # -- exchange ---------------------------------------------------------------------------
    def add_listing(self, **values: Any) -> Listing:
        """Append a listing."""
        t = s.waste_listing
        with self._store.begin() as conn:
            new_id = self._insert(conn, t, values)
            return _listing(conn.execute(select(t).where(t.c.id == new_id)).one())

    def listings(self, *, park_id: int, state: str | None = "open") -> list[Listing]:
        """The park's listings (every enterprise sees them; the service hides the owner)."""
        t = s.waste_listing
        q = select(t).where(t.c.park_id == park_id)
        if state is not None:
            q = q.where(t.c.state == state)
        with self._store.begin() as conn:
            return [_listing(r) for r in conn.execute(q.order_by(t.c.id.desc()))]

    def listing(self, *, park_id: int, listing_id: int) -> Listing:
        """One listing of the park (NotFound otherwise)."""
        t = s.waste_listing
        q = select(t).where(t.c.id == listing_id, t.c.park_id == park_id)
        with self._store.begin() as conn:
            row = conn.execute(q).first()
        if row is None:
            raise NotFound("listing not found")
        return _listing(row)

    def add_deal(self, **values: Any) -> Deal:
        """Append a deal."""
        t = s.waste_deal
        with self._store.begin() as conn:
            new_id = self._insert(conn, t, values)
            return _deal(conn.execute(select(t).where(t.c.id == new_id)).one())

    @staticmethod
    def _party(tenant: Tenant) -> Any:
        t = s.waste_deal
        if tenant.enterprise_id is None:
            return t.c.id.is_not(None)
        return or_(t.c.seller_id == tenant.enterprise_id, t.c.buyer_id == tenant.enterprise_id)

    def deals(self, *, tenant: Tenant, park_id: int) -> list[Deal]:
        """The deals the tenant is party to (all for park-wide callers), newest first."""
        t = s.waste_deal
        q = select(t).where(t.c.park_id == park_id, self._party(tenant))
        with self._store.begin() as conn:
            return [_deal(r) for r in conn.execute(q.order_by(t.c.id.desc()))]

    def deal(self, *, tenant: Tenant, park_id: int, deal_id: int) -> Deal:
        """One deal the tenant is party to (NotFound otherwise)."""
        t = s.waste_deal
        q = select(t).where(t.c.id == deal_id, t.c.park_id == park_id, self._party(tenant))
        with self._store.begin() as conn:
            row = conn.execute(q).first()
        if row is None:
            raise NotFound("deal not found")
        return _deal(row)

    def update_deal(self, deal_id: int, **values: Any) -> None:
        """Change a deal's state (agreed → completed or cancelled)."""
        t = s.waste_deal
        with self._store.begin() as conn:
            conn.execute(update(t).where(t.c.id == deal_id).values(**values))
