"""Commands of the data backbone: init, ingest, normalise, quarantine, stats."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from lingtan.cli._common import console, domain_errors, settings
from lingtan.errors import InvalidInput, NotFound
from lingtan.ingest import REASONS, ingest
from lingtan.normalize.quality import flag_names, label
from lingtan.store import Store, open_store
from lingtan.timeutil import from_us, parse_timestamp, to_us, zone

if TYPE_CHECKING:
    from lingtan.normalize.service import NormaliseReport


def progress_bar() -> Progress:
    """The progress bar used by long commands."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


def open_configured() -> Store:
    """The store named by ``LINGTAN_DATABASE_URL`` (migrated)."""
    return open_store(settings())


def run_normalise(store: Store, *, full: bool = False) -> NormaliseReport:
    """Normalise with a progress bar."""
    from lingtan.normalize.service import normalise_pending, rebuild

    with progress_bar() as bar:
        task = bar.add_task("归一化 normalise", total=None)

        def tick(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return rebuild(store, progress=tick) if full else normalise_pending(store, progress=tick)


def init(
    park: Annotated[Path, typer.Option("--park", help="park file (.yaml/.yml/.toml)")],
) -> None:
    """Load (or update) the park declared in a park file; loading twice changes nothing."""
    from lingtan.alarms import service as alarm_rules
    from lingtan.environment import service as environment
    from lingtan.options import service as park_options
    from lingtan.registry import load_park_file
    from lingtan.registry.replacements import load_park

    with domain_errors():
        model = load_park_file(park)
        with open_configured() as store:
            console.print(f"store: {store.display_url}", highlight=False)
            report = load_park(store, model, actor="cli", future_skew_s=settings().future_skew_s)
            version = park_options.apply_park_file(
                store, park_id=report.park_id, options=model.options, actor="cli"
            )
            rules = alarm_rules.apply_park_file(
                store, park_id=report.park_id, section=model.alarms, actor="cli"
            )
            env = environment.apply_park_file(
                store, park_id=report.park_id, model=model, actor="cli"
            )
            if report.renormalise or report.created.get("meter_replacement"):
                run_normalise(store)
            parks = store.registry.parks()
    console.print(f"[green]park {model.park.id}[/] loaded: created {report.created or '—'}, "
                  f"updated {report.updated or '—'}, unchanged {report.unchanged or '—'}")  # fmt: skip
    if rules is not None:
        console.print(
            f"alarm rules: created {len(rules.created)}, updated {len(rules.updated)}, "
            f"unchanged {len(rules.unchanged)}, retired {len(rules.retired)}"
        )
    if env is not None:
        st = env.stations
        console.print(
            f"monitoring stations: created {len(st.created)}, updated {len(st.updated)}, "
            f"unchanged {len(st.unchanged)}, retired {len(st.retired)}; limit and station alarm rules "
            f"created {len(env.rules_created)}"
        )
    if version is not None:
        console.print(f"park options: version {version.version} / 园区选项第 {version.version} 版")
    if len(parks) > 1:
        console.print(
            f"this store now holds {len(parks)} parks ({', '.join(p.code for p in parks)}): "
            "commands that work on one park take --park CODE (or LINGTAN_PARK)",
            highlight=False,
        )
    if report.retained:
        console.print(
            f"[yellow]kept points no longer in the file (they may have readings):[/] {', '.join(report.retained)}"
        )
    if report.renormalise:
        console.print(f"recomputed statistics of {', '.join(report.renormalise)}")


def ingest_cmd(
    file: Annotated[
        Path, typer.Argument(help="long-format .csv or .xlsx: point_id,timestamp,value[,unit]")
    ],
    no_normalise: Annotated[
        bool, typer.Option("--no-normalise", help="only store readings")
    ] = False,
    allow_rejects: Annotated[
        bool,
        typer.Option(
            "--allow-rejects", help="exit 0 even when rows are rejected (they are quarantined)"
        ),
    ] = False,
) -> None:
    """Ingest a long-format file (point_id, timestamp, value[, unit]) through the pipeline, then
    normalise. Other layouts: ``lingtan files import --mapping``.

    Every data line is accepted, a duplicate, or rejected and quarantined with its reason and
    line number (a malformed line too); the summary adds up to the lines read. Exits 1 when any
    line was rejected (``--allow-rejects``: 0), 2 when the file cannot be read at all."""
    from lingtan.alarms.engine import attach_engine
    from lingtan.connectors.files.tabular import ColumnMapping, iter_batches, read_table

    with domain_errors():
        if not file.is_file():
            raise InvalidInput(f"no such file: {file}", field="file")
        cfg = settings()
        mapping = ColumnMapping()
        table = read_table(file, mapping)
        totals: dict[str, int] = {"lines": 0, "accepted": 0, "duplicates": 0, "rejected": 0}
        reasons: dict[str, int] = {}
        with open_configured() as store, progress_bar() as bar:
            engine = attach_engine(store)  # alarms stream on each committed batch
            task = bar.add_task(f"导入 {file.name}", total=_data_rows(file))
            for readings in iter_batches(table, mapping, source=f"file:{file.name}"):
                ack = ingest(
                    store, readings, source=f"file:{file.name}", future_skew_s=cfg.future_skew_s
                )
                totals["lines"] += len(readings)  # long layout: one reading per line
                totals["accepted"] += ack.accepted
                totals["duplicates"] += ack.duplicates
                totals["rejected"] += ack.rejected
                for k, v in ack.reasons.items():
                    reasons[k] = reasons.get(k, 0) + v
                bar.advance(task, len(readings))
            engine.detach()
        if not no_normalise:
            with open_configured() as store:
                report = run_normalise(store)
            console.print(f"normalised {report.points} points, {report.hours} hours")
    console.print(
        f"read {totals['lines']} lines: accepted {totals['accepted']}, duplicates "
        f"{totals['duplicates']}, rejected {totals['rejected']}"
        + (f" {json.dumps(reasons, ensure_ascii=False)}" if reasons else ""),
        soft_wrap=True,
    )
    if totals["rejected"]:
        console.print("see them with [bold]lingtan quarantine[/]")
        if not allow_rejects:
            raise typer.Exit(1)


def _data_rows(path: Path) -> int | None:
    """Rows after the header of a CSV file (for the progress bar); None for workbooks."""
    if path.suffix.lower() not in (".csv", ".txt", ".tsv"):
        return None
    lines = 0
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            # CR LF, LF and a bare CR each end a line (lingtan.parsing.physical_lines)
            lines += chunk.count(b"\n") + chunk.count(b"\r") - chunk.count(b"\r\n")
    return max(lines - 1, 0)


def normalise(
    full: Annotated[
        bool, typer.Option("--rebuild", help="recompute everything from raw readings")
    ] = False,
) -> None:
    """Turn new readings into hourly and daily statistics (the dirty-interval queue)."""
    with domain_errors(), open_configured() as store:
        report = run_normalise(store, full=full)
    console.print(
        f"{report.points} points, {report.hours} hours ({report.changed_hours} changed, previous "
        f"versions kept), {report.virtual_points} virtual points in {report.seconds:.1f} s"
    )


def quarantine(
    reason: Annotated[str | None, typer.Option(help=f"one of: {', '.join(REASONS)}")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List rejected readings with their reasons (newest first)."""
    with domain_errors():
        if reason is not None and reason not in REASONS:
            raise InvalidInput(
                f"unknown reason {reason!r}; one of {', '.join(REASONS)}", field="reason"
            )
        with open_configured() as store:
            rows = store.readings.rejected(reason=reason, limit=limit)
    if as_json:
        console.print_json(json.dumps(rows, ensure_ascii=False, default=str))
        return
    table = Table(title="隔离区 quarantine (rejected readings)")
    for col in ("received", "point", "timestamp", "value", "reason", "detail", "source"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            from_us(r["received_at"]).isoformat(timespec="seconds"), r["point_code"] or str(r["point_id"] or ""),
            r["ts_text"] or "", r["value_text"] or "", r["reason"], r["detail"], r["source"],
        )  # fmt: skip
    console.print(table)


def stats(
    point: Annotated[str, typer.Argument(help="point id")],
    start: Annotated[str, typer.Option("--from", help="ISO date or timestamp")],
    end: Annotated[str, typer.Option("--to", help="ISO date or timestamp (exclusive)")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Hourly statistics of one point with their quality."""
    with domain_errors(), open_configured() as store:
        p = store.registry.points_by_code().get(point)
        if p is None:
            raise NotFound(f"no point {point!r}")
        tz = zone(store.registry.park(p.park_id).timezone)
        h0, h1 = (_instant(x, tz) for x in (start, end))
        rows = store.stats.hours(None, [p.id], h0, h1).get(p.id)
    out: list[dict[str, Any]] = []
    if rows is not None:
        for i, hour in enumerate(rows["hours"].tolist()):
            value = rows["value"][i] if p.kind != "measurement" else rows["mean"][i]
            out.append(
                {
                    "hour": from_us(hour, tz).isoformat(),
                    "value": None if value != value else float(value),
                    "quality": label(
                        rows["measured_s"][i], rows["estimated_s"][i], rows["missing_s"][i]
                    ).value,
                    "flags": flag_names(int(rows["flags"][i])),
                }
            )
    if as_json:
        console.print_json(json.dumps(out, ensure_ascii=False))
        return
    table = Table(title=f"{p.code} ({p.unit})")
    for col in ("hour", "value", "quality", "flags"):
        table.add_column(col)
    for r in out:
        table.add_row(
            r["hour"],
            "—" if r["value"] is None else f"{r['value']:.3f}",
            r["quality"],
            ",".join(r["flags"]),
        )
    console.print(table)


def _instant(text: str, tz: dt.tzinfo) -> int:
    if len(text) == 10:  # a date: local midnight
        try:
            day = dt.date.fromisoformat(text)
        except ValueError as err:
            raise InvalidInput(f"{text!r} is not a date", field="date") from err
        return to_us(dt.datetime(day.year, day.month, day.day, tzinfo=tz))
    return to_us(parse_timestamp(text))


def register(app: typer.Typer) -> None:
    """Add the data commands."""
    app.command("init")(init)
    app.command("ingest")(ingest_cmd)
    app.command("normalise")(normalise)
    app.command("quarantine")(quarantine)
    app.command("stats")(stats)
