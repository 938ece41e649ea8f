"""``lingtan exchange upload --channel CODE --enterprise E01 --year 2025 --month 1``: check a
unit's month of energy data and queue it for the provincial key energy-user online-monitoring
platform (用能单位能耗在线监测, docs/outbound.md); ``--check-only`` runs the checks and queues
nothing; ``--granularities day,month`` leaves the 15-minute items out (default: all three). ``lingtan alarms deliver`` sends what is due (the service's worker does it by itself)."""

from __future__ import annotations

from typing import Annotated

import typer

from lingtan.cli._common import ParkOption, console, domain_errors, enterprise_id_of, park_of
from lingtan.cli.data import open_configured
from lingtan.errors import InvalidInput, NotFound
from lingtan.store.query_repo import Tenant

exchange_app = typer.Typer(help="对外数据交换 — the outbound exchange (uploads).")


def upload(
    channel: Annotated[str, typer.Option("--channel", help="the ecm channel's code")],
    enterprise: Annotated[str, typer.Option("--enterprise", help="enterprise code or id")],
    year: Annotated[int, typer.Option("--year")],
    month: Annotated[int, typer.Option("--month", min=1, max=12)],
    check_only: Annotated[
        bool, typer.Option("--check-only", help="run the checks, queue nothing")
    ] = False,
    granularities: Annotated[
        str | None,
        typer.Option(
            "--granularities",
            help="comma-separated: 15min,day,month (default: all; day and month required)",
        ),
    ] = None,
    park: ParkOption = None,
) -> None:
    """检查并上传 — check a month and queue it for the provincial platform."""
    from lingtan.exchange import ecm
    from lingtan.exchange.upload import build_dataset, queue_upload

    grans = (
        None
        if granularities is None
        else [g.strip() for g in granularities.split(",") if g.strip()]
    )
    with domain_errors(), open_configured() as store:
        p = park_of(store, park)
        eid = enterprise_id_of(store, enterprise, p.id)
        if eid is None:
            raise InvalidInput("--enterprise is required", field="enterprise")
        if check_only:
            dataset = build_dataset(
                store, enterprise_id=eid, year=year, month=month, park_id=p.id,
                granularities=grans,
            )  # fmt: skip
            findings = ecm.check(dataset)
            queued, key = False, None
        else:
            found = [
                c for c in store.outbox.channels(tenant=Tenant.park_wide(), park_id=p.id)
                if c.code == channel and c.kind == "ecm"
            ]  # fmt: skip
            if not found:
                raise NotFound(f"no ecm channel with code {channel!r}")
            res = queue_upload(
                store, tenant=Tenant.park_wide(), channel_id=found[0].id, enterprise_id=eid,
                year=year, month=month, park_id=p.id, granularities=grans,
            )  # fmt: skip
            findings, queued, key = list(res.findings), res.queued, res.delivery_id
    for f in findings:
        colour = "red" if f.level == "error" else "yellow"
        console.print(f"[{colour}]{f.level}[/{colour}] {f.rule}: {f.message}", highlight=False)
    if queued:
        console.print(f"queued / 已排队: {key}", highlight=False)
    elif ecm.refused(findings):
        console.print("refused / 未通过检查，未上传", highlight=False)
        raise typer.Exit(1)
    else:
        console.print("checks passed / 检查通过", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``lingtan exchange``."""
    exchange_app.command("upload")(upload)
    app.add_typer(exchange_app, name="exchange")
