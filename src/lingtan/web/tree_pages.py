"""The metering tree (计量树) page: every point in the user's scope under its parent, with its
consumption in the chosen period, the unmetered remainder of each parent (未计量差额 = parent −
Σ children) highlighted when abnormal, and the metering coverage by GB 17167 level.

Consumption comes from the statistics service the REST API calls
(``/api/v1/points/{code}/statistics``) with the user's principal; the coverage by level from
the energy statistics the overview uses. The threshold is the park option
``metering_remainder_max`` (:mod:`lingtan.options`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Final

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from lingtan.api.common import PageParams
from lingtan.api.overview import service as overview_service
from lingtan.api.readings import service as readings_service
from lingtan.api.registry import service as registry_service
from lingtan.identity.roles import Principal
from lingtan.indicators.energy import energy_statistics
from lingtan.options import service as options_service
from lingtan.store import PointRecord, Store
from lingtan.web import palette
from lingtan.web import period as periods
from lingtan.web.routes import _cache, _page, _render, _store

router = APIRouter(include_in_schema=False)

#: the page's own words (zh-CN, en)
TEXT: Final[dict[str, tuple[str, str]]] = {
    "intro": (
        "各计量点在所选期间的用量；上级计量点的未计量差额 = 上级 − Σ下级。差额超过上级用量的 "
        "{pct}（园区选项“计量树未计量差额告警阈值”）即标红：表计误差与园区内部线损通常低于此值，"
        "超出多为漏计、错接、倍率错误或窃漏；下级之和大于上级同样异常。数据不完整的时段不作判断。",
        "Each point's consumption in the period; a parent's unmetered remainder = parent − Σ "
        "children. A remainder beyond {pct} of the parent either way (park option "
        "metering_remainder_max) is highlighted: meter error and the park network's own losses "
        "usually stay below it, more points to an unmetered branch, a wrong connection or "
        "multiplier, or theft; children summing above the parent is as abnormal. Periods with "
        "incomplete data are not judged.",
    ),
    "point": ("计量点", "Point"),
    "level": ("级别", "Level"),
    "consumption": ("用量", "Consumption"),
    "children_sum": ("下级合计", "Σ children"),
    "remainder": ("未计量差额", "Unmetered remainder"),
    "share": ("占上级", "Share of parent"),
    "complete": ("数据完整率", "Data complete"),
    "abnormal": ("异常", "abnormal"),
    "incomplete": ("数据不完整，不作判断", "incomplete data, not judged"),
    "other_units": ("下级单位不同，未计算", "children in other units, not computed"),
    "coverage": ("分级计量覆盖率（GB 17167）", "Metering coverage by level (GB 17167)"),
    "family": ("能源", "Energy"),
    "metered": ("已计量", "Metered"),
    "reference": ("参照", "Reference"),
    "required": ("要求", "Required"),
    "cov_share": ("覆盖率", "Coverage"),
    "coverage_only": (
        "分级覆盖率按月或年计算（能源统计），请选择月或年",
        "Coverage by level is computed for a month or a year (energy statistics): choose one",
    ),
    "nothing": ("暂无计量点", "No metering points"),
    "measurements": (
        "瞬时量计量点（功率、环境监测等）无用量，不列入",
        "Instantaneous measurement points (power, environment) have no consumption and are "
        "left out",
    ),
}


def words(key: str, lang: str) -> str:
    """A word of this page in ``lang``."""
    zh, en = TEXT[key]
    return zh if lang == "zh-CN" else en


def unmetered(
    parent: float | None, children: list[float | None]
) -> tuple[float | None, float | None]:
    """The unmetered remainder parent − Σ children and its share of the parent; None when any
    is unknown (never taken as 0), the share None when the parent is not positive."""
    if parent is None or any(c is None for c in children):
        return None, None
    rest = parent - sum(c for c in children if c is not None)
    return rest, (rest / parent if parent > 0 else None)


@dataclass(slots=True)
class Node:
    """A point in the tree with its period figures."""

    point: PointRecord
    total: float | None
    #: share of the period's seconds measured or estimated (1.0: nothing missing)
    complete: float
    depth: int = 0
    children: list[Node] = field(default_factory=list)
    children_sum: float | None = None
    remainder: float | None = None
    share: float | None = None
    #: "abnormal", "incomplete", "other_units", "ok" or "" (no children)
    status: str = ""


def judge(node: Node, threshold: float) -> None:
    """The remainder of ``node`` over its children of the same unit, and its status."""
    if not node.children:
        return
    same = [c for c in node.children if c.point.unit == node.point.unit]
    if len(same) != len(node.children):
        node.status = "other_units"
        return
    node.remainder, node.share = unmetered(node.total, [c.total for c in same])
    if node.remainder is not None:
        node.children_sum = node.total - node.remainder if node.total is not None else None
    if any(n.complete < 1.0 for n in (node, *same)) or node.remainder is None:
        node.status = "incomplete"
    elif node.share is None or abs(node.share) > threshold:
        node.status = "abnormal"
    else:
        node.status = "ok"


def build(
    points: list[PointRecord], figures: Mapping[int, tuple[float | None, float]], threshold: float
) -> list[Node]:
    """The forest of ``points`` (a point whose parent is not among them is a root), each
    parent judged; depth-first order."""
    nodes = {p.id: Node(p, *figures.get(p.id, (None, 0.0))) for p in points}
    roots: list[Node] = []
    for p in sorted(points, key=lambda p: (p.level or 99, p.code)):
        n = nodes[p.id]
        parent = nodes.get(p.parent_id) if p.parent_id is not None else None
        (parent.children if parent is not None else roots).append(n)
    out: list[Node] = []

    def walk(n: Node, depth: int) -> None:
        n.depth = depth
        judge(n, threshold)
        out.append(n)
        for c in n.children:
            walk(c, depth + 1)

    for r in roots:
        walk(r, 0)
    return out


def period_figures(
    store: Store, principal: Principal, p: PointRecord, span: periods.Span
) -> tuple[float | None, float]:
    """A point's consumption in ``span`` (sum of its known daily or monthly values) and the
    share of the span's seconds known (measured or estimated)."""
    res = "month" if span.kind in ("month", "year") else "day"
    _, rows, _ = readings_service.statistics(
        store, principal=principal, code=p.code, period=res, start=span.first.isoformat(),
        end=span.end.isoformat(), page=PageParams(limit=100_000, offset=0),
    )  # fmt: skip
    values = [r["value"] for r in rows if r["value"] is not None]
    known = sum(r["measured_s"] + r["estimated_s"] for r in rows)
    return (sum(values) if values else None), min(1.0, known / (span.days * 86_400.0))


@router.get("/tree")
def tree_page(
    request: Request,
    period: Annotated[str | None, Query(max_length=10)] = None,
    start: Annotated[str | None, Query(max_length=10)] = None,
    end: Annotated[str | None, Query(max_length=10)] = None,
) -> Response:
    """The metering tree of the user's scope in the chosen period."""

    def page(principal: Principal, lang: str) -> Response:
        store, cache = _store(request), _cache(request)
        data = overview_service.overview(store, principal=principal, lang=lang, cache=cache)
        span = periods.parse(period, start, end, default_day=dt.date.fromisoformat(data["as_of"]))
        points, _, _ = registry_service.list_points(
            store, principal=principal, enterprise_id=None, site_id=None, carrier=None,
            virtual=None, page=PageParams(limit=100_000, offset=0),
        )  # fmt: skip
        # the tree of consumption: instantaneous measurements (power, environment) have none
        points = [p for p in points if p.kind != "measurement"]
        threshold = options_service.current(
            store, park_id=principal.park_id
        ).options.metering_remainder_max
        # each point's figures are a few queries (125 points on the demo: 0.2 s on SQLite,
        # 0.5 s on PostgreSQL): through the view cache, keyed by the caller's scope and period
        park_key = store.registry.park(principal.park_id).id
        figures = overview_service.cached(
            store, cache,
            ("tree-figures", park_key, principal.tenant.enterprise_id, span.kind,
             span.first.isoformat(), span.last.isoformat()),
            lambda: {p.id: period_figures(store, principal, p, span) for p in points},
        )  # fmt: skip
        nodes = build(points, figures, threshold)
        coverage: list[dict[str, Any]] | None = None
        if span.kind in ("month", "year"):
            scope = overview_service.scope_enterprise(store, principal, None)
            park_id = store.registry.park(principal.park_id).id
            month = span.first.month if span.kind == "month" else None
            stats = overview_service.cached(
                store, cache,
                ("tree-coverage", park_id, principal.tenant.enterprise_id, scope,
                 span.first.year, month),
                lambda: energy_statistics(
                    store, year=span.first.year, month=month, enterprise_id=scope,
                    park_id=park_id,
                ),
            )  # fmt: skip
            coverage = [c.as_dict() for c in stats.coverage]
        return _render(
            request, "tree.html", lang, principal,
            nodes=nodes, span=span, period_extra={}, threshold=threshold, coverage=coverage,
            colour=palette.colour, w=lambda k: words(k, lang),
        )  # fmt: skip

    return _page(request, page)
