"""The ``forecast_retrain`` job kind: retrain and re-issue the forecasts of every point in the
caller's scope and the electricity load of its enterprises and (park-wide) of the park — hourly
forecasts for all of them, and 15-minute forecasts (``step_s`` 900) as well for the points read
at least every 15 minutes (:func:`lingtan.forecast.quarter_service.has_quarter_series`). Run it
nightly, after the day's statistics are complete (a cron entry or a systemd timer that submits
it through ``POST /api/v1/jobs``; ``lingtan forecast train`` issues the hourly forecasts only)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from lingtan.errors import InvalidInput
from lingtan.forecast.quarter_service import JOB_HISTORY_DAYS, issue_quarter_all
from lingtan.forecast.service import Horizon, issue_all
from lingtan.identity.roles import Permission, Principal, Role
from lingtan.jobs.service import JobContext, JobKind, JobOutput, register_kind
from lingtan.store import Store


def _params(store: Store, principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    unknown = set(params) - {"horizon", "history_days"}
    if unknown:
        raise InvalidInput(f"unknown parameters: {', '.join(sorted(unknown))}", field="params")
    try:
        horizon = Horizon(params.get("horizon", Horizon.DAY_AHEAD.value))
    except ValueError:
        raise InvalidInput("horizon must be day_ahead or week_ahead", field="horizon") from None
    days = params.get("history_days", 365)
    if isinstance(days, bool) or not isinstance(days, int) or not 28 <= days <= 1098:
        raise InvalidInput("history_days must be a whole number in 28–1098", field="history_days")
    return {"horizon": horizon.value, "history_days": days}


def _retrain(store: Store, ctx: JobContext) -> JobOutput:
    # the job was admitted with the write permission in the submitter's scope; it runs in
    # that scope with a principal that holds exactly that permission there
    role = Role.PARK_ADMIN if ctx.tenant.is_park_wide else Role.ENTERPRISE_ADMIN
    principal = Principal(ctx.actor, role, ctx.tenant.enterprise_id)
    views = issue_all(
        store,
        principal=principal,
        horizon=Horizon(ctx.params["horizon"]),
        history_days=int(ctx.params["history_days"]),
        owners=True,
    )
    quarters = issue_quarter_all(
        store,
        principal=principal,
        horizon=Horizon(ctx.params["horizon"]),
        history_days=min(int(ctx.params["history_days"]), JOB_HISTORY_DAYS),
    )
    statuses = Counter(v.run.status for v in views)
    points = sum(1 for v in views if v.run.subject == "point")
    return JobOutput(
        result={
            "points": points,
            "owners": len(views) - points,
            "statuses": dict(statuses),
            "quarter_hour_points": len(quarters),
            "quarter_hour_statuses": dict(Counter(v.run.status for v in quarters)),
        }
    )


def register() -> None:
    """Register ``forecast_retrain``."""
    register_kind(
        JobKind(
            name="forecast_retrain",
            handler=_retrain,
            permission=Permission.WRITE,
            validate=_params,
            description="retrain and re-issue the forecasts of every point, enterprise and the "
            "park in scope (nightly)",
        )
    )
