"""``lingtan tariff``: time-of-use tariff records, their assignment, energy cost, utility bills
and the bill check — the same service as ``/api/v1/tariffs``, ``/costs`` and ``/bills``, run as
the system (the park administrator) on the local store."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.table import Table

from lingtan.cli._common import ParkOption, console, domain_errors, park_of
from lingtan.cli.data import open_configured, progress_bar
from lingtan.errors import InvalidInput

tariff_app = typer.Typer(
    help="Time-of-use tariffs, energy cost and utility bills (分时电价、电费与账单核对).",
    no_args_is_help=True,
)


BASIS_ZH = {"none": "不计", "capacity": "按容量", "demand": "按需量"}
STATUS_ZH = {
    "ok": "一致",
    "differs": "超出容差",
    "not_metered": "无计量数据",
    "not_billed": "账单未列",
    "no_price": "无电价",
    "no_tariff": "未指定电价",
    "tariff_not_valid": "电价不在有效期",
    "no_data": "无数据",
    "no_points": "无计量点",
    "incomplete": "不完整",
}
ITEM_ZH = {
    **{f"kwh_{p}": f"{p}电量" for p in ("尖峰", "高峰", "平段", "低谷", "深谷")},
    "energy_amount": "电度电费",
    "basic_amount": "基本电费",
    "max_demand_kw": "最大需量",
}


def _principal(store, park: str | None):  # type: ignore[no-untyped-def]
    from lingtan.identity.roles import SYSTEM

    return dataclasses.replace(SYSTEM, park_id=park_of(store, park).id)


def _money(value: float | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


def list_tariffs(
    all_versions: Annotated[bool, typer.Option("--all", help="every version")] = False,
) -> None:
    """The tariff records with their source and confidence (电价记录)."""
    from lingtan.tariffs import service

    with domain_errors():
        table = Table("编号", "版本", "省份", "用户类别", "电压等级", "电价形式", "可信度", "文号")
        for t in service.list_tariffs(all_versions=all_versions):
            notice = t.source.notice or "（未核实）"
            label = f"{t.id}{'（合成）' if t.synthetic else ''}"
            table.add_row(
                label, str(t.version), t.province, t.user_class, t.voltage, t.pricing,
                t.confidence, notice,
            )  # fmt: skip
        console.print(table)


def show(
    tariff_id: Annotated[str, typer.Argument(help="record id")],
    version: Annotated[int | None, typer.Option("--version", min=1)] = None,
) -> None:
    """One tariff record as YAML (periods, calendar, prices, source)."""
    from lingtan.tariffs import service

    with domain_errors():
        t = service.get_tariff(tariff_id, version)
        text = yaml.safe_dump(
            t.model_dump(mode="json", by_alias=True), allow_unicode=True, sort_keys=False
        )
        console.print(text, highlight=False, markup=False)


def assign(
    tariff_id: Annotated[str, typer.Argument(help="record id")],
    enterprise: Annotated[str | None, typer.Option("--enterprise", help="enterprise code")] = None,
    version: Annotated[int | None, typer.Option("--version", min=1)] = None,
    basis: Annotated[
        str, typer.Option("--basis", help="基本电费: none, capacity, demand")
    ] = "none",
    capacity_kva: Annotated[float | None, typer.Option("--capacity-kva")] = None,
    effective_from: Annotated[
        str | None,
        typer.Option("--from", help="first local month it applies to, YYYY-MM (default: now)"),
    ] = None,
    park: ParkOption = None,
) -> None:
    """Assign a tariff to the park or an enterprise from a month on (指定电价)."""
    from lingtan.tariffs import service

    with domain_errors(), open_configured() as store:
        a = service.assign(
            store, principal=_principal(store, park), tariff_id=tariff_id, version=version,
            enterprise=enterprise, basic_basis=basis, capacity_kva=capacity_kva,
            effective_from=effective_from,
        )  # fmt: skip
        console.print(
            f"已指定电价 {a.tariff_id} → {enterprise or '园区'}，自 {a.effective_from} 起"
            f"（基本电费：{BASIS_ZH[a.basic_basis]}）"
        )


def cost(
    start: Annotated[str, typer.Option("--from", help="first month, YYYY-MM")],
    months: Annotated[int, typer.Option("--months", min=1, max=24)] = 1,
    enterprise: Annotated[str | None, typer.Option("--enterprise", help="enterprise code")] = None,
    point: Annotated[str | None, typer.Option("--point", help="grid-import point code")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table")] = False,
    park: ParkOption = None,
) -> None:
    """Energy cost per month and period (电费测算), month by month with a progress bar."""
    from lingtan.tariffs import service
    from lingtan.tariffs.records import PERIODS

    with domain_errors(), open_configured() as store:
        if enterprise and point:
            raise InvalidInput("give --enterprise or --point, not both", field="point")
        scope: service.Scope = "point" if point else "enterprise" if enterprise else "park"
        principal = _principal(store, park)
        y, m = service.parse_month(start, "from")
        results = []
        with progress_bar() as bar:
            task = bar.add_task("cost", total=months)
            for k in range(months):
                idx = y * 12 + m - 1 + k
                month = f"{idx // 12:04d}-{idx % 12 + 1:02d}"
                results.append(
                    service.cost(
                        store,
                        principal=principal,
                        scope=scope,
                        subject=point or enterprise,
                        start=month,
                    )
                )
                bar.advance(task)
        first = results[0]
        if first.status == "no_tariff":
            raise InvalidInput("未指定电价：先运行 lingtan tariff assign <编号>", field="tariff")
        if as_json:
            out = [
                {"month": mc.month, "energy_kwh": mc.energy_kwh, "cost": mc.cost,
                 "energy_cost": mc.total_cost, "missing_hours": mc.missing_hours,
                 "basic": r.basic.get(mc.month), "tariff": mc.tariff, "status": mc.status}
                for r in results for mc in r.months
            ]  # fmt: skip
            console.print_json(json.dumps(out, ensure_ascii=False))
            return
        assert first.tariff is not None
        console.print(
            f"电价 {first.tariff.key}（可信度 {first.tariff.confidence}"
            f"{'，合成' if first.tariff.synthetic else ''}）；计量点：{'、'.join(first.points)}"
        )
        for code, why in first.excluded.items():
            console.print(f"[yellow]未计入[/] {code}：{why}")
        # the periods the tariff bills, in MWh, so a park's year fits an 80-column terminal
        # (exact kWh: --json)
        shown = [p for p in PERIODS if any(p in mc.energy_kwh for r in results for mc in r.months)]
        table = Table(
            "月份",
            *(f"{p} MWh" for p in shown),
            "合计 MWh",
            "电度电费 元",
            "基本电费 元",
            "缺测小时",
            "状态",
        )
        for r in results:
            for mc in r.months:
                table.add_row(
                    mc.month, *(f"{mc.energy_kwh[p] / 1000:,.1f}" if p in mc.energy_kwh else "" for p in shown),
                    f"{mc.total_kwh / 1000:,.1f}", _money(mc.total_cost),
                    _money(r.basic.get(mc.month, {}).get("amount")), str(mc.missing_hours),
                    STATUS_ZH.get(mc.status, mc.status),
                )  # fmt: skip
        console.print(table)


def _bill_rows(path: Path) -> list[dict[str, Any]]:
    text = path.read_text("utf-8-sig")
    if path.suffix.lower() == ".csv":
        return [dict(row) for row in csv.DictReader(io.StringIO(text))]
    if path.suffix.lower() in {".yaml", ".yml"}:
        data = yaml.safe_load(text)
        rows = data.get("bills") if isinstance(data, dict) else data
        if not isinstance(rows, list):
            raise InvalidInput(f"{path.name}: expected a list of bills or 'bills:'", field="file")
        return rows
    raise InvalidInput(f"{path.name}: a .csv or .yaml file is expected", field="file")


def bill_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or YAML")],
    park: ParkOption = None,
) -> None:
    """Import utility bills (电费账单): CSV columns month, enterprise, kwh_尖峰 … kwh_深谷,
    max_demand_kw, energy_amount, basic_amount, total_amount, reference; or the same as YAML."""
    from lingtan.tariffs import service

    with domain_errors(), open_configured() as store:
        principal = _principal(store, park)
        for n, row in enumerate(_bill_rows(file), start=1):
            try:
                b = service.import_bill(store, principal=principal, data=row)
            except InvalidInput as err:
                raise InvalidInput(f"{file.name} bill {n}: {err}", field=err.field) from err
            console.print(f"账单 #{b.id}：{b.month} {b.reference} {_money(b.total_amount)} 元")


def bill_check(
    bill_id: Annotated[int, typer.Argument(min=1)],
    tolerance: Annotated[float, typer.Option("--tolerance", min=0, max=0.99)] = 0.02,
    park: ParkOption = None,
) -> None:
    """Check a bill against the metered energy and the tariff (账单核对)."""
    from lingtan.tariffs import service

    with domain_errors(), open_configured() as store:
        c = service.check_bill(
            store, principal=_principal(store, park), bill_id=bill_id, tolerance=tolerance
        )
        table = Table("项目", "计量", "账单", "差值", "相对差", "结论")
        for line in c.lines:
            rel = "—" if line.relative is None else f"{line.relative:+.2%}"
            table.add_row(
                ITEM_ZH.get(line.item, line.item), _money(line.metered), _money(line.billed),
                _money(line.difference), rel, STATUS_ZH[line.status],
            )  # fmt: skip
        console.print(table)
        console.print(
            f"账单 {c.bill.reference}（{c.bill.month}）：{STATUS_ZH.get(c.status, c.status)}"
            f"（容差 {tolerance:.1%}）"
        )
        if c.status == "differs":
            raise typer.Exit(3)


def month_price(
    tariff_id: Annotated[str, typer.Argument(help="record id (pricing: ratios)")],
    month: Annotated[str, typer.Argument(help="local month, YYYY-MM")],
    price: Annotated[
        float, typer.Option("--price", help="平段 base price the notice floats, 元/kWh")
    ],
    source: Annotated[
        str,
        typer.Option("--source", help="the price list read (e.g. 国网江苏 2026年1月代理购电价格)"),
    ],
    fixed: Annotated[
        float, typer.Option("--fixed", help="the part not floated (输配电价 …), 元/kWh")
    ] = 0.0,
    park: ParkOption = None,
) -> None:
    """Enter a month's base price of a ratios tariff (录入代理购电价格)."""
    from lingtan.tariffs import service

    with domain_errors(), open_configured() as store:
        e = service.enter_month_price(
            store, principal=_principal(store, park), tariff_id=tariff_id, month=month,
            price=price, fixed=fixed, source=source,
        )  # fmt: skip
        console.print(
            f"已录入 {e.tariff_id} {e.month} 平段基准价 {e.price:g} 元/kWh"
            f"（不浮动部分 {e.fixed:g} 元/kWh；来源：{e.source}）"
        )


def month_prices(
    tariff_id: Annotated[str | None, typer.Option("--tariff", help="one record id")] = None,
    park: ParkOption = None,
) -> None:
    """The park's entered monthly base prices, replaced ones marked (代理购电价格记录)."""
    from lingtan.tariffs import service

    with domain_errors(), open_configured() as store:
        entries = service.month_prices(
            store, principal=_principal(store, park), tariff_id=tariff_id
        )
        newest = {(e.tariff_id, e.month): e.id for e in entries}
        table = Table(
            "编号", "电价", "月份", "基准价 元/kWh", "不浮动部分", "来源", "录入人", "状态"
        )
        for e in entries:
            state = "有效" if newest[(e.tariff_id, e.month)] == e.id else "已被更正"
            table.add_row(
                str(e.id), e.tariff_id, e.month, f"{e.price:g}", f"{e.fixed:g}", e.source,
                e.entered_by, state,
            )  # fmt: skip
        console.print(table)


def register(app: typer.Typer) -> None:
    """Add ``lingtan tariff``."""
    tariff_app.command("list")(list_tariffs)
    tariff_app.command("show")(show)
    tariff_app.command("assign")(assign)
    tariff_app.command("cost")(cost)
    tariff_app.command("bill-import")(bill_import)
    tariff_app.command("bill-check")(bill_check)
    tariff_app.command("month-price")(month_price)
    tariff_app.command("month-prices")(month_prices)
    app.add_typer(tariff_app, name="tariff")
