"""``lingtan serve`` (the REST API and the dashboard) and ``lingtan user add``."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from lingtan.cli._common import (
    ParkOption,
    console,
    domain_errors,
    err_console,
    settings,
)
from lingtan.cli._common import enterprise_in_park as _enterprise
from lingtan.errors import InvalidInput
from lingtan.identity import service as identity
from lingtan.identity.roles import SYSTEM, Role
from lingtan.store import open_store
from lingtan.store.engine import DEFAULT_CONNECTIONS, is_memory_sqlite

#: database connections all workers of ``serve --workers N`` share
WORKERS_CONNECTIONS = 80
#: at most this many workers, so that each keeps 4 connections of the 80 (its API threads
#: wait for one beyond that; a park's server has a few cores, not 20)
MAX_WORKERS = 20

user_app = typer.Typer(help="Users of the web service (用户).", no_args_is_help=True)


def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(help="worker processes", min=1, max=MAX_WORKERS)] = 1,
) -> None:
    """Serve the REST API (/api/v1, docs at /docs) and the dashboard (/) with uvicorn."""
    import uvicorn

    from lingtan.api import create_app

    with domain_errors():
        cfg = settings()
        cfg.check_serving(host)
        if is_memory_sqlite(cfg.database_url):
            raise InvalidInput(
                "a database in memory lives in one connection and is gone when the server "
                "stops; serve a file (LINGTAN_DATABASE_URL=sqlite:///var/lingtan.db) or "
                "PostgreSQL",
                field="database_url",
            )
        if cfg.uses_development_secret:
            err_console.print(
                "[yellow]development secret in use:[/] tokens are signed with a published key; "
                "set LINGTAN_SECRET_KEY before serving anyone but yourself"
            )
        with open_store(cfg) as store:
            if identity.bootstrap_needed(store):
                err_console.print(
                    "[yellow]no users yet:[/] create the first park admin with "
                    "[bold]lingtan user add --username admin --role park_admin --password-stdin[/]"
                )
    console.print(f"lingtan serving on http://{host}:{port}  (API docs: /docs)")
    if workers > 1:
        # every worker keeps its own pool: share 80 connections among them (PostgreSQL
        # allows 100 by default) unless LINGTAN_DB_CONNECTIONS says otherwise
        share = min(DEFAULT_CONNECTIONS, WORKERS_CONNECTIONS // workers)
        os.environ.setdefault("LINGTAN_DB_CONNECTIONS", str(share))
        uvicorn.run(
            "lingtan.api.app:create_app", factory=True, host=host, port=port, workers=workers
        )
    else:
        uvicorn.run(create_app(cfg), host=host, port=port)


def add_user(
    username: Annotated[str, typer.Option("--username", help="login name")],
    role: Annotated[Role, typer.Option("--role", help="role of the user")],
    enterprise: Annotated[
        str | None, typer.Option("--enterprise", help="enterprise id or code (enterprise roles)")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from standard input")
    ] = False,
    display_name: Annotated[str | None, typer.Option("--name", help="display name")] = None,
    lang: Annotated[str, typer.Option("--lang", help="zh-CN or en")] = "zh-CN",
    park: ParkOption = None,
) -> None:
    """Create a user (the first park admin included); the password is never echoed."""
    with domain_errors():
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
        if not password:
            raise InvalidInput("no password given", field="password")
        with open_store(settings()) as store:
            info = identity.create_user(
                store,
                actor=SYSTEM,
                username=username,
                password=password,
                role=role.value,
                enterprise_id=_enterprise(store, enterprise, park),
                display_name=display_name,
                lang=lang,
            )
    where = f" of enterprise {info.enterprise_id}" if info.enterprise_id is not None else ""
    console.print(f"user [bold]{info.username}[/] ({info.role}{where}) created, id {info.id}")


def register(app: typer.Typer) -> None:
    """Add ``serve`` and ``user``."""
    app.command("serve")(serve)
    user_app.command("add")(add_user)
    app.add_typer(user_app, name="user")
