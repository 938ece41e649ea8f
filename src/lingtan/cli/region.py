"""``lingtan region``: region mode (docs/region.md).

Park side::

    lingtan region channel add --url https://region.example.gov.cn/api/v1/region/uploads \\
        --secret <the key the region registered for the park>
    lingtan region upload build --year 2025 --month 1            # build and queue
    lingtan region upload build --year 2025 --month 1 --out jan.json --no-queue

Region side (``LINGTAN_MODE=region``)::

    lingtan region park add P1 --name 示范园区 --secret <key> --target carbon_per_energy=0.3
    lingtan region member add p1_user P1      # the user sees park P1 only
    lingtan region status
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from lingtan.cli._common import ParkOption, console, domain_errors, park_of
from lingtan.cli.data import open_configured
from lingtan.errors import InvalidInput, NotFound
from lingtan.store.query_repo import Tenant

region_app = typer.Typer(help="区域平台互联 — parks upload to a regional lingtan (region mode).")
upload_app = typer.Typer(help="园区上传 — the park's upload documents.")
channel_app = typer.Typer(help="上传通道 — the park's region channels.")
park_app = typer.Typer(help="登记园区 — parks registered with this region instance.")
member_app = typer.Typer(help="园区用户 — users of the region instance bound to one park.")


def channel_add(
    url: Annotated[str, typer.Option("--url", help="the region's ingress URL")],
    secret: Annotated[
        str,
        typer.Option(
            "--secret", help="HMAC key (plain or hmac-sm3:<key>) or sm2:<private key hex>"
        ),
    ],
    code: Annotated[str, typer.Option("--code", help="channel code")] = "region",
    name: Annotated[str, typer.Option("--name", help="channel name")] = "区域平台",
    min_severity: Annotated[
        str, typer.Option("--min-severity", help="alarms uploaded: this severity and above")
    ] = "major",
    park: ParkOption = None,
) -> None:
    """Create the park's region channel (its uploads are signed with ``--secret``)."""
    from lingtan.alarms.notify.model import channel_spec
    from lingtan.alarms.notify.service import create_channel

    with domain_errors(), open_configured() as store:
        p = park_of(store, park)
        spec = channel_spec(
            code=code, name=name, kind="region", target=url, min_severity=min_severity
        )
        channel, _ = create_channel(store, park_id=p.id, spec=spec, actor="cli", secret=secret)
    console.print(
        f"region channel {channel.code} (id {channel.id}) created / 已创建", highlight=False
    )


def upload_build(
    year: Annotated[int, typer.Option("--year")],
    month: Annotated[int, typer.Option("--month", min=1, max=12)],
    channel: Annotated[str, typer.Option("--channel", help="the region channel's code")] = "region",
    out: Annotated[
        Path | None, typer.Option("--out", help="also write the document to this file")
    ] = None,
    queue: Annotated[
        bool, typer.Option("--queue/--no-queue", help="queue it on the channel (default)")
    ] = True,
    park: ParkOption = None,
) -> None:
    """Build a month's upload document and queue it (a correction is the next revision)."""
    from lingtan.region import build
    from lingtan.region.document import canonical

    with domain_errors(), open_configured() as store:
        p = park_of(store, park)
        found = [
            c for c in store.outbox.channels(tenant=Tenant.park_wide(), park_id=p.id)
            if c.code == channel and c.kind == "region"
        ]  # fmt: skip
        if not found:
            raise NotFound(f"no region channel with code {channel!r}")
        if queue:
            q = build.queue(
                store, tenant=Tenant.park_wide(), channel_id=found[0].id, year=year, month=month
            )
            row = store.outbox.by_key(f"{q.idempotency_key}-ch{found[0].id}")
            text = row.payload if row is not None else ""
            state = "queued / 已排队" if q.new else "already queued / 已在队列"
            console.print(
                f"{state}: {q.idempotency_key} sha256 {q.content_sha256}", highlight=False
            )
        else:
            text = canonical(build.build(store, channel=found[0], year=year, month=month))
    if out is not None:
        out.write_text(text, encoding="utf-8")
        console.print(f"{out} ({len(text.encode())} bytes)", highlight=False)


def _targets(items: list[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in items:
        key, sep, value = item.partition("=")
        try:
            if not sep:
                raise ValueError
            out[key.strip()] = float(value)
        except ValueError:
            raise InvalidInput(
                f"--target {item!r}: write indicator=value, e.g. carbon_per_energy=0.3",
                field="target",
            ) from None
    return out


def park_add(
    code: Annotated[str, typer.Argument(help="the park's code (its park file's id)")],
    name: Annotated[str, typer.Option("--name")],
    secret: Annotated[
        str | None, typer.Option("--secret", help="the HMAC key its channel signs with")
    ] = None,
    public_key: Annotated[
        str | None, typer.Option("--public-key", help="its SM2 public key (128 hex digits)")
    ] = None,
    target: Annotated[
        list[str] | None, typer.Option("--target", help="indicator=value (repeatable)")
    ] = None,
) -> None:
    """Register a park with this region instance."""
    from lingtan.identity.roles import SYSTEM
    from lingtan.region import service

    with domain_errors(), open_configured() as store:
        p = service.register_park(
            store, principal=SYSTEM, code=code, name=name, secret=secret,
            public_key=public_key, targets=_targets(target or []),
        )  # fmt: skip
    console.print(f"park {p.code} registered / 已登记", highlight=False)


def member_add(
    username: Annotated[str, typer.Argument(help="a user of this region instance")],
    park_code: Annotated[str, typer.Argument(help="the registered park it may see")],
) -> None:
    """Bind a user to one registered park: it sees that park only."""
    from lingtan.identity.roles import SYSTEM
    from lingtan.region import service

    with domain_errors(), open_configured() as store:
        service.bind_member(store, principal=SYSTEM, username=username, park_code=park_code)
    console.print(f"{username} → {park_code}", highlight=False)


def status(
    as_json: Annotated[bool, typer.Option("--json", help="the dashboard as JSON")] = False,
) -> None:
    """The region's parks: latest period, completeness, late uploads, the core indicator."""
    from lingtan.identity.roles import SYSTEM
    from lingtan.region import service

    with domain_errors(), open_configured() as store:
        board = service.dashboard(store, principal=SYSTEM)
    if as_json:
        console.print_json(json.dumps(board, ensure_ascii=False))
        return
    for p in board["parks"]:
        core = (p["indicators"].get("carbon_per_energy") or {}).get("value")
        console.print(
            f"{p['code']}  {p['name']}  latest {p['latest'] or '-'}  periods {p['periods']}  "
            f"missing hours {p['missing_hours']}  missing months "
            f"{','.join(p['missing_months']) or '-'}  late {p['late']}  "
            f"单位能耗碳排放 {'-' if core is None else f'{core:.4g}'}",
            highlight=False,
        )


def register(app: typer.Typer) -> None:
    """Add ``lingtan region``."""
    channel_app.command("add")(channel_add)
    upload_app.command("build")(upload_build)
    park_app.command("add")(park_add)
    member_app.command("add")(member_add)
    region_app.add_typer(channel_app, name="channel")
    region_app.add_typer(upload_app, name="upload")
    region_app.add_typer(park_app, name="park")
    region_app.add_typer(member_app, name="member")
    region_app.command("status")(status)
    app.add_typer(region_app, name="region")
