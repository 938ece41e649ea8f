"""``/api/v1/statistics/energy``: energy statistics of the park or an enterprise (service:
:func:`lingtan.indicators.energy.energy_statistics`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from lingtan.api.common import MAX_ID, YearQuery
from lingtan.api.deps import CurrentPrincipal, StoreDep
from lingtan.errors import InvalidInput
from lingtan.identity.roles import Permission, Principal, require
from lingtan.indicators.energy import energy_statistics
from lingtan.store import Store
from lingtan.store.query_repo import QueryRepo

router = APIRouter(tags=["statistics"])


def scoped_enterprise(store: Store, principal: Principal, enterprise_id: int | None) -> int | None:
    """The enterprise a read is about: the caller's own for enterprise users (another one is
    404); any, or none for the whole park, for park-wide callers."""
    require(principal, Permission.READ)
    if enterprise_id is not None:
        QueryRepo(store).enterprise(tenant=principal.tenant, enterprise_id=enterprise_id)
        return enterprise_id
    if principal.enterprise_id is not None:
        return principal.enterprise_id
    return None


def statistics_in_scope(
    store: Store,
    *,
    principal: Principal,
    year: int,
    month: int | None,
    ytd: bool,
    enterprise_id: int | None,
) -> dict[str, Any]:
    """Energy statistics of the caller's scope."""
    scope = scoped_enterprise(store, principal, enterprise_id)
    if ytd and month is None:
        raise InvalidInput("year-to-date needs a month", field="month")
    return energy_statistics(
        store, year=year, month=month, ytd=ytd, enterprise_id=scope, park_id=principal.park_id
    ).as_dict()


@router.get("/statistics/energy", response_model=dict[str, Any])
def get_energy_statistics(
    principal: CurrentPrincipal,
    store: StoreDep,
    year: YearQuery,
    month: Annotated[int | None, Query(ge=1, le=12)] = None,
    ytd: bool = False,
    enterprise_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> dict[str, Any]:
    """Energy by carrier, owner, building and month in physical units and tce; electricity
    balance; clean-energy and green-electricity shares; GB 17167 metering coverage; quality.
    Enterprise users get their own enterprise."""
    return statistics_in_scope(
        store, principal=principal, year=year, month=month, ytd=ytd, enterprise_id=enterprise_id
    )
