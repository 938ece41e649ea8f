"""Region-wide recomputations as tasks for a Dask cluster (区域级重算任务).

Three kinds of task, each one call of lingtan's existing pure functions on plain, picklable
inputs — only the orchestration is new:

``restate``
    One park's inventory of a year after a factor revision (因子修订后的清单重述). Input: the
    park's hourly aggregates keyed ``(enterprise code or "" for the park's common/unallocated
    use, carrier)``, each an array of the carrier's unit per hour (shape ``(hours,)``, or
    ``(n, hours)`` for several series of the key such as one per building), and the factor
    records of the revision. Hours are summed first and the sums multiplied by the factors
    (Σ_h kWh_h × f = f × Σ_h kWh_h for a factor constant over the period; with an hourly grid
    factor series, option ``grid_series_id``, the hourly totals of the owner) — the same path
    as the store-backed accounting: :func:`lingtan.accounting.metered.build_metered` →
    :func:`~lingtan.accounting.metered.activity_document` → :func:`lingtan.carbon.account`, on
    the park basis (附件4) and on the enterprise basis (GB/T 32150) for each enterprise.
``forecast``
    One series' model choice and next forecast (预测重训练): the rolling-origin backtest of
    :func:`lingtan.forecast.backtest.rolling_origin` with the service's origins, then the chosen
    model's forecast of the days after the history.
``replay``
    One park's dispatch replay of a span of days (调度计划回放): :func:`lingtan.dispatch.replay`
    over ``[start_day, end_day)`` — a month per task when a year is too heavy for one.

Results are stored keyed by (kind, park, period, input fingerprint) by :func:`run`; a run
whose key is already stored is not submitted, and an upsert that finds the key writes nothing,
so a re-run — or a task the scheduler re-ran after its worker died — writes nothing twice.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any, Final, Literal

import numpy as np
from numpy.typing import NDArray

from lingtan import __version__
from lingtan.errors import InvalidInput

if TYPE_CHECKING:
    from distributed import Client

    from lingtan.carbon.factors import FactorLibrary
    from lingtan.carbon.inventory import AccountingOptions, Inventory
    from lingtan.dispatch.replay import ReplayInput
    from lingtan.store import Store

Kind = Literal["restate", "forecast", "replay"]
KINDS: Final[tuple[str, ...]] = ("restate", "forecast", "replay")
US_PER_HOUR: Final = 3_600_000_000
#: results written per database transaction while results arrive
WRITE_BATCH: Final = 50
#: part of every fingerprint: results of another lingtan version are computed again
METHOD_VERSION: Final = f"lingtan-{__version__}"


# -- inputs ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ParkAggregates:
    """One park's hourly aggregates of a year, as uploaded to the region (plain data)."""

    park: str
    name: str
    province: str
    year: int
    #: (enterprise code, or "" for the park's common use; carrier) → values per hour
    hourly: Mapping[tuple[str, str], NDArray[np.float64]]
    #: carrier → the unit of its values (kWh, GJ, m3, t …; lingtan.units symbols)
    units: Mapping[str, str]
    #: start of the first hour, epoch µs (UTC); hour i starts i hours later
    start_us: int

    def check(self) -> None:
        """Raise ``InvalidInput`` naming the first bad key (nothing is dropped silently)."""
        hours: int | None = None
        for (enterprise, carrier), values in self.hourly.items():
            where = f"{self.park}: hourly[{enterprise!r}, {carrier!r}]"
            if carrier not in self.units:
                raise InvalidInput(f"{where}: no unit given for {carrier}", field="units")
            arr = np.asarray(values)
            if arr.ndim not in (1, 2):
                raise InvalidInput(f"{where}: one or two dimensions expected", field="hourly")
            n = int(arr.shape[-1])
            if hours is not None and n != hours:
                raise InvalidInput(f"{where}: {n} hours, others have {hours}", field="hourly")
            hours = n


@dataclass(frozen=True)
class SeriesHistory:
    """One hourly series to retrain: whole local days × 24 (NaN: missing)."""

    park: str
    code: str
    first_day: dt.date
    values: NDArray[np.float64]
    horizon_days: int = 1
    seed: int = 0


@dataclass(frozen=True)
class TaskSpec:
    """One task: what it computes, for whom, and the call that computes it."""

    kind: str
    park: str
    period: str
    fingerprint: str
    func: Callable[..., dict[str, Any]]
    args: tuple[Any, ...] = ()

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.kind, self.park, self.period, self.fingerprint)

    @property
    def dask_key(self) -> str:
        # one key per input: the scheduler computes a key once even if it is submitted twice
        return f"{self.kind}-{self.park}-{self.period}-{self.fingerprint[:16]}"


# -- fingerprints ------------------------------------------------------------------------------
def _feed(h: Any, value: Any) -> None:
    if isinstance(value, np.ndarray):
        arr = np.ascontiguousarray(value, dtype=np.float64)
        h.update(f"nd{arr.shape}".encode())
        h.update(arr.tobytes())
    elif isinstance(value, Mapping):
        h.update(b"{")
        for k in sorted(value, key=repr):
            _feed(h, repr(k))
            _feed(h, value[k])
        h.update(b"}")
    elif isinstance(value, (list, tuple)):
        h.update(b"[")
        for v in value:
            _feed(h, v)
        h.update(b"]")
    elif hasattr(value, "__dataclass_fields__"):
        h.update(type(value).__name__.encode())
        _feed(h, {f.name: getattr(value, f.name) for f in fields(value)})
    else:
        h.update(json.dumps(value, sort_keys=True, default=str).encode())
    h.update(b";")


def fingerprint(*parts: Any) -> str:
    """sha256 of the inputs (arrays by value, mappings by sorted key) and the method version."""
    h = hashlib.sha256()
    _feed(h, METHOD_VERSION)
    for p in parts:
        _feed(h, p)
    return h.hexdigest()


# -- restatement ----------------------------------------------------------------------------------
@functools.lru_cache(maxsize=8)
def _library(revision_json: str) -> FactorLibrary:
    """The shipped records with the revision appended (latest appended wins its slot); parsed
    once per worker process and revision."""
    from lingtan.carbon.factors import default_library
    from lingtan.carbon.factors.loader import parse_factor_document

    library = default_library()
    records, series = parse_factor_document(json.loads(revision_json), origin="revision")
    for r in records:
        library.append(r)
    for s in series:
        library.append_series(s)
    return library


def _metered(park: ParkAggregates, owner: str) -> tuple[list[Any], dict[tuple[str, str], Any]]:
    """The period totals and hourly series of one owner ("" for all owners)."""
    from lingtan.accounting.metered import HourlySeries, Metered

    totals: list[Metered] = []
    hourly: dict[tuple[str, str], HourlySeries] = {}
    for (enterprise, carrier), values in sorted(park.hourly.items()):
        if owner and enterprise != owner:
            continue
        arr = np.atleast_2d(np.asarray(values, dtype=np.float64))
        finite = np.isfinite(arr)
        # a missing hour of one series (NaN) is missing, never zero, and the known hours of
        # the other series of the key still count
        per_hour = np.where(finite, arr, 0.0).sum(axis=0)
        known = finite.any(axis=0)
        code = enterprise or park.park
        # aggregate first: one sum per owner × carrier, multiplied by the factors afterwards
        totals.append(
            Metered(
                owner=code,
                carrier=carrier,
                unit=park.units[carrier],
                value=float(per_hour.sum()),
                measured_s=3600.0 * int(finite.sum()),
                missing_s=3600.0 * int((~finite).sum()),
                periods=int(known.sum()),
            )
        )
        hours = park.start_us + US_PER_HOUR * np.arange(per_hour.size, dtype=np.int64)
        hourly[(code, carrier)] = HourlySeries(hours[known], per_hour[known])
    return totals, hourly


def _account_owner(
    park: ParkAggregates,
    owner: str,
    library: FactorLibrary,
    options: AccountingOptions,
    metering: Any,
) -> tuple[Inventory, list[dict[str, Any]]]:
    from lingtan import units
    from lingtan.accounting.metered import activity_document, build_metered
    from lingtan.carbon import account, parse_activity
    from lingtan.carbon.inventory import HourlyGrid

    totals, hourly = _metered(park, owner)
    activity = build_metered(totals, options=metering, hourly=hourly)
    basis: Literal["park", "enterprise"] = "enterprise" if owner else "park"
    document, notes = activity_document(
        boundary=basis,
        name=owner or park.name,
        year=park.year,
        province=park.province,
        metered=activity,
        # certificates are retired in the park's 绿证 ledger; the region restates metered data
        green_kwh=0.0,
    )
    hourly_grid = None
    grid = hourly.get((owner, "electricity_grid_import"))
    if basis == "enterprise" and options.grid_series_id is not None and grid is not None:
        scale = units.factor(park.units["electricity_grid_import"], "kWh")
        hourly_grid = HourlyGrid.from_arrays(grid.hours, grid.values * scale)
    inventory = account(
        parse_activity(document),
        library=library,
        basis=basis,
        options=options,
        hourly_grid=hourly_grid,
    )
    if notes:
        import dataclasses

        inventory = dataclasses.replace(inventory, notes=(*inventory.notes, *notes))
    return inventory, [s.as_dict() for s in activity.sources]


def _summary(inventory: Inventory) -> dict[str, Any]:
    data = inventory.as_dict()
    keep = (
        "basis",
        "name",
        "year",
        "province",
        "emissions_tco2",
        "energy_tce",
        "intensity_tco2_per_tce",
        "scope2_location_tco2",
        "scope2_market_tco2",
        "total_market_tco2",
        "offsets_tco2",
        "options",
        "notes",
    )
    out = {k: data[k] for k in keep}
    out["factor_ids"] = list(inventory.factor_ids)
    return out


def restate(
    park: ParkAggregates,
    revision: Mapping[str, Any],
    *,
    options: Mapping[str, Any] | None = None,
    metering: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The park's inventory of its year with the factor revision applied (plain data).

    ``revision`` is a factor document (``records``/``series``, the format of
    ``lingtan account --factors``); ``options`` and ``metering`` are the park's
    :class:`~lingtan.carbon.inventory.AccountingOptions` and
    :class:`~lingtan.accounting.metered.MeteringOptions` as dicts (defaults when None).

    Returns the park inventory (附件4), one enterprise inventory (GB/T 32150, with scope 2) per
    enterprise code, and the metered totals by owner × carrier with what each became.
    """
    from lingtan.accounting.metered import MeteringOptions
    from lingtan.carbon.inventory import AccountingOptions

    park.check()
    opts = dict(options or {})
    if "fuel_editions" in opts:
        opts["fuel_editions"] = tuple(opts["fuel_editions"])
    accounting = AccountingOptions(**opts)
    meter = MeteringOptions(**dict(metering or {}))
    library = _library(json.dumps(dict(revision), sort_keys=True, ensure_ascii=False))
    inventory, sources = _account_owner(park, "", library, accounting, meter)
    enterprises = sorted({e for e, _ in park.hourly if e})
    return {
        "park": park.park,
        "year": park.year,
        "park_inventory": _summary(inventory),
        "enterprises": {
            code: _summary(_account_owner(park, code, library, accounting, meter)[0])
            for code in enterprises
        },
        "sources": sources,
    }


def restate_spec(
    park: ParkAggregates,
    revision: Mapping[str, Any],
    *,
    options: Mapping[str, Any] | None = None,
    metering: Mapping[str, Any] | None = None,
) -> TaskSpec:
    """The restatement task of one park (period: its year)."""
    fp = fingerprint("restate", park, dict(revision), dict(options or {}), dict(metering or {}))
    return TaskSpec(
        kind="restate",
        park=park.park,
        period=str(park.year),
        fingerprint=fp,
        func=functools.partial(restate, options=options, metering=metering),
        args=(park, dict(revision)),
    )


# -- forecast retraining ------------------------------------------------------------------------
def _num(x: float) -> float | None:
    return float(x) if math.isfinite(float(x)) else None


def retrain(series: SeriesHistory, *, backtest_days: int | None = None) -> dict[str, Any]:
    """Backtest both models on the series' history, choose, and forecast the next days.

    The origins are those of the forecast service: weekly over the last ``backtest_days`` of
    the history, after its first 14 days (lingtan.forecast.service).
    """
    from lingtan.forecast import backtest as bt
    from lingtan.forecast.models import ModelKind, fit_gbm, predict_gbm, seasonal_naive
    from lingtan.forecast.service import BACKTEST_DAYS, BACKTEST_STEP_DAYS, MIN_BACKTEST_START

    values = np.asarray(series.values, dtype=np.float64)
    if values.ndim != 2 or values.shape[1] != 24:
        raise InvalidInput(f"{series.code}: values must be days × 24", field="values")
    n_hist, horizon = values.shape[0], series.horizon_days
    span = BACKTEST_DAYS if backtest_days is None else backtest_days
    origins = bt.origins_every(
        n_hist, first=max(MIN_BACKTEST_START, n_hist - span), step_days=BACKTEST_STEP_DAYS
    )
    if not origins:
        raise InvalidInput(
            f"{series.code}: {n_hist} days of history leave no backtest origin", field="values"
        )
    days = [series.first_day + dt.timedelta(days=i) for i in range(n_hist + horizon)]
    full = np.vstack([values, np.full((horizon, 24), np.nan)])
    result = bt.rolling_origin(
        values,
        days[:n_hist],
        origins=origins,
        horizon_days=horizon,
        seed=series.seed,
        band=False,
    )
    targets = list(range(n_hist, n_hist + horizon))
    if result.chosen is ModelKind.GBM:
        fit = fit_gbm(full, days, train_until=n_hist, lead_days=horizon, seed=series.seed)
        fc = predict_gbm(fit, full, days, targets=targets)
    else:
        fc = seasonal_naive(full, days, targets=targets, lead_days=horizon)
    return {
        "park": series.park,
        "series": series.code,
        "chosen": result.chosen.value,
        "backtest": result.as_dict(),
        "first_day": days[n_hist].isoformat(),
        "p10": [_num(x) for x in fc.p10.ravel()],
        "p50": [_num(x) for x in fc.p50.ravel()],
        "p90": [_num(x) for x in fc.p90.ravel()],
    }


def retrain_spec(series: SeriesHistory) -> TaskSpec:
    """The retraining task of one series (period: the first forecast day)."""
    first = series.first_day + dt.timedelta(days=int(np.asarray(series.values).shape[0]))
    return TaskSpec(
        kind="forecast",
        park=series.park,
        period=f"{series.code}@{first.isoformat()}",
        fingerprint=fingerprint("forecast", series),
        func=retrain,
        args=(series,),
    )


# -- dispatch replay ------------------------------------------------------------------------------
def replay_span(park: str, inp: ReplayInput, start_day: int, end_day: int) -> dict[str, Any]:
    """The replay of days ``[start_day, end_day)`` of ``inp``: totals per case and savings.

    Each span starts with the battery at its initial state of charge (a month's demand charge
    restarts with the month anyway); one span per year carries the charge through the year.
    """
    from lingtan.dispatch.replay import replay

    result = replay(inp, start_day=start_day, end_day=end_day)
    return {
        "park": park,
        "start_day": start_day,
        "end_day": end_day,
        "days": len(result.days),
        "totals": {case: asdict(t) for case, t in result.totals.items()},
        "savings": {b: result.savings(b) for b in ("self_consumption", "no_battery")},
    }


def month_spans(month: Sequence[int], *, first_day: int) -> list[tuple[int, int]]:
    """``[start, end)`` day spans of each month key run in ``month`` (one key per day), the
    first starting no earlier than ``first_day`` (the days of history the replay needs)."""
    spans: list[tuple[int, int]] = []
    start = 0
    for d in range(1, len(month) + 1):
        if d == len(month) or month[d] != month[start]:
            lo = max(start, first_day)
            if lo < d:
                spans.append((lo, d))
            start = d
    return spans


def replay_specs(park: str, inp: ReplayInput, *, by_month: bool = True) -> list[TaskSpec]:
    """The replay tasks of a park's year: one per month (or one for the year)."""
    from lingtan.dispatch.replay import HISTORY_DAYS

    if by_month and inp.month:
        spans = month_spans(inp.month, first_day=HISTORY_DAYS)
    else:
        spans = [(HISTORY_DAYS, inp.days)]
    base = fingerprint("replay", inp)
    return [
        TaskSpec(
            kind="replay",
            park=park,
            period=f"d{lo}-{hi}",
            fingerprint=base,
            func=replay_span,
            args=(park, inp, lo, hi),
        )
        for lo, hi in spans
    ]


# -- orchestration ------------------------------------------------------------------------------
@dataclass
class RunReport:
    """What a run did: results by key, what it stored, skipped and why tasks failed."""

    results: dict[tuple[str, str, str, str], dict[str, Any]] = field(default_factory=dict)
    stored: int = 0
    already_stored: int = 0
    failed: dict[tuple[str, str, str, str], str] = field(default_factory=dict)
    seconds: float = 0.0


Progress = Callable[[int, int, str], None]


def run(
    client: Client,
    specs: Iterable[TaskSpec],
    *,
    store: Store | None = None,
    progress: Progress | None = None,
    retries: int = 0,
) -> RunReport:
    """Submit the tasks, collect results as they complete and store them idempotently.

    Tasks whose key is already stored are not submitted. A task that raises is reported with
    its reason and not stored (the next run computes it again); the others go on. A worker lost
    mid-task has its tasks re-run by the scheduler; each key yields one result here, and the
    upsert on the key writes it once.
    """
    from distributed import as_completed

    t0 = time.perf_counter()
    report = RunReport()
    todo = list({s.key: s for s in specs}.values())
    if store is not None:
        from lingtan.store.compute_repo import ComputeRepo

        done = ComputeRepo(store).existing([s.key for s in todo])
        report.already_stored = len(done)
        todo = [s for s in todo if s.key not in done]
    total = len(todo)
    if progress:
        progress(0, total, "submitted")
    futures = {
        client.submit(s.func, *s.args, key=s.dask_key, pure=False, retries=retries): s for s in todo
    }
    pending: list[tuple[TaskSpec, dict[str, Any]]] = []
    finished = 0
    # the client's own loop: the client is not made the process-wide default
    for future in as_completed(futures, loop=client.loop) if futures else ():  # type: ignore[no-untyped-call]
        spec = futures[future]
        finished += 1
        try:
            result = future.result()
        except InvalidInput as err:
            report.failed[spec.key] = str(err)
        except Exception as err:  # a failing task is reported; the run goes on
            report.failed[spec.key] = f"{type(err).__name__}: {err}"
        else:
            report.results[spec.key] = result
            pending.append((spec, result))
        future.release()
        if store is not None and len(pending) >= WRITE_BATCH:
            report.stored += _write(store, pending)
            pending = []
        if progress:
            progress(finished, total, spec.dask_key)
    if store is not None and pending:
        report.stored += _write(store, pending)
    report.seconds = time.perf_counter() - t0
    return report


def _write(store: Store, batch: Sequence[tuple[TaskSpec, dict[str, Any]]]) -> int:
    from lingtan.store.compute_repo import ComputeRepo, ComputeRow

    now = time.time_ns() // 1000
    rows = [
        ComputeRow(
            kind=s.kind,
            park=s.park,
            period=s.period,
            fingerprint=s.fingerprint,
            result=json.dumps(r, ensure_ascii=False, sort_keys=True, default=_json_default),
            computed_at=now,
        )
        for s, r in batch
    ]
    return ComputeRepo(store).upsert(rows)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    raise TypeError(f"not JSON data: {type(value).__name__}")


__all__ = [
    "KINDS",
    "ParkAggregates",
    "RunReport",
    "SeriesHistory",
    "TaskSpec",
    "fingerprint",
    "month_spans",
    "replay_span",
    "replay_specs",
    "restate",
    "restate_spec",
    "retrain",
    "retrain_spec",
    "run",
]
