"""``lingtan indicators``: the 1 + 5 indicators against targets; ``lingtan records``: statistics.

``lingtan indicators --year 2025 [--json]`` evaluates the core indicator 单位能耗碳排放 and the
five guiding indicators for the park (or ``--enterprise``), for a year, a month or year-to-date,
prints value, target, status with the reason, and the options behind them; ``--json`` prints the
evaluation object (its ``indicators`` list carries id, name_zh, value, unit, target, status,
reason, options and evidence). ``--rank`` ranks the enterprises by the core indicator.

``lingtan records import|list|add|correct|history`` manages the non-metered statistics records
(solid waste, waste heat, water, product output) the guiding indicators need; ``lingtan records
from-meters --year Y [--month M]`` makes the product-output records of production counters.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from lingtan.cli._common import (
    ParkOption,
    console,
    domain_errors,
    overrides,
    park_of,
    settings,
    wording,
)
from lingtan.errors import InvalidInput, NotFound
from lingtan.indicators import output_meters
from lingtan.indicators import records as rec
from lingtan.store import Store, open_store
from lingtan.store.records_repo import StatRecord
from lingtan.timeutil import from_us

records_app = typer.Typer(
    help="非计量统计数据（固废、余热、用水、产品产量）— non-metered statistics records.",
    no_args_is_help=True,
)


def enterprise_id_of(store: Store, ref: str, park_id: int | None = None) -> int:
    """An enterprise id from its code (``E01``) or its numeric id."""
    park = store.registry.park(park_id)
    enterprises = store.registry.enterprises(park.id)
    for e in enterprises:
        if e.code == ref:
            return e.id
    if ref.isdigit() and any(e.id == int(ref) for e in enterprises):
        return int(ref)
    raise NotFound(f"no enterprise {ref!r} in park {park.code}")


def _shown(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    return f"{value * 100:.2f} %" if unit == "1" else f"{value:.4f} {unit}"


def indicators_command(
    year: Annotated[int, typer.Option("--year", help="data year, e.g. 2025")],
    month: Annotated[int | None, typer.Option("--month", min=1, max=12, help="one month")] = None,
    ytd: Annotated[
        bool, typer.Option("--ytd", help="year-to-date through --month instead of the month")
    ] = False,
    enterprise: Annotated[
        str | None, typer.Option("--enterprise", help="an enterprise code or id (default: park)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the evaluation as JSON")] = False,
    lang: Annotated[str, typer.Option("--lang", help="zh or en")] = "zh",
    targets: Annotated[
        str | None,
        typer.Option(
            "--targets",
            help="override for this run: national, hunan, or a target-set YAML file "
            "(default: the park's options, lingtan options show)",
        ),
    ] = None,
    target_year: Annotated[
        int | None,
        typer.Option("--target-year", help="override for this run: milestone year of a path"),
    ] = None,
    conversion: Annotated[
        str | None,
        typer.Option(
            "--conversion",
            help="override for this run: equivalent (当量值) or equal_value (等价值)",
        ),
    ] = None,
    gas_clean: Annotated[
        bool | None,
        typer.Option(
            "--gas-clean/--gas-not-clean", help="override for this run: natural gas is clean"
        ),
    ] = None,
    gas_kind: Annotated[
        str | None,
        typer.Option(
            "--gas-kind",
            help="override for this run: GB/T 2589 kind of natural gas: oil_field (油田) or "
            "gas_field (气田)",
        ),
    ] = None,
    limits: Annotated[
        Path | None, typer.Option("--limits", help="extra 能耗限额 records (YAML)")
    ] = None,
    coverage: Annotated[
        Path | None, typer.Option("--coverage", help="GB 17167 coverage requirements (YAML)")
    ] = None,
    rank: Annotated[bool, typer.Option("--rank", help="rank enterprises by the core")] = False,
    profile: Annotated[
        list[str] | None,
        typer.Option(
            "--profile",
            help="evaluate an indicator profile instead: a shipped name (national, hunan, "
            "jiangxi, zhejiang-draft, cec-evaluation), a profile YAML file, or 'chosen' (the "
            "park's option indicator_profiles); repeat to compare profiles side by side",
        ),
    ] = None,
    park_type: Annotated[
        str | None,
        typer.Option("--park-type", help="the park's type in profiles that distinguish types"),
    ] = None,
    list_profiles: Annotated[
        bool, typer.Option("--list-profiles", help="list the shipped profiles and quantities")
    ] = False,
    park: ParkOption = None,
) -> None:
    """零碳园区“1+5”指标评价 — evaluate the zero-carbon park indicators against targets."""
    if list_profiles:
        _list_profiles(as_json, lang)
        return
    from lingtan.indicators.evaluate import evaluate, rank_enterprises
    from lingtan.indicators.options import IndicatorOptions
    from lingtan.options import service as park_options
    from lingtan.reports.common import status_word

    with domain_errors():
        if lang not in ("zh", "en"):
            raise InvalidInput("--lang must be zh or en", field="lang")
        if ytd and month is None:
            raise InvalidInput("--ytd needs --month (the last month)", field="month")
        changed = overrides(
            electricity_conversion=conversion,
            natural_gas_clean=gas_clean,
            natural_gas_kind=gas_kind,
            target_set=targets,
            target_year=target_year,
        )
        with open_store(settings()) as store:
            park_id = park_of(store, park).id
            options = IndicatorOptions.of(
                park_options.used(store, park_id=park_id, overrides=changed),
                limits_file=None if limits is None else str(limits),
                coverage_file=None if coverage is None else str(coverage),
            )
            eid = None if enterprise is None else enterprise_id_of(store, enterprise, park_id)
            if profile:
                _profiles_run(
                    store, profile, park_type, options,
                    year=year, month=month, ytd=ytd, eid=eid, park_id=park_id,
                    as_json=as_json, lang=lang,
                )  # fmt: skip
                return
            if rank:
                rows = rank_enterprises(
                    store, year=year, month=month, ytd=ytd, options=options, park_id=park_id
                )
                if as_json:
                    typer.echo(json.dumps({"ranking": rows}, ensure_ascii=False, indent=2))
                    return
                _print_rank(rows, lang)
                return
            ev = evaluate(
                store,
                year=year,
                month=month,
                ytd=ytd,
                enterprise_id=eid,
                options=options,
                park_id=park_id,
            )
    if as_json:
        typer.echo(json.dumps(ev.as_dict(lang), ensure_ascii=False, indent=2, default=str))
        return
    zh = lang == "zh"
    title = (
        f"{ev.scope_name} {ev.period.label} 零碳园区指标评价"
        if zh
        else f"{ev.scope_name} {ev.period.label} zero-carbon park indicators"
    )
    table = Table(title=title)
    for col in (
        ("指标", "指标值", "目标值", "结论", "说明")
        if zh
        else ("indicator", "value", "target", "status", "reason")
    ):
        table.add_column(col)
    w = wording(lang)
    for r in ev.indicators:
        style = {"meets": "green", "fails": "red"}.get(r.status, "yellow")
        table.add_row(
            r.spec.name_zh if zh else r.spec.name_en,
            _shown(r.value, r.spec.unit),
            r.target.text() if r.target else "—",
            f"[{style}]{status_word(r.status, lang)}[/]",
            w.text(r.reason_zh) if zh else r.reason_en,
        )
    console.print(table)
    ts = ev.target_set
    console.print(
        ("目标体系：" if zh else "targets: ")
        + f"{ts.name_zh if zh else ts.name_en} — {w.text(ts.source)}"
    )
    for line in ev.options.describe(lang):
        console.print(f"· {w.text(line)}", highlight=False)
    for note in ev.notes:
        console.print(f"· {w.text(note)}", style="dim", highlight=False)


def _list_profiles(as_json: bool, lang: str) -> None:
    from lingtan.indicators.profile_eval import quantity_catalogue
    from lingtan.indicators.profiles import shipped_profiles

    with domain_errors():
        profiles = shipped_profiles()
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "profiles": [p.as_dict() for p in profiles],
                    "quantities": quantity_catalogue(lang),
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    zh = lang == "zh"
    table = Table(title="指标体系配置" if zh else "indicator profiles")
    for col in ("id", "名称" if zh else "name", "文件" if zh else "document",
                "可信度" if zh else "conf.", "指标数" if zh else "indicators"):  # fmt: skip
        table.add_column(col)
    for p in profiles:
        draft = ("（征求意见稿）" if zh else " (draft)") if p.draft else ""
        table.add_row(
            p.id,
            (p.name_zh if zh else p.name_en) + draft,
            " ".join(x for x in (p.number, p.document) if x),
            p.confidence,
            str(len(p.indicators)),
        )
    console.print(table)


def _profiles_run(
    store: Store,
    names: list[str],
    park_type: str | None,
    options: Any,
    *,
    year: int,
    month: int | None,
    ytd: bool,
    eid: int | None,
    park_id: int,
    as_json: bool,
    lang: str,
) -> None:
    from lingtan.indicators.park_profiles import resolve_profiles
    from lingtan.indicators.profile_eval import compare_profiles, comparison_table
    from lingtan.options import service as park_options
    from lingtan.reports.common import status_word

    chosen = park_options.used(store, park_id=park_id).options
    wanted: list[str] = []
    for n in names:
        wanted.extend(chosen.indicator_profiles if n == "chosen" else [n])
    # shipped names, the park's stored profiles, profile files
    profiles = resolve_profiles(store, park_id, wanted, files=True)
    evs = compare_profiles(
        store,
        profiles,
        year=year,
        month=month,
        ytd=ytd,
        enterprise_id=eid,
        park_type=park_type or chosen.park_type,
        options=options,
        park_id=park_id,
    )
    if as_json:
        body: dict[str, Any] = {"evaluations": [ev.as_dict(lang) for ev in evs]}
        if len(evs) > 1:
            body["comparison"] = comparison_table(evs, lang)
        typer.echo(json.dumps(body, ensure_ascii=False, indent=2, default=str))
        return
    zh = lang == "zh"
    w = wording(lang)
    if len(evs) > 1:
        cmp = comparison_table(evs, lang)
        table = Table(title="指标体系对比" if zh else "profiles side by side")
        table.add_column("指标" if zh else "indicator")
        for p in cmp["profiles"]:
            table.add_column(p["id"])
        for row in cmp["rows"]:
            cells = []
            for p in cmp["profiles"]:
                c = row["profiles"][p["id"]]
                if c is None:
                    cells.append("—")
                    continue
                if c["value"] is None:
                    v = "—"
                elif c["unit"] == "count":
                    v = f"{c['value']:g}"
                else:
                    v = _shown(c["value"], c["unit"])
                t = c["target"]["text"] if c["target"] else "—"
                cells.append(f"{v} / {t} · {status_word(c['status'], lang)}")
            table.add_row(row["name"], *cells)
        console.print(table)
        return
    ev = evs[0]
    p = ev.profile
    table = Table(title=f"{p.name_zh if zh else p.name_en} · {ev.period.label}"
                  + (f" · {p.park_types[ev.park_type][0 if zh else 1]}" if ev.park_type else ""))  # fmt: skip
    for col in (
        ("指标", "定义", "指标值", "目标值", "结论", "说明")
        if zh
        else ("indicator", "definition", "value", "target", "status", "reason")
    ):
        table.add_column(col)
    for r in ev.results:
        d = r.as_dict(lang)
        style = {"meets": "green", "fails": "red"}.get(r.status, "yellow")
        value = "—" if r.value is None else (
            f"{r.value:g}" if r.indicator.unit == "count" else _shown(r.value, r.indicator.unit)
        )  # fmt: skip
        table.add_row(
            d["name"] + (" ★" if r.indicator.binding else ""),
            r.indicator.definition,
            value,
            d["target"]["text"] if d["target"] else "—",
            f"[{style}]{status_word(r.status, lang)}[/]",
            w.text(d["reason"]) if zh else d["reason"],
        )
    console.print(table)
    source = " ".join(x for x in (p.issuer, p.number, p.document, p.date) if x)
    console.print(("来源：" if zh else "source: ") + source + f" [{p.confidence}]", highlight=False)
    if p.draft:
        console.print("征求意见稿，非正式文本" if zh else "a draft for comment, not a final text")
    console.print("★ " + ("否决项" if zh else "binding (veto)"), style="dim")


def _print_rank(rows: list[dict[str, Any]], lang: str) -> None:
    zh = lang == "zh"
    table = Table(
        title="企业单位能耗碳排放排名（附件4 方法）"
        if zh
        else "Enterprises by carbon per energy (Annex 4)"
    )
    for col in (
        ("排名", "企业", "名称", "tCO2/tce", "tCO2", "tce", "说明")
        if zh
        else ("rank", "code", "name", "tCO2/tce", "tCO2", "tce", "note")
    ):
        table.add_column(col)
    for r in rows:
        table.add_row(
            "—" if r["rank"] is None else str(r["rank"]),
            r["code"],
            r["name"],
            "—" if r["value"] is None else f"{r['value']:.4f}",
            "—" if r["emissions_tco2"] is None else f"{r['emissions_tco2']:,.1f}",
            "—" if r["energy_tce"] is None else f"{r['energy_tce']:,.1f}",
            wording(lang).text(r["reason"]) or "",
        )
    console.print(table)


# -- records -------------------------------------------------------------------------------------


def _record_row(r: StatRecord, codes: dict[int, str]) -> dict[str, Any]:
    d: dict[str, Any] = r.as_dict()
    d["enterprise"] = (
        "" if r.enterprise_id is None else codes.get(r.enterprise_id, str(r.enterprise_id))
    )
    d["entered_at"] = from_us(r.entered_at).isoformat(timespec="seconds")
    return d


def _codes(store: Store, park_id: int | None = None) -> dict[int, str]:
    """Enterprise codes by id, of one park (or of every park: records named by id)."""
    parks = store.registry.parks() if park_id is None else [store.registry.park(park_id)]
    return {e.id: e.code for p in parks for e in store.registry.enterprises(p.id)}


def _print_records(rows: list[StatRecord], codes: dict[int, str], as_json: bool) -> None:
    data = [_record_row(r, codes) for r in rows]
    if as_json:
        typer.echo(json.dumps({"records": data}, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"统计记录 statistics records ({len(data)})")
    for col in ("id", "企业", "类别", "项目", "期间", "数量", "单位", "来源文件", "录入", "状态"):
        table.add_column(col)
    for d in data:
        table.add_row(
            str(d["id"]),
            d["enterprise"] or "园区",
            d["category"],
            d["item"],
            f"{d['period_start']}…{d['period_end']}",
            f"{d['quantity']:,.6g}",
            d["unit"],
            d["source_document"],
            f"{d['entered_by']} {d['entered_at']}",
            "当前" if d["superseded_by"] is None else f"已更正 → {d['superseded_by']}",
        )
    console.print(table)


@records_app.command("import")
def records_import(
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8) or .xlsx statistics file")],
    by: Annotated[str, typer.Option("--by", help="who imports (recorded with every row)")],
    park: ParkOption = None,
) -> None:
    """Import a statistics file (all-or-nothing; unchanged rows skipped, changed rows corrected)."""
    with domain_errors(), open_store(settings()) as store:
        report = rec.import_file(store, path=file, entered_by=by, park_id=park_of(store, park).id)
    console.print(
        f"{report.rows} rows: {len(report.created)} created, {len(report.corrected)} corrected, "
        f"{len(report.unchanged)} unchanged"
    )


@records_app.command("list")
def records_list(
    enterprise: Annotated[str | None, typer.Option("--enterprise")] = None,
    category: Annotated[str | None, typer.Option("--category")] = None,
    year: Annotated[int | None, typer.Option("--year")] = None,
    history: Annotated[bool, typer.Option("--history", help="include superseded")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    park: ParkOption = None,
) -> None:
    """List statistics records (current ones, or with --history every version)."""
    with domain_errors(), open_store(settings()) as store:
        park_id = park_of(store, park).id
        eid = None if enterprise is None else enterprise_id_of(store, enterprise, park_id)
        rows = rec.list_records(
            store,
            enterprise_id=eid,
            category=category,
            year=year,
            include_history=history,
            park_id=park_id,
        )
        _print_records(rows, _codes(store, park_id), as_json)


@records_app.command("add")
def records_add(
    category: Annotated[str, typer.Option("--category", help=", ".join(rec.CATEGORIES))],
    item: Annotated[str, typer.Option("--item")],
    period: Annotated[str, typer.Option("--period", help="2025, 2025-03, 2025-Q1")],
    quantity: Annotated[float, typer.Option("--quantity")],
    unit: Annotated[str, typer.Option("--unit")],
    source: Annotated[str, typer.Option("--source", help="source document")],
    by: Annotated[str, typer.Option("--by", help="who enters it")],
    enterprise: Annotated[str | None, typer.Option("--enterprise")] = None,
    note: Annotated[str | None, typer.Option("--note")] = None,
    park: ParkOption = None,
) -> None:
    """Enter one statistics record."""
    with domain_errors(), open_store(settings()) as store:
        park_id = park_of(store, park).id
        first, last = rec.parse_period(period)
        eid = None if enterprise is None else enterprise_id_of(store, enterprise, park_id)
        r = rec.add_record(
            store,
            enterprise_id=eid,
            category=category,
            item=item,
            period_start=first,
            period_end=last,
            quantity=quantity,
            unit=unit,
            source_document=source,
            entered_by=by,
            note=note,
            park_id=park_id,
        )
        _print_records([r], _codes(store, park_id), False)


@records_app.command("correct")
def records_correct(
    record_id: Annotated[int, typer.Argument(help="id of the current record")],
    quantity: Annotated[float, typer.Option("--quantity")],
    source: Annotated[str, typer.Option("--source", help="source document of the correction")],
    by: Annotated[str, typer.Option("--by")],
    unit: Annotated[str | None, typer.Option("--unit")] = None,
    note: Annotated[str | None, typer.Option("--note")] = None,
) -> None:
    """Correct a record: a new record supersedes it; the old one is kept."""
    with domain_errors(), open_store(settings()) as store:
        r = rec.correct_record(
            store,
            record_id=record_id,
            quantity=quantity,
            source_document=source,
            entered_by=by,
            unit=unit,
            note=note,
        )
        _print_records([r], _codes(store), False)


@records_app.command("history")
def records_history(
    record_id: Annotated[int, typer.Argument()],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Every version of a record, oldest first."""
    with domain_errors(), open_store(settings()) as store:
        _print_records(rec.record_history(store, record_id=record_id), _codes(store), as_json)


@records_app.command("from-meters")
def records_from_meters(
    year: Annotated[int, typer.Option("--year")],
    by: Annotated[str, typer.Option("--by", help="who runs it (recorded with every record)")],
    month: Annotated[int | None, typer.Option("--month", min=1, max=12)] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    park: ParkOption = None,
) -> None:
    """产品产量 from production counters (points tagged output:<product>): one record per
    enterprise, product and complete month; incomplete months are reported, not recorded."""
    with domain_errors(), open_store(settings()) as store:
        park_id = park_of(store, park).id
        report = output_meters.records_from_meters(
            store, year=year, month=month, entered_by=by, park_id=park_id
        )
        codes = _codes(store, park_id)
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        return
    table = Table(title=f"计量产量 metered product output (阈值 threshold {report.threshold:.0%})")
    for col in ("月份", "企业", "产品", "计量点", "产量", "完整率", "结果", "记录"):
        table.add_column(col)
    for m in report.months:
        table.add_row(
            m.month,
            "园区" if m.enterprise_id is None else codes.get(m.enterprise_id, str(m.enterprise_id)),
            m.product,
            ", ".join(m.points),
            "—" if m.quantity is None else f"{m.quantity:,.6g} {m.unit}",
            f"{m.completeness:.1%}",
            m.outcome + (f" ({m.reason})" if m.reason else ""),
            "" if m.record_id is None else str(m.record_id),
        )
    console.print(table)
    console.print(
        ", ".join(f"{report.count(k)} {k}" for k in ("created", "corrected", "unchanged"))
        + f"; {report.count('incomplete')} incomplete, {report.count('entered')} entered by hand"
        f" (kept), {report.count('invalid')} invalid"
    )


def register(app: typer.Typer) -> None:
    """Add ``lingtan indicators`` and ``lingtan records``."""
    app.command("indicators")(indicators_command)
    app.add_typer(records_app, name="records")
