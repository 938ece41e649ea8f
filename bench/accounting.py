"""Accounting benchmark: the park + enterprise inventory as a user's first request pays it, and
what keeping the rollups it reads costs each ingested batch.

Part ``store`` (SQLite and PostgreSQL): a park of 10 000 points in 200 enterprises, one year of
hourly statistics (87.6 M point-hours) written to ``stat_hour`` with the store's bulk paths and
the owner × carrier rollups (hourly, monthly with their packed hours) refreshed as the
normaliser keeps them. The set-up is timed apart and can be kept and reused (``--keep``).

**The timer covers**, for each of ``--repeat`` runs, what a first request does: a new ``Store``
(new engine, new connection; the schema is already migrated, as in a running server), a new
factor library (shipped records + a synthetic hourly grid series), the park inventory (910号
附件4) and the GB/T 32150 inventory of every enterprise with hourly grid factors for
location-based scope 2 — registry, options, rollup and supplement reads, 绿证 ledger, accounting
— and storing the 201 results with their audit entries in one transaction. It does **not**
cover closing the store, nor the database server's own buffer cache (warm after the first run;
the operating system's page cache too). The first run and the median are printed.

Baselines measured in the same run on a new connection: the rollup reads alone (the
repository's queries the accounting runs: its floor) and the same owner × carrier totals
aggregated from ``stat_hour`` without rollups. Checks: the park's grid electricity equals the
grid total aggregated from ``stat_hour``; on a fresh set-up also the generated sum, and each
enterprise's hourly-factor emissions equal the point-by-point product Σ_p Σ_h kWh_p,h × f_h.

Part ``maintenance`` (both engines, a small fresh park): batches of hourly interval readings
(``--maint-points`` points × ``--maint-hours`` hours each) are ingested and the normaliser runs
after every batch, as the collector and ``serve`` do. The rollup maintenance — the daily and
monthly point statistics and the owner × carrier hourly and monthly rollups with their packed
hours — is timed inside those runs by wrapping the store methods that do it; printed per batch
beside the whole normalisation (the baseline of the ratio), with SQLite's packing in Python
apart (PostgreSQL packs inside the statement that writes the month).

Run: ``.venv/bin/python bench/accounting.py [--points N] [--hours H] [--enterprises E]
[--part store|maintenance] [--engines sqlite,postgresql] [--repeat R] [--workdir DIR --keep]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from _common import pg_reachable, pg_schema

# -- store-backed part ----------------------------------------------------------------------
YEAR = 2025
TZ = dt.timezone(dt.timedelta(hours=8))
HOUR_US = 3_600_000_000
#: boundary carriers of each enterprise, with their unit and a typical hourly amount per point
STORE_CARRIERS: tuple[tuple[str, str, float], ...] = (
    ("electricity_grid_import", "kWh", 400.0),
    ("direct_green_electricity", "kWh", 150.0),
    ("natural_gas", "m3", 30.0),
    ("steam", "GJ", 2.0),
    ("pv_generation", "kWh", 60.0),
)
SERIES_ID = "bench.synthetic.hourly.2025"


def _park_model(points: int, enterprises: int, carriers: int) -> tuple[Any, list[dict[str, Any]]]:
    """The bench park: per enterprise 2 boundary points per carrier, the rest sub-meters of its
    first grid meter (level 2, not boundary), so ``points`` points in all."""
    from lingtan.registry import ParkModel

    per = points // enterprises
    chosen = STORE_CARRIERS[:carriers]
    if per < 2 * len(chosen):
        raise SystemExit(f"--points must give each enterprise ≥ {2 * len(chosen)} points")
    ents, pts = [], []
    for e in range(enterprises):
        code = f"E{e:04d}"
        ents.append({"id": code, "name": f"基准企业{e:04d}（合成）"})
        made = 0
        for carrier, unit, _ in chosen:
            for k in range(2):
                pts.append({"id": f"{code}-{carrier}-{k}", "carrier": carrier, "kind": "interval",
                            "unit": unit, "enterprise": code, "level": 1, "interval_s": 3600})  # fmt: skip
                made += 1
        for k in range(per - made):
            pts.append({"id": f"{code}-sub{k:03d}", "carrier": "electricity_grid_import",
                        "kind": "interval", "unit": "kWh", "enterprise": code, "level": 2,
                        "parent": f"{code}-electricity_grid_import-0", "interval_s": 3600})  # fmt: skip
    park = {"id": "bench-park", "name": "基准园区（合成）", "province": "江苏"}
    model = ParkModel.model_validate({"park": park, "enterprises": ents, "points": pts})
    return model, pts


def _hourly_series(hours: int) -> Any:
    """A synthetic hourly grid factor series for the year (labelled as such; bench only)."""
    from lingtan.carbon.factors import FactorSeries

    h = np.arange(max(hours, 24))
    values = 0.58 + 0.12 * np.sin(2 * np.pi * (h % 24 - 14) / 24)  # kgCO2/kWh, daily shape
    return FactorSeries(
        id=SERIES_ID,
        kind="grid_electricity_hourly",
        unit="kgCO2/kWh",
        scope="province",
        region="江苏",
        basis="average",
        year=YEAR,
        resolution="hour",
        start=dt.datetime(YEAR, 1, 1, tzinfo=TZ),
        values=tuple(np.round(values, 4).tolist()),
        source="synthetic series for the accounting benchmark (not a published factor)",
        url=None,
        url_note="synthetic",
        confidence="U",
        verified=False,
    )


def _fresh(engine: str, workdir: str, keep: bool, size: str) -> tuple[str, Callable[[], None]]:
    if engine == "sqlite":
        path = os.path.join(workdir, f"bench-accounting-{size}.db")
        url = f"sqlite:///{path}"

        def remove() -> None:
            if not keep:
                for suffix in ("", "-wal", "-shm"):
                    if os.path.exists(path + suffix):
                        os.remove(path + suffix)

        return url, remove
    return pg_schema("bench_acc", name=f"bench_accounting_{size}" if keep else None, keep=keep)


def _profiles(rng: np.random.Generator, n: int, hours: int, scale: float) -> np.ndarray:
    """n hourly profiles [n, hours]: a daily shape, a seasonal swing and noise; ≥ 0."""
    h = np.arange(hours)
    daily = 1.0 + 0.35 * np.sin(2 * np.pi * (h % 24 - 9) / 24)
    season = 1.0 + 0.15 * np.cos(2 * np.pi * h / 8760)
    level = rng.uniform(0.5, 1.5, (n, 1)) * scale
    noise = rng.normal(1.0, 0.05, (n, hours)).clip(0.7, 1.3)
    return np.round(level * daily * season * noise, 3)


def _setup(store: Any, args: argparse.Namespace, h0: int, series: Any) -> dict[str, Any]:
    """Registry, bulk statistics, rollups. Returns what the checks need and the timings."""
    from lingtan.store.bulk_stats import insert_hours

    timings: dict[str, float] = {}
    began = time.perf_counter()
    model, pts = _park_model(args.points, args.enterprises, args.carriers)
    store.registry.save_park(model, actor="bench")
    by_code = store.registry.points_by_code(refresh=True)
    timings["registry"] = time.perf_counter() - began
    park_id = store.registry.park().id
    hours = args.hours
    hour_starts = h0 + np.arange(hours, dtype=np.int64) * HOUR_US
    factor = series.values_at_us(hour_starts) / 1000.0  # tCO2/kWh
    rng = np.random.default_rng(2025)
    scales = {c: a for c, _, a in STORE_CARRIERS}
    grid_total = 0.0
    expected_loc: dict[str, float] = {}
    groups: dict[tuple[int, str, str], list[int]] = {}
    began = time.perf_counter()
    chunk = max(1, args.chunk_rows // hours)
    written = 0
    for start in range(0, len(pts), chunk):
        part = pts[start : start + chunk]
        values = np.empty((len(part), hours))
        for carrier in {p["carrier"] for p in part}:
            rows = [i for i, p in enumerate(part) if p["carrier"] == carrier]
            values[rows] = _profiles(rng, len(rows), hours, scales[carrier])
        ids = np.array([by_code[p["id"]].id for p in part], np.int64)
        for i, p in enumerate(part):
            if p.get("parent") is None:  # boundary point
                record = by_code[p["id"]]
                key = (record.enterprise_key, record.carrier, record.unit)
                groups.setdefault(key, []).append(record.id)
                if p["carrier"] == "electricity_grid_import":
                    grid_total += float(values[i].sum())
                    # the naive product, point by point and hour by hour, for the check
                    expected_loc[p["enterprise"]] = expected_loc.get(p["enterprise"], 0.0) + float(
                        values[i] @ factor
                    )
        n = values.size
        with store.begin() as conn:
            written += insert_hours(
                store,
                conn,
                point_ids=np.repeat(ids, hours),
                hours=np.tile(hour_starts, len(part)),
                values=values.reshape(n),
                measured_s=np.full(n, 3600.0),
                estimated_s=np.zeros(n),
                missing_s=np.zeros(n),
                flags=np.zeros(n, np.int64),
                n=np.ones(n, np.int64),
                computed_at=h0,
            )
    timings["stat_hour"] = time.perf_counter() - began
    began = time.perf_counter()
    with store.begin() as conn:
        for (ekey, carrier, unit), members in sorted(groups.items()):
            store.stats.refresh_carrier(
                conn, park_id=park_id, enterprise_key=ekey, carrier=carrier, unit=unit,
                point_ids=members, h0=int(hour_starts[0]), h1=int(hour_starts[-1]) + HOUR_US,
            )  # fmt: skip
        conn.exec_driver_sql("ANALYZE stat_hour_carrier")
    timings["rollups"] = time.perf_counter() - began
    return {
        "timings": timings,
        "written": written,
        "grid_total": grid_total,
        "expected_loc": expected_loc,
        "rollup_groups": len(groups),
    }


def _baselines(url: str, park_id: int, h0: int, h1: int) -> dict[str, Any]:
    """What the accounting must read — the rollup totals of every owner × carrier and the hourly
    grid electricity, by the repository's own queries — and the same totals aggregated from
    ``stat_hour`` without rollups; each on a new store (new connection)."""
    from lingtan.store import open_store
    from lingtan.store.accounting_repo import AccountingRepo

    out: dict[str, Any] = {}
    store = open_store(url, migrate=False)
    try:
        repo = AccountingRepo(store)
        began = time.perf_counter()
        with store.begin() as conn:
            repo.carrier_totals(conn, park_id=park_id, h0=h0, h1=h1, enterprise_key=None)
            repo.carrier_hours(
                conn, park_id=park_id, h0=h0, h1=h1, carriers=["electricity_grid_import"],
                enterprise_key=None,
            )  # fmt: skip
        out["rollup_reads"] = time.perf_counter() - began
    finally:
        store.close()
    store = open_store(url, migrate=False)
    try:
        began = time.perf_counter()
        with store.begin() as conn:
            rows = conn.exec_driver_sql(
                "SELECT p.enterprise_id, p.carrier, p.unit, SUM(h.value) FROM stat_hour h "
                "JOIN point p ON p.id = h.point_id "
                f"WHERE p.boundary AND h.hour >= {int(h0)} AND h.hour < {int(h1)} "
                "GROUP BY p.enterprise_id, p.carrier, p.unit"
            ).all()
        out["stat_hour_scan"] = time.perf_counter() - began
    finally:
        store.close()
    out["grid_from_stat_hour"] = sum(float(r[3]) for r in rows if r[1] == "electricity_grid_import")
    return out


def _first_request(url: str, series: Any) -> tuple[float, Any, Any]:
    """One timed inventory as a first request pays it (see the module docstring)."""
    from lingtan.accounting import account_park_and_enterprises
    from lingtan.carbon.factors import default_library
    from lingtan.carbon.inventory import AccountingOptions
    from lingtan.store import open_store

    began = time.perf_counter()
    store = open_store(url, migrate=False)
    try:
        library = default_library()
        library.append_series(series)
        park, enterprises = account_park_and_enterprises(
            store,
            year=YEAR,
            library=library,
            options=AccountingOptions(grid_series_id=SERIES_ID),
            actor="bench",
        )
        elapsed = time.perf_counter() - began
    finally:
        store.close()
    return elapsed, park, enterprises


def store_part(args: argparse.Namespace) -> list[str]:
    """Set up (or reuse) each engine, then time park + per-enterprise inventories."""
    from lingtan.store import open_store
    from lingtan.timeutil import to_us

    lines = [
        f"store: {args.points} points ({args.enterprises} enterprises × {args.carriers} carriers, "
        f"2 boundary points per carrier) × {args.hours} h = "
        f"{args.points * args.hours / 1e6:.1f} M point-hours",
        "  timer: new Store + connection, new factor library, park + every enterprise inventory "
        f"(reads, accounting), {args.enterprises + 1} results + audit stored in one transaction; "
        "not: closing, the server's buffer cache",
    ]
    h0 = to_us(dt.datetime(YEAR, 1, 1, tzinfo=TZ))
    h1 = h0 + args.hours * HOUR_US
    series = _hourly_series(args.hours)
    workdir = args.workdir or tempfile.mkdtemp(prefix="lingtan-bench-")
    for engine in args.engines.split(","):
        if engine == "postgresql" and not pg_reachable():
            lines.append("  postgresql: not reachable on 127.0.0.1:5432, skipped")
            continue
        size = f"{args.points}p_{args.enterprises}e_{args.carriers}c_{args.hours}h"
        url, cleanup = _fresh(engine, workdir, args.keep, size)
        try:
            store = open_store(url)  # migrates a kept store to the newest revision
            try:
                reused = store.registry.parks() != []
                setup = None if reused else _setup(store, args, h0, series)
                park_id = store.registry.park().id
            finally:
                store.close()
            if setup is None:
                lines.append(f"  {engine:10s} reusing the prepared store at {url}")
            else:
                t = setup["timings"]
                lines.append(
                    f"  {engine:10s} set-up {sum(t.values()):8.1f} s: registry "
                    f"{t['registry']:.1f} s, stat_hour {setup['written'] / 1e6:.1f} M rows in "
                    f"{t['stat_hour']:.1f} s ({setup['written'] / t['stat_hour']:,.0f} rows/s), "
                    f"{setup['rollup_groups']} owner × carrier rollups in {t['rollups']:.1f} s"
                )
            runs = []
            for _ in range(args.repeat):
                elapsed, park, enterprises = _first_request(url, series)
                runs.append(elapsed)
            base = _baselines(url, park_id, h0, h1)
            grid = park.activity.electricity.received_kwh("grid")
            if not np.isclose(grid, base["grid_from_stat_hour"], rtol=1e-9):
                raise SystemExit(
                    f"park grid {grid} ≠ stat_hour total {base['grid_from_stat_hour']}"
                )
            if setup is not None:
                if not np.isclose(grid, setup["grid_total"], rtol=1e-9):
                    raise SystemExit(f"park grid {grid} ≠ generated {setup['grid_total']}")
                for r in enterprises:
                    want = setup["expected_loc"][r.boundary]
                    got = r.inventory.emissions["electricity"]
                    if not np.isclose(got, want, rtol=1e-9):
                        raise SystemExit(f"{r.boundary}: {got} ≠ point-by-point {want}")
            median = float(np.median(runs))
            lines += [
                f"  {engine:10s} inventory, park + {len(enterprises)} enterprises (hourly "
                f"factors, persisted), cold: first {runs[0]:.2f} s, median of {len(runs)} "
                f"{median:.2f} s (runs {', '.join(f'{x:.2f}' for x in runs)}; target < 5 s)",
                f"  {engine:10s}   baselines: the rollup reads alone (owner × carrier totals + "
                f"hourly grid) {base['rollup_reads']:.2f} s; the same totals from stat_hour "
                f"without rollups {base['stat_hour_scan']:.2f} s",
                f"  {engine:10s}   ratio inventory / rollup reads = "
                f"{median / base['rollup_reads']:.2f}×; stat_hour aggregation / inventory = "
                f"{base['stat_hour_scan'] / median:.1f}×",
                f"  {engine:10s}   checks: park grid electricity = its total from stat_hour"
                + (
                    "; = the generated sum; each enterprise's hourly-factor emissions = the "
                    "point-by-point product (rtol 1e-9)"
                    if setup is not None
                    else " (rtol 1e-9)"
                ),
            ]
        finally:
            cleanup()
    return lines


class _Timed:
    """Wraps store methods and adds up the time spent inside them."""

    def __init__(self, owner: Any, names: tuple[str, ...]) -> None:
        self.seconds = 0.0
        self._owner = owner
        self._saved = {n: getattr(owner, n) for n in names}
        for name, method in self._saved.items():
            setattr(owner, name, self._wrap(method))

    def _wrap(self, method: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*a: Any, **k: Any) -> Any:
            began = time.perf_counter()
            try:
                return method(*a, **k)
            finally:
                self.seconds += time.perf_counter() - began

        return timed

    def restore(self) -> None:
        for name, method in self._saved.items():
            setattr(self._owner, name, method)


def maintenance_part(args: argparse.Namespace) -> list[str]:
    """Rollup maintenance per ingested batch, inside the normaliser's runs."""
    from lingtan.ingest import ingest_columns
    from lingtan.normalize.service import normalise_pending
    from lingtan.store import open_store
    from lingtan.store.stats_repo import StatsRepo
    from lingtan.timeutil import to_us

    points, hours, batches = args.maint_points, args.maint_hours, args.maint_batches
    enterprises = max(1, points // 50)
    lines = [
        f"maintenance: {points} points in {enterprises} enterprises, {batches} batches of "
        f"{hours} h × {points} hourly interval readings = {points * hours:,} readings each; "
        "the normaliser after every batch; rollups = daily + monthly point statistics and "
        "owner × carrier hourly + monthly rollups (StatsRepo.refresh_days_many, refresh_carrier)"
    ]
    h0 = to_us(dt.datetime(YEAR, 3, 1, tzinfo=TZ))
    now = dt.datetime(YEAR + 1, 1, 1, tzinfo=dt.UTC)
    for engine in args.engines.split(","):
        if engine == "postgresql" and not pg_reachable():
            lines.append("  postgresql: not reachable on 127.0.0.1:5432, skipped")
            continue
        with tempfile.TemporaryDirectory() as tmp:
            url, cleanup = _fresh(engine, tmp, False, f"maint_{os.getpid()}")
            store = open_store(url)
            timer = _Timed(StatsRepo, ("refresh_days_many", "refresh_carrier"))
            # SQLite packs each month's hours in Python (PostgreSQL inside the month's SQL)
            packing = _Timed(StatsRepo, ("_pack_months",))
            try:
                model, pts = _park_model(points, enterprises, args.carriers)
                store.registry.save_park(model, actor="bench")
                by_code = store.registry.points_by_code(refresh=True)
                ids = np.array([by_code[p["id"]].id for p in pts], np.int64)
                rng = np.random.default_rng(7)
                per_batch: list[tuple[float, float, float, float]] = []
                for b in range(batches):
                    # an interval reading is stamped at the end of its hour
                    ends = h0 + (np.arange(hours, dtype=np.int64) + 1 + b * hours) * HOUR_US
                    pids = np.tile(ids, hours)
                    ts = np.repeat(ends, len(ids))
                    values = np.round(rng.uniform(1.0, 100.0, len(ts)), 3)
                    began = time.perf_counter()
                    ack = ingest_columns(store, pids, ts, values, source="bench", now=now)
                    ingest_s = time.perf_counter() - began
                    assert ack.accepted == len(ts), ack
                    timer.seconds = packing.seconds = 0.0
                    began = time.perf_counter()
                    normalise_pending(store)
                    normalise_s = time.perf_counter() - began
                    per_batch.append((ingest_s, normalise_s, timer.seconds, packing.seconds))
            finally:
                packing.restore()
                timer.restore()
                store.close()
                cleanup()
        ing, norm, roll, pack = (float(np.median([x[i] for x in per_batch])) for i in range(4))
        lines.append(
            f"  {engine:10s} per batch (median of {batches}): ingest {ing * 1e3:.0f} ms, "
            f"normalise {norm * 1e3:.0f} ms, of which rollup maintenance {roll * 1e3:.0f} ms "
            f"= {roll / norm:.0%} of the normalisation, {roll / (points * hours) * 1e6:.1f} µs "
            "per reading"
            + (f" (packing the months' hours in Python {pack * 1e3:.0f} ms)" if pack else "")
        )
    return lines


PARTS: dict[str, Callable[[argparse.Namespace], list[str]]] = {
    "store": store_part,
    "maintenance": maintenance_part,
}


def main() -> None:
    """Parse arguments and run each part."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("--hours", type=int, default=8_760)
    parser.add_argument("--enterprises", type=int, default=200)
    parser.add_argument("--carriers", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--part", choices=sorted(PARTS), action="append")
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--workdir", help="directory of the SQLite file (default: a temp dir)")
    parser.add_argument(
        "--keep", action="store_true", help="keep the prepared stores and reuse them next time"
    )
    parser.add_argument("--chunk-rows", type=int, default=2_000_000, help="rows per transaction")
    parser.add_argument("--maint-points", type=int, default=1_000)
    parser.add_argument("--maint-hours", type=int, default=10, help="hours per batch")
    parser.add_argument("--maint-batches", type=int, default=5)
    args = parser.parse_args()
    for name in args.part or sorted(PARTS):
        for line in PARTS[name](args):
            print(line, flush=True)


if __name__ == "__main__":
    main()
