"""Dashboard pages (server-rendered with Jinja2; charts drawn by plotly.js served from the
installed plotly package, so the dashboard works offline).

Every page reads its figures through the same service functions as the REST API, with the
logged-in user's principal, so the dashboard shows exactly what the API returns and an
enterprise user cannot see another enterprise here either (a direct URL gives 404).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import plotly
from fastapi import APIRouter, FastAPI, Form, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from lingtan.alarms import service as alarm_service
from lingtan.alarms.incidents import service as incident_service
from lingtan.alarms.incidents.catalog import catalog as incident_catalog
from lingtan.alarms.incidents.model import entry_text as incident_entry_text
from lingtan.alarms.incidents.model import state_name as incident_state_name
from lingtan.alarms.model import RuleKind, Severity
from lingtan.api.errors import status_of
from lingtan.api.incidents import service as incident_api
from lingtan.api.jobs.router import submit_and_enqueue
from lingtan.api.overview import service as overview_service
from lingtan.api.overview.cache import VersionedCache
from lingtan.api.reports.router import REPORT_KINDS
from lingtan.config import Settings
from lingtan.errors import LingtanError, NotFound, PermissionDenied
from lingtan.greenpower import service as greenpower
from lingtan.identity import service as identity
from lingtan.identity.errors import AccountLocked, NotAuthenticated
from lingtan.identity.parks import in_park, visible_parks
from lingtan.identity.roles import Permission, Principal
from lingtan.indicators.energy import carrier_name, energy_statistics
from lingtan.jobs import service as jobs
from lingtan.reports import localise
from lingtan.store import Store
from lingtan.store.alarms_repo import AlarmFilter
from lingtan.store.query_repo import QueryRepo
from lingtan.timeutil import from_us
from lingtan.web import comparison, i18n, palette, session
from lingtan.web import period as periods

HERE = Path(__file__).parent
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.filters["num"] = i18n.number
templates.env.filters["pct"] = i18n.percent
templates.env.filters["when"] = i18n.when
templates.env.filters["carrier"] = lambda c, lang: carrier_name(
    c, "zh" if lang == "zh-CN" else "en"
)
# what the services say in codes and English, in the page's language (lingtan.wording)
templates.env.filters["words"] = localise.text
templates.env.filters["term"] = lambda code, group, lang: localise.wording(lang).code(
    str(code), group
)
templates.env.filters["source"] = lambda source, lang: i18n.source_name(
    str(source or ""), localise.wording(lang)
)
router = APIRouter(include_in_schema=False)

Page = Callable[[Principal, str], Response]


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _cache(request: Request) -> VersionedCache | None:
    cache: VersionedCache | None = getattr(request.app.state, "view_cache", None)
    return cache


def _zone(request: Request, principal: Principal | None) -> ZoneInfo:
    try:
        park_id = None if principal is None else principal.park_id
        return ZoneInfo(_store(request).registry.park(park_id).timezone)
    except LingtanError:
        return ZoneInfo(_settings(request).timezone)


def _lang(request: Request, principal: Principal | None = None) -> str:
    chosen = request.cookies.get(session.LANG_COOKIE)
    if chosen in i18n.LANGS:
        return chosen
    return i18n.normal_lang(principal.lang if principal else None)


def _home(request: Request) -> str:
    """The first page: the park's overview, or the region's on a region instance (which holds
    no park of its own, docs/region.md)."""
    return "/region" if _settings(request).mode == "region" else "/overview"


def _safe_next(request: Request, target: str | None) -> str:
    """A local path to go to after login (never another site); the first page by default."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return _home(request)
    if target == "/overview":
        return _home(request)
    return target


def _render(
    request: Request,
    name: str,
    lang: str,
    principal: Principal | None,
    status_code: int = 200,
    **context: Any,
) -> Response:
    ctx = {
        "lang": lang,
        "t": lambda key: i18n.t(key, lang),
        "role_name": lambda role: i18n.role_name(role, lang),
        "principal": principal,
        "csrf": session.csrf_token(request),
        "path": request.url.path,
        "path_qs": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        "quote": quote,
        "tz": _zone(request, principal),
        "alarm_badge": _alarm_badge(request, principal),
        **_park_switcher(request, principal),
        **context,
    }
    response = templates.TemplateResponse(request, name, ctx, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    session.pending(request).apply(response, secure=session.secure_cookies(_settings(request)))
    return response


def _alarm_badge(request: Request, principal: Principal | None) -> int | None:
    """Unacknowledged alarms in the user's scope (the header's badge)."""
    if principal is None or not principal.can(Permission.READ):
        return None
    try:
        return alarm_service.counts(_store(request), principal=principal)["unacknowledged"]
    except LingtanError:
        return None


def _redirect(request: Request, url: str) -> Response:
    response = RedirectResponse(url, status_code=303)
    session.pending(request).apply(response, secure=session.secure_cookies(_settings(request)))
    return response


def _page(request: Request, build: Page) -> Response:
    """Run ``build`` for the logged-in user, or send the browser to the login page; domain
    errors become an HTML error page with the same status the API would give."""
    store, settings = _store(request), _settings(request)
    principal = session.principal(request, store, settings)
    if principal is None:
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        return _redirect(request, f"/login?next={target}")
    principal = _acting(request, principal)
    lang = _lang(request, principal)
    try:
        return build(principal, lang)
    except NotFound:
        return _render(
            request, "error.html", lang, principal, 404, message=i18n.t("not_found", lang)
        )
    except PermissionDenied:
        return _render(
            request, "error.html", lang, principal, 403, message=i18n.t("forbidden", lang)
        )
    except LingtanError as err:
        return _render(request, "error.html", lang, principal, status_of(err), message=str(err))


# -- session --------------------------------------------------------------------------------
@router.get("/")
def home(request: Request) -> Response:
    """The overview (the region's on a region instance), or the login page."""
    return _redirect(request, _home(request))


@router.get("/login")
def login_page(
    request: Request, next: Annotated[str | None, Query(max_length=500)] = None
) -> Response:
    """The login form."""
    lang = _lang(request)
    return _render(request, "login.html", lang, None, next=_safe_next(request, next), error=None)


@router.post("/login")
def login_submit(
    request: Request,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    csrf: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=500)] = "/overview",
) -> Response:
    """Check the password, start the session, go on."""
    lang = _lang(request)
    if not session.csrf_ok(request, csrf):
        return _render(
            request,
            "login.html",
            lang,
            None,
            400,
            next=_safe_next(request, next),
            error=i18n.t("session_expired", lang),
        )
    try:
        pair = identity.login(
            _store(request), _settings(request), username=username, password=password
        )
    except AccountLocked:
        return _render(
            request,
            "login.html",
            lang,
            None,
            401,
            next=_safe_next(request, next),
            error=i18n.t("locked", lang),
        )
    except (NotAuthenticated, LingtanError):
        return _render(
            request,
            "login.html",
            lang,
            None,
            401,
            next=_safe_next(request, next),
            error=i18n.t("login_failed", lang),
        )
    session.start(request, _settings(request), pair)
    return _redirect(request, _safe_next(request, next))


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form(max_length=100)] = "") -> Response:
    """End the session."""
    if session.csrf_ok(request, csrf):
        session.end(request, _store(request))
    return _redirect(request, "/login")


def _acting(request: Request, principal: Principal) -> Principal:
    """The user in the park of the switcher's cookie (the first park it may see without one,
    or when the cookie names a park it may not see)."""
    store = _store(request)
    try:
        return in_park(
            store, principal, request.cookies.get(session.PARK_COOKIE), first_if_several=True
        )
    except NotFound:
        return in_park(store, principal, None, first_if_several=True)


def _park_switcher(request: Request, principal: Principal | None) -> dict[str, Any]:
    """The parks a park-wide user may switch between (shown when there are several)."""
    if principal is None:
        return {"parks": [], "park": None}
    parks = visible_parks(_store(request), principal)
    current = next((p for p in parks if p.id == principal.park_id), None)
    return {"parks": parks if len(parks) > 1 else [], "park": current}


@router.get("/park/{code}")
def switch_park(
    request: Request, code: str, next: Annotated[str | None, Query(max_length=500)] = None
) -> Response:
    """Work in another park of the store (park-wide users) and go back."""

    def build(principal: Principal, lang: str) -> Response:
        in_park(_store(request), principal, code)  # NotFound for a park it may not see
        session.pending(request).set[session.PARK_COOKIE] = (code, 365 * 86_400, True)
        target = _safe_next(request, next)
        # a page of one enterprise belongs to one park: go to the new park's overview
        return _redirect(request, "/overview" if target.startswith("/enterprises/") else target)

    return _page(request, build)


@router.get("/lang/{code}")
def switch_language(
    request: Request, code: str, next: Annotated[str | None, Query(max_length=500)] = None
) -> Response:
    """Switch the dashboard language (zh-CN or en) and go back."""
    lang = i18n.normal_lang(code)
    session.pending(request).set[session.LANG_COOKIE] = (lang, 365 * 86_400, False)
    return _redirect(request, _safe_next(request, next))


# -- pages ----------------------------------------------------------------------------------
def _indicator_gauges(data: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    """Gauges of the 1+5 indicators: shares in percent, the core indicator in tCO2/tce."""
    out = []
    for ind in data["indicators"]:
        value, target = ind["value"], ind["target"]
        share = ind["unit"] == "1"
        scale = 100.0 if share else 1.0
        top = 100.0 if share else max(value or 0.0, target or 0.0, 1e-9) * 1.3
        out.append(
            {
                "key": ind["id"],
                "title": ind["name"],
                "value": None if value is None else value * scale,
                "target": None if target is None else target * scale,
                "range": [0, top],
                "suffix": "%" if share else "",
                "format": ".1f" if share else ".2f",
                "lower_is_better": ind["comparator"] in ("le", "lt"),
                "meets": None if ind["status"] == "not_assessable" else ind["status"] == "meets",
                "status": ind["status"],
                "unit": "" if share else ind["unit"],
            }
        )
    return out


def _gauges(data: dict[str, Any]) -> list[dict[str, Any]]:
    year = data["year"]
    return [
        {"id": "clean", "key": "clean_share", "value": year["clean_energy_share"]},
        {"id": "green", "key": "green_share", "value": year["green_electricity_share"]},
    ]


def _overview_in_period(
    request: Request,
    principal: Principal,
    lang: str,
    *,
    date: dt.date | None,
    period: str | None,
    start: str | None,
    end: str | None,
    enterprise_id: int | None = None,
) -> tuple[dict[str, Any], periods.Span, list[dict[str, Any]]]:
    """The overview as of ``date``, or of the last day of the picker's period, the period
    shown in the picker, and the 同比/环比 figures (from the overviews as of the previous
    month's last day and of the same day a year before)."""
    store, cache = _store(request), _cache(request)

    def at(day: dt.date | None) -> dict[str, Any]:
        return overview_service.overview(
            store, principal=principal, as_of=day, enterprise_id=enterprise_id, lang=lang,
            cache=cache,
        )  # fmt: skip

    chosen = bool(period or start or end)
    as_of = date
    if chosen:
        default_day = dt.date.fromisoformat(at(None)["as_of"])
        span = periods.parse(period, start, end, default_day=default_day)
        as_of = span.last
    data = at(as_of)
    day = dt.date.fromisoformat(data["as_of"])
    if not chosen:
        span = periods.month_span(day)
    early = day.year <= 2000  # the overview starts in 2000
    year_before = None if early else at(periods.year_back(day))
    month_end = day.replace(day=1) - dt.timedelta(days=1)
    previous = None if early and day.month == 1 else at(month_end)
    return data, span, comparison.figures(data, previous, year_before)


@router.get("/overview")
def overview_page(
    request: Request,
    date: Annotated[dt.date | None, Query(ge=dt.date(2000, 1, 1), le=dt.date(2100, 12, 31))] = None,
    period: Annotated[str | None, Query(max_length=10)] = None,
    start: Annotated[str | None, Query(max_length=10)] = None,
    end: Annotated[str | None, Query(max_length=10)] = None,
) -> Response:
    """Park (or enterprise) overview, as of ``date`` or of the last day of the chosen period
    (``period``/``start``/``end``, the picker's), with 同比 and 环比 figures."""

    def build(principal: Principal, lang: str) -> Response:
        data, span, changes = _overview_in_period(
            request, principal, lang, date=date, period=period, start=start, end=end
        )
        charts = {
            "carriers": [
                {"name": c["name"], "tce": c["tce"], "colour": palette.colour(c["carrier"])}
                for c in data["year"]["carriers"]
                if c["tce"] is not None and c["tce"] > 0
            ],
            "months": data["year"]["months"],
            "gauges": [
                {"id": g["id"], "title": i18n.t(g["key"], lang), "value": g["value"]}
                for g in _gauges(data)
            ],
            "quality": data["year"]["quality"],
            "labels": {k: i18n.t(k, lang) for k in ("measured", "estimated", "missing", "tce")},
        }
        return _render(
            request,
            "overview.html",
            lang,
            principal,
            data=data,
            charts=charts,
            indicators=_indicator_gauges(data, lang),
            span=span,
            period_extra={},
            changes=changes,
        )

    return _page(request, build)


def _circular_basis(c: dict[str, Any], lang: str) -> str:
    """How a circular flow's quantity is known: declared, or metered at a point over the
    project's cited period."""
    if c["basis"] == "declared":
        return i18n.t("circular_declared", lang)
    period = f"{c['period_start'] or '…'} – {c['period_end'] or '…'}"
    return f"{i18n.t('circular_metered', lang)} {c['point']} {period}"


def _circular_drawn(circular: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """The circular-project flows the Sankey draws (those with an avoided energy: the width
    is in tce), each with its hover text."""
    zh = lang == "zh-CN"
    out = []
    for c in circular:
        if not c["avoided_tce"] or c["avoided_tce"] <= 0:
            continue
        parts = [
            f"{i18n.t('circular_tag', lang)} · {c['project']}",
            f"{carrier_name(c['carrier'], 'zh' if zh else 'en')} "
            f"{i18n.number(c['quantity'], 1)} {c['unit']} ({_circular_basis(c, lang)})",
            f"{i18n.t('circular_avoided_tce', lang)} {i18n.number(c['avoided_tce'], 1)}",
        ]
        if c["avoided_tco2"] is not None:
            parts.append(
                f"{i18n.t('circular_avoided_tco2', lang)} {i18n.number(c['avoided_tco2'], 1)}"
            )
        out.append(
            {"source": c["source"], "target": c["target"], "value": c["avoided_tce"],
             "text": "<br>".join(parts)}
        )  # fmt: skip
    return out


@router.get("/flow")
def flow_page(
    request: Request,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    month: Annotated[int | None, Query(ge=1, le=12)] = None,
) -> Response:
    """Energy-flow Sankey diagram."""

    def build(principal: Principal, lang: str) -> Response:
        store = _store(request)
        chosen = year
        if chosen is None:
            as_of = overview_service.overview(
                store, principal=principal, lang=lang, cache=_cache(request)
            )["as_of"]
            chosen = int(as_of[:4])
        flow = overview_service.energy_flow(
            store, principal=principal, year=chosen, month=month, lang=lang, cache=_cache(request)
        )
        # nodes and links coloured by carrier from the one palette (owners neutral grey)
        flow = {
            **flow,
            "node_colours": [
                palette.colour(n["key"].split(":", 1)[1])
                if n["key"].startswith("carrier:")
                else palette.CARRIER_COLOURS["other"]
                for n in flow["nodes"]
            ],
            "link_colours": [palette.colour(link["carrier"]) for link in flow["links"]],
            "circular_drawn": _circular_drawn(flow["circular"], lang),
        }
        basis = [_circular_basis(c, lang) for c in flow["circular"]]
        return _render(
            request, "flow.html", lang, principal, flow=flow, year=chosen, month=month,
            circular_basis=basis,
        )  # fmt: skip

    return _page(request, build)


@router.get("/enterprises")
def enterprises_page(request: Request) -> Response:
    """Enterprises in scope (an enterprise user goes to its own page)."""

    def build(principal: Principal, lang: str) -> Response:
        if principal.enterprise_id is not None:
            return _redirect(request, f"/enterprises/{principal.enterprise_id}")
        if not principal.can(Permission.READ):
            raise PermissionDenied("no read access")
        store = _store(request)
        rows, _ = QueryRepo(store).enterprises(
            tenant=principal.tenant, park_id=store.registry.park(principal.park_id).id
        )
        data = overview_service.overview(
            store, principal=principal, lang=lang, cache=_cache(request)
        )
        year, month = int(data["as_of"][:4]), int(data["as_of"][5:7])
        stats = overview_service.cached(
            store,
            _cache(request),
            ("enterprises", principal.park_id, principal.tenant.enterprise_id, year, month),
            lambda: energy_statistics(
                store, year=year, month=month, ytd=True, park_id=principal.park_id
            ),
        )
        tce = {o.enterprise_id: o for o in stats.owners}
        return _render(
            request,
            "enterprises.html",
            lang,
            principal,
            enterprises=rows,
            owners=tce,
            as_of=data["as_of"],
        )

    return _page(request, build)


@router.get("/enterprises/{enterprise_id}")
def enterprise_page(
    request: Request,
    enterprise_id: int,
    period: Annotated[str | None, Query(max_length=10)] = None,
    start: Annotated[str | None, Query(max_length=10)] = None,
    end: Annotated[str | None, Query(max_length=10)] = None,
) -> Response:
    """One enterprise: its meters, consumption trend, energy, emissions, certificates."""

    def build(principal: Principal, lang: str) -> Response:
        store = _store(request)
        if not 1 <= enterprise_id <= 2**53:
            raise NotFound("enterprise not found")
        q = QueryRepo(store)
        ent = q.enterprise(tenant=principal.tenant, enterprise_id=enterprise_id)
        # an enterprise's page is in the enterprise's park, whichever park the switcher shows
        principal = dataclasses.replace(principal, park_id=ent.park_id)
        data, span, changes = _overview_in_period(
            request, principal, lang, date=None, period=period, start=start, end=end,
            enterprise_id=enterprise_id,
        )  # fmt: skip
        meters = [
            m
            for m in overview_service.meter_quality(
                store, principal=principal, first=None, last=None, cache=_cache(request)
            )
            if m["enterprise_id"] == enterprise_id
        ]
        charts = {"months": data["year"]["months"], "labels": {"tce": i18n.t("tce", lang)}}
        certificates = greenpower.list_certificates(
            store, enterprise_scope=enterprise_id, park_id=ent.park_id
        )
        return _render(
            request,
            "enterprise.html",
            lang,
            principal,
            ent=ent,
            data=data,
            meters=meters,
            charts=charts,
            certificates=[c.as_dict() for c in certificates],
            span=span,
            period_extra={},
            changes=changes,
        )

    return _page(request, build)


@router.get("/meters")
def meters_page(request: Request) -> Response:
    """Meters and data quality: gaps, estimated hours, quarantine."""

    def build(principal: Principal, lang: str) -> Response:
        store = _store(request)
        meters = overview_service.meter_quality(
            store, principal=principal, first=None, last=None, cache=_cache(request)
        )
        rejected, total = QueryRepo(store).rejected(tenant=principal.tenant, limit=50)
        codes = QueryRepo(store).point_codes(tenant=principal.tenant)
        return _render(
            request,
            "meters.html",
            lang,
            principal,
            meters=meters,
            rejected=rejected,
            rejected_total=total,
            codes=codes,
        )

    return _page(request, build)


@router.get("/reports")
def reports_page(request: Request) -> Response:
    """Reports to generate and download."""

    def build(principal: Principal, lang: str) -> Response:
        store = _store(request)
        kinds = [
            k
            for name, k in jobs.kinds().items()
            if name in REPORT_KINDS and principal.can(k.permission)
        ]
        rows, _ = jobs.list_jobs(store, principal=principal, kind=None, limit=50, offset=0)
        return _render(request, "reports.html", lang, principal, kinds=kinds, jobs=rows)

    return _page(request, build)


@router.post("/reports")
def reports_submit(
    request: Request,
    kind: Annotated[str, Form(max_length=64, pattern=r"^[a-z_]+$")],
    year: Annotated[int, Form(ge=2000, le=2100)],
    month: Annotated[str, Form(max_length=2)] = "",
    format: Annotated[str, Form(pattern=r"^(xlsx|html)$")] = "xlsx",
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Queue a report; the list shows it when done."""

    def build(principal: Principal, lang: str) -> Response:
        if not session.csrf_ok(request, csrf):
            raise PermissionDenied("invalid form token")
        if kind not in REPORT_KINDS:
            raise NotFound("no such report")
        params: dict[str, Any] = {"year": year, "lang": lang, "format": format}
        if month.strip():
            params["month"] = int(month) if month.strip().isdigit() else month
        submit_and_enqueue(request, _store(request), principal, kind, params)
        return _redirect(request, "/reports")

    return _page(request, build)


_ALARM_STATES = ("open", "acknowledged", "cleared", "closed")


@router.get("/alarms")
def alarms_page(
    request: Request,
    severity: Annotated[str, Query(max_length=16)] = "",
    state: Annotated[str, Query(max_length=16)] = "",
    kind: Annotated[str, Query(max_length=24)] = "",
    enterprise: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """The alarm list with filters by severity, state, kind and enterprise."""

    def build(principal: Principal, lang: str) -> Response:
        store = _store(request)
        ent = int(enterprise) if enterprise.isdigit() else None
        filters = AlarmFilter(
            states=[state] if state in _ALARM_STATES else None,
            severities=[severity] if severity in {s.value for s in Severity} else None,
            kinds=[kind] if kind in {k.value for k in RuleKind} else None,
            enterprise_id=ent,
        )
        rows, total = alarm_service.list_alarms(
            store, principal=principal, filters=filters, limit=200, offset=0
        )
        ents = (
            QueryRepo(store).enterprises(
                tenant=principal.tenant, park_id=store.registry.park(principal.park_id).id
            )[0]
            if principal.enterprise_id is None
            else []
        )
        return _render(
            request, "alarms.html", lang, principal, alarms=rows, total=total,
            severities=[s.value for s in Severity], states=_ALARM_STATES,
            kinds=[k.value for k in RuleKind], enterprises=ents,
            chosen={"severity": severity, "state": state, "kind": kind, "enterprise": ent},
        )  # fmt: skip

    return _page(request, build)


@router.get("/alarms/{alarm_id}")
def alarm_page(request: Request, alarm_id: int) -> Response:
    """One alarm: what raised it, the readings around it, its history, and the buttons."""

    def build(principal: Principal, lang: str) -> Response:
        store = _store(request)
        record, events = alarm_service.get_alarm(store, principal=principal, alarm_id=alarm_id)
        readings = alarm_service.readings_around(store, principal=principal, record=record)
        tz = _zone(request, principal)
        chart = {
            "x": [from_us(t, tz).isoformat() for t, _ in readings],
            "y": [v for _, v in readings],
            "name": record.subject_code,
            "from": from_us(record.first_at, tz).isoformat(),
            "to": from_us(record.cleared_at or record.last_at, tz).isoformat(),
        }
        return _render(
            request, "alarm.html", lang, principal, alarm=record, events=events, chart=chart,
            can_write=principal.can(Permission.WRITE),
            incident_kinds=_incident_names(lang)["kinds"],
        )  # fmt: skip

    return _page(request, build)


def _alarm_action(
    request: Request, alarm_id: int, csrf: str, comment: str, action: str
) -> Response:
    def build(principal: Principal, lang: str) -> Response:
        if not session.csrf_ok(request, csrf):
            raise PermissionDenied("invalid form token")
        do = alarm_service.acknowledge if action == "acknowledge" else alarm_service.close
        do(_store(request), principal=principal, alarm_id=alarm_id, comment=comment.strip() or None)
        return _redirect(request, f"/alarms/{alarm_id}")

    return _page(request, build)


@router.post("/alarms/{alarm_id}/incident")
def alarm_incident(
    request: Request,
    alarm_id: int,
    title: Annotated[str, Form(max_length=200)] = "",
    kind: Annotated[str, Form(max_length=64)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Open an incident of the emergency register from this alarm (its evidence carried).
    The form is checked after the session, like every dashboard write (an anonymous caller
    is sent to the login page, not told about the form)."""

    def build(principal: Principal, lang: str) -> Response:
        if not session.csrf_ok(request, csrf):
            raise PermissionDenied("invalid form token")
        store = _store(request)
        d = incident_service.create(
            store, principal=principal, title=title, kind=kind, alarm_ids=[alarm_id],
            resolve_alarms=alarm_service.evidence_resolver(store),
        )  # fmt: skip
        return _redirect(request, f"/incidents/{d.incident.id}")

    return _page(request, build)


@router.post("/alarms/{alarm_id}/acknowledge")
def alarm_acknowledge(
    request: Request,
    alarm_id: int,
    csrf: Annotated[str, Form(max_length=100)] = "",
    comment: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Acknowledge from the alarm's page."""
    return _alarm_action(request, alarm_id, csrf, comment, "acknowledge")


@router.post("/alarms/{alarm_id}/close")
def alarm_close(
    request: Request,
    alarm_id: int,
    csrf: Annotated[str, Form(max_length=100)] = "",
    comment: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Close from the alarm's page."""
    return _alarm_action(request, alarm_id, csrf, comment, "close")


@router.get("/jobs/{job_id}/file")
def job_download(request: Request, job_id: str) -> Response:
    """Download a report the user may read."""

    def build(principal: Principal, lang: str) -> Response:
        if len(job_id) != 36:
            raise NotFound("job not found")
        f = jobs.job_file(_store(request), principal=principal, job_id=job_id)
        return Response(
            f.content,
            media_type=f.media_type,
            headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(f.filename)}"},
        )

    return _page(request, build)


def _incident_names(lang: str) -> dict[str, Any]:
    """The register's codes → names in the page's language (kinds, categories, levels, states
    from the Emergency Response Law's data file)."""
    short = "zh" if lang == "zh-CN" else "en"
    cat = incident_catalog()
    return {
        "kinds": {c: k.name(short) for c, k in cat.kinds.items()},
        "categories": {c: k.name(short) for c, k in cat.categories.items()},
        "levels": {c: k.name(short) for c, k in cat.grades.items()},
        "states": {s: incident_state_name(s, short) for s in ("open", "responding", "closed")},
    }


@router.get("/incidents")
def incidents_page(
    request: Request,
    state: Annotated[str | None, Query(max_length=16)] = None,
    kind: Annotated[str | None, Query(max_length=64)] = None,
    level: Annotated[str | None, Query(max_length=32)] = None,
) -> Response:
    """The emergency-event register (应急事件台账): incidents in scope, filtered by state, kind
    and level."""

    def build(principal: Principal, lang: str) -> Response:
        chosen = {k: v or None for k, v in (("state", state), ("kind", kind), ("level", level))}
        rows, total = incident_service.list_incidents(
            _store(request),
            principal=principal,
            state=chosen["state"],
            kind=chosen["kind"],
            level=chosen["level"],
            limit=200,
        )
        return _render(
            request,
            "incidents.html",
            lang,
            principal,
            incidents=rows,
            total=total,
            chosen=chosen,
            names=_incident_names(lang),
        )

    return _page(request, build)


def _incident_id(incident_id: int) -> int:
    if not 1 <= incident_id <= 2**53:
        raise NotFound("incident not found")
    return incident_id


@router.get("/incidents/{incident_id}")
def incident_page(request: Request, incident_id: int) -> Response:
    """One incident: header, responsible people, time line, linked alarms, attachments,
    closing report and export links."""

    def build(principal: Principal, lang: str) -> Response:
        d = incident_service.get(
            _store(request), principal=principal, incident_id=_incident_id(incident_id)
        )
        short = "zh" if lang == "zh-CN" else "en"
        entries = [(e, incident_entry_text(e, short)) for e in d.entries]
        return _render(
            request,
            "incident.html",
            lang,
            principal,
            d=d,
            entries=entries,
            names=_incident_names(lang),
            short=short,
        )

    return _page(request, build)


@router.get("/incidents/{incident_id}/export")
def incident_export_page(
    request: Request,
    incident_id: int,
    format: Annotated[str, Query(pattern="^(xlsx|html)$")] = "xlsx",
) -> Response:
    """Download an incident's report in the page's language."""

    def build(principal: Principal, lang: str) -> Response:
        body, media, name = incident_api.exported(
            _store(request),
            principal=principal,
            incident_id=_incident_id(incident_id),
            fmt=format,
            lang="zh" if lang == "zh-CN" else "en",
        )
        return Response(
            body,
            media_type=media,
            headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
        )

    return _page(request, build)


@router.get("/incidents/{incident_id}/attachments/{attachment_id}")
def incident_attachment_page(request: Request, incident_id: int, attachment_id: int) -> Response:
    """Download an attachment of an incident (as bytes, never rendered in the page's origin)."""

    def build(principal: Principal, lang: str) -> Response:
        if not 1 <= attachment_id <= 2**53:
            raise NotFound("attachment not found")
        meta, content = incident_service.attachment(
            _store(request),
            principal=principal,
            incident_id=_incident_id(incident_id),
            attachment_id=attachment_id,
        )
        return Response(
            content,
            media_type="application/octet-stream",
            headers={
                "Content-Disposition": f"attachment; filename*=UTF-8''{quote(meta.name)}",
                "X-Content-SHA256": meta.sha256,
            },
        )

    return _page(request, build)


@router.get("/static/plotly.min.js")
def plotly_js() -> Response:
    """plotly.js from the installed plotly package (no CDN)."""
    return FileResponse(
        PLOTLY_JS, media_type="text/javascript", headers={"Cache-Control": "public, max-age=86400"}
    )


def install(app: FastAPI) -> None:
    """Mount the dashboard on ``app``."""
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
