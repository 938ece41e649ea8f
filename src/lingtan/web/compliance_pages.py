"""The compliance pages (issue 19): the project-admission form (项目准入, park standard
8.3.1–8.3.3) with its report and the park's stored checks, and the products graded against the
limit standards and 标杆/基准 (7.9.3, 8.3.4).

The same service functions as ``/api/v1/compliance`` (:mod:`lingtan.compliance.service`, the
caller's principal): admission is the park's — an enterprise user sees a "park roles only"
notice (the API lists no check for it), its form is refused (403) and a check's download is
404, as for a check that does not exist. Every form carries the session's CSRF token.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Final

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError

from lingtan.api.overview import service as overview_service
from lingtan.compliance import admission as adm
from lingtan.compliance import audit as au
from lingtan.compliance import reference, service
from lingtan.compliance import water_quota as wq
from lingtan.compliance.grading import CLASS_NAMES, energy_source_text
from lingtan.errors import InvalidInput, NotFound, PermissionDenied
from lingtan.identity.roles import Permission, Principal, require, require_park_wide
from lingtan.indicators.limits import load_limits
from lingtan.store.compliance_repo import ComplianceRepo
from lingtan.web import session
from lingtan.web.records_pages import field_errors
from lingtan.web.routes import _cache, _page, _redirect, _render, _store, _zone

router = APIRouter(include_in_schema=False)

#: product rows of the form
PRODUCT_ROWS: Final = 3

#: the pages' own words (zh-CN, en)
TEXT: Final[dict[str, tuple[str, str]]] = {
    "admission": ("项目准入审查", "Project admission"),
    "intro": (
        "按产业结构调整指导目录、能效标杆水平和园区核心指标（单位能耗碳排放）审查拟入园项目（零碳园区 8.3.1–8.3.3）",
        "Checks a proposed project against the industry catalogue, the energy-efficiency "
        "benchmarks and the park's core indicator (tCO2/tce) (zero-carbon park 8.3.1–8.3.3)",
    ),
    "park_only": ("项目准入审查仅限园区角色", "Project admission is for park roles only"),
    "project": ("项目", "Project"),
    "name": ("项目名称", "Project name"),
    "investment_cny": ("投资额（元）", "Investment (CNY)"),
    "catalogue_entry": ("产业目录条目", "Catalogue entry"),
    "allowed": ("未列入（允许类）", "not listed (allowed)"),
    "energy_tce": ("年综合能耗 tce", "Annual energy, tce"),
    "electricity_kwh": ("年用电量 kWh", "Annual electricity, kWh"),
    "green_power_share": ("绿电占比（0–1）", "Green-power share (0–1)"),
    "combustion_tco2": ("化石燃料燃烧排放 tCO2", "Combustion CO2, t"),
    "process_tco2": ("工业过程排放 tCO2", "Process CO2, t"),
    "water_m3": ("年取水量 m³", "Annual water intake, m³"),
    "water_reused_m3": ("年重复利用水量 m³", "Annual water reused, m³"),
    "clean_energy_tce": (
        "年清洁能源消费量 tce（空 = 按绿电占比估算）",
        "Annual clean energy, tce (blank: from the green-power share)",
    ),
    "products": (
        "产品（设计单位产品能耗，按标杆记录的单位）",
        "Products (design unit energy, in the benchmark record's unit)",
    ),
    "product": ("产品", "Product"),
    "capacity": ("产能", "Capacity"),
    "unit_energy": ("设计单位产品能耗", "Design unit energy"),
    "rules": (
        "准入规则（核心指标阈值留空 = 园区目标值）",
        "Rules (threshold blank = the park's target)",
    ),
    "year": ("园区现状年份", "Park totals of year"),
    "core_max": ("核心指标阈值 tCO2/tce", "Core threshold, tCO2/tce"),
    "core_source": ("阈值依据", "Threshold source"),
    "no_worsening": ("项目强度不得高于园区现状", "Project intensity not above the park's"),
    "restricted": ("限制类", "Restricted class"),
    "refuse": ("不予准入", "refuse"),
    "review": ("需复核", "review"),
    "min_green_power_share": ("最低绿电占比（0–1）", "Minimum green-power share (0–1)"),
    "check": ("审查", "Check"),
    "report": ("审查结论", "Report"),
    "verdict": ("结论", "Verdict"),
    "criterion": ("准入条件", "Criterion"),
    "value": ("数值", "Value"),
    "rule": ("规则", "Rule"),
    "source": ("依据", "Source"),
    "note": ("说明", "Note"),
    "download": ("下载", "Download"),
    "stored": ("已审查项目", "Stored checks"),
    "when": ("时间", "When"),
    "by": ("审查人", "By"),
    "none": ("暂无记录", "None yet"),
    "errors": ("请更正以下错误", "Please correct the errors below"),
    "park_totals": ("园区现状：排放 {e} tCO2，能耗 {t} tce", "Park now: {e} tCO2, {t} tce"),
    "grading": ("产品能效对标", "Product energy grading"),
    "grading_intro": (
        "单位产品能耗对照能耗限额标准等级与能效标杆/基准水平（7.9.3、8.3.4）",
        "Product unit energy against the limit standards' grades and the benchmark/baseline "
        "levels (7.9.3, 8.3.4)",
    ),
    "enterprise": ("企业", "Enterprise"),
    "grade": ("限额等级", "Limit grade"),
    "meets": ("达到要求等级", "Meets the grade needed"),
    "efficiency": ("标杆/基准", "Benchmark/baseline"),
    "benchmark": ("标杆", "Benchmark"),
    "baseline": ("基准", "Baseline"),
    "output": ("产量", "Output"),
    "energy_source": ("能耗来源", "Energy source"),
    "coverage": ("覆盖率", "Coverage"),
    "assessed": ("已评价 {k}/{n} 种产品", "{k} of {n} products assessed"),
    "not_graded": ("未评价产品", "Products not graded"),
    "reason": ("原因", "Reason"),
    "month": ("月份", "Month"),
    "the_year": ("年份", "Year"),
    "show": ("显示", "Show"),
    "yes": ("是", "yes"),
    "encouraged": ("鼓励类", "encouraged"),
    "restricted_class": ("限制类", "restricted"),
    "eliminated": ("淘汰类", "eliminated"),
    "no": ("否", "no"),
    "water": (
        "单位产品取水量对照取水定额（7.9.7，GB/T 18916）",
        "Water intake per unit of product against the quota (7.9.7, GB/T 18916)",
    ),
    "water_category": (
        "定额类别：{c}（现有企业为默认）",
        "Quota category: {c} (existing enterprises by default)",
    ),
    "unit_intake": ("单位产品取水量", "Intake per unit"),
    "quota": ("取水定额", "Quota"),
    "margin": ("余量", "Margin"),
    "intake_source": ("取水来源", "Intake source"),
    "not_assessed": ("未评价", "not assessed"),
    "audit": ("能源审计工作簿（GB/T 17166）", "Energy-audit workbook (GB/T 17166)"),
}


def words(key: str, lang: str) -> str:
    """A word of these pages in ``lang``."""
    zh, en = TEXT[key]
    return zh if lang == "zh-CN" else en


_NUMBERS: Final = (
    "investment_cny", "energy_tce", "electricity_kwh", "green_power_share", "combustion_tco2",
    "process_tco2", "water_m3", "water_reused_m3", "clean_energy_tce",
)  # fmt: skip
_RULE_FIELDS: Final = ("core_max", "core_source", "restricted", "min_green_power_share")


def _project(form: dict[str, str]) -> tuple[dict[str, Any], list[int]]:
    """The project's plain data from the form (blank fields left out: the model says which
    are required) and, per product given, its row of the form."""
    data: dict[str, Any] = {}
    for key in ("name", "catalogue_entry", *_NUMBERS):
        if form.get(key, "").strip():
            data[key] = form[key].strip()
    products, rows = [], []
    for i in range(PRODUCT_ROWS):
        row = {k: form.get(f"p{i}_{k}", "").strip() for k in ("product", "capacity", "unit_energy")}
        if any(row.values()):
            products.append({k: v for k, v in row.items() if v})
            rows.append(i)
    if products:
        data["products"] = products
    return data, rows


def _errors(err: ValidationError, lang: str, rows: list[int] | None = None) -> dict[str, str]:
    """The model's errors by form field (the product given in row 1: products.0.capacity →
    p1_capacity), in ``lang``."""

    def name_of(loc: list[str]) -> str | None:
        if len(loc) >= 3 and loc[0] == "products" and rows and int(loc[1]) < len(rows):
            return f"p{rows[int(loc[1])]}_{loc[2]}"
        return None

    return field_errors(err, lang, name_of)


def _rules(
    request: Request, principal: Principal, form: dict[str, str], year: int
) -> dict[str, Any] | None:
    """The rules of the form: None (the park's default) when every field is at its default;
    otherwise the park's default rules overridden by the fields given."""
    given = {k: form.get(k, "").strip() for k in _RULE_FIELDS}
    no_worsening = form.get("no_worsening", "") == "true"
    if (
        not any(v for k, v in given.items() if k != "restricted")
        and no_worsening
        and (given["restricted"] in ("", "refuse"))
    ):
        return None
    rules: dict[str, Any] = {}
    if not given["core_max"]:
        store = _store(request)
        park_id = store.registry.park(principal.park_id).id
        rules = service.default_rules(store, park_id=park_id, year=year).model_dump()
    rules.update({k: v for k, v in given.items() if v})
    if given["core_max"] and not given["core_source"]:
        rules["core_source"] = "园区准入规则（页面录入）"
    rules["no_worsening"] = no_worsening
    return rules


def _view(
    request: Request,
    principal: Principal,
    lang: str,
    *,
    status_code: int = 200,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    report: adm.AdmissionReport | None = None,
    check_id: int | None = None,
) -> Response:
    w = lambda k: words(k, lang)  # noqa: E731
    if principal.enterprise_id is not None:
        return _render(request, "compliance_admission.html", lang, principal, status_code,
                       park_only=True, w=w)  # fmt: skip
    store = _store(request)
    this_year = dt.datetime.now(_zone(request, principal)).year
    levels = sorted(reference.efficiency_levels().values(), key=lambda lv: lv.product)
    return _render(
        request, "compliance_admission.html", lang, principal, status_code, park_only=False,
        w=w, form=form or {"year": str(this_year - 1), "no_worsening": "true"},
        errors=errors or {}, report=report, check_id=check_id, rows=PRODUCT_ROWS,
        catalogue=reference.catalogue(), levels=levels,
        checks=service.admissions(store, principal=principal),
        can_write=principal.can(Permission.WRITE),
        verdicts={k: v[0 if lang == "zh-CN" else 1] for k, v in adm.VERDICT_NAMES.items()},
    )  # fmt: skip


@router.get("/compliance/admission")
def admission_page(
    request: Request, check: Annotated[int | None, Query(ge=1, le=2**53)] = None
) -> Response:
    """The admission form, the chosen (or just made) check's report and the stored checks."""

    def build(principal: Principal, lang: str) -> Response:
        require(principal, Permission.READ)
        if check is None or principal.enterprise_id is not None:
            return _view(request, principal, lang)
        store = _store(request)
        park_id = store.registry.park(principal.park_id).id
        rec = ComplianceRepo(store).admission(park_id=park_id, check_id=check)
        return _view(
            request, principal, lang, report=adm.report_from_dict(rec.report), check_id=rec.id
        )

    return _page(request, build)


@router.post("/compliance/admission")
def admission_submit(
    request: Request,
    name: Annotated[str, Form(max_length=200)] = "",
    investment_cny: Annotated[str, Form(max_length=40)] = "",
    catalogue_entry: Annotated[str, Form(max_length=100)] = "",
    energy_tce: Annotated[str, Form(max_length=40)] = "",
    electricity_kwh: Annotated[str, Form(max_length=40)] = "",
    green_power_share: Annotated[str, Form(max_length=40)] = "",
    combustion_tco2: Annotated[str, Form(max_length=40)] = "",
    process_tco2: Annotated[str, Form(max_length=40)] = "",
    water_m3: Annotated[str, Form(max_length=40)] = "",
    water_reused_m3: Annotated[str, Form(max_length=40)] = "",
    clean_energy_tce: Annotated[str, Form(max_length=40)] = "",
    p0_product: Annotated[str, Form(max_length=100)] = "",
    p0_capacity: Annotated[str, Form(max_length=40)] = "",
    p0_unit_energy: Annotated[str, Form(max_length=40)] = "",
    p1_product: Annotated[str, Form(max_length=100)] = "",
    p1_capacity: Annotated[str, Form(max_length=40)] = "",
    p1_unit_energy: Annotated[str, Form(max_length=40)] = "",
    p2_product: Annotated[str, Form(max_length=100)] = "",
    p2_capacity: Annotated[str, Form(max_length=40)] = "",
    p2_unit_energy: Annotated[str, Form(max_length=40)] = "",
    year: Annotated[str, Form(max_length=10)] = "",
    core_max: Annotated[str, Form(max_length=40)] = "",
    core_source: Annotated[str, Form(max_length=200)] = "",
    no_worsening: Annotated[str, Form(max_length=10)] = "",
    restricted: Annotated[str, Form(max_length=10)] = "",
    min_green_power_share: Annotated[str, Form(max_length=40)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Check a project (write permission, park roles) with the API's service function; the
    check is stored and its report shown. Invalid input shows the form again with each error
    at its field (422)."""
    form = {k: v for k, v in locals().items() if isinstance(v, str) and k != "csrf"}

    def build(principal: Principal, lang: str) -> Response:
        if not session.csrf_ok(request, csrf):
            raise PermissionDenied("invalid form token")
        require(principal, Permission.WRITE)
        require_park_wide(principal, "project admission")
        errors: dict[str, str] = {}
        try:
            y = int(year.strip())
            if not 1990 <= y <= 2100:
                raise ValueError
        except ValueError:
            errors["year"] = "请输入 1990–2100 的年份" if lang == "zh-CN" else "a year 1990–2100"
            return _view(request, principal, lang, status_code=422, form=form, errors=errors)
        project, product_rows = _project(form)
        rules: dict[str, Any] | None = None
        try:
            adm.Project.model_validate(project)
        except ValidationError as err:
            errors = _errors(err, lang, product_rows)
        if not errors:
            try:
                rules = _rules(request, principal, form, y)
                if rules is not None:
                    adm.Rules.model_validate(rules)
            except ValidationError as err:
                errors = _errors(err, lang)
            except InvalidInput as err:
                errors = {err.field or "body": str(err)}
        if not errors:
            try:
                _, rec_id = service.check_admission(
                    _store(request), principal=principal, project=project, rules=rules, year=y
                )
            except InvalidInput as err:
                errors = {err.field or "body": str(err)}
            else:
                return _redirect(request, f"/compliance/admission?check={rec_id}")
        return _view(request, principal, lang, status_code=422, form=form, errors=errors)

    return _page(request, build)


@router.get("/compliance/admission/{check_id}/report.{fmt}")
def admission_download(request: Request, check_id: int, fmt: str) -> Response:
    """A stored check's report as Excel or HTML (park roles; otherwise 404 as for none)."""

    def build(principal: Principal, lang: str) -> Response:
        require(principal, Permission.READ)
        if principal.enterprise_id is not None or not 1 <= check_id <= 2**53:
            raise NotFound("admission check not found")
        if fmt not in ("xlsx", "html"):
            raise NotFound("report format not found")
        store = _store(request)
        park_id = store.registry.park(principal.park_id).id
        rec = ComplianceRepo(store).admission(park_id=park_id, check_id=check_id)
        report = adm.report_from_dict(rec.report)
        if fmt == "html":
            return Response(
                adm.report_html(report, lang), media_type="text/html; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="admission-{rec.id}.html"'},
            )  # fmt: skip
        return Response(
            adm.report_xlsx(report, lang),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="admission-{rec.id}.xlsx"'},
        )  # fmt: skip

    return _page(request, build)


def bilingual(text: str, lang: str) -> str:
    """One side of a "中文 / English" text (the indicator's reasons), by ``lang``."""
    zh, sep, en = str(text or "").partition(" / ")
    if not sep:
        return zh
    return zh if lang == "zh-CN" else en


@router.get("/compliance/audit.xlsx")
def audit_download(
    request: Request,
    year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
    month: Annotated[int | None, Query(ge=1, le=12)] = None,
) -> Response:
    """The energy-audit workbook of the caller's scope (an enterprise user's enterprise, a park
    role's whole park) for the year shown on the grading page."""

    def build(principal: Principal, lang: str) -> Response:
        require(principal, Permission.REPORTS)
        chosen = year or dt.datetime.now(_zone(request, principal)).year - 1
        a = service.audit_file(_store(request), principal=principal, year=chosen, month=month)
        name = f"audit-{chosen}" + (f"-{month:02d}" if month else "")
        return Response(
            au.workbook(a, lang="zh" if lang == "zh-CN" else "en"),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
        )

    return _page(request, build)


@router.get("/compliance")
def grading_page(
    request: Request,
    year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
    month: Annotated[int | None, Query(ge=1, le=12)] = None,
) -> Response:
    """The products of the caller's scope graded, with the indicator's coverage."""

    def build(principal: Principal, lang: str) -> Response:
        chosen = year or dt.datetime.now(_zone(request, principal)).year - 1
        store = _store(request)
        # the grading evaluates the product indicator over the year (0.15–0.4 s): through the
        # view cache, keyed by the caller's scope, recomputed when data or options move on
        require(principal, Permission.READ)
        key = ("compliance-grading", store.registry.park(principal.park_id).id,
               principal.tenant.enterprise_id, chosen, month)  # fmt: skip
        g = overview_service.cached(
            store, _cache(request), key,
            lambda: service.grading(store, principal=principal, year=chosen, month=month),
        )  # fmt: skip
        zh = lang == "zh-CN"
        names: dict[str, str] = {}
        standards: dict[str, str] = {}
        for lim in load_limits():
            names[lim.product] = lim.product_zh if zh else lim.product_en
            standards[lim.id] = lim.standard
        for lv in reference.efficiency_levels().values():
            names.setdefault(lv.product, lv.product_zh if zh else lv.product_en)
        for q in reference.water_quotas().values():
            names.setdefault(q.product, q.product_zh if zh else q.product_en)
            standards[q.id] = q.standard
        return _render(
            request, "compliance_grading.html", lang, principal, w=lambda k: words(k, lang),
            g=g, year=chosen, month=month, reason=g.indicator_reason[0 if zh else 1],
            classes={k: v[0 if zh else 1] for k, v in CLASS_NAMES.items()},
            verdicts={k: v[0 if zh else 1] for k, v in wq.VERDICT_NAMES.items()},
            categories={k: v[0 if zh else 1] for k, v in reference.WATER_CATEGORY_NAMES.items()},
            names=names, standards=standards, source=lambda s: energy_source_text(s, lang),
            half=lambda s: bilingual(s, lang), can_report=principal.can(Permission.REPORTS),
        )  # fmt: skip

    return _page(request, build)
