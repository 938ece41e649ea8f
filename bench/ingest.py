"""Ingest benchmark: readings/s through validate → persist → normalise, against a raw insert.

1,000 register points × 1 day at 1-minute resolution (1.44 M readings), delivered in batches
as a collector would (all points, N minutes per batch). For each engine (SQLite file,
PostgreSQL when reachable), three runs in fresh processes and fresh databases:

- baseline: a raw bulk insert of the same rows into the same ``reading`` table (SQLite
  ``executemany`` per batch; PostgreSQL binary ``COPY`` per batch), one commit per batch;
- pipeline (columns): ``ingest_columns`` per batch, then ``normalise_pending``;
- pipeline (readings): ``ingest`` of :class:`lingtan.readings.Reading` objects (what connectors
  hand over) per batch, then ``normalise_pending``.

Each line prints seconds, readings/s, the ratio to the baseline of the same engine measured
in the same run, and the process's peak RSS. Usage::

    python bench/ingest.py [--points 1000] [--minutes 1440] [--batch-minutes 10] [--engines sqlite,postgresql]

``--live`` times what a park pays while data flows (defaults: 1,000 points × 240 min = 240k
readings in batches of 10,000): the stream is MQTT gateway payloads (JSON text, one message per
100 points and minute, decoded by ``lingtan.connectors.mqtt.payloads``) with re-sent duplicates
(2 %), conflicting re-sends (0.5 %) and rejects (0.5 %: "n/a" values, unknown points) mixed
in; each batch is decoded, ingested and normalised: one row with ``normalise_pending`` after
every batch, one coalesced as ``serve`` and the collector run it (a run when 2 s passed since
the last or 50,000 readings are pending, the settings' defaults, and a last run after the
stream, timed), and one with the real background normaliser of ``serve`` and the collector in
its own thread, poked after every batch (the timer stops when it is idle after the stream). The baseline, in the same process, inserts the same
accepted rows, sorted, raw into a fresh database batch by batch (``COPY`` on PostgreSQL,
``executemany`` on SQLite). The ratio is baseline seconds / live seconds (target ≥ 0.5)::

    python bench/ingest.py --live [--engines sqlite,postgresql] [--repeat 3] [--enterprises 200]

``--enterprises N`` spreads the points over N enterprises and two carriers (grid electricity in
kWh, natural gas in m3), as a real park's owner × carrier series are many: the same readings
and the same raw-insert rows, but every normaliser run refreshes up to 2 N series instead of one.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import resource
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

import numpy as np
from _common import pg_reachable, pg_schema

T0 = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
MIN_US = 60_000_000


#: the carriers of ``--enterprises``: (carrier, unit), alternated per round of enterprises
OWNER_CARRIERS = (("electricity_grid_import", "kWh"), ("natural_gas", "m3"))


def park_text(points: int, enterprises: int = 0) -> str:
    """The bench park: ``points`` register points (codes P00000 …), all of one park-level
    owner and carrier; with ``enterprises`` N > 0, point i belongs to enterprise E{i mod N}
    and meters the carrier of ``OWNER_CARRIERS`` numbered (i div N) mod 2, so each
    enterprise holds points of both carriers (2 N owner × carrier series when points ≥ 2 N)."""
    lines = ["park: {id: bench, name: 基准园区, province: 江苏}"]
    if enterprises:
        lines.append("enterprises:")
        lines += [f"  - {{id: E{e:04d}, name: 企业{e:04d}}}" for e in range(enterprises)]
    lines.append("points:")
    for i in range(points):
        if enterprises:
            carrier, unit = OWNER_CARRIERS[(i // enterprises) % len(OWNER_CARRIERS)]
            owner = f", enterprise: E{i % enterprises:04d}"
        else:
            carrier, unit, owner = "electricity_grid_import", "kWh", ""
        lines.append(
            f"  - {{id: P{i:05d}, carrier: {carrier}, kind: total_increasing, unit: {unit}, "
            f"max_rate: 500{owner}}}"
        )
    return "\n".join(lines) + "\n"


def raw_insert(store: Any, pids: np.ndarray, ts: np.ndarray, vals: np.ndarray) -> None:
    """The baseline: the rows straight into ``reading`` in one transaction (binary ``COPY``
    on PostgreSQL, ``executemany`` on SQLite), nothing checked."""
    from lingtan.store.readings_repo import pg_copy_payload

    with store.engine.begin() as conn:
        dbapi: Any = conn.connection.driver_connection
        if store.capabilities.supports_copy:
            with (
                dbapi.cursor() as cur,
                cur.copy("COPY reading (point_id, ts, value) FROM STDIN (FORMAT BINARY)") as cp,
            ):
                cp.write(pg_copy_payload(pids, ts, vals))
        else:
            cur = dbapi.cursor()
            cur.executemany(
                "INSERT INTO reading (point_id, ts, value) VALUES (?, ?, ?)",
                list(zip(pids.tolist(), ts.tolist(), vals.tolist(), strict=True)),
            )
            cur.close()


def batches(points: int, minutes: int, batch_minutes: int):  # type: ignore[no-untyped-def]
    """(point index, ts µs, value) columns per batch; registers advance 0–5 kWh per minute."""
    rng = np.random.default_rng(42)
    start = int(T0.timestamp()) * 1_000_000
    base = rng.uniform(1e4, 1e6, points)
    steps = rng.uniform(0, 5, (minutes, points))
    values = base + np.cumsum(steps, axis=0)
    for m0 in range(0, minutes, batch_minutes):
        m1 = min(minutes, m0 + batch_minutes)
        n = (m1 - m0) * points
        idx = np.tile(np.arange(points, dtype=np.int64), m1 - m0)
        ts = np.repeat(start + np.arange(m0, m1, dtype=np.int64) * MIN_US, points)
        yield idx, ts, np.round(values[m0:m1].reshape(n), 3)


def fresh_url(engine: str, tmp: str) -> tuple[str, Any]:
    if engine == "sqlite":
        return f"sqlite:///{tmp}/bench-{uuid.uuid4().hex[:8]}.db", None
    return pg_schema("bench_ingest")


def run_one(
    engine: str, mode: str, points: int, minutes: int, batch_minutes: int
) -> dict[str, float]:
    """One measurement in this (fresh) process."""
    from lingtan.ingest import ingest, ingest_columns
    from lingtan.normalize.service import normalise_pending
    from lingtan.readings import Reading
    from lingtan.registry import parse_park_text
    from lingtan.store import open_store

    with tempfile.TemporaryDirectory() as tmp:
        url, drop = fresh_url(engine, tmp)
        store = open_store(url)
        try:
            store.registry.save_park(parse_park_text(park_text(points)))
            codes = sorted(store.registry.points_by_code())
            ids = np.array([store.registry.points_by_code()[c].id for c in codes], np.int64)
            if store.capabilities.supports_partitions:  # partitions exist before timing
                store.readings._ensure_partitions(
                    np.array([int(T0.timestamp()) * 1_000_000], np.int64)
                )
            now = T0 + dt.timedelta(days=30)
            elapsed = 0.0
            total = 0
            for idx, ts, vals in batches(points, minutes, batch_minutes):
                pids = ids[idx]
                if mode == "baseline":
                    began = time.perf_counter()
                    raw_insert(store, pids, ts, vals)
                    elapsed += time.perf_counter() - began
                elif mode == "columns":
                    began = time.perf_counter()
                    ack = ingest_columns(store, pids, ts, vals, source="bench", now=now)
                    elapsed += time.perf_counter() - began
                    assert ack.accepted == len(ts), ack
                else:
                    stamps = [dt.datetime.fromtimestamp(t / 1e6, dt.UTC) for t in ts.tolist()]
                    readings = [
                        Reading(codes[i], s, v)
                        for i, s, v in zip(idx.tolist(), stamps, vals.tolist(), strict=True)
                    ]
                    began = time.perf_counter()
                    ack = ingest(store, readings, source="bench", now=now)
                    elapsed += time.perf_counter() - began
                    assert ack.accepted == len(ts), ack
                total += len(ts)
            normalise_s = 0.0
            if mode != "baseline":
                began = time.perf_counter()
                report = normalise_pending(store)
                normalise_s = time.perf_counter() - began
                assert report.points == points, report
            assert store.readings.count() == total
        finally:
            store.close()
            if drop is not None:
                drop()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"readings": total, "ingest_s": elapsed, "normalise_s": normalise_s, "peak_mb": peak_mb}


def _child(args: tuple[str, str, int, int, int]) -> dict[str, float]:
    return run_one(*args)


GATEWAY_POINTS = 100


def live_stream(points: int, minutes: int, batch_minutes: int, codes: list[str]):  # type: ignore[no-untyped-def]
    """Per batch: the MQTT messages (topic, JSON bytes) and the accepted rows (point index,
    ts µs, value) a raw insert of the same data writes. Extras go in their own messages."""
    rng = np.random.default_rng(7)
    previous: list[tuple[int, int, float]] = []
    for idx, ts, vals in batches(points, minutes, batch_minutes):
        messages: list[tuple[str, bytes]] = []
        for t in np.unique(ts).tolist():
            at = dt.datetime.fromtimestamp(t / 1e6, dt.UTC).isoformat()
            sel = np.flatnonzero(ts == t)
            for g in range(0, len(sel), GATEWAY_POINTS):
                part = sel[g : g + GATEWAY_POINTS]
                body = {"ts": at, "readings": [
                    {"point": codes[int(idx[k])], "value": float(vals[k])} for k in part.tolist()
                ]}  # fmt: skip
                messages.append(
                    (f"park/gw/gw{g // GATEWAY_POINTS:02d}/batch", json.dumps(body).encode())
                )
        extras: list[dict[str, Any]] = []
        n = len(ts)
        if previous:
            for k in rng.choice(len(previous), int(n * 0.02), replace=False).tolist():
                i, t, v = previous[k]
                extras.append({"point": codes[i], "ts": t, "value": v})  # re-sent duplicate
            for k in rng.choice(len(previous), int(n * 0.005), replace=False).tolist():
                i, t, v = previous[k]
                extras.append({"point": codes[i], "ts": t, "value": v + 1.0})  # conflict
        for k in rng.choice(n, int(n * 0.005), replace=False).tolist():
            bad = {"point": codes[int(idx[k])], "value": "n/a"} if k % 2 else {
                "point": "NO-SUCH-POINT", "value": 1.0}  # fmt: skip
            extras.append({**bad, "ts": int(ts[k]) // 1_000_000})
        for e in extras:
            if isinstance(e["ts"], int) and e["ts"] > 10**12:
                e["ts"] = e["ts"] // 1_000_000  # epoch seconds, as gateways send
        for g in range(0, len(extras), GATEWAY_POINTS):
            messages.append(
                (
                    "park/gw/late/batch",
                    json.dumps({"readings": extras[g : g + GATEWAY_POINTS]}).encode(),
                )
            )
        previous = list(zip(idx.tolist(), ts.tolist(), vals.tolist(), strict=True))
        order = np.lexsort((ts, idx))
        yield messages, (idx[order], ts[order], vals[order])


def _merge(parts: list[Any]) -> Any:
    """One ReadingColumns of several decoded messages (what the collector commits)."""
    from lingtan.readings import ReadingColumns

    out = ReadingColumns()
    for cols in parts:
        base = len(out)
        out.point += cols.point
        out.ts += cols.ts
        out.us += cols.us
        out.value += cols.value
        out.unit += cols.unit
        out.source += cols.source
        out.odd.update({base + k: r for k, r in cols.odd.items()})
    return out


def run_live(
    engine: str,
    points: int,
    minutes: int,
    batch_minutes: int,
    coalesce: bool | str = False,
    enterprises: int = 0,
) -> dict[str, float]:
    """Baseline and live run in this process, each on a fresh database.

    ``coalesce``: a run is asked for after every batch but starts, as ``serve``'s background
    normaliser starts one, only when ``normalise_pending_readings`` readings were accepted
    since the last run or ``normalise_min_interval_s`` have passed since it started (the
    settings' defaults); a last run after the stream is timed too. ``"background"``: the
    normaliser ``serve`` and ``lingtan collect`` run (:class:`lingtan.jobs.runner.
    BackgroundNormaliser`, its own thread, the same settings) is poked after every batch, and
    the timer stops when it is idle after the stream: normalisation overlaps the next batches'
    decode and ingest as it does in production; ``normalise_s`` is then the wait after the
    stream only. ``"process"``: the same normaliser with its runs in a child process, as
    ``serve`` runs it (``normalise_process``): the child reads the rows back from the store
    while this process decodes and ingests the next batches, on the other core."""
    from lingtan.config import Settings
    from lingtan.connectors.mqtt.payloads import TopicTemplate, decode_columns
    from lingtan.ingest import ingest
    from lingtan.jobs.runner import BackgroundNormaliser
    from lingtan.normalize.service import normalise_pending
    from lingtan.registry import parse_park_text
    from lingtan.store import open_store

    template = TopicTemplate("park/gw/{gateway}/batch", form="batch")
    out: dict[str, float] = {"decode_s": 0.0, "ingest_s": 0.0, "normalise_s": 0.0}
    codes: list[str] = [f"P{i:05d}" for i in range(points)]
    stream = list(live_stream(points, minutes, batch_minutes, codes))
    settings = Settings()
    min_interval, threshold = settings.normalise_min_interval_s, settings.normalise_pending_readings
    with tempfile.TemporaryDirectory() as tmp:
        for mode in ("baseline", "live"):
            url, drop = fresh_url(engine, tmp)
            store = open_store(url)
            try:
                store.registry.save_park(parse_park_text(park_text(points, enterprises)))
                by_code = store.registry.points_by_code()
                ids = np.array([by_code[c].id for c in codes], np.int64)
                if store.capabilities.supports_partitions:
                    store.readings._ensure_partitions(
                        np.array([int(T0.timestamp()) * 1_000_000], np.int64)
                    )
                now = T0 + dt.timedelta(days=30)
                rows = accepted = pending = 0
                background = None
                # "collector": decode and ingest overlap as in `lingtan collect`, whose batcher
                # hands each batch to the sink in a worker thread (asyncio.to_thread, one batch
                # in flight) while its event loop decodes the next messages
                pipe = ThreadPoolExecutor(1) if mode == "live" and coalesce == "collector" else None
                inflight: Any = None

                if mode == "live" and coalesce in ("background", "process", "collector"):
                    background = BackgroundNormaliser(
                        store, interval_s=settings.normalise_interval_s,
                        min_interval_s=min_interval, pending_readings=threshold,
                        database_url=url if coalesce == "process" else None,
                    )  # fmt: skip
                    background.start(wait_ready=True)  # a service's start-up, not timed

                def timed_ingest(cols: Any, store: Any = store, now: Any = now) -> Any:
                    t = time.perf_counter()
                    return ingest(store, cols, source="bench", now=now), time.perf_counter() - t

                def taken(ack: Any, ingest_s: float, background: Any = background) -> None:
                    nonlocal accepted, pending
                    out["ingest_s"] += ingest_s
                    accepted += ack.accepted
                    pending += ack.accepted
                    out["duplicates"] = out.get("duplicates", 0) + ack.duplicates
                    out["rejected"] = out.get("rejected", 0) + ack.rejected
                    if background is not None:
                        background.poke(ack.accepted)

                began = last_run = time.perf_counter()
                for messages, (idx, ts, vals) in stream:
                    if mode == "baseline":
                        raw_insert(store, ids[idx], ts, vals)
                        rows += len(ts)
                        continue
                    t0 = time.perf_counter()
                    cols = _merge([decode_columns(template, topic, body, source="bench").columns
                                   for topic, body in messages])  # fmt: skip
                    t1 = time.perf_counter()
                    if pipe is not None:
                        out["decode_s"] += t1 - t0
                        rows += len(cols)
                        if inflight is not None:
                            taken(*inflight.result())
                        inflight = pipe.submit(timed_ingest, cols)
                        continue
                    ack = ingest(store, cols, source="bench", now=now)
                    t2 = time.perf_counter()
                    pending += ack.accepted
                    if background is not None:
                        background.poke(ack.accepted)
                    elif not coalesce or pending >= threshold or t2 - last_run >= min_interval:
                        _count_run(out, normalise_pending(store))
                        pending, last_run = 0, t2
                    t3 = time.perf_counter()
                    out["decode_s"] += t1 - t0
                    out["ingest_s"] += t2 - t1
                    out["normalise_s"] += t3 - t2
                    accepted += ack.accepted
                    rows += len(cols)
                    out["duplicates"] = out.get("duplicates", 0) + ack.duplicates
                    out["rejected"] = out.get("rejected", 0) + ack.rejected
                if pipe is not None:
                    if inflight is not None:
                        taken(*inflight.result())
                    pipe.shutdown()
                if background is not None:
                    t2 = time.perf_counter()
                    # the last run at once, as the next batches of a stream that goes on would
                    # start it, not after the minimum interval a short stream's end waits for
                    background.poke(threshold)
                    assert background.wait_idle(600), "the background normaliser never idled"
                    out["normalise_s"] += time.perf_counter() - t2
                    background.stop()
                    out["runs"] = background.runs
                    out["continued"] = out["recomputed"] = float("nan")
                    assert store.stats.pending_dirty() == 0
                elif mode == "live" and pending:
                    t2 = time.perf_counter()
                    _count_run(out, normalise_pending(store))
                    out["normalise_s"] += time.perf_counter() - t2
                out[f"{mode}_s"] = time.perf_counter() - began
                out[f"{mode}_rows"] = rows
                if mode == "live":
                    assert accepted == out["baseline_rows"], (accepted, out["baseline_rows"])
                assert store.readings.count() == out["baseline_rows"]
            finally:
                store.close()
                if drop is not None:
                    drop()
    return out


def _count_run(out: dict[str, float], report: Any) -> None:
    out["runs"] = out.get("runs", 0) + 1
    out["continued"] = out.get("continued", 0) + report.continued
    out["recomputed"] = out.get("recomputed", 0) + report.points - report.continued


def _live_child(args: tuple[str, int, int, int, bool | str, int]) -> dict[str, float]:
    return run_live(*args)


def main_live(opts: argparse.Namespace) -> None:
    points, minutes = opts.points, opts.minutes or 240
    n = points * minutes
    print(f"live: {points} points × {minutes} min = {n:,} readings in batches of "
          f"{points * opts.batch_minutes:,}, MQTT JSON payloads with 2 % duplicates, "
          "0.5 % conflicts, 0.5 % rejects; a normaliser run after every batch, then "
          "coalesced as serve runs it")  # fmt: skip
    if opts.enterprises:
        series = min(points, len(OWNER_CARRIERS) * opts.enterprises)
        print(f"owners: {opts.enterprises} enterprises × carriers "
              f"{', '.join(c for c, _ in OWNER_CARRIERS)}: {series} owner × carrier series")  # fmt: skip
    ctx = mp.get_context("spawn")
    for engine in opts.engines.split(","):
        if engine == "postgresql" and not pg_reachable():
            print("postgresql: not reachable on 127.0.0.1:5432, skipped")
            continue
        for coalesce in (False, True, "background", "process", "collector"):
            _live_rows(ctx, opts, engine, points, minutes, coalesce)
    sys.stdout.flush()


def _live_rows(  # type: ignore[no-untyped-def]
    ctx, opts: argparse.Namespace, engine: str, points: int, minutes: int, coalesce: bool | str
) -> None:
    label = {False: "every batch", True: "coalesced", "background": "background",
             "process": "process", "collector": "collector"}[coalesce]  # fmt: skip
    ratios = []
    for _ in range(opts.repeat):
        # a fresh process a run; not a Pool's daemonic worker, which may not start the
        # "process" row's normaliser child
        with ProcessPoolExecutor(1, mp_context=ctx) as pool:
            r = pool.submit(
                _live_child,
                (engine, points, minutes, opts.batch_minutes, coalesce, opts.enterprises),
            ).result()
        ratio = r["baseline_s"] / r["live_s"]
        ratios.append(ratio)
        print(
            f"{engine:10s} {label:11s} baseline raw insert {r['baseline_s']:6.2f} s "
            f"{r['baseline_rows'] / r['baseline_s']:10,.0f} rows/s | live {r['live_s']:6.2f} s "
            f"(decode {r['decode_s']:.2f} + ingest {r['ingest_s']:.2f} + normalise "
            f"{r['normalise_s']:.2f}; {r['live_rows']:,.0f} readings sent, "
            f"{r['duplicates']:,.0f} duplicates, {r['rejected']:,.0f} rejected; "
            f"{r['runs']:.0f} normaliser runs, point runs {r['continued']:,.0f} continued, "
            f"{r['recomputed']:,.0f} recomputed) ratio {ratio:.2f}"
        )
    print(
        f"{engine:10s} {label:11s} median ratio {statistics.median(ratios):.2f} "
        f"over {len(ratios)} runs"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1000)
    parser.add_argument("--minutes", type=int, default=1440)
    parser.add_argument("--batch-minutes", type=int, default=10)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--live", action="store_true", help="normalise after every batch")
    parser.add_argument("--repeat", type=int, default=1, help="live runs per engine")
    parser.add_argument(
        "--enterprises",
        type=int,
        default=0,
        help="live: spread the points over N enterprises and two carriers (0: one park-level "
        "owner, one carrier)",
    )
    opts = parser.parse_args()
    if opts.live:
        if opts.minutes == 1440:  # the default of the one-shot modes: the 240k live
            opts.minutes = 240
        main_live(opts)
        return
    n = opts.points * opts.minutes
    print(f"{opts.points} points × {opts.minutes} min = {n:,} readings, batches of "
          f"{opts.points * opts.batch_minutes:,} readings")  # fmt: skip
    ctx = mp.get_context("spawn")
    for engine in opts.engines.split(","):
        if engine == "postgresql" and not pg_reachable():
            print("postgresql: not reachable on 127.0.0.1:5432, skipped")
            continue
        results = {}
        for mode in ("baseline", "columns", "readings"):
            with ctx.Pool(1) as pool:
                results[mode] = pool.apply(
                    _child, ((engine, mode, opts.points, opts.minutes, opts.batch_minutes),)
                )
        base_rate = n / results["baseline"]["ingest_s"]
        print(f"{engine:10s} baseline raw insert        {results['baseline']['ingest_s']:7.2f} s "
              f"{base_rate:12,.0f} readings/s  peak RSS {results['baseline']['peak_mb']:6.0f} MB")  # fmt: skip
        for mode in ("columns", "readings"):
            r = results[mode]
            seconds = r["ingest_s"] + r["normalise_s"]
            rate = n / seconds
            print(
                f"{engine:10s} pipeline ({mode:8s})      {seconds:7.2f} s {rate:12,.0f} readings/s  "
                f"ratio {rate / base_rate:6.1%}  (ingest {r['ingest_s']:.2f} s + normalise "
                f"{r['normalise_s']:.2f} s)  peak RSS {r['peak_mb']:6.0f} MB"
            )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
