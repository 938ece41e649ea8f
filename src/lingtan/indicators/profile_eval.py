"""Evaluation of an indicator profile (:mod:`lingtan.indicators.profiles`) for a scope and period.

Each indicator's definition is evaluated over the quantities of the scope
(:mod:`lingtan.indicators.quantities`); a quantity without data makes the indicator
``insufficient_data`` naming the missing inputs; a zero denominator makes it not assessable
("undefined"). The value then meets its target the same way as in :mod:`.evaluate`: the target
for the park's type, its size class (annual energy consumption) and the data year (or the
chosen milestone year); incomplete data are not assessable unless the options say ``flag``.

:func:`compare_profiles` evaluates several profiles on the same data, side by side.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from lingtan.carbon.factors import default_library
from lingtan.errors import InvalidInput, NotFound
from lingtan.indicators.evaluate import _Context, default_accounting
from lingtan.indicators.formula_lang import Undefined
from lingtan.indicators.limits import load_limits
from lingtan.indicators.options import IndicatorOptions
from lingtan.indicators.period import Period
from lingtan.indicators.profiles import ALL_TYPES, Profile, ProfileIndicator, ProfileTarget
from lingtan.indicators.quantities import QUANTITIES, Got, QuantitySource
from lingtan.indicators.result import DataQuality
from lingtan.options import service as park_options
from lingtan.store import Store

Status = Literal["meets", "fails", "not_assessable", "insufficient_data"]


@dataclass(frozen=True)
class ProfileResult:
    """One indicator of a profile, evaluated."""

    indicator: ProfileIndicator
    value: float | None
    target: ProfileTarget | None
    target_note: tuple[str, str]
    status: Status
    reason_zh: str
    reason_en: str
    missing: tuple[str, ...]
    quantities: Mapping[str, float | None]
    quality: DataQuality | None
    evidence: Sequence[Mapping[str, Any]] = field(default=())

    def as_dict(self, lang: str = "zh") -> dict[str, Any]:
        """Plain data."""
        i = self.indicator
        t = self.target
        sign = "≤" if i.direction == "le" else "≥"
        return {
            "id": i.id,
            "name_zh": i.name_zh,
            "name_en": i.name_en,
            "name": i.name_zh if lang == "zh" else i.name_en,
            "kind": i.kind,
            "binding": i.binding,
            "definition": i.definition,
            "unit": i.unit,
            "direction": i.direction,
            "clause": i.clause,
            "origin": i.origin,
            "value": self.value,
            "target": None
            if t is None
            else {**t.as_dict(), "text": _target_text(sign, t.value, i.unit)},
            "target_note": self.target_note[0] if lang == "zh" else self.target_note[1],
            "status": self.status,
            "reason": self.reason_zh if lang == "zh" else self.reason_en,
            "missing": list(self.missing),
            "quantities": dict(self.quantities),
            "data_quality": None if self.quality is None else self.quality.as_dict(),
            "evidence": [dict(e) for e in self.evidence],
        }


@dataclass(frozen=True)
class ProfileEvaluation:
    """A profile evaluated for one scope and period."""

    profile: Profile
    park_type: str | None
    period: Period
    park_code: str
    scope_code: str
    energy_tce_annual: float | None
    results: tuple[ProfileResult, ...]

    def result(self, indicator_id: str) -> ProfileResult:
        """One indicator's result."""
        for r in self.results:
            if r.indicator.id == indicator_id:
                return r
        raise NotFound(f"indicator {indicator_id!r} not in profile {self.profile.id}")

    def as_dict(self, lang: str = "zh") -> dict[str, Any]:
        """Plain JSON-ready data."""
        return {
            "profile": self.profile.brief(),
            "park_type": self.park_type,
            "park": {"code": self.park_code},
            "scope": {"code": self.scope_code},
            "period": self.period.as_dict(),
            "energy_tce_annual": self.energy_tce_annual,
            "indicators": [r.as_dict(lang) for r in self.results],
        }


def _fmt(value: float, unit: str) -> str:
    if unit == "1":
        return f"{value * 100:.2f} %"
    if unit == "count":
        return f"{value:g}"
    return f"{value:.4g} {unit}"


def _target_text(sign: str, value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    return f"{sign} {_fmt(value, unit)}"


def select_profile_target(
    indicator: ProfileIndicator,
    *,
    park_type: str | None,
    year: int,
    energy_tce: float | None,
    target_year: int | None = None,
) -> tuple[ProfileTarget | None, tuple[str, str]]:
    """The target for a park type, data year and annual energy, and why (as
    :func:`lingtan.indicators.targets.select_target` chooses among thresholds and milestones)."""
    typed = [t for t in indicator.targets if t.for_type(park_type)]
    if not typed:
        shown = park_type or "—"
        return None, (f"未规定园区类型 {shown} 的目标值", f"no target for park type {shown}")
    fits = [t for t in typed if t.applies(energy_tce)]
    if not fits:
        if energy_tce is None:
            return None, (
                "园区综合能源消费量未知，无法确定规模档",
                "park energy consumption unknown: size class not determined",
            )
        used = f"{energy_tce / 1e4:,.2f}万 tce"
        return None, (f"未规定年综合能源消费量 {used} 园区的目标值",
                      f"no threshold for a park using {used} a year")  # fmt: skip
    undated = [t for t in fits if t.year is None]
    dated = sorted((t for t in fits if t.year is not None), key=lambda t: t.year or 0)
    if target_year is not None:
        chosen = [t for t in dated if t.year == target_year]
        if chosen:
            return chosen[0], (f"{target_year} 年目标", f"{target_year} milestone")
        if undated:
            return undated[0], (f"无 {target_year} 年节点，采用通用阈值",
                                f"no {target_year} milestone; the general threshold")  # fmt: skip
        return None, (f"无 {target_year} 年目标", f"no {target_year} milestone")
    if undated:
        return undated[0], ("", "")
    later = [t for t in dated if (t.year or 0) >= year]
    t = later[0] if later else dated[-1]
    return t, (f"{t.year} 年目标（数据年份之后最近的节点）",
               f"{t.year} milestone (the first in or after the data year)")  # fmt: skip


def _worst(quals: Sequence[DataQuality]) -> DataQuality | None:
    if not quals:
        return None
    return min(quals, key=lambda q: q.completeness)


def _judge_one(
    ind: ProfileIndicator,
    src: QuantitySource,
    period: Period,
    *,
    park_type: str | None,
    energy_annual: float | None,
    options: IndicatorOptions,
) -> ProfileResult:
    got: dict[str, Got] = {n: src.get(n, period) for n in ind.formula.names}
    quantities = {n: g.value for n, g in got.items()}
    quality = _worst([g.quality for g in got.values()])
    evidence: list[Mapping[str, Any]] = []
    for g in got.values():
        evidence.extend(e for e in g.evidence if e not in evidence)
    target, tnote = select_profile_target(
        ind,
        park_type=park_type,
        year=period.year,
        energy_tce=energy_annual,
        target_year=options.target_year,
    )

    def out(status: Status, zh: str, en: str, value: float | None = None,
            missing: tuple[str, ...] = ()) -> ProfileResult:  # fmt: skip
        return ProfileResult(ind, value, target, tnote, status, zh, en, missing, quantities,
                             quality, evidence)  # fmt: skip

    missing = tuple(n for n, g in got.items() if g.value is None)
    if missing:
        names_zh = "、".join(QUANTITIES[n].name_zh for n in missing)
        whys_zh = "；".join(dict.fromkeys((got[n].missing or ("", ""))[0] for n in missing))
        whys_en = "; ".join(dict.fromkeys((got[n].missing or ("", ""))[1] for n in missing))
        return out(
            "insufficient_data",
            f"数据不足：缺少{names_zh}（{whys_zh}）",
            f"insufficient data: missing {', '.join(missing)} ({whys_en})",
            missing=missing,
        )
    try:
        value = ind.formula.evaluate({n: v for n, v in quantities.items() if v is not None})
    except Undefined as err:
        return out("not_assessable", "无定义：公式的分母为 0", f"undefined: {err}")
    if ind.bounds is not None:
        lo, hi = ind.bounds
        tol = 1e-9 * max(1.0, abs(hi))
        if not lo - tol <= value <= hi + tol:
            return out(
                "not_assessable",
                f"数据不一致：{_fmt(value, ind.unit)} 超出 [{lo:g}, {hi:g}]",
                f"inconsistent data: {_fmt(value, ind.unit)} outside [{lo:g}, {hi:g}]",
                value,
            )
    sign_ok = "≤" if ind.direction == "le" else "≥"
    if quality is not None and not quality.complete and options.on_incomplete == "not_assessable":
        return out(
            "not_assessable",
            f"数据完整率 {quality.completeness:.1%} 低于 {quality.threshold:.0%}（{quality.detail}）",
            f"data completeness {quality.completeness:.1%} is below {quality.threshold:.0%} "
            f"({quality.detail})",
            value,
        )
    if target is None:
        return out("not_assessable", f"无适用目标值：{tnote[0]}", f"no applicable target: {tnote[1]}",
                   value)  # fmt: skip
    if target.value is None:
        return out(
            "not_assessable",
            f"无目标值：文件规定了该目标，但其数值未从公开原文核实（可信度 {target.confidence}）",
            f"target value not available: {target.note or ''}",
            value,
        )
    ok = value <= target.value if ind.direction == "le" else value >= target.value
    sign = sign_ok if ok else (">" if ind.direction == "le" else "<")
    veto = "（否决项）" if ind.binding and not ok else ""
    shown, tval = _fmt(value, ind.unit), _fmt(target.value, ind.unit)
    return out(
        "meets" if ok else "fails",
        f"{shown} {sign} {tval}{veto}",
        f"{shown} {sign} {tval}{' — binding (veto)' if veto else ''}",
        value,
    )


def evaluate_profile(
    store: Store,
    profile: Profile,
    *,
    year: int,
    month: int | None = None,
    ytd: bool = False,
    enterprise_id: int | None = None,
    park_type: str | None = None,
    options: IndicatorOptions | None = None,
    park_id: int | None = None,
) -> ProfileEvaluation:
    """Evaluate ``profile`` for the park (``enterprise_id=None``) or one enterprise.

    ``park_type`` must be one of the profile's park types when it declares any (a profile
    without park types takes None). Options default to the park's stored options."""
    return compare_profiles(
        store,
        [profile],
        year=year,
        month=month,
        ytd=ytd,
        enterprise_id=enterprise_id,
        park_type=park_type,
        options=options,
        park_id=park_id,
    )[0]


def _type_for(profile: Profile, park_type: str | None) -> str | None:
    if not profile.park_types:
        return None
    if park_type is None:
        raise InvalidInput(
            f"profile {profile.id} distinguishes park types ({', '.join(profile.park_types)}): "
            "name the park's type (park option park_type, or --park-type)",
            field="park_type",
        )
    if park_type not in profile.park_types:
        raise InvalidInput(
            f"park type {park_type!r} is not one of profile {profile.id}'s: "
            f"{', '.join(profile.park_types)}",
            field="park_type",
        )
    return park_type


def compare_profiles(
    store: Store,
    profiles: Sequence[Profile],
    *,
    year: int,
    month: int | None = None,
    ytd: bool = False,
    enterprise_id: int | None = None,
    park_type: str | None = None,
    options: IndicatorOptions | None = None,
    park_id: int | None = None,
) -> list[ProfileEvaluation]:
    """Evaluate several profiles on the same data (the quantities are computed once)."""
    park_id = store.registry.park(park_id).id
    opts = options or IndicatorOptions.of(park_options.used(store, park_id=park_id))
    types = [_type_for(p, park_type) for p in profiles]
    lib = default_library()
    hook = default_accounting()
    ctx = _Context(
        store,
        enterprise_id=enterprise_id,
        options=opts,
        library=lib,
        limits=load_limits(opts.limits_file),
        accounting=hook,
        park_id=park_id,
    )
    src = QuantitySource(ctx)
    period = Period(year, month, ytd)
    if enterprise_id is None:
        core = src.computed("carbon_per_energy", period)
        if core.energy_tce is not None:
            energy_annual: float | None = core.energy_tce * period.annualisation()
        else:
            st = ctx.energy(period)
            energy_annual = st.total_tce * period.annualisation() if st.total_tce > 0 else None
    else:
        park_ctx = _Context(
            store,
            enterprise_id=None,
            options=opts,
            library=lib,
            limits=(),
            accounting=hook,
            park_id=park_id,
        )
        energy_annual = park_ctx.energy(period).total_tce * period.annualisation()
    scope = ctx.enterprises[enterprise_id].code if enterprise_id is not None else ctx.park.code
    out = []
    for profile, ptype in zip(profiles, types, strict=True):
        results = tuple(
            _judge_one(ind, src, period, park_type=ptype, energy_annual=energy_annual, options=opts)
            for ind in profile.indicators
        )
        out.append(
            ProfileEvaluation(profile, ptype, period, ctx.park.code, scope, energy_annual, results)
        )
    return out


def comparison_table(evaluations: Sequence[ProfileEvaluation], lang: str = "zh") -> dict[str, Any]:
    """Profiles side by side: one row per indicator id, one column per profile."""
    ids: list[str] = []
    for ev in evaluations:
        ids.extend(r.indicator.id for r in ev.results if r.indicator.id not in ids)
    rows = []
    for iid in ids:
        cells: dict[str, Any] = {}
        name = iid
        for ev in evaluations:
            try:
                r = ev.result(iid)
            except NotFound:
                cells[ev.profile.id] = None
                continue
            name = r.indicator.name_zh if lang == "zh" else r.indicator.name_en
            d = r.as_dict(lang)
            cells[ev.profile.id] = {
                k: d[k] for k in ("value", "unit", "target", "status", "reason", "definition")
            }
        rows.append({"id": iid, "name": name, "profiles": cells})
    return {
        "profiles": [ev.profile.brief() | {"park_type": ev.park_type} for ev in evaluations],
        "rows": rows,
    }


def quantity_catalogue(lang: str = "zh") -> list[dict[str, str]]:
    """Every quantity a definition may use, with its unit and where its data come from."""
    zh = lang == "zh"
    return [
        {
            "name": q.name,
            "unit": q.unit,
            "label": q.name_zh if zh else q.name_en,
            "input": q.input_zh if zh else q.input_en,
        }
        for q in QUANTITIES.values()
    ]


__all__ = [
    "ALL_TYPES",
    "ProfileEvaluation",
    "ProfileResult",
    "compare_profiles",
    "comparison_table",
    "evaluate_profile",
    "quantity_catalogue",
    "select_profile_target",
]
