"""Dashboard pages of environment monitoring: the park overview (stations exceeding now,
water sections by class, exceedances of the last days), the station list, and a station page
(latest values with their class colour, 24-h chart with the limit line, exceedance log)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

import numpy as np
from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from lingtan.environment import service
from lingtan.environment.disclosure import build_disclosure, disclosure_bytes, parts
from lingtan.environment.stations import Station
from lingtan.errors import InvalidInput
from lingtan.identity.roles import Principal
from lingtan.web import i18n
from lingtan.web.routes import _page, _render, _store, _zone

router = APIRouter(include_in_schema=False)

#: key → (中文, English), looked up before the dashboard's common texts
TEXT: Final[dict[str, tuple[str, str]]] = {
    "environment": ("环境监测", "Environment"),
    "env_overview": ("园区环境概览", "Park environment"),
    "env_stations": ("监测站点", "Monitoring stations"),
    "env_station": ("监测站点", "Station"),
    "env_code": ("编号", "Code"),
    "env_name": ("名称", "Name"),
    "env_kind": ("类型", "Kind"),
    "env_kind_air": ("环境空气", "Ambient air"),
    "env_kind_water": ("地表水断面", "Water section"),
    "env_kind_outlet": ("排放口", "Outlet"),
    "env_kind_indoor": ("室内空气", "Indoor air"),
    "env_class": ("功能区/目标类别", "Zone / target class"),
    "env_air_class_1": ("一类区", "Class 1 zone"),
    "env_air_class_2": ("二类区", "Class 2 zone"),
    "env_latest": ("最新小时值", "Latest hourly values"),
    "env_parameter": ("参数", "Parameter"),
    "env_value": ("数值", "Value"),
    "env_unit": ("单位", "Unit"),
    "env_limit": ("限值", "Limit"),
    "env_hour": ("时间", "Hour"),
    "env_status": ("状态", "Status"),
    "env_status_ok": ("达标", "Compliant"),
    "env_status_exceeded": ("超标", "Exceeded"),
    "env_status_unknown": ("无数据或无限值", "No data or no limit"),
    "env_water_class": ("水质类别", "Water class"),
    "env_exceeding": ("当前超标站点", "Stations exceeding now"),
    "env_none_exceeding": ("当前没有超标站点", "No station exceeds now"),
    "env_sections": ("地表水断面水质类别", "Water sections by class"),
    "env_exceedances": ("超标记录", "Exceedance log"),
    "env_no_exceedances": ("所选时段内无超标", "No exceedance in the period"),
    "env_statistic": ("统计量", "Statistic"),
    "env_multiple": ("超标倍数", "Exceedance multiple"),
    "env_when": ("时间", "When"),
    "env_chart": ("最近 24 小时（虚线为限值）", "Last 24 hours (dashed: the limit)"),
    "env_no_stations": (
        "尚无监测站点：在园区文件的 environment 段中声明",
        "No stations yet: declare them in the park file's environment section",
    ),
    "env_period": ("时段", "Period"),
    "env_basis": ("依据", "Basis"),
    "env_mn": ("数采仪编号（MN）", "Data logger (MN)"),
    "env_stat_1h": ("1 小时平均", "1-h mean"),
    "env_stat_24h": ("24 小时平均", "24-h mean"),
    "env_stat_8h_daily_max": ("日最大 8 小时平均", "Daily max 8-h mean"),
    "env_stat_24h_water": ("日均值水质类别", "Daily mean water class"),
    "env_stat_indoor_1h": ("室内 1 小时值", "Indoor hourly value"),
    "env_stat_indoor_24h": ("室内日平均", "Indoor daily mean"),
    "env_synthetic": ("演示站点数据为合成数据", "Demo station data are synthetic"),
    "env_aqi": ("空气质量指数 AQI（HJ 633-2012）", "Air quality index (HJ 633-2012)"),
    "env_aqi_hourly": ("实时 AQI（最新小时）", "Real-time AQI (latest hour)"),
    "env_aqi_daily": ("日 AQI（最近完整日）", "Daily AQI (last whole day)"),
    "env_aqi_primary": ("首要污染物", "Primary pollutant"),
    "env_aqi_none": ("无有效数据", "No valid data"),
    "env_disclosure": ("环境信息披露（草稿）", "Environmental disclosure (draft)"),
    "env_disclosure_enterprise": ("企业", "Enterprise"),
    "env_trend": ("月度水质趋势（GB 3838-2002）", "Monthly water-quality trend (GB 3838-2002)"),
    "env_trend_target": ("目标水质类别", "Target class"),
    "env_trend_month": ("月份", "Month"),
    "env_trend_attainment": ("达标率（日）", "Attainment (days)"),
    "env_outlet_trend": (
        "月度排放趋势（对照排污许可限值）",
        "Monthly discharge trend against the permit",
    ),
    "env_outlet_trend_hint": (
        "按小时均值对照许可限值：高于限值为超标，等于限值为达标；超标倍数 = 数值 ÷ 限值 − 1。",
        "Hourly means against the permit limits: above the limit exceeds, equal to it meets "
        "it; multiple = value ÷ limit − 1.",
    ),
    "env_outlet_attainment": ("达标率（小时）", "Attainment (hours)"),
    "env_outlet_failed": ("超标参数：", "Parameters exceeding: "),
    "env_outlet_valid_hours": ("有效小时", "Valid hours"),
    "env_outlet_mean": ("均值", "Mean"),
    "env_outlet_max": ("最大小时均值", "Max hourly mean"),
    "env_outlet_exceeded_hours": ("超标小时", "Hours above"),
    "env_outlet_max_multiple": ("最大超标倍数", "Max multiple"),
    "env_outlet_no_valid_hour": ("本月无有效小时数据", "No valid hour this month"),
    "env_outlet_none_failed": ("无", "None"),
    "env_disclosure_year": ("年度", "Year"),
    "env_disclosure_kinds": (
        "企业类别（不选 = 未知，列出各类别的增加条目）",
        "Kinds of enterprise (none ticked: unknown, every kind's items listed)",
    ),
    "env_disclosure_show": ("生成草稿", "Draft the report"),
    "env_disclosure_xlsx": ("下载 Excel", "Download Excel"),
    "env_disclosure_html": ("下载 HTML", "Download HTML"),
    "env_disclosure_hint": (
        "依据《企业环境信息依法披露管理办法》第十二条；报告为中文草稿，lingtan 未记录的内容由企业补充。",
        "Per 《企业环境信息依法披露管理办法》 Art. 12; the report is a draft in Chinese, what "
        "lingtan does not record is left for the enterprise to complete.",
    ),
}

#: parameter names in Chinese (codes and chemical formulas stay as they are)
PARAMETER_ZH: Final[dict[str, str]] = {
    "temperature": "温度",
    "RH": "相对湿度",
    "DO": "溶解氧 DO",
    "pH": "pH",
}


def _t(lang: str) -> Any:
    def t(key: str) -> str:
        if key in TEXT:
            zh, en = TEXT[key]
            return zh if lang == "zh-CN" else en
        return i18n.t(key, lang)

    return t


def _param(lang: str) -> Any:
    def name(p: str) -> str:
        return PARAMETER_ZH.get(p, p) if lang == "zh-CN" else p

    return name


def _unit(unit: str) -> str:
    return {"degC": "°C", "1": ""}.get(unit, unit)


def _class_text(st: Station, t: Any) -> str:
    if st.air_class is not None:
        return str(t(f"env_air_class_{st.air_class}"))
    if st.water_class is not None:
        return f"{st.water_class}"
    return "—"


def _overview(request: Request, principal: Principal, lang: str, template: str) -> Response:
    store = _store(request)
    t = _t(lang)
    rows = service.list_stations(store, principal=principal)
    items = []
    for r in rows:
        st = service.station_of(r)
        latest = service.latest_values(store, principal=principal, row=r)
        worst = None
        if r.kind == "water":
            order = ["I", "II", "III", "IV", "V", "劣V"]
            classes = [x.water_class for x in latest if x.water_class in order]
            worst = max(classes, key=order.index) if classes else None
        items.append(
            {
                "row": r, "station": st, "latest": latest, "class_text": _class_text(st, t),
                "exceeding": [x for x in latest if x.status == "exceeded"], "worst": worst,
                "aqi": service.station_aqi(store, principal=principal, row=r)
                if r.kind == "air" else None,
            }
        )  # fmt: skip
    found: list[Any] = []
    period = None
    if rows:
        start, end = service.default_period(store, rows, days=7)
        period = (
            start.astimezone(_zone(request, principal)),
            end.astimezone(_zone(request, principal)),
        )
        found = service.list_exceedances(store, principal=principal, start=start, end=end)
    return _render(
        request, template, lang, principal, items=items, found=found[-200:], period=period,
        t=t, pname=_param(lang), unit=_unit,
    )  # fmt: skip


@router.get("/environment")
def environment_page(request: Request) -> Response:
    """The park's environment: stations exceeding now, water sections by class, the last
    week's exceedances, and every station in the user's scope."""
    return _page(request, lambda p, lang: _overview(request, p, lang, "environment.html"))


@router.get("/environment/stations")
def stations_page(request: Request) -> Response:
    """The stations in the user's scope with their latest values."""
    return _page(request, lambda p, lang: _overview(request, p, lang, "env_stations.html"))


@router.get("/environment/stations/{station_code}")
def station_page(request: Request, station_code: str) -> Response:
    """One station: latest values with their status colour, the last 24 hours of each
    parameter with its limit line, and the exceedance log of the last 30 days."""

    def build(principal: Principal, lang: str) -> Response:
        store = _store(request)
        t = _t(lang)
        row = service.get_station(store, principal=principal, code=station_code)
        st = service.station_of(row)
        latest = service.latest_values(store, principal=principal, row=row)
        tz = _zone(request, principal)
        _, end = service.default_period(store, [row])
        series = service.hourly_series(store, row, end - dt.timedelta(hours=24), end)
        limits = {x.parameter: (x.limit, x.low) for x in latest}
        charts: list[dict[str, Any]] = []
        for s in series:
            x = [dt.datetime.fromtimestamp(int(h), dt.UTC).astimezone(tz).isoformat()
                 for h in s.start_s.tolist()]  # fmt: skip
            y = [None if np.isnan(v) else float(v) for v in s.value.tolist()]
            high, low = limits.get(s.parameter, (None, None))
            charts.append({"id": f"env-chart-{len(charts)}", "parameter": _param(lang)(s.parameter),
                           "unit": _unit(s.unit), "x": x, "y": y, "limit": high, "low": low,
                           "limit_label": t("env_limit")})  # fmt: skip
        found = service.list_exceedances(
            store,
            principal=principal,
            start=end - dt.timedelta(days=30),
            end=end,
            station=station_code,
        )
        trend = None
        if row.kind in ("water", "outlet"):
            trend = service.water_trend(store, principal=principal, code=station_code, end=end)
        parameters = sorted({p["parameter"] for m in (trend or {}).get("months", [])
                             for p in m["parameters"]})  # fmt: skip
        limits_of = {x["parameter"]: x for x in (trend or {}).get("limits", [])}
        return _render(
            request, "env_station.html", lang, principal, row=row, st=st, latest=latest,
            trend=trend, trend_parameters=parameters, trend_limits=limits_of,
            charts=charts, found=found[-200:], class_text=_class_text(st, t), t=t,
            pname=_param(lang), unit=_unit,
        )  # fmt: skip

    return _page(request, build)


def _disclosure_kinds(request: Request) -> list[str] | None:
    """The kinds of enterprise ticked on the form (none: not known)."""
    return request.query_params.getlist("kind") or None


def _disclosure_args(request: Request, principal: Principal) -> tuple[list[Any], str, int]:
    store = _store(request)
    park = store.registry.park(principal.park_id)
    ents = [e for e in store.registry.enterprises(park.id) if principal.tenant.owns(e.id)]
    code = request.query_params.get("enterprise") or ""
    last_year = dt.datetime.now(dt.UTC).astimezone(_zone(request, principal)).year - 1
    year_text = request.query_params.get("year") or str(last_year)
    if not year_text.isdigit() or not 2000 <= int(year_text) <= 2100:
        raise InvalidInput("year: a year between 2000 and 2100", field="year")
    return ents, code, int(year_text)


@router.get("/environment/disclosure")
def disclosure_page(request: Request) -> Response:
    """The enterprise's environmental-information disclosure draft (企业环境信息依法披露): choose
    an enterprise in scope and a year; the report's parts are shown with their sources, and
    offered as Excel and HTML."""

    def build(principal: Principal, lang: str) -> Response:
        ents, code, year = _disclosure_args(request, principal)
        chosen = _disclosure_kinds(request)
        report = None
        if code:
            report = build_disclosure(_store(request), principal=principal, enterprise=code,
                                      year=year, kinds=chosen)  # fmt: skip
        return _render(
            request, "env_disclosure.html", lang, principal, enterprises=ents, code=code,
            year=year, report=report, t=_t(lang), kinds=_block_kind,
            enterprise_kinds=parts().kinds, chosen=chosen or [],
        )  # fmt: skip

    return _page(request, build)


def _block_kind(block: Any) -> str:
    return type(block).__name__


@router.get("/environment/disclosure/file")
def disclosure_file(request: Request) -> Response:
    """The disclosure draft as a file: ``format=xlsx`` (default) or ``html``."""

    def build(principal: Principal, lang: str) -> Response:
        _ents, code, year = _disclosure_args(request, principal)
        fmt = request.query_params.get("format", "xlsx")
        if fmt not in ("xlsx", "html"):
            raise InvalidInput("format: xlsx or html", field="format")
        if not code:  # no enterprise chosen: the form
            return RedirectResponse("/environment/disclosure", status_code=303)
        report = build_disclosure(_store(request), principal=principal, enterprise=code,
                                  year=year, kinds=_disclosure_kinds(request))  # fmt: skip
        media = (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            if fmt == "xlsx"
            else "text/html; charset=utf-8"
        )
        return Response(
            disclosure_bytes(report, fmt), media_type=media,
            headers={"Content-Disposition": f'attachment; filename="disclosure-{code}-{year}.{fmt}"'},
        )  # fmt: skip

    return _page(request, build)
