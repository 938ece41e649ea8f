"""Alarm benchmark: ingest throughput with 1,000 active rules against ingest without rules,
and the raise latency from a batch's commit to the alarm stored.

A park of 2,000 points (1,000 power measurements, 1,000 energy registers) receives
``--minutes`` minutes of 1-minute readings in batches of ``--batch`` readings, as a collector
delivers them. The rules (1,000 in all): a threshold with hold and hysteresis on each power
measurement (600), a rate-of-change rule on 200 of them, and comms-loss (freshness) rules on
200 registers. About one power measurement in fifty steps above its limit for a few minutes
during the run, so alarms are raised and cleared while data flows.

For each engine (SQLite file, PostgreSQL when reachable), ``--repeat`` rounds, each in fresh
databases and in the same process:

- baseline: ``ingest_columns`` of every batch into a store with no rules (the engine attached
  and idle: what every lingtan process pays without rules);
- with rules: the same batches into a store holding the 1,000 rules.

Each line prints seconds, readings/s and the ratio with/without (target >= 0.8) — the timer
covers the ingest calls, alarms raised and states written with them included; the write of
the remaining evaluation state, which a running engine does every 5 s, is timed apart —; then the
latency from the commit of the batch that caused an alarm to the alarm's insert (p50, p95,
max, in ms; both happen inside the ingest call, so an alarm is stored before ``ingest``
returns). Usage::

    python bench/alarms.py [--minutes 120] [--batch 10000] [--engines sqlite,postgresql] [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from _common import pg_reachable, pg_schema

T0 = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
MIN_US = 60_000_000
POWER, REGISTERS = 1000, 1000
LIMIT_KW = 500.0


def park_text() -> str:
    lines = ["park: {id: bench, name: 告警基准园区, province: 江苏}", "points:"]
    lines += [
        f"  - {{id: W{i:04d}, carrier: electricity_grid_import, kind: measurement, unit: kW,"
        " interval_s: 60}"
        for i in range(POWER)
    ]
    lines += [
        f"  - {{id: R{i:04d}, carrier: electricity_grid_import, kind: total_increasing,"
        " unit: kWh, interval_s: 60}"
        for i in range(REGISTERS)
    ]
    return "\n".join(lines) + "\n"


def rules() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i in range(600):
        out.append({"id": f"hi-{i}", "name": "负荷越限", "kind": "threshold", "severity": "major",
                    "scope": {"points": [f"W{i:04d}"]}, "op": "above", "high": LIMIT_KW,
                    "hold_min": 2, "hysteresis": 20})  # fmt: skip
    for i in range(200):
        out.append({"id": f"step-{i}", "name": "负荷突变", "kind": "rate_of_change",
                    "scope": {"points": [f"W{i:04d}"]}, "max_step": 150, "within_min": 5})  # fmt: skip
    for i in range(200):
        out.append({"id": f"comms-{i}", "name": "通信中断", "kind": "freshness",
                    "scope": {"points": [f"R{i:04d}"]}, "factor": 3})  # fmt: skip
    return out


def stream(minutes: int, batch: int) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Batches of (point ids, µs stamps, values) in time order, ids as the park file gives
    them (1..2000 in declaration order)."""
    rng = np.random.default_rng(14)
    n = POWER + REGISTERS
    t0 = int(T0.timestamp()) * 1_000_000
    power = 300 + 15 * rng.standard_normal((minutes, POWER))
    # one point in fifty goes above the limit for 5 minutes at a random time
    for p in range(0, POWER, 50):
        start = int(rng.integers(0, max(1, minutes - 5)))
        power[start : start + 5, p] = LIMIT_KW + 100
    registers = np.cumsum(rng.uniform(0, 10, (minutes, REGISTERS)), axis=0)
    values = np.concatenate([power, registers], axis=1).ravel()
    ids = np.tile(np.arange(1, n + 1, dtype=np.int64), minutes)
    ts = np.repeat(t0 + np.arange(minutes, dtype=np.int64) * MIN_US, n)
    return [
        (ids[k : k + batch], ts[k : k + batch], values[k : k + batch])
        for k in range(0, len(ids), batch)
    ]


def open_fresh(engine: str, tmp: str, tag: str) -> tuple[Any, Callable[[], None]]:
    from lingtan.registry import parse_park_text
    from lingtan.store import open_store

    if engine == "sqlite":
        url, drop = f"sqlite:///{tmp}/{tag}.db", (lambda: None)
    else:
        url, drop = pg_schema("bench_alarms")
    store = open_store(url)
    store.registry.save_park(parse_park_text(park_text()))
    return store, drop


def run(engine: str, batches: list[Any], with_rules: bool, tmp: str, tag: str) -> dict[str, Any]:
    from lingtan.alarms import service
    from lingtan.alarms.engine import Engine
    from lingtan.alarms.rules import parse_rules
    from lingtan.ingest import ingest_columns

    store, drop = open_fresh(engine, tmp, tag)
    try:
        if with_rules:
            service.save_rules(store, park_id=store.registry.park().id,
                               rules=parse_rules(rules()), actor="bench", source="bench")  # fmt: skip
        clock = {"now": 0}
        eng = Engine(store, clock=lambda: clock["now"]).attach()
        commits: list[float] = []
        raised: list[float] = []
        persist = store.readings.persist

        def timed_persist(**kw: Any) -> Any:
            out = persist(**kw)
            commits.append(time.perf_counter())
            return out

        insert = store.alarms.insert_alarm

        def timed_insert(conn: Any, **values: Any) -> int:
            alarm_id = insert(conn, **values)
            raised.append(time.perf_counter() - commits[-1])
            return alarm_id

        store.readings.persist = timed_persist  # type: ignore[method-assign]
        store.alarms.insert_alarm = timed_insert  # type: ignore[method-assign]
        eng.compiled()  # rules resolved before the clock starts (as in a running service)
        readings = 0
        start = time.perf_counter()
        for pids, ts, vals in batches:
            clock["now"] = int(ts[-1])
            ack = ingest_columns(
                store, pids, ts, vals, source="bench", now=T0 + dt.timedelta(days=1)
            )
            readings += ack.accepted
        seconds = time.perf_counter() - start
        # the state not written with an alarm is written every 5 s in operation: timed apart
        flush_start = time.perf_counter()
        eng.flush()
        flush_s = time.perf_counter() - flush_start
        n_alarms = store.alarms.search(
            tenant=_park(), park_id=None, filters=_all(), limit=1, offset=0
        )[1]
        return {
            "seconds": seconds, "readings": readings, "latency": raised, "alarms": n_alarms,
            "flush_s": flush_s,
        }  # fmt: skip
    finally:
        store.close()
        drop()


def _park() -> Any:
    from lingtan.store.query_repo import Tenant

    return Tenant(None)


def _all() -> Any:
    from lingtan.store.alarms_repo import AlarmFilter

    return AlarmFilter()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=int, default=120)
    ap.add_argument("--batch", type=int, default=10_000)
    ap.add_argument("--engines", default="sqlite,postgresql")
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    batches = stream(a.minutes, a.batch)
    total = sum(len(b[0]) for b in batches)
    print(f"{total:,} readings of {POWER + REGISTERS:,} points in {len(batches)} batches; "
          f"1,000 rules (600 threshold, 200 rate of change, 200 freshness)")  # fmt: skip
    for engine in a.engines.split(","):
        if engine == "postgresql" and not pg_reachable():
            print("postgresql: not reachable, skipped")
            continue
        ratios, lat, base_s, rule_s = [], [], [], []
        alarms = 0
        with tempfile.TemporaryDirectory() as tmp:
            for k in range(a.repeat):
                base = run(engine, batches, False, tmp, f"base{k}")
                with_rules = run(engine, batches, True, tmp, f"rules{k}")
                base_s.append(base["seconds"])
                rule_s.append(with_rules["seconds"])
                ratios.append(base["seconds"] / with_rules["seconds"])
                lat += with_rules["latency"]
                alarms = with_rules["alarms"]
                print(f"{engine} round {k + 1}: without rules {base['seconds']:.2f} s "
                      f"({base['readings'] / base['seconds']:,.0f}/s), with 1,000 rules "
                      f"{with_rules['seconds']:.2f} s "
                      f"({with_rules['readings'] / with_rules['seconds']:,.0f}/s), "
                      f"ratio {ratios[-1]:.2f}, {with_rules['alarms']} alarms; writing the 1,000 "
                      f"rules' state (every 5 s in operation) {with_rules['flush_s'] * 1000:.0f} ms",
                      flush=True)  # fmt: skip
        ms = np.array(lat) * 1000
        print(f"{engine}: ratio with/without rules median {statistics.median(ratios):.2f} "
              f"(target >= 0.8); raise latency from commit p50 {np.percentile(ms, 50):.1f} ms, "
              f"p95 {np.percentile(ms, 95):.1f} ms, max {ms.max():.1f} ms over {len(ms)} alarms "
              f"({alarms} per round)")  # fmt: skip
    sys.stdout.flush()


if __name__ == "__main__":
    main()
