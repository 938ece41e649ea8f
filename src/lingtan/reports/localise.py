"""zh-CN wording of what the services hand to the reports and the dashboard.

:mod:`lingtan.wording` holds the table (codes, English messages, fragments); this module adds
the names that only the records know — carriers, fuels, indicators, products, factor records,
targets and target sets, limit and coverage records — and applies the whole to a
:class:`~lingtan.reports.model.Report` (every text of a zh report) or to one text (the
dashboard). English documents are left exactly as the builders made them.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable, Mapping
from typing import Any, Final

from lingtan.carbon import default_library
from lingtan.carbon.activity import FUELS
from lingtan.indicators.catalog import INDICATORS
from lingtan.indicators.energy import carrier_name
from lingtan.indicators.limits import load_coverage_requirement, load_limits
from lingtan.indicators.targets import SHIPPED, Target, TargetSet, load_target_set
from lingtan.registry import Carrier
from lingtan.reports.model import KeyValues, Paragraph, Report, Section, Table
from lingtan.wording import Wording, table

#: columns that hold what the user typed (point, site and enterprise codes, documents, people):
#: shown as typed, even when a code happens to read like one of the services' codes
USER_COLUMNS: Final = frozenset({"code", "owner", "document", "by", "use", "cert_id", "project"})
#: national and "CN" regions go without a name in a factor's label
_NATIONAL: Final = frozenset({"CN", "national", "全国"})


def _band(target: Target) -> str:
    lo, hi = target.energy_min_tce, target.energy_max_tce
    if lo is None and hi is None:
        return ""

    def wan(v: float) -> str:
        return f"{v / 1e4:g}万"

    if hi is None:
        return f"（年综合能源消费量 ≥ {wan(lo or 0)} tce）"
    return f"（年综合能源消费量 {wan(lo or 0)}–{wan(hi)} tce）"


def target_labels(sets: Iterable[TargetSet]) -> dict[str, str]:
    """Target set ids and target ids → Chinese names (set name · indicator, size band)."""
    names = {s.id: s.name_zh for s in INDICATORS}
    out: dict[str, str] = {}
    for ts in sets:
        out[ts.id] = ts.name_zh
        for t in ts.targets:
            year = f"（{t.year} 年）" if t.year else ""
            out[t.id] = f"{ts.name_zh}·{names.get(t.indicator, t.indicator)}{_band(t)}{year}"
    return out


def factor_label(record: Mapping[str, Any]) -> str:
    """A factor record's Chinese name: what it is of, its kind, region, year and basis."""
    w = Wording("zh")
    key, kind = str(record.get("key", "")), str(record.get("kind", ""))
    if key in FUELS:
        what = FUELS[key].name_zh
    elif key == "electricity":
        # "电力排放因子" already says what it is of
        what = "" if kind == "grid_electricity" else "电力"
    elif key in table().groups["factor_key"]:
        what = w.code(key, "factor_key")
    else:
        what = carrier_name(key)
    parts = [str(record["region"])] if record.get("region") not in _NATIONAL else ["全国"]
    if record.get("year"):
        parts.append(f"{record['year']} 年")
    basis = str(record.get("basis", ""))
    if basis:
        parts.append(w.code(basis, "factor_basis"))
    return f"{what}{w.code(kind, 'factor_kind')}（{'，'.join(parts)}）"


@functools.cache
def shipped_labels() -> dict[str, str]:
    """Names of every code and record id the shipped data defines."""
    out: dict[str, str] = {c.value: carrier_name(c.value) for c in Carrier}
    out.update({k: f.name_zh for k, f in FUELS.items()})
    out.update({s.id: s.name_zh for s in INDICATORS})
    for limit in load_limits():
        out[limit.product] = limit.product_zh
        out[limit.id] = f"{limit.standard}《{limit.title}》{limit.product_zh}"
    cov = load_coverage_requirement()
    out[cov.id] = f"{cov.edition} 能源计量器具配备率要求"
    out.update(target_labels(load_target_set(name) for name in SHIPPED))
    for record in default_library():
        out[record.id] = factor_label(record.brief())
    # the GHG layer's records (GWP, sector defaults, market threshold, CBAM; lingtan.ghg.labels)
    from lingtan.ghg.labels import record_labels

    out.update(record_labels())
    return out


def wording(lang: str, extra: Mapping[str, str] | None = None) -> Wording:
    """The wording of ``lang`` with the shipped names (and ``extra`` ones) known."""
    labels = shipped_labels() if not extra else {**shipped_labels(), **extra}
    return Wording(lang, labels)


def text(value: Any, lang: str) -> Any:
    """One text from a service in ``lang`` (the dashboard's filter)."""
    return wording(lang).text(value)


def _table(t: Table, w: Wording) -> Table:
    keys = {c.key for c in t.columns}
    # a column ``x`` with a Chinese twin ``x_zh`` shows the twin's text; the twin goes
    columns = [
        dataclasses.replace(c, label=w.text(c.label))
        for c in t.columns
        if not (c.key.endswith("_zh") and c.key[:-3] in keys)
    ]
    twins = {c.key for c in columns if f"{c.key}_zh" in keys}

    def row(r: Mapping[str, Any]) -> dict[str, Any]:
        out = {k: v if k in USER_COLUMNS else w.text(v) for k, v in r.items()}
        for k in twins:
            if r.get(f"{k}_zh"):
                out[k] = r[f"{k}_zh"]
        return out

    return dataclasses.replace(
        t,
        columns=columns,
        rows=[row(r) for r in t.rows],
        title=w.text(t.title),
        total=None if t.total is None else row(t.total),
        note=w.text(t.note),
    )


def localise(report: Report, extra: Mapping[str, str] | None = None) -> Report:
    """``report`` with every text in Chinese when it is a zh report (as it is otherwise)."""
    if report.lang != "zh":
        return report
    w = wording("zh", extra)
    sections = []
    for s in report.sections:
        blocks: list[Any] = []
        for b in s.blocks:
            if isinstance(b, Table):
                blocks.append(_table(b, w))
            elif isinstance(b, KeyValues):
                items = [(w.text(k), w.text(v), f) for k, v, f in b.items]
                blocks.append(dataclasses.replace(b, items=items, title=w.text(b.title)))
            elif isinstance(b, Paragraph):
                blocks.append(dataclasses.replace(b, text=w.text(b.text)))
            else:
                blocks.append(b)
        sections.append(Section(w.text(s.title), blocks, sheet=s.sheet))
    return dataclasses.replace(
        report,
        title=w.text(report.title),
        subtitle=w.text(report.subtitle),
        meta=[(w.text(k), w.text(v)) for k, v in report.meta],
        sections=sections,
    )
