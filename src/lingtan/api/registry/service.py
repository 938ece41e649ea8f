"""Registry reads in the caller's scope, and loading a park file (park admins)."""

from __future__ import annotations

from typing import Literal

from lingtan.alarms import service as alarm_rules
from lingtan.api.common import PageParams
from lingtan.environment import service as environment
from lingtan.errors import InvalidInput
from lingtan.identity.parks import visible_parks
from lingtan.identity.roles import Permission, Principal, require
from lingtan.options import service as park_options
from lingtan.registry import parse_park_text
from lingtan.registry.replacements import FUTURE_SKEW_S, load_park
from lingtan.store import EnterpriseRecord, ParkRecord, PointRecord, SaveReport, SiteRecord, Store
from lingtan.store.query_repo import QueryRepo


def parks(store: Store, *, principal: Principal) -> list[ParkRecord]:
    """The parks the caller may act in."""
    require(principal, Permission.READ)
    return visible_parks(store, principal)


def park(store: Store, *, principal: Principal) -> ParkRecord:
    """The park (every reading role sees its name and time zone)."""
    require(principal, Permission.READ)
    return store.registry.park(principal.park_id)


def list_enterprises(
    store: Store, *, principal: Principal, page: PageParams
) -> tuple[list[EnterpriseRecord], int]:
    """Enterprises in the caller's scope."""
    require(principal, Permission.READ)
    p = store.registry.park(principal.park_id)
    return QueryRepo(store).enterprises(
        tenant=principal.tenant, park_id=p.id, limit=page.limit, offset=page.offset
    )


def get_enterprise(store: Store, *, principal: Principal, enterprise_id: int) -> EnterpriseRecord:
    """One enterprise in the caller's scope."""
    require(principal, Permission.READ)
    return QueryRepo(store).enterprise(tenant=principal.tenant, enterprise_id=enterprise_id)


def list_sites(
    store: Store, *, principal: Principal, enterprise_id: int | None, page: PageParams
) -> tuple[list[SiteRecord], int]:
    """Sites and buildings in the caller's scope."""
    require(principal, Permission.READ)
    q = QueryRepo(store)
    if enterprise_id is not None:
        q.enterprise(tenant=principal.tenant, enterprise_id=enterprise_id)
    return q.sites(
        tenant=principal.tenant,
        park_id=store.registry.park(principal.park_id).id,
        enterprise_id=enterprise_id,
        limit=page.limit,
        offset=page.offset,
    )


def get_site(store: Store, *, principal: Principal, site_id: int) -> SiteRecord:
    """One site in the caller's scope."""
    require(principal, Permission.READ)
    return QueryRepo(store).site(tenant=principal.tenant, site_id=site_id)


def list_points(
    store: Store,
    *,
    principal: Principal,
    enterprise_id: int | None,
    site_id: int | None,
    carrier: str | None,
    virtual: bool | None,
    page: PageParams,
) -> tuple[list[PointRecord], int, dict[int, str]]:
    """Points in the caller's scope, and the codes of their parents (by id)."""
    require(principal, Permission.READ)
    q = QueryRepo(store)
    if enterprise_id is not None:
        q.enterprise(tenant=principal.tenant, enterprise_id=enterprise_id)
    if site_id is not None:
        q.site(tenant=principal.tenant, site_id=site_id)
    rows, total = q.points(
        tenant=principal.tenant,
        park_id=store.registry.park(principal.park_id).id,
        enterprise_id=enterprise_id,
        site_id=site_id,
        carrier=carrier,
        virtual=virtual,
        limit=page.limit,
        offset=page.offset,
    )
    return rows, total, q.point_codes(tenant=principal.tenant)


def get_point(
    store: Store, *, principal: Principal, code: str
) -> tuple[PointRecord, dict[int, str]]:
    """One point in the caller's scope, and the codes of points in scope (by id)."""
    require(principal, Permission.READ)
    q = QueryRepo(store)
    return q.point(tenant=principal.tenant, code=code), q.point_codes(tenant=principal.tenant)


def load_park_file(
    store: Store,
    *,
    principal: Principal,
    text: str,
    fmt: Literal["yaml", "toml"],
    future_skew_s: float = FUTURE_SKEW_S,
) -> SaveReport:
    """Create or update the park from a park file (YAML or TOML), with the meter replacements
    it declares; every change is audited."""
    require(principal, Permission.ADMIN_PARK)
    if not text.strip():
        raise InvalidInput("the park file is empty", field="body")
    model = parse_park_text(text, fmt=fmt, name="request body")
    report = load_park(store, model, actor=principal.actor, future_skew_s=future_skew_s)
    park_options.apply_park_file(
        store, park_id=report.park_id, options=model.options, actor=principal.actor
    )
    alarm_rules.apply_park_file(
        store, park_id=report.park_id, section=model.alarms, actor=principal.actor
    )
    environment.apply_park_file(store, park_id=report.park_id, model=model, actor=principal.actor)
    return report
