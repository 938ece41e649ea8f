"""``lingtan certificates``: the 绿证 ledger — import, retire, settle, list, green electricity.

Claimants and holders are named by enterprise id (``--enterprise E01``); without it the park
itself holds or claims. Consumption checks use the metered grid electricity in the store
(docs/certificates.md).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from lingtan.cli._common import ParkOption, console, domain_errors, park_of, settings
from lingtan.errors import InvalidInput, NotFound
from lingtan.greenpower.ledger import Month, Period

if TYPE_CHECKING:
    from lingtan.store import Store

app = typer.Typer(
    name="certificates",
    help="绿证 ledger: import, retire, settle, list / 绿证台账：导入、核销、绿电交易、查询",
    no_args_is_help=True,
)

_TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "imported": "导入 {added} 张，已存在 {unchanged} 张（持有方 {holder}）",
        "retired": "已核销 {n} 张绿证（{kwh:,} kWh），用于 {claimant} {period}",
        "settled": "已登记绿电交易 {sid}：{kwh:,.0f} kWh，核销绿证 {n} 张",
        "title": "绿证",
        "green": "{claimant} {period}：绿证 {cert:,.0f} kWh，无证绿电交易 {unc:,.0f} kWh，合计 {total:,.0f} kWh；计量电网购入电 {grid:,.0f} kWh",
        "cols": "证书编号|项目|生产年月|有效期至|持有方|状态|核销对象|核销期",
        "available": "可用",
        "retired_s": "已核销",
        "expired": "已过期",
    },
    "en": {
        "imported": "imported {added}, already recorded {unchanged} (holder {holder})",
        "retired": "retired {n} certificates ({kwh:,} kWh) for {claimant} {period}",
        "settled": "recorded trade {sid}: {kwh:,.0f} kWh, {n} certificates retired",
        "title": "certificates",
        "green": "{claimant} {period}: certified {cert:,.0f} kWh, contracted without certificates {unc:,.0f} kWh, total {total:,.0f} kWh; metered grid electricity {grid:,.0f} kWh",
        "cols": "certificate|project|produced|valid until|holder|status|claimant|period",
        "available": "available",
        "retired_s": "retired",
        "expired": "expired",
    },
}

Enterprise = Annotated[
    str | None,
    typer.Option("--enterprise", help="enterprise id (holder/claimant); default: the park"),
]
AsJson = Annotated[bool, typer.Option("--json", help="print JSON")]
Lang = Annotated[str, typer.Option(help="zh | en")]


def parse_period(text: str) -> Period:
    """``2025`` (the year), ``2025-03`` (a month) or ``2025-01..2025-03``."""
    value = text.strip()
    if re.fullmatch(r"\d{4}", value):
        return Period(Month(int(value), 1), Month(int(value), 12))
    first, sep, last = value.partition("..")
    start = Month.parse(first)
    return Period(start, Month.parse(last) if sep else start)


def _lang(lang: str) -> dict[str, str]:
    if lang not in _TEXT:
        raise InvalidInput("--lang must be zh or en", field="lang")
    return _TEXT[lang]


def _store() -> Store:
    from lingtan.store import open_store

    return open_store(settings())


def _enterprise_id(store: Store, code: str | None, park_id: int) -> int | None:
    if code is None:
        return None
    park = store.registry.park(park_id)
    for e in store.registry.enterprises(park.id):
        if e.code == code:
            return e.id
    raise NotFound(f"no enterprise {code!r} in park {park.code}")


def _claimant(store: Store, code: str | None, park_id: int) -> str:
    return code or store.registry.park(park_id).code


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="certificate file: .csv, .xlsx or .json")],
    enterprise: Enterprise = None,
    as_json: AsJson = False,
    lang: Lang = "zh",
    park: ParkOption = None,
) -> None:
    """Import certificates held by the park or an enterprise / 导入绿证."""
    from lingtan.greenpower.service import import_certificate_file

    with domain_errors():
        t = _lang(lang)
        with _store() as store:
            park_id = park_of(store, park).id
            report = import_certificate_file(
                store,
                path=file,
                enterprise_id=_enterprise_id(store, enterprise, park_id),
                actor="cli",
                park_id=park_id,
            )
        if as_json:
            typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        else:
            console.print(
                t["imported"].format(
                    added=len(report.added), unchanged=len(report.unchanged), holder=report.holder
                ),
                highlight=False,
            )


@app.command("retire")
def retire_command(
    cert_ids: Annotated[list[str] | None, typer.Argument(help="certificate ids")] = None,
    period: Annotated[
        str, typer.Option(help="consumption period: 2025, 2025-03 or 2025-01..2025-03")
    ] = "",
    ids_file: Annotated[
        Path | None, typer.Option("--ids-file", help="a file with one certificate id per line")
    ] = None,
    enterprise: Enterprise = None,
    retired_on: Annotated[
        str | None,
        typer.Option(
            help="stated date of retirement YYYY-MM-DD (default today; not in the future, not "
            "before the certificate was imported; expiry is judged on today)"
        ),
    ] = None,
    as_json: AsJson = False,
    lang: Lang = "zh",
    park: ParkOption = None,
) -> None:
    """Retire certificates against a consumer and a period / 核销绿证."""
    from lingtan.greenpower.service import retire_certificates, retirement_dict

    with domain_errors():
        t = _lang(lang)
        if not period:
            raise InvalidInput("--period is required", field="period")
        ids = list(cert_ids or [])
        if ids_file is not None:
            ids += [x.strip() for x in ids_file.read_text(encoding="utf-8").split() if x.strip()]
        try:
            when = None if retired_on is None else dt.date.fromisoformat(retired_on)
        except ValueError as err:
            raise InvalidInput(
                f"--retired-on must read YYYY-MM-DD, got {retired_on!r}", field="retired_on"
            ) from err
        p = parse_period(period)
        with _store() as store:
            park_id = park_of(store, park).id
            done = retire_certificates(
                store,
                cert_ids=ids,
                period=p,
                enterprise_id=_enterprise_id(store, enterprise, park_id),
                retired_on=when,
                actor="cli",
                park_id=park_id,
            )
            claimant = _claimant(store, enterprise, park_id)
        if as_json:
            typer.echo(json.dumps([retirement_dict(r) for r in done], ensure_ascii=False, indent=2))
        else:
            console.print(
                t["retired"].format(n=len(done), kwh=1000 * len(done), claimant=claimant, period=p),
                highlight=False,
            )


@app.command("settle")
def settle_command(
    settlement_id: Annotated[str, typer.Option("--id", help="settlement id")],
    month: Annotated[str, typer.Option(help="month YYYY-MM")],
    kwh: Annotated[float, typer.Option(help="green electricity settled [kWh]")],
    seller: Annotated[str, typer.Option(help="seller project")],
    cert: Annotated[
        list[str] | None, typer.Option("--cert", help="certificate carried (repeat)")
    ] = None,
    enterprise: Enterprise = None,
    as_json: AsJson = False,
    lang: Lang = "zh",
    park: ParkOption = None,
    price: Annotated[
        float | None, typer.Option("--price", help="settled price [元/kWh] / 结算电价")
    ] = None,
) -> None:
    """Record a green-power trade settlement / 登记绿电交易结算."""
    from lingtan.greenpower.service import record_settlement

    with domain_errors():
        t = _lang(lang)
        with _store() as store:
            park_id = park_of(store, park).id
            settlement = record_settlement(
                store,
                settlement_id=settlement_id,
                month=Month.parse(month),
                kwh=kwh,
                seller_project=seller,
                cert_ids=cert or (),
                enterprise_id=_enterprise_id(store, enterprise, park_id),
                actor="cli",
                park_id=park_id,
                price=price,
            )
        if as_json:
            typer.echo(
                json.dumps(
                    {
                        "settlement_id": settlement.settlement_id,
                        "buyer": settlement.buyer,
                        "level": settlement.level,
                        "month": str(settlement.month),
                        "kwh": settlement.kwh,
                        "seller_project": settlement.seller_project,
                        "cert_ids": list(settlement.cert_ids),
                    },
                    ensure_ascii=False,
                    indent=2,
                )
            )
        else:
            console.print(
                t["settled"].format(
                    sid=settlement.settlement_id, kwh=settlement.kwh, n=len(settlement.cert_ids)
                ),
                highlight=False,
            )


@app.command("list")
def list_command(
    enterprise: Annotated[
        str | None, typer.Option("--enterprise", help="only what this enterprise may see")
    ] = None,
    status: Annotated[str | None, typer.Option(help="available | retired | expired")] = None,
    as_json: AsJson = False,
    lang: Lang = "zh",
    park: ParkOption = None,
) -> None:
    """List certificates / 查询绿证."""
    from lingtan.greenpower.service import list_certificates

    with domain_errors():
        t = _lang(lang)
        if status not in (None, "available", "retired", "expired"):
            raise InvalidInput("--status must be available, retired or expired", field="status")
        with _store() as store:
            park_id = park_of(store, park).id
            rows = list_certificates(
                store,
                enterprise_scope=_enterprise_id(store, enterprise, park_id),
                status=status,  # type: ignore[arg-type]
                park_id=park_id,
            )
        if as_json:
            typer.echo(json.dumps([r.as_dict() for r in rows], ensure_ascii=False, indent=2))
            return
        table = Table(title=t["title"])
        for col in t["cols"].split("|"):
            table.add_column(col)
        names = {"available": t["available"], "retired": t["retired_s"], "expired": t["expired"]}
        for r in rows:
            c = r.certificate
            table.add_row(
                c.cert_id,
                c.project,
                str(c.production_month),
                c.valid_until.isoformat(),
                r.holder,
                names[r.status],
                "" if r.retirement is None else r.retirement.claimant,
                "" if r.retirement is None else str(r.retirement.period),
            )
        console.print(table)


@app.command("green")
def green_command(
    period: Annotated[str, typer.Option(help="2025, 2025-03 or 2025-01..2025-03")],
    enterprise: Enterprise = None,
    include_enterprises: Annotated[
        bool, typer.Option(help="park: add its enterprises' claims (the park basis)")
    ] = False,
    as_json: AsJson = False,
    lang: Lang = "zh",
    park: ParkOption = None,
) -> None:
    """Green electricity of a claimant for a period / 查询某期绿色电力."""
    from lingtan.greenpower.service import green_electricity, metered_grid_kwh

    with domain_errors():
        t = _lang(lang)
        p = parse_period(period)
        with _store() as store:
            park_id = park_of(store, park).id
            eid = _enterprise_id(store, enterprise, park_id)
            green = green_electricity(
                store,
                period=p,
                enterprise_id=eid,
                include_enterprises=include_enterprises,
                park_id=park_id,
            )
            grid = metered_grid_kwh(store, period=p, enterprise_id=eid, park_id=park_id)
            claimant = _claimant(store, enterprise, park_id)
        data: dict[str, Any] = {
            "claimant": claimant,
            "period": str(p),
            "certified_kwh": green.certified_kwh,
            "contracted_uncertified_kwh": green.contracted_uncertified_kwh,
            "total_kwh": green.total_kwh,
            "metered_grid_kwh": grid,
            "cert_ids": list(green.cert_ids),
        }
        if as_json:
            typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        else:
            console.print(
                t["green"].format(
                    claimant=claimant,
                    period=p,
                    cert=green.certified_kwh,
                    unc=green.contracted_uncertified_kwh,
                    total=green.total_kwh,
                    grid=grid,
                ),
                highlight=False,
            )


def register(root: typer.Typer) -> None:
    """Add ``lingtan certificates`` to the CLI."""
    root.add_typer(app, name="certificates")
