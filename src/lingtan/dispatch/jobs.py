"""The ``dispatch_plan`` job kind: the park's plans on a schedule.

* ``{"kind": "day_ahead"}`` — tomorrow's plan (park-local), run in the evening once the day's
  forecasts are issued (after ``forecast_retrain``);
* ``{"kind": "intraday"}`` — re-plan the rest of today from the current step with the metered
  state of charge, run every hour (or every 15 minutes) as readings arrive.

A cron entry or a systemd timer submits it through ``POST /api/v1/jobs`` (or runs
``lingtan dispatch plan``). A job only plans and stores; publishing the setpoints stays an
explicit step (``POST /api/v1/dispatch/plans/{id}/publish``), so nothing reaches a device
without a person or a controller asking for it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from lingtan.dispatch import service
from lingtan.errors import InvalidInput
from lingtan.identity.roles import Permission, Principal, Role
from lingtan.jobs.service import JobContext, JobKind, JobOutput, register_kind
from lingtan.store import Store

KINDS = ("day_ahead", "intraday")


def _params(store: Store, principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    unknown = set(params) - {"kind", "day", "park_id"}
    if unknown:
        raise InvalidInput(f"unknown parameters: {', '.join(sorted(unknown))}", field="params")
    kind = params.get("kind", "day_ahead")
    if kind not in KINDS:
        raise InvalidInput("kind must be day_ahead or intraday", field="kind")
    out: dict[str, Any] = {"kind": kind}
    if params.get("day") is not None:
        if kind == "intraday":
            raise InvalidInput("an intraday re-plan is of today: give no day", field="day")
        out["day"] = service.parse_day(str(params["day"])).isoformat()
    return out


def _plan(store: Store, ctx: JobContext) -> JobOutput:
    # admitted for park-wide administrators only; it runs with exactly that role
    principal = Principal(ctx.actor, Role.PARK_ADMIN, None, park_id=ctx.params.get("park_id"))
    tz = service.zone_of(store, principal)
    now = dt.datetime.now(tz)
    if ctx.params["kind"] == "intraday":
        row = service.replan_intraday(store, principal=principal, day=now.date(), now=now)
    else:
        day = ctx.params.get("day") or (now.date() + dt.timedelta(days=1)).isoformat()
        row = service.plan_day(store, principal=principal, day=dt.date.fromisoformat(day))
    return JobOutput(
        result={
            "plan_id": row.id,
            "day": row.day,
            "kind": row.kind,
            "from_step": row.from_step,
            "status": row.status,
            "violations": len(row.violations),
        }
    )


def register() -> None:
    """Register ``dispatch_plan``."""
    register_kind(
        JobKind(
            name="dispatch_plan",
            handler=_plan,
            permission=Permission.ADMIN_PARK,
            validate=_params,
            park_wide_only=True,
            description="plan the park's microgrid: tomorrow (day_ahead, evenings) or the rest "
            "of today from the metered state of charge (intraday, hourly)",
        )
    )
