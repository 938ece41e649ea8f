"""The indicators page (指标体系): the park's chosen indicator profile evaluated — each
indicator's definition, value, target for the park's type, status and the profile's source —
and the chosen profiles side by side. Read like ``/api/v1/indicators/profile-evaluation``, with
the user's principal (an enterprise user sees its enterprise)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from lingtan.api.energy.router import scoped_enterprise
from lingtan.api.indicators.router import _park_type, _profiles_allowed
from lingtan.api.overview import service as overview_service
from lingtan.identity.roles import Principal
from lingtan.indicators.profile_eval import compare_profiles, comparison_table
from lingtan.reports.common import status_word
from lingtan.store.query_repo import QueryRepo
from lingtan.web.routes import _cache, _page, _render, _store, _zone

router = APIRouter(include_in_schema=False)

#: the page's own words (zh-CN, en)
TEXT: dict[str, tuple[str, str]] = {
    "title": ("指标体系评价", "Indicator profiles"),
    "intro": (
        "园区选定的指标体系（园区选项“指标体系配置”“园区类型”）；每项指标的定义为 lingtan "
        "计算量的公式，目标值注明来源与可信度",
        "The park's chosen indicator profiles (park options: indicator profiles, park type); "
        "each definition is a formula over quantities lingtan computes; each target names its "
        "source and confidence",
    ),
    "source": ("来源", "Source"),
    "draft": ("征求意见稿，非正式文本", "draft for comment, not a final text"),
    "park_type": ("园区类型", "Park type"),
    "indicator": ("指标", "Indicator"),
    "definition": ("定义", "Definition"),
    "value": ("指标值", "Value"),
    "target": ("目标值", "Target"),
    "confidence": ("可信度", "Confidence"),
    "status": ("结论", "Status"),
    "reason": ("说明", "Reason"),
    "binding": ("否决项", "binding"),
    "compare": ("指标体系对比", "Profiles side by side"),
    "year": ("年度", "Year"),
    "unverified": ("未经原文核实", "not verified from the published text"),
    "own": ("园区自定义指标体系", "The park's own profiles"),
}


def tt(key: str, lang: str) -> str:
    """The page's text of ``key`` in ``lang``."""
    zh, en = TEXT[key]
    return zh if lang == "zh-CN" else en


def _shown(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "1":
        return f"{value * 100:.2f} %"
    if unit == "count":
        return f"{value:g}"
    return f"{value:.4g} {unit}"


def _latest_year(request: Request, principal: Principal) -> int:
    """The year of the last day with data in the user's scope (as the overview), else now."""
    store = _store(request)
    park_id = store.registry.park(principal.park_id).id
    last = QueryRepo(store).latest_day(tenant=principal.tenant, park_id=park_id)
    if last is None:
        return dt.datetime.now(_zone(request, principal)).year
    return (dt.date(1970, 1, 1) + dt.timedelta(days=last)).year


@router.get("/indicators")
def indicators_page(
    request: Request,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    profile: Annotated[str | None, Query(max_length=64)] = None,
    park_type: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """The chosen profile (or ``profile``) evaluated for the year, and the chosen ones compared."""

    def build(principal: Principal, lang: str) -> Response:
        store = _store(request)
        chosen_year = year or _latest_year(request, principal)
        scope = scoped_enterprise(store, principal, None)
        profiles = _profiles_allowed(store, principal, None)
        if profile is not None:
            first = _profiles_allowed(store, principal, [profile])
            profiles = first + [p for p in profiles if p.id != first[0].id]
        kind = _park_type(store, principal, park_type)
        # the profiles' evaluation reads the year's figures (0.2–0.35 s): through the view
        # cache, keyed by the caller's scope, the profiles (id and version) and the park type
        key = (
            "indicator-profiles", store.registry.park(principal.park_id).id,
            principal.tenant.enterprise_id, scope, chosen_year, kind,
            tuple((p.id, p.version) for p in profiles),
        )  # fmt: skip
        evs = overview_service.cached(
            store, _cache(request), key,
            lambda: compare_profiles(
                store, profiles, year=chosen_year, enterprise_id=scope, park_type=kind,
                park_id=principal.park_id,
            ),
        )  # fmt: skip
        code = "zh" if lang == "zh-CN" else "en"
        main = evs[0].as_dict(code)
        return _render(
            request, "indicators.html", lang, principal, tt=lambda k: tt(k, lang),
            main=main, year=chosen_year,
            comparison=comparison_table(evs, code) if len(evs) > 1 else None,
            shown=_shown, status=lambda s: status_word(s, code),
        )  # fmt: skip

    return _page(request, build)
