"""Project admission (项目准入, park standard 8.3.1–8.3.3), pure.

A proposed project (investment, products and capacity, expected energy, combustion and process
emissions, green-power share, water) is checked against the park's rules:

1. 产业结构调整指导目录 (8.3.1): the project's catalogue entry — eliminated (淘汰类) is refused,
   restricted (限制类) is refused or sent to review as the rules say; no entry = 允许类.
2. 能效标杆水平 (8.3.3): each product with a 723号 record must be designed at or better than 标杆
   (unit energy ≤ 标杆, inclusive as in :mod:`lingtan.compliance.grading`).
3. The park core indicator 单位能耗碳排放 [tCO2/tce] (910号 附件3) with the project added:
   (E + e) / (T + t) ≤ the park's threshold, computed from the park's current totals E, T.
4. Optionally, the project's own intensity e / t must not exceed the park's current E / T
   (8.3.2: admission improves the park's structure) and its green-power share must reach a
   minimum.
5. Each product with a limit record (单位产品能源消耗限额) must be designed within the level the
   park requires (7.9.3: 2级; the guiding indicator 园区企业产出产品单位能耗).
6. The guiding indicators the project's figures move (910号 附件3), before and after admission:
   清洁能源消费占比 (C + c) / (T + t) and 工业用水重复利用率 (R + r) / (R + r + I + i), by the
   same formulas as the indicators (:mod:`lingtan.indicators.formulas`). A guiding indicator is
   not a veto: a project that leaves it below its target and lower than before is sent to review
   (or refused, as the rules say); one that meets the target or does not lower it passes.

Project CO2 e = combustion + process + grid electricity × (1 − green share) × the park's fossil
power factor (附件4: 0.8325 kgCO2/kWh for electricity not certified green, a rule parameter).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lingtan.compliance.reference import Catalogue, EfficiencyLevel
from lingtan.errors import InvalidInput
from lingtan.indicators import formulas
from lingtan.indicators.limits import LimitRecord

Verdict = Literal["pass", "fail", "review", "not_applicable"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProjectProduct(_Strict):
    """A product of the project with its design unit energy."""

    product: str = Field(min_length=1)
    capacity: float = Field(gt=0)
    output_unit: str = "t"
    #: design unit energy, in the unit of the product's 标杆 record
    unit_energy: float | None = None
    unit: str | None = None


class Project(_Strict):
    """A proposed project (the file ``lingtan admission check`` reads)."""

    name: str = Field(min_length=1)
    investment_cny: float = Field(ge=0)
    catalogue_entry: str | None = None
    products: tuple[ProjectProduct, ...] = ()
    #: expected annual comprehensive energy consumption [tce]
    energy_tce: float = Field(gt=0)
    electricity_kwh: float = Field(ge=0)
    green_power_share: float = Field(ge=0, le=1)
    combustion_tco2: float = Field(ge=0)
    process_tco2: float = Field(ge=0)
    #: expected annual fresh-water intake (取水量) [m³]
    water_m3: float | None = Field(default=None, ge=0)
    #: expected annual water reused (重复利用水量) [m³]; none declared: 0
    water_reused_m3: float | None = Field(default=None, ge=0)
    #: expected annual clean energy consumed [tce]; none declared: the green power
    #: (electricity × green share) at the park's electricity coefficient
    clean_energy_tce: float | None = Field(default=None, ge=0)


class Rules(_Strict):
    """The park's admission rules (configurable by park and province)."""

    #: 单位能耗碳排放 the park must stay at or below [tCO2/tce]
    core_max: float = Field(gt=0)
    core_source: str = Field(min_length=1)
    no_worsening: bool = True
    restricted: Literal["refuse", "review"] = "refuse"
    require_benchmark: bool = True
    min_green_power_share: float | None = Field(default=None, ge=0, le=1)
    #: 附件4 fossil power factor for grid electricity not certified green [kgCO2/kWh]
    grid_factor_kg_per_kwh: float = Field(default=0.8325, gt=0)
    #: the limit level a product must be designed within (7.9.3: 2级)
    limit_level: int = Field(default=2, ge=1, le=5)
    #: a guiding indicator the project leaves below its target and lower than before
    guiding_worse: Literal["review", "refuse"] = "review"


def parse_project(data: Any, where: str = "project") -> Project:
    """A project from plain data (a YAML/JSON file or an API body); errors name the field."""
    try:
        return Project.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        loc = ".".join(str(x) for x in first["loc"])
        raise InvalidInput(f"{where}: {loc}: {first['msg']}", field=loc) from err


def parse_rules(data: Any, where: str = "rules") -> Rules:
    """Rules from plain data; errors name the field."""
    try:
        return Rules.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        loc = ".".join(str(x) for x in first["loc"])
        raise InvalidInput(f"{where}: {loc}: {first['msg']}", field=loc) from err


@dataclass(frozen=True, slots=True)
class GuidingNow:
    """A guiding indicator of the park now, as the indicator evaluation has it: 清洁能源消费占比
    from clean and total energy [tce], 工业用水重复利用率 from water reused and taken in [m³]
    (None: the evaluation has no such figure, with ``reason``), and the park's target."""

    indicator: Literal["clean_energy_share", "water_reuse"]
    part: float | None
    whole: float | None
    target: float | None = None
    target_source: str = ""
    #: why ``part`` or ``whole`` is None (Chinese, English)
    reason: tuple[str, str] = ("", "")


@dataclass(frozen=True, slots=True)
class Criterion:
    """One line of the admission report."""

    id: str
    name_zh: str
    name_en: str
    value: Any
    rule: str  # in Chinese, the report's default language
    source: str
    verdict: Verdict
    note: str = ""
    #: the rule and the note in English (a report stored before they existed has none: its
    #: Chinese text is shown instead)
    rule_en: str = ""
    note_en: str = ""

    def as_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "id": self.id,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "value": self.value,
            "rule": self.rule,
            "rule_en": self.rule_en,
            "source": self.source,
            "verdict": self.verdict,
            "note": self.note,
            "note_en": self.note_en,
        }

    def rule_in(self, lang: str) -> str:
        """The rule in ``lang`` (zh-CN or en)."""
        return self.rule if lang.startswith("zh") or not self.rule_en else self.rule_en

    def note_in(self, lang: str) -> str:
        """The note in ``lang`` (zh-CN or en)."""
        return self.note if lang.startswith("zh") or not self.note_en else self.note_en


@dataclass(frozen=True, slots=True)
class AdmissionReport:
    """The admission check: every criterion and the verdict."""

    project: Project
    rules: Rules
    park_emissions_tco2: float
    park_energy_tce: float
    criteria: tuple[Criterion, ...]
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def verdict(self) -> Literal["admit", "refuse", "review"]:
        """refuse if any criterion fails, review if any asks for it, admit otherwise."""
        verdicts = {c.verdict for c in self.criteria}
        if "fail" in verdicts:
            return "refuse"
        if "review" in verdicts:
            return "review"
        return "admit"

    def as_dict(self) -> dict[str, Any]:
        """Plain data (stored with the inputs for audit)."""
        return {
            "project": self.project.model_dump(),
            "rules": self.rules.model_dump(),
            "park_emissions_tco2": self.park_emissions_tco2,
            "park_energy_tce": self.park_energy_tce,
            "criteria": [c.as_dict() for c in self.criteria],
            "verdict": self.verdict,
            **dict(self.extra),
        }


def project_emissions(project: Project, rules: Rules) -> float:
    """e = combustion + process + electricity × (1 − green share) × factor [tCO2]."""
    grid = project.electricity_kwh * (1 - project.green_power_share)
    return (
        project.combustion_tco2 + project.process_tco2 + grid * rules.grid_factor_kg_per_kwh / 1000
    )


def check(
    project: Project,
    rules: Rules,
    *,
    park_emissions_tco2: float,
    park_energy_tce: float,
    catalogue: Catalogue,
    levels: Mapping[str, EfficiencyLevel],
    limits: Mapping[str, LimitRecord] | None = None,
    guiding: Sequence[GuidingNow] = (),
    electricity_tce_per_kwh: float | None = None,
) -> AdmissionReport:
    """Check ``project`` against ``rules`` with the park's current totals, its limit records by
    product, its guiding indicators now and the tce of a kWh by the park's conversion option
    (for the project's green power)."""
    if not park_energy_tce > 0:
        raise InvalidInput("the park's energy total must be > 0", field="park_energy_tce")
    out: list[Criterion] = []
    # 1. industry catalogue
    if project.catalogue_entry is None:
        out.append(Criterion(
            "catalogue", "产业结构调整指导目录", "industry catalogue", "允许类（未列入）",
            "淘汰类不得准入；限制类按园区规则", catalogue.document, "pass",
            "未指定目录条目：按允许类",
            rule_en="eliminated: refused; restricted: as the park's rules say",
            note_en="no catalogue entry named: allowed (允许类)",
        ))  # fmt: skip
    else:
        entry = catalogue.entry(project.catalogue_entry)
        verdict: Verdict = "pass"
        if entry.cls == "eliminated":
            verdict = "fail"
        elif entry.cls == "restricted":
            verdict = "fail" if rules.restricted == "refuse" else "review"
        restricted_zh = "不予准入" if rules.restricted == "refuse" else "复核"
        out.append(Criterion(
            "catalogue", "产业结构调整指导目录", "industry catalogue",
            f"{CATALOGUE_CLASS_ZH[entry.cls]}（{entry.cls}）: {entry.text}",
            f"淘汰类 → 不予准入；限制类 → {restricted_zh}",
            f"{catalogue.document} ({catalogue.confidence}, {entry.id})", verdict,
            rule_en=f"eliminated → refuse; restricted → {rules.restricted}",
        ))  # fmt: skip
    # 2. 标杆 for energy-intensive products (8.3.3)
    for p in project.products:
        lvl = levels.get(p.product)
        if lvl is None:
            out.append(Criterion(
                f"benchmark.{p.product}", "能效标杆水平", "energy-efficiency benchmark", None,
                "该产品无能效标杆水平记录", "发改产业〔2023〕723号", "not_applicable",
                rule_en="no 标杆 record for this product",
            ))  # fmt: skip
            continue
        if p.unit_energy is None or (p.unit is not None and p.unit != lvl.unit):
            out.append(Criterion(
                f"benchmark.{p.product}", "能效标杆水平", "energy-efficiency benchmark", None,
                f"须给出以 {lvl.unit} 计的设计单位产品能耗", lvl.id,
                "fail" if rules.require_benchmark else "review",
                "设计单位产品能耗缺失或单位不符",
                rule_en=f"design unit energy in {lvl.unit} required",
                note_en="design unit energy missing or in another unit",
            ))  # fmt: skip
            continue
        ok = p.unit_energy <= lvl.benchmark
        out.append(Criterion(
            f"benchmark.{p.product}", f"{lvl.product_zh}能效标杆水平",
            f"{lvl.product_en} benchmark", p.unit_energy, f"≤ 标杆 {lvl.benchmark:g} {lvl.unit}",
            f"{lvl.document} {lvl.edition} ({lvl.confidence})",
            "pass" if ok else ("fail" if rules.require_benchmark else "review"),
            rule_en=f"≤ benchmark (标杆) {lvl.benchmark:g} {lvl.unit}",
        ))  # fmt: skip
    # 3. the park core indicator with the project
    e = project_emissions(project, rules)
    before = park_emissions_tco2 / park_energy_tce
    after = (park_emissions_tco2 + e) / (park_energy_tce + project.energy_tce)
    out.append(Criterion(
        "core_after", "准入后园区单位能耗碳排放", "park tCO2/tce with the project", after,
        f"≤ {rules.core_max:g} tCO2/tce", rules.core_source,
        "pass" if after <= rules.core_max else "fail",
        f"({park_emissions_tco2:g} + {e:g}) / ({park_energy_tce:g} + {project.energy_tce:g})；"
        f"准入前 {before:.4f}",
        note_en=f"({park_emissions_tco2:g} + {e:g}) / ({park_energy_tce:g} + "
        f"{project.energy_tce:g}); before {before:.4f}",
    ))  # fmt: skip
    own = e / project.energy_tce
    if rules.no_worsening:
        out.append(Criterion(
            "no_worsening", "项目单位能耗碳排放不高于园区现状", "project intensity ≤ park's",
            own, f"≤ {before:.4f} tCO2/tce（园区现状）", "园区准入规则 (8.3.2)",
            "pass" if own <= before else "fail",
            rule_en=f"≤ {before:.4f} tCO2/tce (park now)",
        ))  # fmt: skip
    if rules.min_green_power_share is not None:
        out.append(Criterion(
            "green_power", "绿电占比", "green power share", project.green_power_share,
            f"≥ {rules.min_green_power_share:.0%}", "园区准入规则",
            "pass" if project.green_power_share >= rules.min_green_power_share else "fail",
        ))  # fmt: skip
    # 5. the limit level of each product (7.9.3), when the limit records are given
    if limits is not None:
        out += [_limit_level(p, limits.get(p.product), rules) for p in project.products]
    # 6. the guiding indicators with the project
    impact: dict[str, Any] = {}
    for g in guiding:
        criterion, figures = _guiding(g, project, park_energy_tce, electricity_tce_per_kwh, rules)
        out.append(criterion)
        impact[g.indicator] = figures
    return AdmissionReport(
        project=project,
        rules=rules,
        park_emissions_tco2=park_emissions_tco2,
        park_energy_tce=park_energy_tce,
        criteria=tuple(out),
        extra={
            "project_emissions_tco2": e,
            "project_intensity": own,
            "core_before": before,
            "core_after": after,
            "guiding": impact,
        },
    )


def _limit_level(p: ProjectProduct, limit: LimitRecord | None, rules: Rules) -> Criterion:
    """The product's design unit energy against the limit record's level the park requires."""
    cid = f"limit.{p.product}"
    if limit is None:
        return Criterion(
            cid, "单位产品能耗限额", "product energy limit", None, "该产品无能耗限额标准记录",
            "7.9.3", "not_applicable", rule_en="no limit record for this product",
        )  # fmt: skip
    need = limit.levels.get(rules.limit_level)
    if need is None or p.unit_energy is None or (p.unit or limit.unit) != limit.unit:
        return Criterion(
            cid, f"{limit.product_zh}单位产品能耗限额", f"{limit.product_en} energy limit", None,
            f"须给出以 {limit.unit} 计的设计单位产品能耗（限额 {rules.limit_level} 级）",
            f"{limit.standard} {limit.table}", "review",
            "设计单位产品能耗缺失、单位不符或限额记录无该级数值",
            rule_en=f"design unit energy in {limit.unit} required (limit grade "
            f"{rules.limit_level})",
            note_en="design unit energy missing, in another unit, or the grade not in the record",
        )  # fmt: skip
    ok = p.unit_energy <= need  # inclusive, as lingtan.compliance.grading.limit_level
    return Criterion(
        cid, f"{limit.product_zh}单位产品能耗限额", f"{limit.product_en} energy limit",
        p.unit_energy, f"≤ {rules.limit_level} 级 {need:g} {limit.unit}",
        f"{limit.standard} {limit.table} ({limit.confidence})", "pass" if ok else "fail",
        rule_en=f"≤ grade {rules.limit_level} {need:g} {limit.unit}",
    )  # fmt: skip


#: the guiding indicators an admission moves: names, and the project's figure in the note
_GUIDING_NAMES: dict[str, tuple[str, str]] = {
    "clean_energy_share": (
        "准入后园区清洁能源消费占比",
        "park clean-energy share with the project",
    ),
    "water_reuse": ("准入后园区工业用水重复利用率", "park water reuse rate with the project"),
}


def _guiding(
    g: GuidingNow,
    project: Project,
    park_energy_tce: float,
    electricity_tce_per_kwh: float | None,
    rules: Rules,
) -> tuple[Criterion, dict[str, Any]]:
    """One guiding indicator before and after the project, and its criterion."""
    name_zh, name_en = _GUIDING_NAMES[g.indicator]
    cid = f"guiding.{g.indicator}"
    source = g.target_source or "发改环资〔2025〕910号 附件3"
    if g.indicator == "clean_energy_share":
        clean = project.clean_energy_tce
        if clean is None and electricity_tce_per_kwh is not None:
            clean = project.electricity_kwh * project.green_power_share * electricity_tce_per_kwh
        whole = park_energy_tce if g.whole is None else g.whole
        if g.part is None or clean is None or not whole + project.energy_tce > 0:
            return _no_guiding(
                cid, name_zh, name_en, source, g.reason if g.reason[0] else _NO_FIGURES
            )
        before = formulas.clean_energy_share(g.part, whole) if whole > 0 else None
        after = formulas.clean_energy_share(g.part + clean, whole + project.energy_tce)
        note = (f"({g.part:g} + {clean:g}) / ({whole:g} + {project.energy_tce:g}) tce",
                f"({g.part:g} + {clean:g}) / ({whole:g} + {project.energy_tce:g}) tce")  # fmt: skip
        figures = {"project_clean_tce": clean}
    else:
        if project.water_m3 is None:
            why = ("项目未申报取水量", "the project declares no water intake")
            return _no_guiding(cid, name_zh, name_en, source, why)
        if g.part is None or g.whole is None:
            return _no_guiding(
                cid, name_zh, name_en, source, g.reason if g.reason[0] else _NO_FIGURES
            )
        reused = project.water_reused_m3 or 0.0
        before = formulas.water_reuse_rate(g.part, g.whole) if g.part + g.whole > 0 else None
        after = formulas.water_reuse_rate(g.part + reused, g.whole + project.water_m3)
        note = (
            f"({g.part:g} + {reused:g}) / ({g.part:g} + {reused:g} + {g.whole:g} + "
            f"{project.water_m3:g}) m³",
        ) * 2
        figures = {"project_reused_m3": reused, "project_intake_m3": project.water_m3}
    meets = g.target is not None and after >= g.target
    kept = before is not None and after >= before
    verdict: Verdict = "pass" if meets or kept else (
        "review" if rules.guiding_worse == "review" else "fail")  # fmt: skip
    target_zh = f"目标 ≥ {g.target:.1%}" if g.target is not None else "无目标值"
    target_en = f"target ≥ {g.target:.1%}" if g.target is not None else "no target"
    before_text = "—" if before is None else f"{before:.4f}"
    return (
        Criterion(
            cid, name_zh, name_en, after,
            f"{target_zh}；未达目标时不得低于准入前（引导性指标）", source, verdict,
            f"{note[0]}；准入前 {before_text}",
            rule_en=f"{target_en}; below it, not lower than before (a guiding indicator)",
            note_en=f"{note[1]}; before {before_text}",
        ),
        {**figures, "before": before, "after": after, "target": g.target},
    )  # fmt: skip


_NO_FIGURES = ("园区现状无该指标数据", "the park has no figures for this indicator")


def _no_guiding(
    cid: str, name_zh: str, name_en: str, source: str, why: tuple[str, str]
) -> tuple[Criterion, dict[str, Any]]:
    """A guiding indicator the check cannot move: not applicable, with the reason."""
    return (
        Criterion(
            cid, name_zh, name_en, None, "园区现状或项目数据不足，不评价", source,
            "not_applicable", why[0], rule_en="park or project figures missing: not assessed",
            note_en=why[1],
        ),
        {"reason": why[1]},
    )  # fmt: skip


def report_from_dict(data: Mapping[str, Any]) -> AdmissionReport:
    """A stored report (:meth:`AdmissionReport.as_dict`) back as a report, as it was computed
    (nothing is recomputed: the criteria are the stored ones)."""
    known = {"project", "rules", "park_emissions_tco2", "park_energy_tce", "criteria", "verdict"}
    try:
        return AdmissionReport(
            project=Project.model_validate(data["project"]),
            rules=Rules.model_validate(data["rules"]),
            park_emissions_tco2=float(data["park_emissions_tco2"]),
            park_energy_tce=float(data["park_energy_tce"]),
            criteria=tuple(Criterion(**c) for c in data["criteria"]),
            extra={k: v for k, v in data.items() if k not in known},
        )
    except (KeyError, TypeError, ValueError) as err:
        raise InvalidInput(f"stored admission report: {err}", field="report") from err


#: the catalogue's classes in Chinese (产业结构调整指导目录: 鼓励类, 限制类, 淘汰类)
CATALOGUE_CLASS_ZH: dict[str, str] = {
    "encouraged": "鼓励类",
    "restricted": "限制类",
    "eliminated": "淘汰类",
}

VERDICT_NAMES: dict[str, tuple[str, str]] = {
    "admit": ("准予准入", "admit"),
    "refuse": ("不予准入", "refuse"),
    "review": ("需复核", "review"),
    "pass": ("符合", "pass"),
    "fail": ("不符合", "fail"),
    "not_applicable": ("不适用", "not applicable"),
}


def _rows(report: AdmissionReport, lang: str) -> list[list[Any]]:
    i = 0 if lang.startswith("zh") else 1
    return [
        [
            c.name_zh if i == 0 else c.name_en,
            c.value,
            c.rule_in(lang),
            c.source,
            VERDICT_NAMES[c.verdict][i],
            c.note_in(lang),
        ]
        for c in report.criteria
    ]


def report_html(report: AdmissionReport, lang: str = "zh-CN") -> str:
    """The report as a standalone HTML page (zh-CN by default)."""
    from html import escape

    zh = lang.startswith("zh")
    head = ["准入条件", "数值", "规则", "依据", "结论", "说明"] if zh else [
        "criterion", "value", "rule", "source", "verdict", "note"]  # fmt: skip
    cells = "".join(
        "<tr>" + "".join(f"<td>{escape('' if v is None else str(v))}</td>" for v in row) + "</tr>"
        for row in _rows(report, lang)
    )
    verdict = VERDICT_NAMES[report.verdict][0 if zh else 1]
    title = f"{report.project.name} — {'项目准入审查' if zh else 'project admission check'}"
    return (
        f'<!doctype html><html lang="{"zh-CN" if zh else "en"}"><meta charset="utf-8">'
        f"<title>{escape(title)}</title><h1>{escape(title)}</h1>"
        f"<p>{'结论' if zh else 'Verdict'}: <strong>{escape(verdict)}</strong></p>"
        f"<table border=1><tr>{''.join(f'<th>{h}</th>' for h in head)}</tr>{cells}</table>"
    )


def report_xlsx(report: AdmissionReport, lang: str = "zh-CN") -> bytes:
    """The report as a workbook (openpyxl)."""
    import io

    from openpyxl import Workbook

    zh = lang.startswith("zh")
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "准入审查" if zh else "admission"
    ws.append([report.project.name, VERDICT_NAMES[report.verdict][0 if zh else 1]])
    ws.append(["准入条件", "数值", "规则", "依据", "结论", "说明"] if zh else
              ["criterion", "value", "rule", "source", "verdict", "note"])  # fmt: skip
    for row in _rows(report, lang):
        ws.append(["" if v is None else v for v in row])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
