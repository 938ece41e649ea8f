"""``lingtan key``: API keys for data collectors and read-only integrations (接口密钥).

The same service calls as ``POST/GET/DELETE /api/v1/keys``, run as the system on the local
store, so that the first collector can be given a key before anyone has signed in.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer
from rich.table import Table

from lingtan.cli._common import (
    ParkOption,
    console,
    domain_errors,
    err_console,
    settings,
)
from lingtan.cli._common import enterprise_in_park as _enterprise
from lingtan.identity import service as identity
from lingtan.identity.roles import SYSTEM
from lingtan.store import open_store
from lingtan.timeutil import SECOND_US, from_us, to_us, utcnow

key_app = typer.Typer(
    help="API keys for collectors and integrations (接口密钥).", no_args_is_help=True
)


class Scope(StrEnum):
    """What a key may do (identity.KEY_SCOPES)."""

    INGEST = "ingest"
    READ = "read"


def _when(us: int | None) -> str:
    return "—" if us is None else from_us(us).strftime("%Y-%m-%d %H:%M UTC")


def create_key(
    name: Annotated[str, typer.Option("--name", help="what the key is for, e.g. the collector")],
    scope: Annotated[Scope, typer.Option("--scope", help="ingest: send readings; read: read")],
    enterprise: Annotated[
        str | None, typer.Option("--enterprise", help="bind to one enterprise (id or code)")
    ] = None,
    point: Annotated[
        list[str] | None,
        typer.Option("--point", help="ingest only these points (repeatable)"),
    ] = None,
    expires_in_days: Annotated[
        int | None,
        typer.Option(
            "--expires-in-days",
            min=1,
            max=identity.KEY_MAX_DAYS,
            help="stop working after this many days (default: until revoked)",
        ),
    ] = None,
    park: ParkOption = None,
) -> None:
    """Create a key. Its secret goes alone to standard output, once; it is never stored in
    clear, so ``KEY=$(lingtan key create …)`` is the only chance to keep it."""
    with domain_errors():
        now = to_us(utcnow())
        expires_at = None if expires_in_days is None else now + expires_in_days * 86_400 * SECOND_US
        with open_store(settings()) as store:
            info, secret = identity.create_api_key(
                store,
                actor=SYSTEM,
                name=name,
                scope=scope.value,
                enterprise_id=_enterprise(store, enterprise, park),
                points=point or None,
                expires_at=expires_at,
                now=now,
            )
    bound = f"enterprise {info.enterprise_id}" if info.enterprise_id is not None else "the park"
    err_console.print(
        f"key {info.id} [bold]{info.name}[/] ({info.scope}, {bound}, expires "
        f"{_when(info.expires_at)}) created; its secret follows, shown this once",
        highlight=False,
    )
    typer.echo(secret)


def list_keys(
    revoked: Annotated[bool, typer.Option("--revoked", help="include revoked keys")] = False,
) -> None:
    """The keys of the park in the order they were made; secrets are never shown again."""
    with domain_errors(), open_store(settings()) as store:
        keys: list[identity.KeyInfo] = []
        while True:  # page through: a park has few keys, but the service pages
            page, total = identity.list_api_keys(store, actor=SYSTEM, limit=500, offset=len(keys))
            keys.extend(page)
            if not page or len(keys) >= total:
                break
    table = Table("id", "prefix", "name", "scope", "enterprise", "points", "expires", "last used")
    table.columns[1].no_wrap = True  # the prefix is what `revoke` users match against the key
    if revoked:
        table.add_column("revoked")
    for k in keys:
        if k.revoked_at is not None and not revoked:
            continue
        cells = [
            str(k.id),
            k.prefix,
            k.name,
            k.scope,
            "—" if k.enterprise_id is None else str(k.enterprise_id),
            "all" if k.points is None else str(len(k.points)),
            _when(k.expires_at),
            _when(k.last_used_at),
        ]
        table.add_row(*cells, *([_when(k.revoked_at)] if revoked else []))
    console.print(table)


def revoke_key(
    key_id: Annotated[int, typer.Argument(help="the key's id (lingtan key list)")],
) -> None:
    """Revoke a key; it stops working at once (idempotent)."""
    with domain_errors(), open_store(settings()) as store:
        info = identity.revoke_api_key(store, actor=SYSTEM, key_id=key_id)
    console.print(f"key {info.id} [bold]{info.name}[/] revoked at {_when(info.revoked_at)}")


def register(app: typer.Typer) -> None:
    """Add ``key create|list|revoke``."""
    key_app.command("create")(create_key)
    key_app.command("list")(list_keys)
    key_app.command("revoke")(revoke_key)
    app.add_typer(key_app, name="key")
