"""``lingtan profiles``: the park's own indicator profiles (指标体系配置), stored and versioned.

``lingtan profiles store my-park.yaml --reason …`` validates a profile file exactly as
``PUT /api/v1/indicators/profiles/{id}`` does (errors name the line) and stores it as a new
version of the park's profile; ``list`` shows the shipped and stored profiles, ``show`` one
profile with every stored version (``--yaml`` prints the stored text). Once stored, the id is a
profile name for the park's options (``indicator_profiles``), ``lingtan indicators --profile``,
the API and the dashboard (docs/indicator-profiles.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from lingtan.cli._common import ParkOption, console, domain_errors, park_of, settings
from lingtan.errors import InvalidInput
from lingtan.store import open_store
from lingtan.timeutil import from_us

profiles_app = typer.Typer(
    help="园区自定义指标体系（版本化存储）— the park's own indicator profiles.",
    no_args_is_help=True,
)


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InvalidInput(f"{path.name}: the profile is not UTF-8 text", field="file") from err
    except OSError as err:
        raise InvalidInput(f"{path}: {err.strerror}", field="file") from err


def _stored_dict(row: Any) -> dict[str, Any]:
    return {
        "version": row.version,
        "created_by": row.created_by,
        "created_at": from_us(row.created_at).isoformat(),
        "reason": row.reason,
        "sha256": row.sha256,
    }


@profiles_app.command("store")
def store_command(
    file: Annotated[Path, typer.Argument(help="the profile YAML (docs/indicator-profiles.md)")],
    profile_id: Annotated[
        str | None,
        typer.Option("--id", help="the profile id (default: the file name without .yaml)"),
    ] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="why this version")] = None,
    park: ParkOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the stored profile")] = False,
) -> None:
    """Validate a profile file and store it as a new version of the park's profile."""
    from lingtan.indicators import park_profiles

    pid = profile_id or file.name.removesuffix(".yaml").removesuffix(".yml")
    with domain_errors(), open_store(settings()) as store:
        prof, row = park_profiles.upload(
            store,
            park_id=park_of(store, park).id,
            profile_id=pid,
            text=_read_text(file),
            actor="cli",
            reason=reason,
        )
    if as_json:
        typer.echo(json.dumps({**prof.as_dict(), "stored": _stored_dict(row)}, ensure_ascii=False))
        return
    console.print(
        f"stored profile [bold]{pid}[/] version {row.version} "
        f"({len(prof.indicators)} indicators, SHA-256 {row.sha256[:16]}…)"
    )


@profiles_app.command("list")
def list_command(
    park: ParkOption = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The shipped profiles and the park's stored ones (newest version each)."""
    from lingtan.indicators import park_profiles
    from lingtan.indicators.profiles import shipped_profiles

    with domain_errors(), open_store(settings()) as store:
        stored = park_profiles.stored(store, park_id=park_of(store, park).id)
    rows: list[dict[str, Any]] = [
        {"id": p.id, "version": p.version, "name": p.name_zh, "stored": None}
        for p in shipped_profiles()
    ]
    rows += [
        {"id": p.id, "version": p.version, "name": p.name_zh, "stored": _stored_dict(r)}
        for p, r in stored
    ]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    table = Table(title="指标体系 / indicator profiles")
    for col in ("id", "version", "name", "stored by / at / reason"):
        table.add_column(col)
    for r in rows:
        s = r["stored"]
        where = (
            "shipped" if s is None else f"{s['created_by']} {s['created_at']} {s['reason'] or ''}"
        )
        table.add_row(r["id"], str(r["version"]), r["name"], where)
    console.print(table)


@profiles_app.command("show")
def show_command(
    profile_id: Annotated[str, typer.Argument(help="a stored profile's id")],
    version: Annotated[int | None, typer.Option("--version", help="a stored version")] = None,
    yaml_text: Annotated[bool, typer.Option("--yaml", help="print the stored YAML text")] = False,
    park: ParkOption = None,
) -> None:
    """One of the park's stored profiles with every version (``--yaml``: its text)."""
    from lingtan.indicators import park_profiles

    with domain_errors(), open_store(settings()) as store:
        park_id = park_of(store, park).id
        prof, row = park_profiles.stored_profile(
            store, park_id=park_id, profile_id=profile_id, version=version
        )
        rows = park_profiles.versions(store, park_id=park_id, profile_id=profile_id)
    if yaml_text:
        typer.echo(row.document, nl=not row.document.endswith("\n"))
        return
    doc = {
        **prof.as_dict(),
        "stored": _stored_dict(row),
        "versions": [_stored_dict(r) for r in rows],
    }
    typer.echo(json.dumps(doc, ensure_ascii=False, indent=2))


def register(app: typer.Typer) -> None:
    """Add ``lingtan profiles``."""
    app.add_typer(profiles_app, name="profiles")
