"""The job kinds every serving process offers: normalisation, accounting with history, and
report documents (energy statistics, indicator evaluation) as xlsx or html."""

from __future__ import annotations

import re
from typing import Any

from lingtan import accounting
from lingtan.errors import InvalidInput
from lingtan.identity.roles import Permission, Principal, require_park_wide
from lingtan.indicators.energy import energy_statistics
from lingtan.jobs.service import JobContext, JobKind, JobOutput, register_kind
from lingtan.normalize.service import normalise_pending
from lingtan.reports.energy import energy_report
from lingtan.reports.html import write_html
from lingtan.reports.service import indicators_document
from lingtan.reports.xlsx import write_xlsx
from lingtan.store import Store
from lingtan.store.jobs_repo import JobFile
from lingtan.store.query_repo import QueryRepo, Tenant

MEDIA = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
}


def _int(
    params: dict[str, Any], key: str, lo: int, hi: int, *, required: bool = False
) -> int | None:
    value = params.get(key)
    if value is None or value == "":
        if required:
            raise InvalidInput(f"{key} is required", field=key)
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit():
        raise InvalidInput(f"{key} must be a whole number", field=key)
    n = int(value)
    if not lo <= n <= hi:
        raise InvalidInput(f"{key} must lie in {lo}–{hi}", field=key)
    return n


def _scope(store: Store, principal: Principal, params: dict[str, Any]) -> int | None:
    """The enterprise a job is about, inside the caller's scope (another one is NotFound)."""
    eid = _int(params, "enterprise_id", 1, 2**53)
    if eid is not None:
        QueryRepo(store).enterprise(tenant=principal.tenant, enterprise_id=eid)
        return eid
    return principal.enterprise_id


def _no_params(store: Store, principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    if params:
        raise InvalidInput("this job takes no parameters", field="params")
    return {}


def _normalise(store: Store, ctx: JobContext) -> JobOutput:
    report = normalise_pending(store)
    return JobOutput(
        result={
            "points": report.points,
            "hours": report.hours,
            "changed_hours": report.changed_hours,
            "virtual_points": report.virtual_points,
            "flags": report.flags,
            "seconds": round(report.seconds, 3),
        }
    )


# -- accounting ------------------------------------------------------------------------------
def _account_params(store: Store, principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    basis = params.get("basis")
    if basis not in ("park", "enterprise", "building"):
        raise InvalidInput("basis must be park, enterprise or building", field="basis")
    out: dict[str, Any] = {"basis": basis, "year": _int(params, "year", 1990, 2100, required=True)}
    month = _int(params, "month", 1, 12)
    if month is not None:
        out["month"] = month
    q = QueryRepo(store)
    if basis == "park":
        require_park_wide(principal, "the park inventory")
    elif basis == "enterprise":
        eid = _int(params, "enterprise_id", 1, 2**53, required=True)
        assert eid is not None
        q.enterprise(tenant=principal.tenant, enterprise_id=eid)
        out["enterprise_id"] = eid
    else:
        sid = _int(params, "site_id", 1, 2**53, required=True)
        assert sid is not None
        q.site(tenant=principal.tenant, site_id=sid)
        out["site_id"] = sid
    return out


def _account(store: Store, ctx: JobContext) -> JobOutput:
    p = ctx.params
    common: dict[str, Any] = {
        "year": p["year"],
        "month": p.get("month"),
        "enterprise_scope": ctx.tenant.enterprise_id,
        "actor": ctx.actor,
        "park_id": p.get("park_id"),
    }
    if p["basis"] == "park":
        result = accounting.account_park(store, **common)
    elif p["basis"] == "enterprise":
        result = accounting.account_enterprise(store, enterprise_id=p["enterprise_id"], **common)
    else:
        result = accounting.account_building(store, site_id=p["site_id"], **common)
    data = result.as_dict()
    return JobOutput(
        result={
            "result_id": data["result_id"],
            "basis": data["basis"],
            "boundary": data["boundary"],
            "emissions_tco2": data["emissions_tco2"],
            "factor_ids": list(result.inventory.factor_ids),
        }
    )


# -- reports ---------------------------------------------------------------------------------
def _report_params(store: Store, principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"year": _int(params, "year", 1990, 2100, required=True)}
    month = _int(params, "month", 1, 12)
    if month is not None:
        out["month"] = month
    ytd = params.get("ytd", False)
    if not isinstance(ytd, bool):
        raise InvalidInput("ytd must be true or false", field="ytd")
    if ytd:
        if month is None:
            raise InvalidInput("year-to-date needs a month", field="month")
        out["ytd"] = True
    fmt = params.get("format", "xlsx")
    if fmt not in MEDIA:
        raise InvalidInput("format must be xlsx or html", field="format")
    out["format"] = fmt
    lang = params.get("lang", "zh")
    lang = {"zh-CN": "zh", "zh": "zh", "en": "en"}.get(str(lang))
    if lang is None:
        raise InvalidInput("lang must be zh or en", field="lang")
    out["lang"] = lang
    eid = _scope(store, principal, params)
    if eid is not None:
        out["enterprise_id"] = eid
    return out


def _label(store: Store, p: dict[str, Any]) -> str:
    eid = p.get("enterprise_id")
    code = store.registry.park(p.get("park_id")).code
    if eid is not None:
        code = QueryRepo(store).enterprise(tenant=Tenant.park_wide(), enterprise_id=eid).code
    period = (
        f"{p['year']}"
        + (f"-{p['month']:02d}" if p.get("month") else "")
        + ("-ytd" if p.get("ytd") else "")
    )
    return re.sub(r"[^A-Za-z0-9_.\-]", "_", f"{code}-{period}")


def _document(store: Store, name: str, report: Any, p: dict[str, Any]) -> JobOutput:
    fmt = p["format"]
    content = write_xlsx(report) if fmt == "xlsx" else write_html(report)
    filename = f"{name}-{_label(store, p)}.{fmt}"
    return JobOutput(
        result={"filename": filename, "bytes": len(content), "title": report.title},
        file=JobFile(filename, MEDIA[fmt], content),
    )


def _energy_report(store: Store, ctx: JobContext) -> JobOutput:
    p = ctx.params
    stats = energy_statistics(
        store,
        year=p["year"],
        month=p.get("month"),
        ytd=p.get("ytd", False),
        enterprise_id=p.get("enterprise_id"),
        park_id=p.get("park_id"),
    )
    return _document(store, "energy-statistics", energy_report(stats, lang=p["lang"]), p)


def _indicator_report(store: Store, ctx: JobContext) -> JobOutput:
    p = ctx.params
    report = indicators_document(
        store,
        year=p["year"],
        month=p.get("month"),
        ytd=p.get("ytd", False),
        enterprise_id=p.get("enterprise_id"),
        lang=p["lang"],
        park_id=p.get("park_id"),
    )
    return _document(store, "indicators", report, p)


def register_builtin() -> None:
    """Register the kinds defined here."""
    from lingtan.dispatch.jobs import register as register_dispatch
    from lingtan.exchange.jobs import register as register_exchange
    from lingtan.forecast.jobs import register as register_forecast

    register_forecast()
    register_dispatch()
    register_exchange()
    register_kind(
        JobKind(
            name="normalise",
            handler=_normalise,
            permission=Permission.ADMIN_PARK,
            validate=_no_params,
            park_wide_only=True,
            description="recompute statistics for readings that arrived since the last run",
        )
    )
    register_kind(
        JobKind(
            name="account",
            handler=_account,
            permission=Permission.WRITE,
            validate=_account_params,
            description="account an inventory (park, enterprise, building) and keep it in the history",
        )
    )
    register_kind(
        JobKind(
            name="energy_report",
            handler=_energy_report,
            permission=Permission.REPORTS,
            validate=_report_params,
            description="能源统计报表 energy statistics report",
            topic="report",
        )
    )
    register_kind(
        JobKind(
            name="indicator_report",
            handler=_indicator_report,
            permission=Permission.REPORTS,
            validate=_report_params,
            description="“1+5”指标评价报告 indicator evaluation report",
            topic="report",
        )
    )
