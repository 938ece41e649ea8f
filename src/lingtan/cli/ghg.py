"""``lingtan ghg``: enterprise GHG accounting by the sector methods, the national carbon market's
annual report and covered-unit test, CBAM communications — from files (pure, no store needed)
or the local store (run as the system, the park administrator)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.table import Table

from lingtan.cli._common import ParkOption, console, domain_errors, enterprise_in_park, park_of
from lingtan.errors import InvalidInput

ghg_app = typer.Typer(
    help="Enterprise GHG accounting, carbon-market report, CBAM (温室气体核算、碳市场报告、CBAM).",
    no_args_is_help=True,
)
LangOpt = Annotated[str, typer.Option("--lang", help="zh-CN or en")]
XlsxOpt = Annotated[Path | None, typer.Option("--xlsx", help="write the workbook here")]


def _read(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise InvalidInput(f"{path}: {err.strerror}", field="file") from err
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError) as err:
        raise InvalidInput(f"{path}: not valid YAML/JSON: {err}", field="file") from err
    if not isinstance(data, dict):
        raise InvalidInput(f"{path}: a mapping is expected", field="file")
    return data


def _fmt(v: float | None) -> str:
    return "缺失 missing" if v is None else f"{v:,.3f}"


def account(
    file: Annotated[Path, typer.Argument(help="GHG document (YAML/JSON), see docs/ghg.md")],
    xlsx: XlsxOpt = None,
    lang: LangOpt = "zh-CN",
) -> None:
    """Account a GHG document: per source and month, the market boundary, missing months."""
    from lingtan.ghg import market
    from lingtan.ghg.account import account as run
    from lingtan.ghg.account import parse_document
    from lingtan.ghg.labels import Words

    with domain_errors():
        r = run(parse_document(_read(file)))
        w = Words(lang)
        table = Table(*_heads(w, ("排放源", "source"), ("核算方法", "method"),
                              ("年度 tCO2e", "year tCO2e"), ("缺失月份", "missing months"),
                              ("条款", "clause")))  # fmt: skip
        for s in r.sources:
            fig = s.figure(r.report)
            table.add_row(
                s.id, w.code(s.method, "ghg_method"), _fmt(fig.value),
                ",".join(map(str, fig.missing)), s.clause,
            )  # fmt: skip
        console.print(table)
        test = market.covered_for(r)
        gases = ", ".join(r.market_gases)
        status = w.code(test.status, "ghg_coverage")
        threshold = w.record_line(test.threshold_record)
        if w.zh:
            console.print(f"碳市场核算边界（{gases}）：{_fmt(r.market().value)} tCO2e")
            console.print(
                f"直接排放（全部气体）：{_fmt(r.direct().value)}；间接排放：{_fmt(r.indirect().value)}"
            )
            console.print(f"重点排放单位判定：{status} — {w.text(test.reason)}（{threshold}）")
        else:
            console.print(f"market boundary ({gases}): {_fmt(r.market().value)} tCO2e")
            console.print(
                f"direct (all gases): {_fmt(r.direct().value)}; indirect: {_fmt(r.indirect().value)}"
            )
            console.print(f"covered-unit test: {status} — {test.reason} ({threshold})")
        if r.unverified():
            label = "使用的未核实记录" if w.zh else "unverified records used"
            console.print(f"{label}: {', '.join(map(w.record_line, r.unverified()))}")
        if xlsx is not None:
            xlsx.write_bytes(market.report_xlsx(r, lang=lang))
            console.print(f"{'报告已写入' if w.zh else 'report written to'} {xlsx}")


def cbam(
    file: Annotated[Path, typer.Argument(help="installation (YAML/JSON), see docs/cbam.md")],
    xlsx: XlsxOpt = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="write the JSON here")] = None,
    lang: LangOpt = "zh-CN",
    enterprise: Annotated[
        str | None,
        typer.Option("--enterprise", help="whose meters a process's electricity_meter reads"),
    ] = None,
    park: ParkOption = None,
) -> None:
    """The CBAM communication of an installation: SEE per CN code, default share."""
    from lingtan.ghg import cbam as c

    with domain_errors():
        inst = c.parse_installation(_read(file))
        if any(p.electricity_meter for p in inst.processes):
            from lingtan.cli.data import open_configured
            from lingtan.ghg.service import metered_installation

            with open_configured() as store:
                ent = enterprise_in_park(store, enterprise, park)
                if ent is None:
                    raise InvalidInput(
                        "--enterprise: a process reads a meter; name its enterprise",
                        field="enterprise",
                    )
                inst = metered_installation(
                    store, inst, park_id=park_of(store, park).id, enterprise_id=ent
                )
        data = c.communication(inst, lang=lang)
        table = Table("process", "CN", "direct", "indirect", "total", "default share", "basis")
        for g in data["goods"]:
            table.add_row(g["process"], g["cn_code"], f"{g['see_direct']:.4f}",
                          f"{g['see_indirect']:.4f}", f"{g['see_total']:.4f}",
                          f"{g['default_share']:.1%}", g["basis"])  # fmt: skip
        console.print(table)
        if xlsx is not None:
            xlsx.write_bytes(c.communication_xlsx(inst, lang=lang))
            console.print(f"workbook written to {xlsx}")
        if json_out is not None:
            json_out.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
            console.print(f"JSON written to {json_out}")


def records() -> None:
    """List the reference records (GWPs, parameters, market, CBAM mark-ups) with confidence."""
    from lingtan.ghg import service

    ref = service.reference()
    table = Table("id", "value", "unit", "confidence", "source")
    for r in ref["gwp"]:
        table.add_row(r["id"], f"{r['value']:g}", r["unit"], r["confidence"], r["table"])
    for r in ref["parameters"]:
        table.add_row(r["id"], f"{r['value']:g}", r["unit"], r["confidence"], r["table"])
    t = ref["market"]["threshold"]
    table.add_row(t["id"], f"{t['value']:g}", t["unit"], t["confidence"], t["document"])
    for m in ref["cbam"]["markups"]:
        table.add_row(m["id"], f"{m['value']:g}", "1", m["confidence"], m["document"])
    console.print(table)


def submit(
    file: Annotated[Path, typer.Argument(help="GHG document (YAML/JSON)")],
    enterprise: Annotated[str, typer.Option("--enterprise", help="enterprise code")],
    park: ParkOption = None,
) -> None:
    """Store a GHG document for an enterprise (appended; the newest is in force)."""
    from lingtan.cli.data import open_configured
    from lingtan.ghg import service
    from lingtan.identity.roles import SYSTEM

    with domain_errors(), open_configured() as store:
        p = dataclasses.replace(SYSTEM, park_id=park_of(store, park).id)
        ent = enterprise_in_park(store, enterprise, park)
        s = service.submit(store, principal=p, enterprise_id=ent, document=_read(file))
        console.print(f"document {s.id} stored for {s.year} (sha256 {s.sha256[:12]}…)")


def covered(
    year: Annotated[int, typer.Option("--year")],
    park: ParkOption = None,
    lang: LangOpt = "zh-CN",
) -> None:
    """The covered-unit test of every enterprise with a stored document for the year."""
    from lingtan.cli.data import open_configured
    from lingtan.ghg import service
    from lingtan.ghg.labels import Words
    from lingtan.identity.roles import SYSTEM

    with domain_errors(), open_configured() as store:
        p = dataclasses.replace(SYSTEM, park_id=park_of(store, park).id)
        w = Words(lang)
        table = Table(*_heads(w, ("企业", "enterprise"), ("行业", "sector"),
                              ("碳市场边界 tCO2e", "market tCO2e"), ("判定", "status"),
                              ("原因", "reason")))  # fmt: skip
        for c in service.covered_units(store, principal=p, year=year):
            table.add_row(
                c["enterprise"], w.code(c["sector"], "ghg_sector"), _fmt(c["market_emissions"]),
                w.code(c["status"], "ghg_coverage"), w.text(c["reason"]),
            )  # fmt: skip
        console.print(table)


def _heads(w: Any, *pairs: tuple[str, str]) -> list[str]:
    """Column heads in the words' language (pairs of zh-CN, English)."""
    return [zh if w.zh else en for zh, en in pairs]


def register(app: typer.Typer) -> None:
    """Add ``lingtan ghg``."""
    for command in (account, cbam, records, submit, covered):
        ghg_app.command()(command)
    app.add_typer(ghg_app, name="ghg")
