"""Which park a caller acts in, when one store holds several parks.

Tenancy is unchanged by there being several parks: a park-wide role (park admin, viewer,
auditor, integrator) sees every park of the store and picks the one it works in (the API's
``park`` query parameter, the dashboard's park switcher); an enterprise's user is in its
enterprise's park and nowhere else. Naming another park is answered as a park that does not
exist.
"""

from __future__ import annotations

import dataclasses

from lingtan.errors import NotFound
from lingtan.identity.roles import Principal
from lingtan.store import ParkRecord, Store
from lingtan.store.query_repo import QueryRepo, Tenant


def visible_parks(store: Store, principal: Principal) -> list[ParkRecord]:
    """The parks the caller may act in: all of them, or its enterprise's park."""
    parks = store.registry.parks()
    if principal.enterprise_id is None:
        return parks
    own = QueryRepo(store).enterprise(
        tenant=Tenant.park_wide(), enterprise_id=principal.enterprise_id
    )
    return [p for p in parks if p.id == own.park_id]


def in_park(
    store: Store, principal: Principal, code: str | None, *, first_if_several: bool = False
) -> Principal:
    """The caller acting in the park ``code`` names (None: the only park it may see; with
    several, none — a park-level request then asks for one — or the first with
    ``first_if_several``, as the dashboard opens). ``NotFound`` for a park it may not see."""
    parks = visible_parks(store, principal)
    if code is not None:
        for p in parks:
            if p.code == code:
                return dataclasses.replace(principal, park_id=p.id)
        raise NotFound("park not found")
    if len(parks) == 1 or (parks and first_if_several):
        return dataclasses.replace(principal, park_id=parks[0].id)
    return principal
