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

Project CO2 e = combustion + process + grid electricity × (1 − green share) × the park's fossil
power factor (附件4: 0.8325 kgCO2/kWh for electricity not certified green, a rule parameter).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lingtan.compliance.reference import Catalogue, EfficiencyLevel
from lingtan.errors import InvalidInput

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
    water_m3: float | None = Field(default=None, ge=0)


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
) -> AdmissionReport:
    """Check ``project`` against ``rules`` with the park's current totals."""
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
        },
    )


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
