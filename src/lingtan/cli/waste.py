"""``lingtan waste``: the hazardous-waste ledger, manifests, import, balance and exchange — the
same services as ``/api/v1/waste``, run as the system (the park administrator) on the local
store."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from lingtan.cli._common import ParkOption, console, domain_errors, park_of
from lingtan.cli.data import open_configured
from lingtan.errors import InvalidInput

waste_app = typer.Typer(
    help="Hazardous-waste ledger, transfer manifests and waste exchange (危险废物台账、转移联单、固废交换).",
    no_args_is_help=True,
)
EnterpriseOpt = Annotated[str | None, typer.Option("--enterprise", help="enterprise code")]


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


def streams(
    enterprise: EnterpriseOpt = None,
    add: Annotated[
        str | None, typer.Option("--add", help="declare a stream with this waste code")
    ] = None,
    name: Annotated[str | None, typer.Option("--name")] = None,
    form: Annotated[str, typer.Option("--form", help="固态, 半固态, 液态, 气态")] = "固态",
    process: Annotated[str, typer.Option("--process", help="generating process")] = "",
    park: ParkOption = None,
) -> None:
    """List the waste streams, or declare one (--add CODE --name NAME --enterprise E)."""
    from lingtan.waste import service

    with domain_errors(), open_configured() as store:
        p = _principal(store, park)
        ent = _enterprise_id(store, park, enterprise)
        if add is not None:
            s = service.add_stream(store, principal=p, enterprise_id=ent, code=add,
                                   name=name or add, form=form, process=process)  # fmt: skip
            console.print(f"stream {s.id}: {s.name} {s.code} ({s.category}, 名录 {s.edition}"
                          f"{'' if s.listed else '，代码未列入本数据文件'})")  # fmt: skip
            return
        table = Table("编号", "企业", "名称", "代码", "类别", "形态", "危险特性", "产生工序")
        for s in service.list_streams(store, principal=p, enterprise_id=ent):
            table.add_row(str(s.id), str(s.enterprise_id), s.name, s.code, s.category, s.form,
                          ",".join(s.hazard), s.process)  # fmt: skip
        console.print(table)


def movement(
    stream_id: Annotated[int, typer.Argument(help="stream id")],
    kind: Annotated[
        str, typer.Argument(help="generated, stored, retrieved, utilised, treated, disposed")
    ],
    batch: Annotated[str, typer.Argument(help="batch")],
    quantity: Annotated[float, typer.Argument(help="quantity")],
    at: Annotated[str, typer.Argument(help="YYYY-MM-DD[ HH:MM] park local")],
    unit: Annotated[str, typer.Option("--unit", help="t or kg")] = "t",
    facility: Annotated[int | None, typer.Option("--facility", help="facility id")] = None,
    corrects: Annotated[
        int | None, typer.Option("--corrects", help="id of the record corrected")
    ] = None,
    park: ParkOption = None,
) -> None:
    """Append one ledger record (a correction with --corrects)."""
    from lingtan.waste import service

    with domain_errors(), open_configured() as store:
        m = service.record_movement(
            store, principal=_principal(store, park), stream_id=stream_id, kind=kind,
            batch=batch, quantity=quantity, unit=unit, at=at, facility_id=facility,
            corrects_id=corrects,
        )  # fmt: skip
        console.print(f"record {m.id}: {m.kind.value} {m.quantity_t:.3f} t, batch {m.batch}")


def manifest(
    manifest_id: Annotated[int | None, typer.Argument(help="manifest id (omit to list)")] = None,
    action: Annotated[
        str | None, typer.Option("--action", help="dispatch, receive, close, cancel")
    ] = None,
    received: Annotated[
        list[float] | None, typer.Option("--received", help="t received per line")
    ] = None,
    park: ParkOption = None,
) -> None:
    """List the transfer manifests, or move one (--action)."""
    from lingtan.waste import manifests as mf
    from lingtan.waste import transfers

    with domain_errors(), open_configured() as store:
        p = _principal(store, park)
        if manifest_id is not None and action is not None:
            m = transfers.transition(store, principal=p, manifest_id=manifest_id, action=action,
                                     received=received)  # fmt: skip
            console.print(f"manifest {m.number}: {mf.STATE_ZH[m.state]}")
            return
        table = Table("编号", "联单号", "企业", "接收单位", "状态", "发运量 t", "接收量 t")
        for m in transfers.list_manifests(store, principal=p):
            if manifest_id is not None and m.id != manifest_id:
                continue
            got = "—" if m.received_t is None else f"{m.received_t:.3f}"
            table.add_row(str(m.id), m.number, str(m.enterprise_id), m.receiver,
                          mf.STATE_ZH[m.state], f"{m.quantity_t:.3f}", got)  # fmt: skip
        console.print(table)


def import_file(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help=".csv or .xlsx")],
    park: ParkOption = None,
) -> None:
    """Import ledger rows; bad rows are listed with their line and reason (docs/waste.md)."""
    from lingtan.waste import importer

    with domain_errors(), open_configured() as store:
        r = importer.import_movements(store, principal=_principal(store, park),
                                      data=path.read_bytes(), filename=path.name)  # fmt: skip
        console.print(f"stored {r.stored} row(s), rejected {len(r.rejected)}")
        for x in r.rejected:
            console.print(f"  {x['reason']}", highlight=False, markup=False)
        if r.rejected:
            raise typer.Exit(3)


def balance(
    year: Annotated[int, typer.Argument(help="year")],
    enterprise: EnterpriseOpt = None,
    park: ParkOption = None,
) -> None:
    """The year's mass balance per stream and month [t] and the storage status."""
    from lingtan.waste import service

    with domain_errors(), open_configured() as store:
        p = _principal(store, park)
        ent = _enterprise_id(store, park, enterprise)
        b = service.balance(store, principal=p, year=year, enterprise_id=ent)
        table = Table("废物", "月份", "产生", "转移", "自行利用处置", "库存变化", "差额")
        names = {s["stream_id"]: s["stream"] for s in b["streams"]}
        for m in b["months"]:
            table.add_row(names.get(m["stream_id"], str(m["stream_id"])), m["month"],
                          *(f"{m[k]:.3f}" for k in ("generated", "transferred", "own",
                                                    "delta_storage", "residual")))  # fmt: skip
        console.print(table)
        st = Table("批次", "废物", "设施", "数量 t", "入库日期", "期限", "延期批准文号", "剩余天数")
        for x in service.storage_status(store, principal=p, enterprise_id=ent):
            st.add_row(x["batch"], x["stream"], x["facility"], f"{x['quantity_t']:.3f}",
                       x["stored_on"], x["deadline"], x["extension_number"] or "—",
                       str(x["days_left"]))  # fmt: skip
        console.print(st)


def exchange(
    what: Annotated[str, typer.Argument(help="listings, matches or deals")] = "listings",
    park: ParkOption = None,
) -> None:
    """The waste exchange: open listings, matches of offers and wants, deals."""
    from lingtan.waste import exchange_service as ex

    with domain_errors(), open_configured() as store:
        p = _principal(store, park)
        if what == "listings":
            t = Table("编号", "方向", "物料", "数量", "单位", "期间", "地点")
            for x in ex.list_listings(store, principal=p):
                t.add_row(str(x.id), "供" if x.side == "offer" else "需", x.material,
                          f"{x.quantity:g}", x.unit, f"{x.period_from}…{x.period_to}",
                          x.location or "")  # fmt: skip
        elif what == "matches":
            t = Table("供方挂牌", "需方挂牌", "物料", "可交换量 t")
            for m in ex.list_matches(store, principal=p):
                t.add_row(str(m.offer.id), str(m.want.id), m.offer.material, f"{m.quantity_t:.3f}")
        elif what == "deals":
            t = Table("编号", "物料", "供方", "需方", "数量 t", "约定日", "完成日", "状态")
            for d in ex.list_deals(store, principal=p):
                t.add_row(str(d.id), d.material, str(d.seller_id), str(d.buyer_id),
                          f"{d.quantity_t:.3f}", d.agreed_on, d.completed_on or "", d.state)  # fmt: skip
        else:
            raise InvalidInput("what: listings, matches or deals", field="what")
        console.print(t)


def approvals(
    number: Annotated[
        str | None, typer.Option("--add", help="record an approval with this number")
    ] = None,
    destination: Annotated[
        str | None, typer.Option("--destination", help="the destination province (e.g. 浙江省)")
    ] = None,
    codes: Annotated[
        str | None, typer.Option("--codes", help="waste codes or categories, comma-separated")
    ] = None,
    quantity: Annotated[float | None, typer.Option("--quantity", help="approved quantity")] = None,
    unit: Annotated[str, typer.Option("--unit", help="t or kg")] = "t",
    valid_from: Annotated[str | None, typer.Option("--from", help="YYYY-MM-DD")] = None,
    valid_to: Annotated[str | None, typer.Option("--to", help="YYYY-MM-DD")] = None,
    enterprise: EnterpriseOpt = None,
    park: ParkOption = None,
) -> None:
    """Cross-province transfer approvals (跨省转移审批, 固废法 第八十二条): list them, or record
    one with ``--add NUMBER --destination … --codes … --quantity … --from … --to …``."""
    from lingtan.waste import transfers

    with domain_errors(), open_configured() as store:
        p = _principal(store, park)
        ent = _enterprise_id(store, park, enterprise)
        if number is not None:
            missing = [n for n, v in (("--destination", destination), ("--codes", codes),
                                      ("--quantity", quantity), ("--from", valid_from),
                                      ("--to", valid_to)) if v is None]  # fmt: skip
            if missing:
                raise InvalidInput(f"--add needs {', '.join(missing)}", field=missing[0])
            a = transfers.add_approval(
                store, principal=p, enterprise_id=ent, number=number, destination=str(destination),
                codes=[c.strip() for c in str(codes).split(",") if c.strip()],
                quantity=float(quantity or 0), unit=unit, valid_from=str(valid_from),
                valid_to=str(valid_to),
            )  # fmt: skip
            console.print(f"recorded approval {a.number} ({a.origin} → {a.destination})")
            return
        codes_of = {e.id: e.code for e in store.registry.enterprises(park_of(store, park).id)}
        t = Table("编号", "企业", "批准文号", "移出地", "接受地", "废物", "数量 t", "有效期")
        for a in transfers.list_approvals(store, principal=p, enterprise_id=ent):
            t.add_row(str(a.id), codes_of.get(a.enterprise_id, str(a.enterprise_id)), a.number,
                      a.origin, a.destination, ",".join(a.codes), f"{a.quantity_t:.3f}",
                      f"{a.valid_from}…{a.valid_to}")  # fmt: skip
        console.print(t)


def extensions(
    number: Annotated[
        str | None, typer.Option("--add", help="record an extension with this 批准文号")
    ] = None,
    stream_id: Annotated[int | None, typer.Option("--stream", help="stream id")] = None,
    batch: Annotated[str | None, typer.Option("--batch", help="the batch in storage")] = None,
    authority: Annotated[
        str | None, typer.Option("--authority", help="the approving authority (审批部门)")
    ] = None,
    approved_on: Annotated[
        str | None, typer.Option("--approved", help="approval date YYYY-MM-DD")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="last day storage is permitted, YYYY-MM-DD")
    ] = None,
    note: Annotated[str | None, typer.Option("--note")] = None,
    enterprise: EnterpriseOpt = None,
    park: ParkOption = None,
) -> None:
    """Approved extensions of the storage time (固废法 第八十一条第三款): list them, or record one
    with ``--add NUMBER --stream ID --batch B --authority … --approved … --until …``."""
    from lingtan.waste import service

    with domain_errors(), open_configured() as store:
        p = _principal(store, park)
        ent = _enterprise_id(store, park, enterprise)
        if number is not None:
            missing = [n for n, v in (("--stream", stream_id), ("--batch", batch),
                                      ("--authority", authority), ("--approved", approved_on),
                                      ("--until", until)) if v is None]  # fmt: skip
            if missing:
                raise InvalidInput(f"--add needs {', '.join(missing)}", field=missing[0])
            e = service.add_extension(
                store, principal=p, stream_id=int(stream_id or 0), batch=str(batch),
                authority=str(authority), number=number, approved_on=str(approved_on),
                until=str(until), note=note,
            )  # fmt: skip
            console.print(f"recorded extension {e.number}: batch {e.batch} may stay in storage "
                          f"until {e.until}")  # fmt: skip
            return
        codes_of = {x.id: x.code for x in store.registry.enterprises(park_of(store, park).id)}
        t = Table("编号", "企业", "废物", "批次", "审批部门", "批准文号", "批准日期", "延期至")
        for e in service.list_extensions(store, principal=p, enterprise_id=ent):
            t.add_row(str(e.id), codes_of.get(e.enterprise_id, str(e.enterprise_id)),
                      str(e.stream_id), e.batch, e.authority, e.number, e.approved_on,
                      e.until)  # fmt: skip
        console.print(t)


def rules(park: ParkOption = None) -> None:
    """Install the default waste alarm rules the park lacks (docs/waste.md)."""
    from lingtan.waste import alarms

    with domain_errors(), open_configured() as store:
        made = alarms.install_rules(store, principal=_principal(store, park))
        console.print(f"created {len(made)} rule(s): {', '.join(made) or '—'}")


def report(
    year: Annotated[int, typer.Argument(help="year")],
    out: Annotated[Path, typer.Option("--out", help="the .xlsx or .html to write")],
    enterprise: EnterpriseOpt = None,
    lang: Annotated[str, typer.Option("--lang", help="zh-CN or en")] = "zh-CN",
    park: ParkOption = None,
) -> None:
    """The annual hazardous-waste management report (Excel, or HTML for an .html file)."""
    from lingtan.waste import report as rep

    fmt = "html" if out.suffix.lower() in (".html", ".htm") else "xlsx"
    with domain_errors(), open_configured() as store:
        p = _principal(store, park)
        data = rep.build(store, principal=p, year=year,
                         enterprise_id=_enterprise_id(store, park, enterprise), lang=lang,
                         fmt=fmt)  # fmt: skip
        out.write_bytes(data)
        console.print(f"wrote {out}")


def register(app: typer.Typer) -> None:
    """Add ``lingtan waste``."""
    waste_app.command("streams")(streams)
    waste_app.command("movement")(movement)
    waste_app.command("manifest")(manifest)
    waste_app.command("import")(import_file)
    waste_app.command("balance")(balance)
    waste_app.command("exchange")(exchange)
    waste_app.command("approvals")(approvals)
    waste_app.command("extensions")(extensions)
    waste_app.command("rules")(rules)
    waste_app.command("report")(report)
    app.add_typer(waste_app, name="waste")
