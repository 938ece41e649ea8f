"""Meter replacements in the caller's scope. Recording needs the ingest permission (park
admins, enterprise admins and integrators): a replacement is meter data, sent by whoever sends
the point's readings, and the same scope applies — an enterprise's own points, or a key's
listed points."""

from __future__ import annotations

from lingtan.api.common import PageParams
from lingtan.api.readings.service import allowed_points
from lingtan.errors import PermissionDenied
from lingtan.identity.roles import Permission, Principal, require
from lingtan.registry.model import MeterReplacement
from lingtan.registry.replacements import RecordReport, record_replacements
from lingtan.store import PointRecord, ReplacementRecord, Store
from lingtan.store.query_repo import QueryRepo


def record(
    store: Store,
    *,
    principal: Principal,
    event: MeterReplacement,
    future_skew_s: float,
) -> RecordReport:
    """Record one replacement of a point in the caller's scope (audited).

    A point outside the caller's scope is refused with 403 whether it exists or not, as a
    reading of it would be; a point the caller may write that does not exist is 404."""
    require(principal, Permission.INGEST)
    allowed = allowed_points(store, principal)
    if allowed is not None and event.point not in allowed:
        raise PermissionDenied("the point is outside your scope; nothing was recorded")
    QueryRepo(store).point(tenant=principal.tenant, code=event.point)  # NotFound if none
    return record_replacements(
        store,
        [event],
        actor=principal.actor,
        source=f"api:{principal.actor}",
        allowed=allowed,
        future_skew_s=future_skew_s,
    )


def of_point(
    store: Store, *, principal: Principal, code: str, page: PageParams
) -> tuple[PointRecord, list[ReplacementRecord], int]:
    """The replacements of one point in the caller's scope, newest first."""
    require(principal, Permission.READ)
    point = QueryRepo(store).point(tenant=principal.tenant, code=code)
    rows, total = store.replacements.list(
        tenant=principal.tenant, point_id=point.id, limit=page.limit, offset=page.offset
    )
    return point, rows, total
