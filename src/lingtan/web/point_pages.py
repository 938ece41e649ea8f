"""The meter (metering point, 计量点) page: its load or consumption curve at native, hourly,
daily or monthly resolution with the quality of every period shown on the curve, its raw
readings and quarantine, its place in the metering tree, its alarms; several points compared
on one chart (``?compare=code1,code2``).

Every figure comes from the service functions the REST API calls (``/api/v1/points/{code}``,
``…/readings``, ``…/statistics``, ``/api/v1/quarantine``, ``/api/v1/alarms``) with the user's
principal, so the tenancy checks hold in the data-access layer: a point outside the user's
scope answers 404 exactly as a missing one.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Final
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from lingtan.alarms import service as alarm_service
from lingtan.api.common import CODE_PATTERN, PageParams
from lingtan.api.readings import service as readings_service
from lingtan.api.registry import service as registry_service
from lingtan.errors import InvalidInput, NotFound
from lingtan.identity.roles import Principal
from lingtan.ingest import REASONS
from lingtan.store import PointRecord, Store
from lingtan.store.alarms_repo import AlarmFilter
from lingtan.timeutil import from_us
from lingtan.web import palette
from lingtan.web import period as periods
from lingtan.web.routes import _page, _render, _store

router = APIRouter(include_in_schema=False)

#: resolutions of the curve: the raw readings, or the statistics of the readings service
RESOLUTIONS: Final = ("native", "hour", "day", "month")
#: the longest period drawn at each resolution (days): what one page can show and a browser
#: draw without loading more than it shows
MAX_DAYS: Final = {"native": 31, "hour": 93, "day": periods.MAX_CUSTOM_DAYS,
                   "month": periods.MAX_CUSTOM_DAYS}  # fmt: skip
#: points compared on one chart, besides the page's own
MAX_COMPARE: Final = 5
#: raw readings per page of the table
READINGS_PAGE: Final = 50
_CODE = re.compile(CODE_PATTERN)
#: the flags marked on the curve
MARKED: Final = ("reset", "spike", "jump", "replacement")

#: the page's own words (zh-CN, en)
TEXT: Final[dict[str, tuple[str, str]]] = {
    "point": ("计量点", "Metering point"),
    "resolution": ("分辨率", "Resolution"),
    "res_native": ("原始读数", "Native (readings)"),
    "res_hour": ("小时", "Hourly"),
    "res_day": ("日", "Daily"),
    "res_month": ("月", "Monthly"),
    "compare": ("对比计量点", "Compare with"),
    "compare_hint": ("以逗号分隔的计量点编码", "point codes, separated by commas"),
    "show": ("显示", "Show"),
    "curve": ("负荷/用量曲线", "Load / consumption curve"),
    "curve_native": (
        "原始读数为表计上送的示数（累计量表为表底值）；阴影为估算或缺测时段，标记为复位、尖峰等事件",
        "Native readings are the values as sent (register readings for cumulative meters); "
        "shading marks estimated or missing periods, markers resets, spikes and other events",
    ),
    "curve_stats": (
        "各时段用量（瞬时量计量点为平均值）；阴影为估算或缺测时段，标记为复位、尖峰等事件",
        "Consumption per period (the mean for instantaneous points); shading marks estimated "
        "or missing periods, markers resets, spikes and other events",
    ),
    "total": ("期间合计", "Period total"),
    "quality_share": ("数据质量", "Data quality"),
    "readings": ("原始读数", "Raw readings"),
    "page_of": ("第 {a} / {b} 页，共 {n} 条", "page {a} of {b}, {n} readings"),
    "prev_page": ("上一页", "Previous"),
    "next_page": ("下一页", "Next"),
    "tree": ("计量树位置", "Place in the metering tree"),
    "parent": ("上级计量点", "Parent"),
    "children": ("下级计量点", "Children"),
    "none": ("无", "none"),
    "level": ("计量级别", "Metering level"),
    "unit": ("单位", "Unit"),
    "kind": ("类型", "Kind"),
    "interval": ("采集间隔 s", "Interval s"),
    "formula": ("虚拟计量公式", "Formula"),
    "point_alarms": ("告警", "Alarms"),
    "quarantine": ("隔离读数", "Quarantined readings"),
    "nothing": ("暂无", "Nothing"),
    "ev_reset": ("复位", "reset"),
    "ev_spike": ("尖峰", "spike"),
    "ev_jump": ("跳变", "jump"),
    "ev_replacement": ("换表", "replacement"),
    "q_estimated": ("估算", "estimated"),
    "q_partial": ("部分缺测", "partly missing"),
    "q_missing": ("缺测", "missing"),
    # lingtan.registry.model.PointKind
    "kind_total_increasing": ("累计量（只增）", "register (increasing)"),
    "kind_total": ("累计量（可减）", "register (may decrease)"),
    "kind_interval": ("时段量", "interval amounts"),
    "kind_measurement": ("瞬时量", "instantaneous measurement"),
}


def words(key: str, lang: str) -> str:
    """A word of this page in ``lang``."""
    zh, en = TEXT[key]
    return zh if lang == "zh-CN" else en


def _whole(limit: int = 100_000) -> PageParams:
    return PageParams(limit=limit, offset=0)


def point_code(text: str) -> str:
    """A point code from the path or the compare list; anything else is a point that does not
    exist (404), whatever it names."""
    if not _CODE.fullmatch(text):
        raise NotFound("point not found")
    return text


def compare_codes(text: str | None, own: str) -> list[str]:
    """The ``compare`` parameter: point codes separated by commas (the page's own left out,
    repeats once, at most five)."""
    out: list[str] = []
    for part in (text or "").split(","):
        code = part.strip()
        if code and code != own and code not in out:
            out.append(point_code(code))
    if len(out) > MAX_COMPARE:
        raise InvalidInput(f"compare: at most {MAX_COMPARE} points", field="compare")
    return out


def default_resolution(span: periods.Span) -> str:
    """Hours for a day or a week, days for a month, months for a year; days for a custom
    period up to three months, months beyond."""
    if span.kind in ("day", "week"):
        return "hour"
    if span.kind == "year" or span.days > 93:
        return "month"
    return "day"


def last_day(store: Store, principal: Principal, code: str, tz: ZoneInfo) -> dt.date:
    """The last day with a known daily value of a point in scope (its last day with
    statistics if none is known; today without any)."""
    _, rows, _ = readings_service.statistics(
        store, principal=principal, code=code, period="day", start=None, end=None, page=_whole()
    )
    known = [r for r in rows if r["value"] is not None or r["mean"] is not None] or rows
    if not known:
        return dt.datetime.now(tz).date()
    return from_us(known[-1]["start"], tz).date()


def series(
    store: Store,
    principal: Principal,
    point: PointRecord,
    span: periods.Span,
    res: str,
    tz: ZoneInfo,
) -> dict[str, Any]:
    """One point's curve over ``span``: x (ISO times), y, and per-row quality and flags."""
    first, end = span.first.isoformat(), span.end.isoformat()
    if res == "native":
        _, rows, _, _ = readings_service.readings(
            store, principal=principal, code=point.code, start=first, end=end, page=_whole()
        )
        return {
            "code": point.code,
            "name": point.name,
            "unit": point.unit,
            "x": [from_us(t, tz).isoformat() for t, _ in rows],
            "y": [v for _, v in rows],
        }
    _, stats, _ = readings_service.statistics(
        store, principal=principal, code=point.code, period=res, start=first, end=end,
        page=_whole(),
    )  # fmt: skip
    use_mean = all(r["value"] is None for r in stats) and any(r["mean"] is not None for r in stats)
    return {
        "code": point.code,
        "name": point.name,
        "unit": point.unit,
        "mean": use_mean,
        "x": [from_us(r["start"], tz).isoformat() for r in stats],
        "x1": [from_us(r["end"], tz).isoformat() for r in stats],
        "y": [r["mean"] if use_mean else r["value"] for r in stats],
        "quality": [r["quality"] for r in stats],
        "flags": [r["flags"] for r in stats],
        "rows": stats,
    }


def quality_marks(
    store: Store,
    principal: Principal,
    point: PointRecord,
    span: periods.Span,
    res: str,
    tz: ZoneInfo,
    main: dict[str, Any],
    lang: str,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, float]]:
    """Shaded periods (estimated, partly missing, missing) and event markers of the page's
    point, from the quality labels and flags of its statistics (hourly ones under native
    readings), and the period's measured/estimated/missing shares."""
    rows = main.get("rows")
    if rows is None:  # native readings: the hours say what is estimated or missing
        rows = series(store, principal, point, span, "hour", tz)["rows"]
    shades: list[dict[str, Any]] = []
    for r in rows:
        q = r["quality"]
        if q == "measured":
            continue
        x0, x1 = from_us(r["start"], tz).isoformat(), from_us(r["end"], tz).isoformat()
        if shades and shades[-1]["q"] == q and shades[-1]["x1"] == x0:
            shades[-1]["x1"] = x1
        else:
            shades.append({"q": q, "x0": x0, "x1": x1, "colour": palette.QUALITY_COLOURS[q],
                           "label": words(f"q_{q}", lang)})  # fmt: skip
    events: list[dict[str, Any]] = []
    for r in rows:
        for f in r["flags"]:
            if f in MARKED:
                events.append({
                    "x": from_us(r["start"], tz).isoformat(), "kind": f,
                    "label": words(f"ev_{f}", lang),
                    "colour": palette.EVENT_COLOURS.get(f, palette.NEUTRAL),
                })  # fmt: skip
    seconds = {k: sum(r[f"{k}_s"] for r in rows) for k in ("measured", "estimated", "missing")}
    whole = sum(seconds.values())
    shares = {k: (v / whole if whole else 0.0) for k, v in seconds.items()}
    return shades, events, shares


@router.get("/points/{point}")
def point_page(
    request: Request,
    point: str,
    period: Annotated[str | None, Query(max_length=10)] = None,
    start: Annotated[str | None, Query(max_length=10)] = None,
    end: Annotated[str | None, Query(max_length=10)] = None,
    res: Annotated[str | None, Query(max_length=10)] = None,
    compare: Annotated[str | None, Query(max_length=400)] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    """One metering point: curve, quality, readings, quarantine, tree, alarms."""

    def build(principal: Principal, lang: str) -> Response:
        store = _store(request)
        code = point_code(point)
        p, codes = registry_service.get_point(store, principal=principal, code=code)
        tz = readings_service.park_zone(store, p.park_id)
        span = periods.parse(period, start, end, default_day=last_day(store, principal, code, tz))
        chosen = (res or "").strip() or default_resolution(span)
        if chosen not in RESOLUTIONS:
            raise InvalidInput(
                f"res: expected one of {', '.join(RESOLUTIONS)}, got {chosen[:20]!r}", field="res"
            )
        if span.days > MAX_DAYS[chosen]:
            raise InvalidInput(
                f"res: {chosen} resolution shows at most {MAX_DAYS[chosen]} days; "
                "choose a coarser resolution or a shorter period",
                field="res",
            )
        others = [
            registry_service.get_point(store, principal=principal, code=c)[0]
            for c in compare_codes(compare, code)
        ]
        main = series(store, principal, p, span, chosen, tz)
        shades, events, shares = quality_marks(store, principal, p, span, chosen, tz, main, lang)
        curves = [main] + [series(store, principal, o, span, chosen, tz) for o in others]
        colours = palette.series_colours([p.carrier] + [o.carrier for o in others])
        chart = {
            "series": [
                {"name": f"{c['code']} {c['name']} ({c['unit']})", "x": c["x"], "y": c["y"],
                 "colour": colour}
                for c, colour in zip(curves, colours, strict=True)
            ],
            "bar": chosen in ("day", "month") and not others,
            "shades": shades,
            "events": events,
            "unit": p.unit,
        }  # fmt: skip
        total = None
        if chosen != "native" and not main.get("mean"):
            known = [v for v in main["y"] if v is not None]
            total = sum(known) if known else None
        first, last = span.first.isoformat(), span.end.isoformat()
        _, readings, n_readings, _ = readings_service.readings(
            store, principal=principal, code=code, start=first, end=last,
            page=PageParams(limit=READINGS_PAGE, offset=(page - 1) * READINGS_PAGE),
        )  # fmt: skip
        rejected, n_rejected, _, _ = readings_service.quarantine(
            store, principal=principal, reason=None, point=code, page=_whole(50)
        )
        points, _, _ = registry_service.list_points(
            store, principal=principal, enterprise_id=None, site_id=None, carrier=None,
            virtual=None, page=_whole(),
        )  # fmt: skip
        children = [c for c in points if c.parent_id == p.id]
        alarms, n_alarms = alarm_service.list_alarms(
            store, principal=principal, filters=AlarmFilter(subject_code=code), limit=20, offset=0
        )
        pages = max(1, -(-n_readings // READINGS_PAGE))
        return _render(
            request, "point.html", lang, principal,
            p=p, parent=codes.get(p.parent_id) if p.parent_id else None, children=children,
            span=span, res=chosen, resolutions=RESOLUTIONS, compare=",".join(o.code for o in others),
            chart=chart, total=total, shares=shares, colour=colours[0],
            readings=[(from_us(t, tz), v) for t, v in readings], n_readings=n_readings,
            page=page, pages=pages, rejected=rejected, n_rejected=n_rejected, reasons=REASONS,
            alarms=alarms, n_alarms=n_alarms, w=lambda k: words(k, lang),
            period_extra={"res": res, "compare": compare},
        )  # fmt: skip

    return _page(request, build)
