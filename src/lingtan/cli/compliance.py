"""``lingtan compliance`` (limit levels, 标杆/基准, grading, backward list, water balance, EnPI
baseline, audit workbook) and ``lingtan admission`` (project admission checks) — the services
of :mod:`lingtan.compliance`, run as the system (the park administrator) on the local store."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.table import Table

from lingtan.cli._common import ParkOption, console, domain_errors, park_of
from lingtan.cli.data import open_configured
from lingtan.errors import InvalidInput, NotFound

compliance_app = typer.Typer(
    help="Energy limits, 标杆/基准 and efficiency compliance (能耗限额、能效标杆/基准、落后产能).",
    no_args_is_help=True,
)
admission_app = typer.Typer(
    help="Project admission checks (项目准入审查, 8.3.1–8.3.3).", no_args_is_help=True
)
EnterpriseOpt = Annotated[str | None, typer.Option("--enterprise", help="enterprise code")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]
LevelsOpt = Annotated[
    Path | None,
    typer.Option(
        "--levels", help="the park's own 标杆/基准 file (format of efficiency_levels.yaml)"
    ),
]
QuotasOpt = Annotated[
    Path | None,
    typer.Option(
        "--water-quotas", help="the park's own 取水定额 file (format of water_quotas.yaml)"
    ),
]
WaterCategoryOpt = Annotated[
    str,
    typer.Option(
        "--water-category",
        help="quota category: existing (现有企业, default), new (新建/改建/扩建) or leading",
    ),
]


def _principal(store: Any, park: str | None) -> Any:
    from lingtan.identity.roles import SYSTEM

    return dataclasses.replace(SYSTEM, park_id=park_of(store, park).id)


def _enterprise_id(store: Any, park: str | None, code: str | None) -> int | None:
    if code is None:
        return None
    for e in store.registry.enterprises(park_of(store, park).id):
        if e.code == code:
            return int(e.id)
    raise InvalidInput(f"--enterprise: unknown enterprise {code!r}", field="enterprise")


def _load(path: Path) -> Any:
    if not path.is_file():
        raise NotFound(f"{path} not found")
    try:
        return yaml.safe_load(path.read_text("utf-8"))
    except yaml.YAMLError as err:
        raise InvalidInput(f"{path.name}: not YAML/JSON: {err}", field=str(path)) from err


def _dump(data: Any) -> None:
    console.print_json(json.dumps(data, ensure_ascii=False, default=str))


def levels(as_json: JsonOpt = False, levels_file: LevelsOpt = None,
           quotas_file: QuotasOpt = None) -> None:  # fmt: skip
    """The 标杆/基准 records, the limit-standard records and the 取水定额 records with edition
    and confidence."""
    from lingtan.compliance.reference import efficiency_levels, water_quotas
    from lingtan.indicators.limits import load_limits

    with domain_errors():
        lv, lim = efficiency_levels(levels_file), load_limits()
        wq = {r.id: r for r in water_quotas(quotas_file).values()}
        if as_json:
            _dump({"efficiency_levels": [r.model_dump() for r in lv.values()],
                   "limits": [r.model_dump() for r in lim],
                   "water_quotas": [r.model_dump() for r in wq.values()]})  # fmt: skip
            return
        t = Table("产品", "文件", "版本", "标杆", "基准", "单位", "可信度")
        for r in lv.values():
            t.add_row(r.product_zh, r.document, r.edition, f"{r.benchmark:g}",
                      f"{r.baseline:g}", r.unit, r.confidence)  # fmt: skip
        console.print(t)
        t = Table("产品", "标准", "版本", "1级", "2级", "3级", "单位", "可信度")
        for m in lim:
            t.add_row(m.product_zh, m.standard, m.edition or "", *[
                f"{m.levels[k]:g}" if k in m.levels else "—" for k in (1, 2, 3)
            ], m.unit, m.confidence)  # fmt: skip
        console.print(t)
        t = Table("产品", "标准", "版本", "现有企业", "新建企业", "单位", "可信度")
        for w in wq.values():
            t.add_row(w.product_zh, w.standard, w.edition or "—", *[
                f"{w.values[k]:g}" if k in w.values else "—"
                for k in ("existing", "new")
            ], w.unit, w.confidence)  # fmt: skip
        console.print(t)


def grading(
    year: Annotated[int, typer.Argument(help="year")],
    month: Annotated[int | None, typer.Option("--month")] = None,
    enterprise: EnterpriseOpt = None,
    levels_file: LevelsOpt = None,
    water_category: WaterCategoryOpt = "existing",
    quotas_file: QuotasOpt = None,
    as_json: JsonOpt = False,
    park: ParkOption = None,
) -> None:
    """Products graded against the limit levels and 标杆/基准, with the coverage, and their
    water intake per unit against the 取水定额 (GB/T 18916)."""
    from lingtan.compliance import service
    from lingtan.compliance import water_quota as wq
    from lingtan.compliance.grading import CLASS_NAMES

    with domain_errors(), open_configured() as store:
        g = service.grading(store, principal=_principal(store, park), year=year, month=month,
                            enterprise_id=_enterprise_id(store, park, enterprise),
                            levels_file=levels_file, water_category=water_category,
                            quotas_file=quotas_file)  # fmt: skip
        if as_json:
            _dump(g.as_dict())
            return
        t = Table("企业", "产品", "单位产品能耗", "单位", "限额等级", "标杆", "基准", "能效水平",
                  "能耗来源 source")  # fmt: skip
        for x in g.grades:
            t.add_row(x.enterprise, x.product, f"{x.value:.4g}", x.unit,
                      "—" if x.level is None else str(x.level),
                      "" if x.benchmark is None else f"{x.benchmark:g}",
                      "" if x.baseline is None else f"{x.baseline:g}",
                      "" if x.efficiency is None else CLASS_NAMES[x.efficiency][0],
                      x.energy_source)  # fmt: skip
        console.print(t)
        c = g.coverage
        console.print(f"覆盖率 coverage: {c['products_assessed']}/{c['products_present']} "
                      f"(min {c['coverage_min']:.0%}) — {g.indicator_reason[0]}")  # fmt: skip
        if g.water is None:
            return
        t = Table("企业", "产品", "单位产品取水量", "取水定额", "单位", "类别", "结论", "余量",
                  "取水来源 source")  # fmt: skip
        for r in g.water.results:
            t.add_row(r.enterprise, r.product, f"{r.value:.4g}", f"{r.quota:g}", r.unit,
                      r.category, wq.VERDICT_NAMES[r.verdict][0], f"{r.margin:+.4g}",
                      r.intake_source)  # fmt: skip
        for n in g.water.not_assessed:
            t.add_row(n["enterprise"], n["product"], "", "", "", water_category, "未评价",
                      "", n["reason"])  # fmt: skip
        console.print(t)


def backward(
    year: Annotated[int, typer.Argument(help="year")],
    deadline: Annotated[int | None, typer.Option("--policy-year", help="deadline year")] = None,
    levels_file: LevelsOpt = None,
    as_json: JsonOpt = False,
    park: ParkOption = None,
) -> None:
    """The backward-capacity list (8.3.4): lines below 基准, ranked by gap × output."""
    from lingtan.compliance import service

    with domain_errors(), open_configured() as store:
        out = service.backward(store, principal=_principal(store, park), year=year,
                               deadline_year=deadline, levels_file=levels_file)  # fmt: skip
        if as_json:
            _dump([e.as_dict() for e in out])
            return
        t = Table("排名", "企业", "产品", "单位产品能耗", "基准", "差距", "差距×产量", "期限")
        for e in out:
            t.add_row(str(e.rank), e.grade.enterprise, e.grade.product, f"{e.grade.value:.4g}",
                      f"{e.grade.baseline:g}", f"{e.gap:.4g}", f"{e.excess:.4g}",
                      str(e.deadline_year))  # fmt: skip
        console.print(t)


def water_balance(
    file: Annotated[
        Path,
        typer.Argument(help="YAML: intake_m3, leakage_m3, units[]; with --year: leakage_m3, tests"),
    ],
    out: Annotated[Path | None, typer.Option("--out", help="write the .xlsx workbook")] = None,
    enterprise: EnterpriseOpt = None,
    year: Annotated[int | None, typer.Option("--year", help="read the metering tree")] = None,
    month: Annotated[int | None, typer.Option("--month")] = None,
    park: ParkOption = None,
) -> None:
    """A GB/T 12452 water-balance test: from a file of the 用水单元 volumes, or (with --year and
    --enterprise) from the enterprise's water metering tree plus the test's measured volumes
    (``tests: {POINT: {consumed_m3, discharged_m3, reused_m3}}``, ``leakage_m3``)."""
    from lingtan.compliance import water_balance as wb

    with domain_errors():
        data = _load(file)
        if not isinstance(data, dict):
            raise InvalidInput(f"{file.name}: a mapping expected", field="file")
        tolerance = float(data.get("tolerance", wb.DEFAULT_TOLERANCE))
        if year is not None:
            from lingtan.compliance import service

            with open_configured() as store:
                b = service.water_balance(
                    store, principal=_principal(store, park),
                    enterprise_id=_enterprise_id(store, park, enterprise), year=year,
                    month=month, tests=data.get("tests") or {},
                    leakage_m3=float(data.get("leakage_m3", 0)), tolerance=tolerance,
                )  # fmt: skip
        else:
            try:
                units = [wb.WaterUnit(**u) for u in data.get("units", [])]
            except TypeError as err:
                raise InvalidInput(f"{file.name}: units: {err}", field="units") from None
            b = wb.balance(intake_m3=float(data.get("intake_m3", 0)),
                           leakage_m3=float(data.get("leakage_m3", 0)), units=units,
                           tolerance=tolerance)  # fmt: skip
        _dump(b.as_dict())
        if out is not None:
            period = (
                f"{year}-{month:02d}" if year and month else str(year or data.get("period", ""))
            )
            out.write_bytes(wb.workbook(b, title=str(enterprise or data.get("title", file.stem)),
                                        period=period))  # fmt: skip
            console.print(f"wrote {out}")


def enpi(
    file: Annotated[Path, typer.Argument(help="YAML: energy: [...], drivers: {name: [...]}")],
) -> None:
    """An energy baseline by regression on drivers (GB/T 23331, GB/T 36713)."""
    from lingtan.compliance.enpi import fit_baseline

    with domain_errors():
        data = _load(file)
        if not isinstance(data, dict) or "energy" not in data or "drivers" not in data:
            raise InvalidInput(f"{file.name}: needs energy and drivers", field="file")
        _dump(fit_baseline(data["energy"], data["drivers"]).as_dict())


def audit(
    file: Annotated[
        Path | None,
        typer.Argument(
            help="an audit YAML (carriers, products, savings); without it, --year "
            "builds the audit from the store"
        ),
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="the .xlsx to write")] = None,
    year: Annotated[int | None, typer.Option("--year", help="year, from the store")] = None,
    month: Annotated[int | None, typer.Option("--month")] = None,
    enterprise: EnterpriseOpt = None,
    levels_file: LevelsOpt = None,
    lang: Annotated[str, typer.Option("--lang", help="zh (default) or en")] = "zh",
    as_json: JsonOpt = False,
    park: ParkOption = None,
) -> None:
    """The GB/T 17166 energy-audit workbook of an enterprise (or the park) and period: from an
    audit file, or from the store's metered energy, graded products and energy-plan measures."""
    from lingtan.compliance import audit as au
    from lingtan.compliance import service

    with domain_errors():
        if (file is None) == (year is None):
            raise InvalidInput("give an audit FILE or --year (the audit from the store)",
                               field="year")  # fmt: skip
        if out is None and not as_json:
            raise InvalidInput("give --out x.xlsx or --json", field="out")
        if file is not None:
            a = au.parse_audit(_load(file))
        else:
            assert year is not None
            with open_configured() as store:
                a = service.audit_file(
                    store, principal=_principal(store, park), year=year, month=month,
                    enterprise_id=_enterprise_id(store, park, enterprise),
                    levels_file=levels_file,
                )  # fmt: skip
        if as_json:
            _dump({**a.model_dump(mode="json", exclude={"products"}),
                   **au.summary(a, levels_file=levels_file)})  # fmt: skip
        if out is not None:
            out.write_bytes(au.workbook(a, levels_file=levels_file, lang=lang))
            console.print(f"wrote {out}")


def check(
    file: Annotated[Path, typer.Argument(help="the project file (YAML or JSON)")],
    year: Annotated[int, typer.Option("--year", help="year of the park's current totals")],
    rules: Annotated[Path | None, typer.Option("--rules", help="the park's rules file")] = None,
    catalogue: Annotated[Path | None, typer.Option("--catalogue")] = None,
    levels_file: LevelsOpt = None,
    out: Annotated[Path | None, typer.Option("--out", help=".xlsx or .html report")] = None,
    no_store: Annotated[bool, typer.Option("--no-store", help="do not store the check")] = False,
    lang: Annotated[str, typer.Option("--lang")] = "zh-CN",
    as_json: JsonOpt = False,
    park: ParkOption = None,
) -> None:
    """Check a proposed project against the park's admission rules."""
    from lingtan.compliance import admission as adm
    from lingtan.compliance import service

    with domain_errors(), open_configured() as store:
        report, rec_id = service.check_admission(
            store, principal=_principal(store, park), project=_load(file),
            rules=None if rules is None else _load(rules), year=year,
            catalogue_file=catalogue, levels_file=levels_file, store_it=not no_store,
        )  # fmt: skip
        if as_json:
            _dump({"id": rec_id, **report.as_dict()})
        else:
            t = Table("准入条件", "数值", "规则", "依据", "结论")
            for row in adm._rows(report, lang):
                t.add_row(*["" if v is None else str(v) for v in row[:5]])
            console.print(t)
            console.print(f"结论 verdict: {adm.VERDICT_NAMES[report.verdict][0]} ({report.verdict})"
                          + ("" if rec_id is None else f"; stored as check {rec_id}"))  # fmt: skip
        if out is not None:
            if out.suffix == ".html":
                out.write_text(adm.report_html(report, lang), "utf-8")
            else:
                out.write_bytes(adm.report_xlsx(report, lang))
            console.print(f"wrote {out}")


def checks(park: ParkOption = None) -> None:
    """The park's stored admission checks."""
    from lingtan.compliance import service

    with domain_errors(), open_configured() as store:
        t = Table("编号", "项目", "年份", "结论", "审查人")
        for r in service.admissions(store, principal=_principal(store, park)):
            t.add_row(str(r.id), r.project_name, str(r.year), r.verdict, r.created_by)
        console.print(t)


def register(app: typer.Typer) -> None:
    """Add ``lingtan compliance`` and ``lingtan admission``."""
    compliance_app.command("levels")(levels)
    compliance_app.command("grading")(grading)
    compliance_app.command("backward")(backward)
    compliance_app.command("water-balance")(water_balance)
    compliance_app.command("enpi")(enpi)
    compliance_app.command("audit")(audit)
    admission_app.command("check")(check)
    admission_app.command("list")(checks)
    app.add_typer(compliance_app, name="compliance")
    app.add_typer(admission_app, name="admission")
