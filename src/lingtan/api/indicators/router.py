"""``/api/v1/indicators``: the 1+5 indicators evaluated against their targets (service:
:func:`lingtan.indicators.evaluate.evaluate`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from lingtan.api.common import MAX_ID, YearQuery
from lingtan.api.deps import CurrentPrincipal, StoreDep
from lingtan.api.energy.router import scoped_enterprise
from lingtan.errors import InvalidInput
from lingtan.identity.roles import Principal
from lingtan.indicators.evaluate import evaluate
from lingtan.store import Store

router = APIRouter(tags=["indicators"])


def evaluation_in_scope(
    store: Store,
    *,
    principal: Principal,
    year: int,
    month: int | None,
    ytd: bool,
    enterprise_id: int | None,
    lang: str,
) -> dict[str, Any]:
    """The evaluation of the caller's scope (an enterprise user: its enterprise)."""
    scope = scoped_enterprise(store, principal, enterprise_id)
    if ytd and month is None:
        raise InvalidInput("year-to-date needs a month", field="month")
    return evaluate(
        store, year=year, month=month, ytd=ytd, enterprise_id=scope, park_id=principal.park_id
    ).as_dict(lang=lang)


@router.get("/indicators", response_model=dict[str, Any])
def get_indicators(
    principal: CurrentPrincipal,
    store: StoreDep,
    year: YearQuery,
    month: Annotated[int | None, Query(ge=1, le=12)] = None,
    ytd: bool = False,
    enterprise_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    lang: Annotated[Literal["zh", "en"], Query()] = "zh",
) -> dict[str, Any]:
    """The core indicator (carbon per unit of energy) and the five guiding indicators with
    value, target, status, reason, gap, trend against the base year, data quality and
    evidence (records, factors, clauses)."""
    return evaluation_in_scope(
        store,
        principal=principal,
        year=year,
        month=month,
        ytd=ytd,
        enterprise_id=enterprise_id,
        lang=lang,
    )
