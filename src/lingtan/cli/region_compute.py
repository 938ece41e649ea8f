"""``lingtan region-compute``: region-wide recomputations on a Dask cluster (区域级重算) —
``restate`` (every park's inventory after a factor revision), ``retrain`` (every park's and
enterprise's load forecast) and ``results`` (what is stored). The cluster is the scheduler of
``LINGTAN_DASK_SCHEDULER``, else a local cluster of ``--workers`` processes (docs/scaling.md).

Park aggregates are read from a folder of ``.npz`` files, one per park: an array per
``ENTERPRISE|CARRIER`` (empty enterprise: the park's common use) of values per hour, and
``meta``, a JSON text with ``park``, ``name``, ``province``, ``year``, ``start`` (the first
hour, ISO 8601 with offset) and ``units`` (carrier → unit).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
import typer
from rich.table import Table

from lingtan.cli._common import console, domain_errors, settings
from lingtan.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from lingtan.region.tasks import ParkAggregates, RunReport, TaskSpec

region_compute_app = typer.Typer(
    help="Region-wide recomputations on a Dask cluster (区域级分布式重算).", no_args_is_help=True
)

AggregatesOption = Annotated[
    Path, typer.Option("--aggregates", help="folder of park aggregate files (.npz, one per park)")
]
WorkersOption = Annotated[
    int | None,
    typer.Option("--workers", min=1, help="worker processes of the local cluster"),
]
SchedulerOption = Annotated[
    str | None,
    typer.Option("--scheduler", help="scheduler address (default: LINGTAN_DASK_SCHEDULER)"),
]
NoStoreOption = Annotated[
    bool, typer.Option("--no-store", help="compute and print only; store nothing")
]


def read_park(path: Path) -> ParkAggregates:
    """One park's aggregates from an ``.npz`` file (module docstring); errors name the file."""
    from lingtan.region.tasks import ParkAggregates
    from lingtan.timeutil import parse_timestamp, to_us

    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: np.asarray(data[name]) for name in data.files}
    except (OSError, ValueError) as err:
        raise InvalidInput(f"{path}: not a readable .npz file: {err}", field="aggregates") from err
    if "meta" not in arrays:
        raise InvalidInput(f"{path}: no 'meta' entry", field="meta")
    try:
        meta = json.loads(str(arrays.pop("meta")))
        start = to_us(parse_timestamp(str(meta["start"])))
        hourly: dict[tuple[str, str], np.ndarray] = {}
        for name, values in arrays.items():
            enterprise, sep, carrier = name.partition("|")
            if not sep or not carrier:
                raise InvalidInput(f"{path}: entry {name!r} is not ENTERPRISE|CARRIER", field=name)
            hourly[(enterprise, carrier)] = values.astype(np.float64)
        park = ParkAggregates(
            park=str(meta["park"]),
            name=str(meta.get("name", meta["park"])),
            province=str(meta["province"]),
            year=int(meta["year"]),
            hourly=hourly,
            units={str(k): str(v) for k, v in dict(meta["units"]).items()},
            start_us=start,
        )
    except (KeyError, TypeError, json.JSONDecodeError) as err:
        raise InvalidInput(f"{path}: meta: missing or bad {err}", field="meta") from err
    park.check()
    return park


def read_parks(folder: Path) -> list[ParkAggregates]:
    """Every park of the folder, in file-name order."""
    files = sorted(folder.glob("*.npz"))
    if not files:
        raise NotFound(f"no .npz park aggregates in {folder}")
    return [read_park(p) for p in files]


def _execute(
    specs: list[TaskSpec], *, workers: int | None, scheduler: str | None, no_store: bool
) -> RunReport:
    from lingtan.cli.data import open_configured, progress_bar
    from lingtan.region import cluster, tasks

    config = settings()
    store = None if no_store else open_configured()
    try:
        with (
            cluster.client(config, address=scheduler, n_workers=workers) as c,
            progress_bar() as bar,
        ):
            job = bar.add_task("区域重算 recompute", total=len(specs))

            def tick(done: int, total: int, what: str) -> None:
                bar.update(job, completed=done, total=total, description=f"区域重算 {what}")

            return tasks.run(c, specs, store=store, progress=tick)
    finally:
        if store is not None:
            store.close()


def _report(report: RunReport) -> None:
    console.print(
        f"computed {len(report.results)}, stored {report.stored}, already stored "
        f"{report.already_stored}, failed {len(report.failed)} in {report.seconds:.1f} s"
    )
    for (kind, park, period, _), reason in sorted(report.failed.items()):
        console.print(f"[red]failed[/red] {kind} {park} {period}: {reason}")


def _stored_parks(year: int) -> list[ParkAggregates]:
    """Every registered park's stored uploads of ``year`` (the region instance's store)."""
    from lingtan.cli.data import open_configured
    from lingtan.identity.roles import SYSTEM
    from lingtan.region import restate as stored

    out, without = [], []
    with open_configured() as store:
        for code in stored.registered_parks(store, principal=SYSTEM):
            try:
                out.append(
                    stored.park_aggregates(store, principal=SYSTEM, park_code=code, year=year)
                )
            except NotFound:
                without.append(code)
    if without:  # named, not restated: a park that uploaded nothing has no inventory to state
        console.print(f"no upload for {year}, not restated: {', '.join(without)}")
    if not out:
        raise NotFound(f"no registered park has an upload for {year}")
    return out


def restate(
    aggregates: Annotated[
        Path | None,
        typer.Option("--aggregates", help="folder of park aggregate files (.npz, one per park)"),
    ] = None,
    year: Annotated[
        int | None,
        typer.Option(
            "--year", help="instead of files: every registered park's stored uploads of the year"
        ),
    ] = None,
    revision: Annotated[
        Path | None, typer.Option("--revision", help="factor revision file (YAML/JSON records)")
    ] = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    no_store: NoStoreOption = False,
) -> None:
    """Restate every park's inventory of its year with a factor revision (因子修订后重述清单):
    parks from aggregate files, or (``--year``, on the region instance) every registered park's
    stored uploads of the year."""
    from lingtan.region.tasks import restate_spec

    with domain_errors():
        document: dict[str, Any] = {}
        if revision is not None:
            import yaml

            from lingtan.carbon.factors.loader import load_factor_file

            load_factor_file(revision)  # validated here, before any task is submitted
            document = dict(yaml.safe_load(revision.read_text(encoding="utf-8")))
        if (aggregates is None) == (year is None):
            raise InvalidInput("give --aggregates FOLDER or --year YEAR", field="aggregates")
        parks = read_parks(aggregates) if aggregates is not None else _stored_parks(int(year or 0))
        specs = [restate_spec(p, document) for p in parks]
        report = _execute(specs, workers=workers, scheduler=scheduler, no_store=no_store)
        table = Table("park", "year", "total tCO2", "energy tce", "enterprises")
        for key, result in sorted(report.results.items()):
            inv = result["park_inventory"]
            table.add_row(
                key[1],
                key[2],
                f"{inv['emissions_tco2']['total']:,.3f}",
                f"{inv['energy_tce'] or 0:,.3f}",
                str(len(result["enterprises"])),
            )
        console.print(table)
        _report(report)


def series_of(park: ParkAggregates, carrier: str, zone_name: str) -> list[Any]:
    """The park's and each enterprise's hourly series of ``carrier`` as whole local days."""
    from lingtan.region.tasks import SeriesHistory
    from lingtan.timeutil import from_us, zone

    start = from_us(park.start_us).astimezone(zone(zone_name))
    if (start.hour, start.minute) != (0, 0):
        raise InvalidInput(
            f"{park.park}: the aggregates start at {start.isoformat()}, not at local midnight",
            field="start",
        )
    owners: dict[str, np.ndarray] = {}
    for (enterprise, c), values in park.hourly.items():
        if c != carrier:
            continue
        arr = np.asarray(values, dtype=np.float64)
        per_hour = arr if arr.ndim == 1 else arr.sum(axis=0)
        for owner in {park.park, enterprise or park.park}:
            owners[owner] = owners.get(owner, np.zeros_like(per_hour)) + per_hour
    out = []
    for code, values in sorted(owners.items()):
        days = values.size // 24
        out.append(
            SeriesHistory(
                park=park.park,
                code=f"{code}:{carrier}",
                first_day=start.date(),
                values=values[: days * 24].reshape(days, 24),
            )
        )
    return out


def retrain(
    aggregates: AggregatesOption,
    carrier: Annotated[
        str, typer.Option("--carrier", help="the carrier whose load is forecast")
    ] = "electricity_grid_import",
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    no_store: NoStoreOption = False,
) -> None:
    """Retrain every park's and enterprise's forecast of a carrier (预测重训练): backtest,
    model choice, next day."""
    from lingtan.region.tasks import retrain_spec

    with domain_errors():
        zone_name = settings().timezone
        specs = [
            retrain_spec(s)
            for p in read_parks(aggregates)
            for s in series_of(p, carrier, zone_name)
        ]
        report = _execute(specs, workers=workers, scheduler=scheduler, no_store=no_store)
        table = Table("series", "model", "skill", "first day")
        for _, result in sorted(report.results.items()):
            skill = result["backtest"]["skill"]
            table.add_row(
                result["series"],
                result["chosen"],
                "—" if skill is None else f"{skill:.3f}",
                result["first_day"],
            )
        console.print(table)
        _report(report)


def results(
    kind: Annotated[str | None, typer.Option("--kind", help="restate, forecast or replay")] = None,
    park: Annotated[str | None, typer.Option("--park", help="park code")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="the stored results as JSON")] = False,
) -> None:
    """Stored results of region-wide recomputations (newest first)."""
    from lingtan.cli.data import open_configured
    from lingtan.store.compute_repo import ComputeRepo

    with domain_errors(), open_configured() as store:
        rows = ComputeRepo(store).results(kind=kind, park=park)
    if as_json:
        console.print_json(
            data=[
                {
                    "kind": r.kind,
                    "park": r.park,
                    "period": r.period,
                    "fingerprint": r.fingerprint,
                    "computed_at": r.computed_at,
                    "result": r.data(),
                }
                for r in rows
            ]
        )
        return
    table = Table("kind", "park", "period", "fingerprint", "computed (UTC)")
    for r in rows:
        when = dt.datetime.fromtimestamp(r.computed_at / 1e6, dt.UTC).strftime("%Y-%m-%d %H:%M")
        table.add_row(r.kind, r.park, r.period, r.fingerprint[:12], when)
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add ``region-compute restate|retrain|results``."""
    region_compute_app.command("restate")(restate)
    region_compute_app.command("retrain")(retrain)
    region_compute_app.command("results")(results)
    app.add_typer(region_compute_app, name="region-compute")
