"""``/api/v1/dispatch``: the park microgrid's declaration, dispatch plans (day-ahead and
intraday), their setpoints, their publication over MQTT, their comparison with what was
metered and what their demand-response calls delivered. Park-wide roles read, park
administrators write; enterprise users get 403. Thin: the work is in
:mod:`lingtan.dispatch.service`."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status

import lingtan.dispatch.alarms  # noqa: F401  (registers the dispatch checks with the engine)
from lingtan.api.common import IdPath, Page, Paging
from lingtan.api.deps import CurrentPrincipal, SettingsDep, StoreDep
from lingtan.api.dispatch.schemas import (
    PlanDetailOut,
    PlanIn,
    PlanOut,
    SessionIn,
    SessionsIn,
    SessionsOut,
    SetpointOut,
    SetpointWriteOut,
    SiteOut,
)
from lingtan.config import Settings
from lingtan.dispatch import service
from lingtan.dispatch.actual import compare_actual, demand_response_delivered
from lingtan.dispatch.config import MicrogridSpec
from lingtan.dispatch.publish import MqttPublisher, Publisher
from lingtan.errors import Unavailable
from lingtan.identity.roles import Principal
from lingtan.store import Store
from lingtan.store.dispatch_repo import PlanRow
from lingtan.timeutil import utcnow

router = APIRouter(prefix="/dispatch", tags=["dispatch"])


@router.get("/site", response_model=SiteOut)
def get_site(principal: CurrentPrincipal, store: StoreDep) -> SiteOut:
    """The park's microgrid declaration (404 when none is set)."""
    row = service.get_spec(store, principal=principal)
    return SiteOut.of(row, service.zone_of(store, principal))


@router.put("/site", response_model=SiteOut)
def put_site(principal: CurrentPrincipal, store: StoreDep, body: MicrogridSpec) -> SiteOut:
    """Set the park's microgrid declaration (park administrators). Every point must be the
    park's and of the carrier its role needs (422 naming the field otherwise)."""
    row = service.set_spec(store, principal=principal, data=body.model_dump(mode="json"))
    return SiteOut.of(row, service.zone_of(store, principal))


def _detail(store: Store, principal: Principal, row: PlanRow) -> PlanDetailOut:
    tz = service.zone_of(store, principal)
    n = len(row.steps.get("import_kw", []))
    return PlanDetailOut(
        **PlanOut.of(row, tz).model_dump(),
        step_starts=[service.step_start(row, tz, k).isoformat() for k in range(n)],
        steps=row.steps,
    )


@router.post("/plans", response_model=PlanDetailOut, status_code=status.HTTP_201_CREATED)
def make_plan(principal: CurrentPrincipal, store: StoreDep, body: PlanIn) -> PlanDetailOut:
    """Plan a day (park administrators): solve, store and return the plan with its steps."""
    objective = None if body.objective is None else body.objective.model_dump(exclude_none=True)
    dr = None
    if body.demand_response is not None:
        dr = body.demand_response.model_dump(by_alias=True)
    if body.kind == "intraday":
        now = body.now or utcnow()
        if now.tzinfo is None:
            now = now.replace(tzinfo=service.zone_of(store, principal))
        row = service.replan_intraday(
            store, principal=principal, day=body.day, now=now, objective=objective,
            demand_response=dr,
        )  # fmt: skip
    else:
        row = service.plan_day(
            store, principal=principal, day=body.day, objective=objective, demand_response=dr
        )
    return _detail(store, principal, row)


@router.get("/plans", response_model=Page[PlanOut])
def list_plans(
    principal: CurrentPrincipal,
    store: StoreDep,
    page: Paging,
    day: Annotated[dt.date | None, Query(description="only the plans of this day")] = None,
) -> Page[PlanOut]:
    """Stored plans of the park, newest first, without their steps."""
    rows = service.plans(store, principal=principal, day=day, limit=page.offset + page.limit)
    tz = service.zone_of(store, principal)
    items = [PlanOut.of(r, tz) for r in rows[page.offset :]]
    return Page(items=items, total=len(rows), limit=page.limit, offset=page.offset)


@router.get("/plans/{plan_id}", response_model=PlanDetailOut)
def get_plan(principal: CurrentPrincipal, store: StoreDep, plan_id: IdPath) -> PlanDetailOut:
    """One plan with its per-step values and reasons."""
    return _detail(store, principal, service.plan(store, principal=principal, plan_id=plan_id))


@router.get("/plans/{plan_id}/setpoints", response_model=list[SetpointOut])
def get_setpoints(
    principal: CurrentPrincipal, store: StoreDep, plan_id: IdPath
) -> list[dict[str, Any]]:
    """The plan's setpoints per device and step."""
    return service.setpoints(store, principal=principal, plan_id=plan_id)


@router.get("/plans/{plan_id}/writes", response_model=list[SetpointWriteOut])
def get_writes(
    principal: CurrentPrincipal, store: StoreDep, plan_id: IdPath
) -> list[SetpointWriteOut]:
    """The setpoints written to devices for the plan (``lingtan dispatch apply``), newest
    first: value written and read back, outcome (ok, mismatch, timeout, unavailable,
    device_error, refused) with each attempt's reason, measured power and tracking."""
    tz = service.zone_of(store, principal)
    return [
        SetpointWriteOut.of(w, tz)
        for w in service.writes(store, principal=principal, plan_id=plan_id)
    ]


def _publisher(request: Request, settings: Settings) -> Publisher:
    """The publisher the app was given (tests), else the configured broker's."""
    injected: Publisher | None = getattr(request.app.state, "dispatch_publisher", None)
    if injected is not None:
        return injected
    if not settings.dispatch_mqtt_host:
        raise Unavailable("no MQTT broker is configured for dispatch (LINGTAN_DISPATCH_MQTT_HOST)")
    return MqttPublisher(
        settings.dispatch_mqtt_host, settings.dispatch_mqtt_port,
        username=settings.dispatch_mqtt_username or None,
        password=settings.dispatch_mqtt_password or None,
    )  # fmt: skip


@router.post("/plans/{plan_id}/publish", response_model=PlanOut)
def publish_plan(
    principal: CurrentPrincipal,
    store: StoreDep,
    settings: SettingsDep,
    request: Request,
    plan_id: IdPath,
) -> PlanOut:
    """Publish the plan's setpoints (park administrators): one retained JSON message per device
    on ``lingtan/<park>/dispatch/<device>/setpoint``; the broker's acknowledgements are
    recorded with the plan (503 when one is missing)."""
    service.require_admin(principal)
    service.plan(store, principal=principal, plan_id=plan_id)  # 404 before any broker
    row = service.publish(
        store, principal=principal, plan_id=plan_id, publisher=_publisher(request, settings)
    )
    return PlanOut.of(row, service.zone_of(store, principal))


@router.get("/plans/{plan_id}/actual")
def get_actual(principal: CurrentPrincipal, store: StoreDep, plan_id: IdPath) -> dict[str, Any]:
    """Planned against metered hourly flows of the plan's day, with the cost and emissions of
    both under the plan's prices and factors (422 before the day is over)."""
    return compare_actual(store, principal=principal, plan_id=plan_id)


@router.get("/plans/{plan_id}/demand-response")
def get_demand_response(
    principal: CurrentPrincipal, store: StoreDep, plan_id: IdPath
) -> dict[str, Any]:
    """What the plan's demand-response call delivered: the baseline and the metered grid import
    over the call window, the delivered and the required reduction [kW] and whether the call
    was met (``status`` ``not_assessed`` with the ``reason`` where the baseline cannot be
    reproduced or an hour is not metered). 422 before the day is over or for a plan without a
    call."""
    return demand_response_delivered(store, principal=principal, plan_id=plan_id)


@router.post("/ev-sessions", response_model=SessionsOut, status_code=status.HTTP_201_CREATED)
def import_sessions(principal: CurrentPrincipal, store: StoreDep, body: SessionsIn) -> SessionsOut:
    """Replace the EV sessions of a day (park administrators)."""
    rows = service.import_sessions(
        store, principal=principal, day=body.day, rows=[s.model_dump() for s in body.sessions]
    )
    return SessionsOut(
        day=body.day.isoformat(),
        sessions=[
            SessionIn(
                code=r.code,
                charger=r.charger,
                arrival=r.arrival,
                departure=r.departure,
                energy_kwh=r.energy_kwh,
                max_kw=r.max_kw,
            )
            for r in rows
        ],
    )
