"""``lingtan demo``: the synthetic demo park end to end, with a summary."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.panel import Panel
from rich.progress import TaskID
from rich.table import Table

from lingtan.cli._common import console, domain_errors, settings
from lingtan.cli.data import progress_bar
from lingtan.store import open_store


def demo(
    fresh: Annotated[
        bool, typer.Option("--fresh/--keep", help="start from an empty database file")
    ] = True,
) -> None:
    """Build the synthetic demo park (合成数据) and push 2025 through ingest and normalisation."""
    from lingtan.demo import park as demo_park
    from lingtan.demo.run import YEAR, run
    from lingtan.demo.summary import carrier_summary

    started = time.perf_counter()
    with domain_errors():
        cfg = settings()
        if fresh and cfg.database_url.startswith("sqlite:///"):
            path = cfg.database_url.removeprefix("sqlite:///")
            for suffix in ("", "-wal", "-shm"):
                try:
                    __import__("os").remove(path + suffix)
                except FileNotFoundError:
                    pass
        console.print(Panel.fit(f"[bold]{demo_park.PARK_NAME}[/]\n合成数据，仅供演示 — synthetic data, for demonstration only",
                                border_style="yellow"))  # fmt: skip
        with open_store(cfg) as store, progress_bar() as bar:
            tasks: dict[str, TaskID] = {}

            def on_step(name: str, done: int, total: int) -> None:
                if name not in tasks:
                    tasks[name] = bar.add_task(name, total=total)
                bar.update(tasks[name], completed=done, total=total)

            result = run(store, on_step=on_step)
        with open_store(cfg) as store:
            stats = carrier_summary(store, year=YEAR)
    table = Table(title=f"{YEAR} 年能源消费（按能源品种）energy by carrier")
    table.add_column("能源品种")
    table.add_column("数量 amount", justify="right")
    table.add_column("单位")
    table.add_column("折标煤 tce", justify="right")
    table.add_column("实测/估算/缺失 %", justify="right")
    for line in stats.carriers:
        q = line.quality
        table.add_row(
            line.name_zh,
            f"{line.value:,.0f}",
            line.unit,
            "—" if line.tce is None else f"{line.tce:,.0f}",
            f"{q.measured:.2%} / {q.estimated:.2%} / {q.missing:.2%}".replace("%", ""),
        )
    console.print(table)
    console.print(
        f"综合能源消费量 total energy consumption: [bold]{stats.total_tce:,.0f} tce[/] "
        f"(GB/T 2589, electricity at {stats.options.as_dict()['electricity_conversion_zh']}; "
        "received + on-site PV − exported; storage and water not counted) · "
        f"of which on-site PV {stats.onsite_renewable_tce:,.0f} tce · clean-energy share "
        f"{(stats.clean.share or 0):.1%}"
    )
    console.print(
        f"{result.points} points · {result.readings_sent:,} readings sent · {result.accepted:,} stored · "
        f"{result.duplicates:,} duplicates · {result.rejected} rejected {result.reasons}"
    )
    hours = sum(r.hours for r in result.normalise)
    changed = sum(r.changed_hours for r in result.normalise)
    console.print(
        f"{hours:,} point-hours normalised, {changed} revised after late data (previous versions kept)"
    )
    console.print(
        f"告警 alarms: {result.alarms} raised over the year by the demo rules (comms loss, "
        f"contract capacity, data quality, budgets, environment limits) · 应急事件 incidents: {result.incidents} "
        "(synthetic)"
    )
    console.print(f"database: {cfg.database_url} · {time.perf_counter() - started:.0f} s")
    console.print(
        "next: [bold]lingtan indicators --year 2025[/] · [bold]lingtan report park --year 2025 "
        "--out park-2025.xlsx[/] · [bold]lingtan quarantine[/] · "
        "[bold]lingtan stats E07-grid --from 2025-03-09 --to 2025-03-13[/] · "
        "[bold]lingtan alarms list[/] · [bold]lingtan incidents list[/]"
    )


def register(app: typer.Typer) -> None:
    """Add the demo command."""
    app.command("demo")(demo)
