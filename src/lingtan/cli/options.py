"""``lingtan options``: the park's options — one stored, versioned setting behind every number.

``lingtan options show`` prints the current version (or ``--version N``); ``lingtan options
history`` lists every version; ``lingtan options set export_kind=fossil --reason "…"`` stores a
new version (the accounting, the indicators, the reports, the API and the dashboard use it from
then on; results already stored keep the version they used). docs/options.md lists the options.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

import typer
from rich.table import Table

from lingtan.cli._common import ParkOption, console, domain_errors, park_of, settings
from lingtan.errors import InvalidInput
from lingtan.options import OptionsVersion
from lingtan.options import service as park_options
from lingtan.options.model import OPTION_NAMES
from lingtan.store import open_store
from lingtan.timeutil import from_us

options_app = typer.Typer(
    help="园区核算与评价选项（有版本）— the park's options behind every number, versioned.",
    no_args_is_help=True,
)


def _when(us: int | None) -> str:
    return "—" if us is None else from_us(us).astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _print(v: OptionsVersion, lang: str) -> None:
    zh = lang == "zh"
    title = (
        f"园区选项 第 {v.version} 版" + ("（缺省值）" if v.version == 0 else "")
        if zh
        else f"park options, version {v.version}" + (" (defaults)" if v.version == 0 else "")
    )
    table = Table(title=title)
    for col in ("选项", "名称", "取值") if zh else ("option", "name", "value"):
        table.add_column(col)
    described = v.options.describe(lang)
    for (name, value), line in zip(v.options.as_dict().items(), described, strict=True):
        table.add_row(
            name, OPTION_NAMES[name][0 if zh else 1], line.split("：" if zh else ": ", 1)[-1]
        )
        del value
    console.print(table)
    if v.version:
        who = f"{_when(v.changed_at)} · {v.changed_by}" + (f" · {v.reason}" if v.reason else "")
        console.print(who, highlight=False, markup=False)


def _parse(assignments: list[str]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for item in assignments:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise InvalidInput(f"expected NAME=VALUE, got {item!r}", field="changes")
        changes[name.strip()] = value.strip()
    return changes


def show(
    park: ParkOption = None,
    version: Annotated[
        int | None, typer.Option("--version", min=0, help="one version (default: current)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    lang: Annotated[str, typer.Option("--lang", help="zh or en")] = "zh",
) -> None:
    """The park's options now (or one version)."""
    with domain_errors(), open_store(settings()) as store:
        pid = park_of(store, park).id
        v = (
            park_options.current(store, park_id=pid)
            if version is None
            else park_options.version(store, park_id=pid, number=version)
        )
    if as_json:
        typer.echo(json.dumps(v.as_dict(), ensure_ascii=False, indent=2))
        return
    _print(v, lang)


def history(
    park: ParkOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Every version of the park's options, the defaults (version 0) first."""
    with domain_errors(), open_store(settings()) as store:
        versions = park_options.history(store, park_id=park_of(store, park).id)
    if as_json:
        typer.echo(json.dumps([v.as_dict() for v in versions], ensure_ascii=False, indent=2))
        return
    table = Table(title="园区选项历史 / options history")
    for col in ("版本 version", "时间 at", "修改人 by", "改动 changes", "原因 reason"):
        table.add_column(col)
    previous = None
    for v in versions:
        changed: dict[str, Any] = {} if previous is None else previous.options.changed(v.options)
        table.add_row(
            str(v.version),
            _when(v.changed_at),
            v.changed_by or "—",
            ", ".join(f"{k}={val}" for k, val in changed.items()) if changed else "—",
            v.reason or "",
        )
        previous = v
    console.print(table)


def set_options(
    assignments: Annotated[
        list[str], typer.Argument(help="NAME=VALUE pairs, e.g. export_kind=fossil")
    ],
    reason: Annotated[str, typer.Option("--reason", help="why the options change (kept)")],
    park: ParkOption = None,
    expected_version: Annotated[
        int | None,
        typer.Option("--expected-version", min=0, help="refuse if the options moved on"),
    ] = None,
) -> None:
    """Store a new version of the park's options with these changes."""
    with domain_errors(), open_store(settings()) as store:
        before = park_options.current(store, park_id=park_of(store, park).id)
        v = park_options.change(
            store,
            park_id=before.park_id,
            changes=_parse(assignments),
            actor="cli",
            reason=reason,
            expected_version=expected_version,
        )
    if v.version == before.version:
        console.print(f"unchanged: the options already are version {v.version} / 选项未变化")
        return
    changed = before.options.changed(v.options)
    console.print(
        f"version {v.version} / 第 {v.version} 版: "
        + ", ".join(f"{k}={val}" for k, val in changed.items()),
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    """Add ``lingtan options``."""
    options_app.command("show")(show)
    options_app.command("history")(history)
    options_app.command("set")(set_options)
    app.add_typer(options_app, name="options")
