"""``lingtan meter``: meter replacements (换表) of register points.

The same checks as ``POST /api/v1/points/{code}/replacements`` and the park file's
``meter_replacements`` section (docs/data-quality.md), run as the system on the local store.
After recording, the hours around each replacement are normalised again (previous values kept
in history) unless ``--no-normalise``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from lingtan.cli._common import console, domain_errors, settings
from lingtan.cli.data import open_configured, run_normalise
from lingtan.errors import InvalidInput, NotFound
from lingtan.registry.replacements import (
    CSV_COLUMNS,
    RecordReport,
    as_dict,
    parse_csv,
    record_replacements,
    replacement_of,
)
from lingtan.store import Store
from lingtan.store.query_repo import Tenant
from lingtan.timeutil import zone

meter_app = typer.Typer(help="Meter replacements (换表) of register points.", no_args_is_help=True)
NoNormalise = Annotated[
    bool, typer.Option("--no-normalise", help="only record; statistics follow later")
]


def _done(store: Store, report: RecordReport, *, no_normalise: bool) -> None:
    if report.created and not no_normalise:
        run_normalise(store)
    console.print(
        f"recorded {len(report.created)} replacement(s), {len(report.unchanged)} already recorded"
    )


def replace(
    point: Annotated[str, typer.Argument(help="the register point's id")],
    at: Annotated[
        str, typer.Option("--at", help="instant of the replacement, ISO 8601 with its offset")
    ],
    old_final: Annotated[
        float, typer.Option("--old-final", help="the old register's final value (raw unit)")
    ],
    new_initial: Annotated[
        float, typer.Option("--new-initial", help="the new register's initial value (raw unit)")
    ],
    multiplier: Annotated[
        float | None,
        typer.Option("--multiplier", help="the new meter's CT/PT ratio (default: unchanged)"),
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help="work order, fitter …")] = None,
    no_normalise: NoNormalise = False,
) -> None:
    """Record that POINT's meter was replaced at --at: the old register read --old-final when
    it was removed, the new one --new-initial when it was installed."""
    with domain_errors():
        event = replacement_of(
            {
                "point": point,
                "at": at,
                "old_final": old_final,
                "new_initial": new_initial,
                "multiplier": multiplier,
                "note": note,
            },
            where="",
        )
        with open_configured() as store:
            report = record_replacements(
                store,
                [event],
                actor="cli",
                source="cli",
                future_skew_s=settings().future_skew_s,
            )
            _done(store, report, no_normalise=no_normalise)


def import_file(
    file: Annotated[
        Path,
        typer.Argument(help=f"CSV (UTF-8) with the columns {', '.join(CSV_COLUMNS)}"),
    ],
    no_normalise: NoNormalise = False,
) -> None:
    """Record the replacements of a CSV file: all or nothing (every bad row is listed with its
    line), idempotent."""
    with domain_errors():
        try:
            content = file.read_bytes()
        except OSError as err:
            raise InvalidInput(f"cannot read {file}: {err.strerror}", field="file") from err
        events, sources = parse_csv(content, file.name)
        with open_configured() as store:
            report = record_replacements(
                store,
                events,
                actor="cli",
                source=sources,
                future_skew_s=settings().future_skew_s,
            )
            _done(store, report, no_normalise=no_normalise)


def list_replacements(
    point: Annotated[str | None, typer.Argument(help="one point's only")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List recorded meter replacements, newest first."""
    with domain_errors(), open_configured() as store:
        points = store.registry.points_by_code()
        point_id = None
        if point is not None:
            if point not in points:
                raise NotFound(f"no point {point!r}")
            point_id = points[point].id
        rows, _ = store.replacements.list(tenant=Tenant.park_wide(), point_id=point_id)
        codes = {p.id: p.code for p in points.values()}
        tz = zone(store.registry.park().timezone)
    out = [as_dict(r, codes[r.point_id], tz) for r in rows]
    if as_json:
        console.print_json(json.dumps(out, ensure_ascii=False))
        return
    table = Table(title="换表记录 meter replacements")
    for col in ("point", "at", "old_final", "new_initial", "multiplier", "note", "source"):
        table.add_column(col)
    for r in out:
        table.add_row(
            r["point"],
            r["at"],
            f"{r['old_final']:g}",
            f"{r['new_initial']:g}",
            "—" if r["multiplier"] is None else f"{r['multiplier']:g}",
            r["note"] or "",
            r["source"],
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add ``meter replace|import|list``."""
    meter_app.command("replace")(replace)
    meter_app.command("import")(import_file)
    meter_app.command("list")(list_replacements)
    app.add_typer(meter_app, name="meter")
