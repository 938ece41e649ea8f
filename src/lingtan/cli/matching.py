"""``lingtan matching``: hourly green-power matching (溯源) of a park-local year — ``run`` (the
park and every consumer), ``show`` (one consumer's months, with the direct-supply ratios) and
``import-grid-factors`` (an hourly grid-factor CSV with its provenance). The same service as
``/api/v1/matching``, run as the system on the local store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from lingtan.cli._common import ParkOption, console, domain_errors, enterprise_in_park, park_of
from lingtan.cli.data import open_configured, progress_bar

matching_app = typer.Typer(
    help="Hourly green-power matching (绿电小时级溯源匹配).", no_args_is_help=True
)

YearOption = Annotated[int, typer.Option("--year", min=1990, max=2100, help="park-local year")]
RuleOption = Annotated[
    str, typer.Option("--rule", help="pro_rata (by load) or priority (by --priority order)")
]
PriorityOption = Annotated[
    str | None, typer.Option("--priority", help="consumer codes served first, comma-separated")
]
EfficiencyOption = Annotated[
    float | None,
    typer.Option(
        "--storage-efficiency",
        min=0.01,
        max=1.0,
        help="round-trip efficiency of the park storage (default: measured from its meters)",
    ),
]


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f} %"


def _run(
    year: int, rule: str, priority: str | None, efficiency: float | None, park: str | None
) -> dict[str, Any]:
    from lingtan.greenpower.matching import service

    if rule not in ("pro_rata", "priority"):
        from lingtan.errors import InvalidInput

        raise InvalidInput("rule must be pro_rata or priority", field="rule")
    with domain_errors(), open_configured() as store, progress_bar() as bar:
        task = bar.add_task("匹配 matching", total=4)

        def step(what: str, done: int, total: int) -> None:
            bar.update(task, description=f"匹配 matching: {what}", completed=done, total=total)

        run = service.run_matching(
            store,
            year=year,
            park_id=park_of(store, park).id,
            rule=rule,  # type: ignore[arg-type]
            priority=None if priority is None else priority.split(","),
            storage_efficiency=efficiency,
            progress=step,
        )
        return service.summary(run)


def run(
    year: YearOption,
    rule: RuleOption = "pro_rata",
    priority: PriorityOption = None,
    storage_efficiency: EfficiencyOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="the whole report as JSON")] = False,
    park: ParkOption = None,
) -> None:
    """Match the year hour by hour: CFE per consumer and for the park (小时级绿电匹配)."""
    with domain_errors():
        report = _run(year, rule, priority, storage_efficiency, park)
    if as_json:
        console.print_json(json.dumps(report, ensure_ascii=False))
        return
    table = Table(title=f"绿电小时匹配 hourly matching {year} ({report['rule']})")
    for col in ("用户 consumer", "用电 load kWh", "小时 CFE", "月度 CFE", "缺测小时 missing h"):
        table.add_column(col, justify="right")
    for c in report["consumers"]:
        table.add_row(
            c["code"],
            f"{c['load_kwh']:,.0f}",
            _pct(c["cfe_hourly"]),
            _pct(c["cfe_monthly"]),
            str(c["data_status"]["missing_grid_hours"]),
        )
    total = report["park_total"]
    table.add_row("园区 park", f"{total['load_kwh']:,.0f}", _pct(total["cfe_hourly"]),
                  _pct(total["cfe_monthly"]), "")  # fmt: skip
    console.print(table)
    console.print(
        "未匹配绿电 unmatched kWh: "
        + ", ".join(f"{k} {v:,.0f}" for k, v in total["unmatched_kwh"].items())
    )
    basis = report["factors"]["location_and_hourly"]
    console.print(
        f"电网因子 grid factor: {basis['label']} ({basis['hours_hourly']} h hourly, "
        f"{basis['hours_annual']} h annual {basis['annual']['id']})"
    )


def show(
    year: YearOption,
    enterprise: Annotated[
        str | None, typer.Option("--enterprise", help="enterprise id or code; none: the park")
    ] = None,
    rule: RuleOption = "pro_rata",
    priority: PriorityOption = None,
    storage_efficiency: EfficiencyOption = None,
    park: ParkOption = None,
) -> None:
    """One consumer's months: matched kWh by source, CFE, gap, intensity, direct-supply ratios."""
    with domain_errors():
        with open_configured() as store:
            eid = enterprise_in_park(store, enterprise, park)
        report = _run(year, rule, priority, storage_efficiency, park)
        if eid is None:
            rows, code = report["park_total"]["months"], "园区 park"
            direct = None
        else:
            c = next(x for x in report["consumers"] if x["enterprise_id"] == eid)
            rows, code, direct = c["months"], c["code"], c["direct_supply"]
    table = Table(
        title=f"{code} {year} — 碳强度 intensity kgCO2/kWh: 位置 location, 市场 market, 小时 hourly"
    )
    table.add_column("月", justify="right", no_wrap=True, min_width=2)
    for col in ("用电 MWh", "匹配 MWh", "小时CFE", "月度CFE", "差额 MWh", "位置", "市场", "小时"):
        table.add_column(col, justify="right", no_wrap=True)
    for m in rows:
        i = m["intensity_kg_per_kwh"]
        table.add_row(
            m["month"][5:], f"{m['load_kwh'] / 1e3:,.1f}", f"{m['hourly_matched_kwh'] / 1e3:,.1f}",
            _pct(m["cfe_hourly"]), _pct(m["cfe_monthly"]), f"{m['gap_kwh'] / 1e3:,.1f}",
            *("—" if i[b] is None else f"{i[b]:.3f}" for b in ("location", "market", "hourly_matched")),
        )  # fmt: skip
    console.print(table)
    if direct:
        last = [d for d in direct if d["month"] == rows[-1]["month"]]
        for d in last:
            record = d["rule"]
            console.print(
                f"绿电直连 {d['quantity']}: {_pct(d['value'])} (≥ {_pct(d['threshold'])}) "
                f"{d['status']}{'' if not d['missing'] else ' — ' + d['missing']}; "
                + ("no threshold in force" if record is None else
                   f"{record['source']} [{record['confidence']}]")
            )  # fmt: skip


def import_grid_factors(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV: hour,value")],
    series_id: Annotated[str, typer.Option("--id", help="series id (append-only)")],
    region: Annotated[str, typer.Option("--region", help="province, e.g. 江苏")],
    year: YearOption,
    source: Annotated[str, typer.Option("--source", help="publisher and notice")],
    confidence: Annotated[str, typer.Option("--confidence", help="H, M-H, M, L or U")],
    url: Annotated[str | None, typer.Option("--url")] = None,
    url_note: Annotated[str | None, typer.Option("--url-note", help="why there is no url")] = None,
    verified: Annotated[bool, typer.Option("--verified/--unverified")] = False,
    edition: Annotated[str | None, typer.Option("--edition")] = None,
    park: ParkOption = None,
) -> None:
    """Import an hourly grid-factor series [kgCO2/kWh] with its provenance for the park
    (电网小时因子)."""
    from lingtan.greenpower.matching import service

    with domain_errors():
        start, values = service.parse_factor_csv(file.read_text("utf-8-sig"))
        with open_configured() as store:
            series, new = service.import_grid_series(
                store, series_id=series_id, region=region, year=year, start=start,
                values=values, source=source, url=url, url_note=url_note,
                confidence=confidence, verified=verified, edition=edition,
                park_id=park_of(store, park).id, actor="cli",
            )  # fmt: skip
    what = "imported" if new else "already stored (unchanged)"
    console.print(f"{series.id}: {len(series.values)} hours from {series.start}, {what}")


def store_run(
    year: YearOption,
    rule: RuleOption = "pro_rata",
    priority: PriorityOption = None,
    storage_efficiency: EfficiencyOption = None,
    note: Annotated[str | None, typer.Option("--note", help="why the run is stored")] = None,
    park: ParkOption = None,
) -> None:
    """Match the year and store the run (存档); the current run of the same method is
    superseded by it."""
    from lingtan.greenpower.matching import stored

    if rule not in ("pro_rata", "priority"):
        from lingtan.errors import InvalidInput

        with domain_errors():
            raise InvalidInput("rule must be pro_rata or priority", field="rule")
    with domain_errors(), open_configured() as store:
        brief = stored.store_run(
            store, year=year, rule=rule,  # type: ignore[arg-type]
            priority=None if priority is None else priority.split(","),
            storage_efficiency=storage_efficiency, note=note,
            park_id=park_of(store, park).id, actor="cli",
        )  # fmt: skip
    console.print(
        f"run {brief['id']} stored: {year} {brief['rule']}, park CFE {_pct(brief['cfe_hourly'])}"
        + (f"; superseded {brief['superseded']}" if brief["superseded"] else "")
    )


def list_runs(
    year: Annotated[int | None, typer.Option("--year", min=1990, max=2100)] = None,
    park: ParkOption = None,
) -> None:
    """The stored runs, newest first (已存档的匹配)."""
    from lingtan.greenpower.matching import stored

    with domain_errors(), open_configured() as store:
        runs = stored.list_runs(store, year=year, park_id=park_of(store, park).id)
    table = Table(title="已存档的匹配 stored matching runs")
    for col in ("id", "年 year", "规则 rule", "状态 status", "被替代 by", "园区 CFE", "备注 note"):
        table.add_column(col)
    for r in runs:
        table.add_row(
            str(r["id"]), str(r["year"]), r["rule"], r["status"],
            "" if r["superseded_by"] is None else str(r["superseded_by"]),
            _pct(r["cfe_hourly"]), r["note"] or "",
        )  # fmt: skip
    console.print(table)


def compare(
    run_id: Annotated[int, typer.Argument(min=1, help="a stored run's id")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
    park: ParkOption = None,
) -> None:
    """A stored run against the same method on today's data (与当前数据对比)."""
    from lingtan.greenpower.matching import stored

    with domain_errors(), open_configured() as store:
        diff = stored.compare_run(store, run_id, park_id=park_of(store, park).id)
    if as_json:
        console.print_json(json.dumps(diff, ensure_ascii=False))
        return
    console.print(f"输入变化 inputs changed: {', '.join(diff['inputs_changed']) or '—'}")
    table = Table(title=f"run {run_id}: 存档 stored → 当前 now")
    for col in ("用户 consumer", "用电 load kWh", "小时 CFE", "CFE 差 difference"):
        table.add_column(col, justify="right")
    for c in diff["consumers"]:
        a, b = c["load_kwh"]
        table.add_row(
            c["code"], f"{a:,.0f} → {'—' if b is None else f'{b:,.0f}'}",
            f"{_pct(c['cfe_hourly'][0])} → {_pct(c['cfe_hourly'][1])}",
            "—" if c["cfe_difference"] is None else f"{100 * c['cfe_difference']:+.2f} pp",
        )  # fmt: skip
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add ``matching run|show|import-grid-factors|store|runs|compare``."""
    matching_app.command("store")(store_run)
    matching_app.command("runs")(list_runs)
    matching_app.command("compare")(compare)
    matching_app.command("run")(run)
    matching_app.command("show")(show)
    matching_app.command("import-grid-factors")(import_grid_factors)
    app.add_typer(matching_app, name="matching")
