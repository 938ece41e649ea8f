"""Environment benchmark: HJ 212 packets through the TCP server, and a year of GB 3095 assessment.

1. ``hj212``: ``--stations`` simulated stations (default 50) connect at once to the receiving
   server on loopback and send ``--minutes`` minutes of minute packets (2051) plus the hourly
   packets (2061), pipelined, each asking for a 9014 answer. Packets/s from the first connection
   to the last answer, as a ratio to parsing the very same packets alone (``packet.parse`` +
   the server's record building, no sockets) in the same process. Simulator and server share one
   event loop and one core's worth of Python, so the figure is a floor for the server alone.
   The same packets once more through the server into a store (a fresh SQLite file): the
   stations declared in a park model with ``resolution: minute``, every minute and hourly
   value written through :class:`~lingtan.environment.receiver.StoreSink` and the ingest
   pipeline (group commit), answered after the commit; ratio to parsing alone as well.
2. ``assess``: one year of hourly values for ``--assess-stations`` stations (default 50) × 6
   parameters (SO2, NO2, CO, O3, PM10, PM2.5) as the long CSV of ``lingtan environment assess``
   (~2.6 M rows, built in memory, not timed); time to read the CSV into series and to assess
   them (target < 5 s), with the CSV read by ``csv.reader`` alone as the baseline.

Usage::

    python bench/environment.py [--stations 50] [--minutes 240] [--assess-stations 50]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import io
import sys
import time
from zoneinfo import ZoneInfo

import numpy as np
from rich.console import Console
from rich.table import Table

from lingtan.connectors.hj212.packet import BEIJING, parse
from lingtan.connectors.hj212.server import DataRecord, Hj212Server, records_of
from lingtan.connectors.hj212.sim import run_station, station_packets, station_specs
from lingtan.environment.assess import assess, read_csv

console = Console()
START = dt.datetime(2026, 1, 1, tzinfo=BEIJING)


async def _through_server(specs, packets) -> tuple[float, int, int, dict[str, object]]:  # type: ignore[no-untyped-def]
    received = 0

    async def sink(records: list[DataRecord]) -> None:
        nonlocal received
        received += len(records)

    server = Hj212Server({s.mn: s.pw for s in specs}, sink)
    port = await server.start("127.0.0.1", 0)
    t0 = time.perf_counter()
    results = await asyncio.gather(
        *(
            run_station(
                s,
                "127.0.0.1",
                port,
                start=START,
                minutes=0,
                packets=packets[s.mn],
                answer_timeout_s=120,
            )
            for s in specs
        )
    )
    elapsed = time.perf_counter() - t0
    await server.close()
    answers = sum(r.answers for r in results)
    return elapsed, answers, received, server.counters.as_dict()


def _store_of(specs, directory: str):  # type: ignore[no-untyped-def]
    """A fresh SQLite store holding the simulated stations (minute resolution)."""
    from lingtan.registry import ParkModel
    from lingtan.store import open_store

    params = [{"parameter": p, "unit": u} for p, (_, u) in PARAMS.items()]
    model = ParkModel.model_validate(
        {
            "park": {"id": "bench-park", "name": "bench", "province": "江苏"},
            "environment": {
                "stations": [
                    {"code": f"S{k:03d}", "name": f"S{k:03d}", "kind": "air", "mn": s.mn,
                     "pw": s.pw, "air_class": 2, "resolution": "minute", "parameters": params}
                    for k, s in enumerate(specs)
                ]
            },
        }
    )  # fmt: skip
    store = open_store(f"sqlite:///{directory}/bench-env.db")
    store.registry.save_park(model)
    assert model.environment is not None
    return store, model.environment.stations


async def _into_store(specs, packets, store, stations) -> tuple[float, int, dict[str, int]]:  # type: ignore[no-untyped-def]
    from lingtan.environment.receiver import StoreSink

    sink = StoreSink(store, stations)
    server = Hj212Server({s.mn: s.pw for s in specs}, sink)
    port = await server.start("127.0.0.1", 0)
    t0 = time.perf_counter()
    results = await asyncio.gather(
        *(
            run_station(s, "127.0.0.1", port, start=START, minutes=0, packets=packets[s.mn],
                        answer_timeout_s=300)
            for s in specs
        )
    )  # fmt: skip
    elapsed = time.perf_counter() - t0
    await server.close()
    await sink.close()
    return elapsed, sum(r.answers for r in results), dict(sink.totals)


def bench_hj212(n_stations: int, minutes: int, repeat: int) -> list[list[str]]:
    specs = station_specs(n_stations)
    packets = {s.mn: list(station_packets(s, START, minutes)) for s in specs}
    frames = [f for s in specs for f, _ in packets[s.mn]]
    n = len(frames)
    size = sum(len(f) for f in frames)
    console.print(
        f"hj212: {n_stations} stations × {minutes} min → {n:,} packets, {size / 1e6:.1f} MB"
    )

    best_parse = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        k = 0
        for f in frames:
            k += len(records_of(parse(f)))
        best_parse = min(best_parse, time.perf_counter() - t0)
    best_server = float("inf")
    counters: dict[str, object] = {}
    for _ in range(repeat):
        elapsed, answers, received, counters = asyncio.run(_through_server(specs, packets))
        if answers != n or received != k:
            raise SystemExit(f"lost data: {answers}/{n} answers, {received}/{k} records")
        best_server = min(best_server, elapsed)
    console.print(f"server counters: {counters}")
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        store, stations = _store_of(specs, tmp)
        try:
            t_store, answers, totals = asyncio.run(_into_store(specs, packets, store, stations))
            stored = store.readings.count()
        finally:
            store.close()
    if answers != n:
        raise SystemExit(f"lost data: {answers}/{n} answers into the store")
    console.print(f"store sink: {totals}; {stored:,} readings in the store")
    parse_rate, server_rate = n / best_parse, n / best_server
    store_rate = n / t_store
    return [
        ["parse alone (baseline)", f"{n:,}", f"{best_parse:.3f}", f"{parse_rate:,.0f}", "1.00"],
        [
            f"TCP server, {n_stations} stations, with 9014 answers",
            f"{n:,}",
            f"{best_server:.3f}",
            f"{server_rate:,.0f}",
            f"{server_rate / parse_rate:.2f}",
        ],
        [
            f"TCP server → ingest → SQLite store, {n_stations} stations",
            f"{n:,}",
            f"{t_store:.3f}",
            f"{store_rate:,.0f}",
            f"{store_rate / parse_rate:.2f}",
        ],
    ]


PARAMS = {
    "SO2": (12, "µg/m3"),
    "NO2": (35, "µg/m3"),
    "CO": (0.8, "mg/m3"),
    "O3": (90, "µg/m3"),
    "PM10": (70, "µg/m3"),
    "PM2.5": (40, "µg/m3"),
}


def year_csv(n_stations: int, days: int) -> str:
    rng = np.random.default_rng(7)
    start = dt.datetime(2025, 1, 1, tzinfo=BEIJING)
    stamps = [(start + dt.timedelta(hours=h)).isoformat() for h in range(days * 24)]
    out = io.StringIO()
    out.write("station,parameter,ts,value,unit\n")
    for k in range(n_stations):
        for p, (level, unit) in PARAMS.items():
            values = rng.gamma(4.0, level / 4.0, size=len(stamps)).round(3)
            values_text = values.astype(str)
            # about 3 % of the hours missing, so validity matters
            values_text[rng.random(len(stamps)) < 0.03] = ""
            st = f"ST{k:03d}"
            out.write(
                "".join(
                    f"{st},{p},{t},{v},{unit}\n" for t, v in zip(stamps, values_text, strict=True)
                )
            )
    return out.getvalue()


def bench_assess(n_stations: int, days: int) -> list[list[str]]:
    t0 = time.perf_counter()
    text = year_csv(n_stations, days)
    rows = text.count("\n") - 1
    console.print(
        f"assess: {rows:,} rows ({len(text) / 1e6:.0f} MB) built in {time.perf_counter() - t0:.1f} s"
    )
    t0 = time.perf_counter()
    n = sum(1 for _ in csv.reader(io.StringIO(text)))
    t_csv = time.perf_counter() - t0
    t0 = time.perf_counter()
    series = read_csv(text)
    t_read = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = assess(series, 2, ZoneInfo("Asia/Shanghai"))
    t_assess = time.perf_counter() - t0
    exceed = sum(r.exceedance_days for r in result.series)
    invalid = sum(r.invalid_days for r in result.series)
    console.print(
        f"{len(result.series)} series, {exceed:,} exceedance days, {invalid:,} invalid days ({n:,} CSV lines)"
    )
    total = t_read + t_assess
    return [
        ["csv.reader alone (baseline)", f"{rows:,}", f"{t_csv:.2f}", "1.00"],
        ["read_csv → hourly series", f"{rows:,}", f"{t_read:.2f}", f"{t_read / t_csv:.2f}"],
        [
            "assess (GB 3095 statistics)",
            f"{len(result.series)} series",
            f"{t_assess:.2f}",
            f"{t_assess / t_csv:.2f}",
        ],
        ["read + assess (target < 5 s)", f"{rows:,}", f"{total:.2f}", f"{total / t_csv:.2f}"],
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--stations", type=int, default=50)
    ap.add_argument("--minutes", type=int, default=240)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--assess-stations", type=int, default=50)
    ap.add_argument("--days", type=int, default=365)
    args = ap.parse_args()

    table = Table(title="HJ 212 packets through the TCP server (loopback)")
    for col in ("path", "packets", "best s", "packets/s", "ratio to parse"):
        table.add_column(col, justify="left" if col == "path" else "right")
    for row in bench_hj212(args.stations, args.minutes, args.repeat):
        table.add_row(*row)
    console.print(table)

    table = Table(
        title=f"GB 3095 assessment, {args.assess_stations} stations × 6 parameters × {args.days} days"
    )
    for col in ("step", "size", "s", "ratio to csv.reader"):
        table.add_column(col, justify="left" if col == "step" else "right")
    for row in bench_assess(args.assess_stations, args.days):
        table.add_row(*row)
    console.print(table)


if __name__ == "__main__":
    sys.exit(main())
