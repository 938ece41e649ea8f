"""``lingtan account``: carbon inventory of an activity file, or from metered data in the store.

``--input FILE`` accounts an activity file; ``--park`` accounts the park (910号 附件4), an
enterprise (``--enterprise``, GB/T 32150), every enterprise (``--basis enterprise``) or a building
(``--site``, GB/T 51366) from the store for a year or a month, keeps the result and prints the same
JSON keys as the file mode plus the period, the stored result id and the sources of the activity.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from typer.core import TyperCommand

from lingtan.cli._common import console, domain_errors, overrides, park_of, settings, wording
from lingtan.errors import InvalidInput, NotFound
from lingtan.timeutil import from_us

if TYPE_CHECKING:
    from lingtan.accounting import AccountingResult
    from lingtan.carbon.factors import FactorLibrary
    from lingtan.carbon.inventory import Inventory
    from lingtan.store import Store
    from lingtan.store.accounting_repo import InventoryRecord

_BASIS: dict[str, dict[str, str]] = {
    "zh": {
        "park": "园区 · 910号附件4",
        "enterprise": "企业 · GB/T 32150",
        "building": "建筑运行 · GB/T 51366",
    },
    "en": {
        "park": "park · 910号 Annex 4",
        "enterprise": "enterprise · GB/T 32150",
        "building": "building operation · GB/T 51366",
    },
}

_TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "title": "{name} {year}年 碳排放核算（{basis}）",
        "term": "项目",
        "value": "数值",
        "energy": "综合能源消费量",
        "intensity": "单位能耗碳排放",
        "conversion": "电力折标",
        "scope2_location": "范围二（基于位置）",
        "scope2_market": "范围二（基于市场）",
        "offsets": "抵消（单列，不扣减）",
        "factors": "所用因子",
        "unverified": "未核实因子",
        "explain": "计算过程",
        "notes": "说明",
    },
    "en": {
        "title": "{name} {year} carbon inventory ({basis})",
        "term": "term",
        "value": "value",
        "energy": "energy consumption",
        "intensity": "carbon intensity of energy",
        "conversion": "electricity conversion",
        "scope2_location": "scope 2 (location-based)",
        "scope2_market": "scope 2 (market-based)",
        "offsets": "offsets (beside, not deducted)",
        "factors": "factors used",
        "unverified": "unverified factors",
        "explain": "explanation",
        "notes": "notes",
    },
}


def _num(x: float | None, unit: str) -> str:
    return "—" if x is None else f"{x:,.4f} {unit}"


def _print_table(inv: Inventory, lang: str, explain: bool) -> None:
    from lingtan.carbon.inventory import CONVERSION_NAMES, TERM_NAMES

    t = _TEXT[lang]
    idx = 0 if lang == "zh" else 1
    table = Table(
        title=t["title"].format(name=inv.name, year=inv.year, basis=_BASIS[lang][inv.basis])
    )
    table.add_column(t["term"])
    table.add_column(t["value"], justify="right")
    for term, value in inv.emissions.items():
        table.add_row(TERM_NAMES[term][idx], _num(value, "tCO2"))
    conversion = CONVERSION_NAMES[inv.options.electricity_conversion][idx]
    table.add_row(t["energy"], _num(inv.energy_tce, "tce"))
    table.add_row(t["conversion"], conversion)
    if inv.basis == "park":
        table.add_row(t["intensity"], _num(inv.intensity_tco2_per_tce, "tCO2/tce"))
    if inv.basis == "enterprise":
        table.add_row(t["scope2_location"], _num(inv.scope2_location_tco2, "tCO2"))
        table.add_row(t["scope2_market"], _num(inv.scope2_market_tco2, "tCO2"))
        table.add_row(TERM_NAMES["total_market"][idx], _num(inv.total_market_tco2, "tCO2"))
    if inv.building is not None:
        for key, value in inv.building.items():
            table.add_row(key, f"{value:,.4f}")
    w = wording(lang)
    offsets = ", ".join(
        f"{w.code('offset_' + k, 'indicator_input') if lang == 'zh' else k} {v:,.4f}"
        for k, v in inv.offsets.items()
    )
    table.add_row(t["offsets"], offsets)
    console.print(table)
    # in Chinese the records are named, in English by their ids (--json has both)
    named = "、" if lang == "zh" else ", "
    console.print(
        f"[bold]{t['factors']}:[/] " + escape(named.join(w.code(i) for i in inv.factor_ids)),
        highlight=False,
    )
    if inv.unverified_factor_ids:
        console.print(
            f"[bold yellow]{t['unverified']}:[/] "
            + escape(named.join(w.code(i) for i in inv.unverified_factor_ids)),
            highlight=False,
        )
    if explain:
        console.print(f"[bold]{t['explain']}:[/]")
        for line in inv.explain:
            console.print("  " + w.text(line.text(lang)), highlight=False, markup=False)
    for note in inv.notes:
        console.print(f"[dim]{t['notes']}: {escape(w.text(note))}[/]", highlight=False)


def open_configured() -> Store:
    """The store named by ``LINGTAN_DATABASE_URL`` (migrated)."""
    from lingtan.store import open_store

    return open_store(settings())


def _lookup_enterprise(store: Store, code: str, park_id: int) -> int:
    park = store.registry.park(park_id)
    for e in store.registry.enterprises(park.id):
        if e.code == code:
            return e.id
    raise NotFound(f"no enterprise {code!r} in park {park.code}")


def _lookup_site(store: Store, code: str, park_id: int) -> int:
    park = store.registry.park(park_id)
    for site in store.registry.sites(park.id):
        if site.code == code:
            return site.id
    raise NotFound(f"no site {code!r} in park {park.code}")


def _print_stored(result: AccountingResult, lang: str, explain: bool) -> None:
    t = _STORE_TEXT[lang]
    period = f"{result.inventory.year}" + ("" if result.month is None else f"-{result.month:02d}")
    stored = "—" if result.record is None else f"#{result.record.id}"
    console.print(
        t["header"].format(boundary=result.boundary, period=period, stored=stored),
        highlight=False,
    )
    if result.used is not None:
        version = result.used.base.version
        changed = ", ".join(f"{k}={v}" for k, v in result.used.overrides.items())
        console.print(
            t["options"].format(version=version)
            + (t["overrides"].format(changed=changed) if changed else ""),
            highlight=False,
            markup=False,
        )
    _print_table(result.inventory, lang, explain)
    if explain:
        console.print(f"[bold]{t['sources']}:[/]")
        w = wording(lang)
        zh = lang == "zh"
        for line in result.sources:
            amount = "—" if line.amount is None else f"{line.amount:,.4f} {line.amount_unit}"
            carrier = "" if zh else f" ({line.carrier})"
            becomes = w.code(line.becomes, "becomes") if line.becomes != "—" else "—"
            note = w.text(line.note) if line.note else ""
            console.print(
                f"  {line.owner} {line.name_zh}{carrier} {line.value:,.4f} {line.unit}"
                f" → {becomes} {amount}; {t['measured']} {line.measured_share:.1%},"
                f" {t['estimated']} {line.estimated_share:.1%}, {t['missing']}"
                f" {line.missing_share:.1%}" + (f"; {note}" if note else ""),
                highlight=False,
                markup=False,
            )
        if result.green is not None and result.green.cert_ids:
            console.print(
                f"  {t['certificates']}: {len(result.green.cert_ids)} "
                f"({result.green.certified_kwh:,.0f} kWh)",
                highlight=False,
            )
        for sup in result.supplements:
            console.print(
                f"  {t['supplement']} #{sup.id}: {sup.source_document} ({sup.entered_by})",
                highlight=False,
                markup=False,
            )


def _print_history(records: list[InventoryRecord], lang: str, as_json: bool) -> None:
    rows = [
        {
            "result_id": r.id,
            "basis": r.basis,
            "boundary": r.boundary,
            "year": r.year,
            "month": r.month,
            "computed_at": from_us(r.computed_at).isoformat(),
            "computed_by": r.computed_by,
            "total_tco2": r.result.get("emissions_tco2", {}).get("total"),
            "factor_ids": r.factor_ids,
        }
        for r in records
    ]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    t = _STORE_TEXT[lang]
    table = Table(title=t["history"])
    for key in ("result_id", "month", "computed_at", "computed_by", "total_tco2", "factor_ids"):
        table.add_column(t.get(key, key))
    for row in rows:
        total = row["total_tco2"]
        table.add_row(
            str(row["result_id"]),
            "—" if row["month"] is None else str(row["month"]),
            str(row["computed_at"]),
            str(row["computed_by"]),
            "—" if total is None else f"{total:,.4f}",
            ", ".join(row["factor_ids"]),
        )
    console.print(table)


_STORE_TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "header": "核算边界 {boundary} · 核算期 {period} · 结果编号 {stored}（计量数据）",
        "options": "核算选项：园区选项第 {version} 版",
        "overrides": "；本次改用 {changed}",
        "sources": "活动数据来源",
        "measured": "实测",
        "estimated": "估算",
        "missing": "缺失",
        "certificates": "已核销绿证",
        "supplement": "补充数据",
        "history": "历史核算结果",
        "result_id": "结果编号",
        "month": "月份",
        "computed_at": "计算时间",
        "computed_by": "计算人",
        "total_tco2": "合计 tCO2",
        "factor_ids": "所用因子",
    },
    "en": {
        "header": "boundary {boundary} · period {period} · result {stored} (metered data)",
        "options": "options: the park's options, version {version} (lingtan options show)",
        "overrides": "; this run overrides {changed}",
        "sources": "activity sources",
        "measured": "measured",
        "estimated": "estimated",
        "missing": "missing",
        "certificates": "retired certificates",
        "supplement": "supplement",
        "history": "stored results",
    },
}


def _park_mode(
    *,
    park: str | None,
    basis: str | None,
    year: int | None,
    month: int | None,
    enterprise: str | None,
    site: str | None,
    changed: dict[str, Any],
    library: FactorLibrary,
    supplement: Path | None,
    source_document: str | None,
    history_only: bool,
    save: bool,
    as_json: bool,
    explain: bool,
    lang: str,
) -> None:
    from lingtan.accounting import (
        account_building,
        account_enterprise,
        account_enterprises,
        account_park,
        history,
        save_supplement,
    )
    from lingtan.carbon.activity import load_activity
    from lingtan.options import service as park_options

    chosen = basis or ("building" if site else "enterprise" if enterprise else "park")
    if year is None:
        raise InvalidInput("--park needs --year", field="year")
    with open_configured() as store:
        park_id = park_of(store, park).id
        enterprise_id = (
            None if enterprise is None else _lookup_enterprise(store, enterprise, park_id)
        )
        if supplement is not None:
            if chosen not in ("park", "enterprise"):
                raise InvalidInput(
                    "--supplement applies to the park or an enterprise", field="supplement"
                )
            save_supplement(
                store,
                document=load_activity(supplement),
                month=month,
                enterprise_id=enterprise_id,
                source_document=source_document or str(supplement),
                actor="cli",
                park_id=park_id,
            )
        if history_only:
            code = enterprise or site or store.registry.park(park_id).code
            _print_history(
                history(store, basis=chosen, boundary=code, year=year, park_id=park_id),  # type: ignore[arg-type]
                lang,
                as_json,
            )
            return
        results: list[AccountingResult]
        common: dict[str, Any] = {
            "year": year,
            "month": month,
            "used": park_options.used(store, park_id=park_id, overrides=changed),
            "park_id": park_id,
            "library": library,
            "actor": "cli",
            "persist": save,
        }
        if chosen == "park":
            results = [account_park(store, **common)]
        elif chosen == "enterprise":
            if enterprise_id is None:
                results = account_enterprises(store, **common)
            else:
                results = [account_enterprise(store, enterprise_id=enterprise_id, **common)]
        elif chosen == "building":
            if site is None:
                raise InvalidInput("--basis building needs --site CODE", field="site")
            site_id = _lookup_site(store, site, park_id)
            results = [account_building(store, site_id=site_id, **common)]
        else:
            raise InvalidInput("--basis must be park, enterprise or building", field="basis")
    if as_json:
        objects = [r.as_dict(explain=explain, lang=lang) for r in results]
        every_enterprise = chosen == "enterprise" and enterprise is None
        payload: Any = objects if every_enterprise else objects[0]
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    for r in results:
        _print_stored(r, lang, explain)


def account_command(
    input_file: Annotated[
        Path | None,
        typer.Option("--input", "-i", help="activity file (YAML or JSON) / 活动数据文件"),
    ] = None,
    park: Annotated[
        str | None,
        typer.Option(
            "--park",
            help="account from metered data in the store (the default without --input); "
            "--park CODE names the park when the store holds several (else LINGTAN_PARK) / "
            "按计量数据核算",
        ),
    ] = None,
    basis: Annotated[
        str | None, typer.Option(help="park | enterprise | building (default: the file's boundary)")
    ] = None,
    year: Annotated[
        int | None, typer.Option(help="data year of the factors (default: the file's year)")
    ] = None,
    month: Annotated[
        int | None, typer.Option(help="--park: one month (1-12) instead of the year")
    ] = None,
    enterprise: Annotated[
        str | None, typer.Option("--enterprise", help="--park: enterprise id (GB/T 32150 basis)")
    ] = None,
    site: Annotated[
        str | None, typer.Option("--site", help="--park: site/building id (GB/T 51366 basis)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print a JSON object")] = False,
    explain: Annotated[
        bool, typer.Option("--explain", help="one line per term: inputs × factor = result")
    ] = False,
    lang: Annotated[str, typer.Option(help="zh | en")] = "zh",
    factors: Annotated[
        list[Path] | None,
        typer.Option("--factors", help="extra factor file(s) appended to the library"),
    ] = None,
    electricity_conversion: Annotated[
        str | None,
        typer.Option(
            help="override for this run: equivalent (当量值) | equal_value (等价值); "
            "default: the park's options (lingtan options show)"
        ),
    ] = None,
    gas_kind: Annotated[
        str | None,
        typer.Option(
            "--gas-kind",
            help="override for this run: GB/T 2589 kind of natural gas naming none: "
            "oil_field (油田) | gas_field (气田)",
        ),
    ] = None,
    grid_series: Annotated[
        str | None,
        typer.Option(
            "--grid-series",
            help="override for this run: id of an hourly grid factor series (location-based)",
        ),
    ] = None,
    export_kind: Annotated[
        str | None,
        typer.Option(help="--park override for this run: pv_first | non_fossil | fossil"),
    ] = None,
    coal_fuel: Annotated[
        str | None,
        typer.Option(help="--park override for this run: coal type of coal meters"),
    ] = None,
    heat_kind: Annotated[
        str | None,
        typer.Option(help="--park override for this run: metered steam/heat fossil | non_fossil"),
    ] = None,
    supplement: Annotated[
        Path | None,
        typer.Option(help="--park: store this activity file as non-metered supplement first"),
    ] = None,
    source_document: Annotated[
        str | None, typer.Option(help="--supplement: the document the data comes from")
    ] = None,
    show_history: Annotated[
        bool, typer.Option("--history", help="--park: list stored results instead of computing")
    ] = False,
    save: Annotated[
        bool, typer.Option("--save/--no-save", help="--park: keep the result in the store")
    ] = True,
) -> None:
    """Carbon inventory of an activity file, or of metered data / 按活动数据文件或计量数据核算碳排放."""
    from lingtan.carbon.activity import load_activity
    from lingtan.carbon.factors import default_library
    from lingtan.carbon.inventory import account
    from lingtan.options import DEFAULTS

    with domain_errors():
        if basis not in (None, "park", "enterprise", "building"):
            raise InvalidInput("--basis must be park, enterprise or building", field="basis")
        if lang not in ("zh", "en"):
            raise InvalidInput("--lang must be zh or en", field="lang")
        if park is not None and input_file is not None:
            raise InvalidInput("give either --input FILE or --park", field="input")
        library = default_library()
        for path in factors or ():
            library.extend_from_file(path)
        changed = overrides(
            electricity_conversion=electricity_conversion,
            natural_gas_kind=gas_kind,
            grid_series_id=grid_series,
            export_kind=export_kind,
            coal_fuel=coal_fuel,
            heat_kind=heat_kind,
        )
        if input_file is None:
            _park_mode(
                park=park or os.environ.get("LINGTAN_PARK") or None,
                basis=basis,
                year=year,
                month=month,
                enterprise=enterprise,
                site=site,
                changed=changed,
                library=library,
                supplement=supplement,
                source_document=source_document,
                history_only=show_history,
                save=save,
                as_json=as_json,
                explain=explain,
                lang=lang,
            )
            return
        # an activity file is not park data: the defaults, with this run's overrides
        options = DEFAULTS.replace(changed).accounting()
        assert input_file is not None
        activity = load_activity(input_file)
        inv = account(activity, library=library, basis=basis, year=year, options=options)  # type: ignore[arg-type]
        if as_json:
            data: dict[str, Any] = inv.as_dict(explain=explain, lang=lang)
            typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        else:
            _print_table(inv, lang, explain)


class _AccountCommand(TyperCommand):
    """``--park`` alone (the store mode, as before ``--park CODE`` existed) takes an empty code:
    ``lingtan account --park --year 2025`` and ``lingtan account --park P2 --year 2025``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # typer's click Context
        fixed: list[str] = []
        for i, arg in enumerate(args):
            fixed.append(arg)
            if arg == "--park" and (i + 1 == len(args) or args[i + 1].startswith("-")):
                fixed.append("")
        return super().parse_args(ctx, fixed)


def register(app: typer.Typer) -> None:
    """Add ``lingtan account`` to the CLI."""
    app.command("account", cls=_AccountCommand)(account_command)
