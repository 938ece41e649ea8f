"""Green-power matching benchmark: the hourly matching of the demo year — every consumer of
the demo park (its enterprises and the park's own load) × 8 760 hours — against a numpy flat
pass over the same arrays.

The arrays are the demo park's own profiles (``lingtan.demo.series``: loads by enterprise
profile, pvlib PV of each roof, direct-supply shares, the park's PV, battery and EV hub), summed
from 15-minute steps to hours, plus monthly trade and certificate supplies spread over their
month's hours. ``--enterprises N`` repeats the demo enterprises up to N consumers (a larger
park of the same mix). Building the arrays is not timed.

**The timer covers** :func:`match_hourly` (every source in merit order, the pro-rata pool, the
storage's state of green charge hour by hour) plus :func:`match_monthly` (the monthly basis for
the gap) — the matching of the year. **The baseline** is a flat numpy pass over the same
arrays: for each source array one ``np.minimum`` against the load and one subtraction (the
least an hourly matching must touch). Both are the median of ``--repeat`` runs; the ratio is
matching ÷ flat pass.

Part ``store`` (with ``--url``): ``run_matching`` end to end on a store that holds the demo
(``lingtan demo``): the rollup and ledger reads, the matching, the factors — timed the same way.

Run: ``nice -n 19 .venv/bin/python bench/matching.py [--enterprises N] [--repeat R]
[--url sqlite:///var/lingtan.db]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from lingtan.demo import park as demo_park
from lingtan.demo import series
from lingtan.greenpower.matching import (
    MatchingInput,
    StorageFlows,
    match_hourly,
    match_monthly,
)

YEAR = 2025


def hourly(a: np.ndarray) -> np.ndarray:
    """15-minute energies summed to hours."""
    return np.asarray(a, np.float64).reshape(-1, 4).sum(axis=1)


def demo_arrays(enterprises: int) -> tuple[MatchingInput, np.ndarray]:
    """The demo year's matching input (consumers × hours) and each hour's month (0..11)."""
    index = series.timeline(YEAR, "Asia/Shanghai")
    lat, lon = demo_park.LATITUDE, demo_park.LONGITUDE
    profiles = []
    for n, e in enumerate(demo_park.ENTERPRISES):
        seed = 1000 + 10 * n
        load = hourly(series.consumption(index, e.electricity_gwh * 1e6, e.profile, seed))
        pv = (
            hourly(series.pv_generation(index, e.pv_kwp, lat, lon, seed + 1))
            if e.pv_kwp
            else np.zeros_like(load)
        )
        profiles.append((load, pv, load * e.direct_green_share))
    rows = [profiles[k % len(profiles)] for k in range(enterprises)]
    office = hourly(series.consumption(index, demo_park.PARK_OFFICE_GWH * 1e6, "office", 7))
    charge, discharge = (hourly(x) for x in series.battery(index, demo_park.BATTERY_KWH))
    park_pv = hourly(series.pv_generation(index, demo_park.PARK_PV_KWP, lat, lon, 77))
    load = np.vstack([office, *(r[0] for r in rows)])
    pv = np.vstack([np.zeros_like(office), *(r[1] for r in rows)])
    direct = np.vstack([np.zeros_like(office), *(r[2] for r in rows)])
    hours = load.shape[1]
    starts = np.array(
        [np.datetime64(f"{YEAR}-{m:02d}-01T00", "h") for m in range(1, 13)], "datetime64[h]"
    )
    stamps = np.datetime64(f"{YEAR}-01-01T00", "h") + np.arange(hours).astype("timedelta64[h]")
    month = (np.searchsorted(starts, stamps, side="right") - 1).astype(np.int64)
    counts = np.bincount(month, minlength=12)
    # monthly trades of every third enterprise (10 % of its load) and park certificates, flat
    monthly_load = np.vstack([np.bincount(month, weights=r, minlength=12) for r in load])
    trade = np.zeros_like(load)
    trade[1::3] = (0.10 * monthly_load[1::3] / counts)[:, month]
    certificates = np.full(hours, 2_000_000.0 / hours)
    inp = MatchingInput(
        load=load,
        dedicated={"pv": pv, "direct": direct, "trade": trade},
        pooled={"pv": park_pv, "certificate": certificates},
        storage=StorageFlows(charge=charge, discharge=discharge, efficiency=0.9),
    )
    return inp, month


def matching(inp: MatchingInput, month: np.ndarray) -> float:
    hourly_result = match_hourly(inp)
    monthly = match_monthly(inp, hourly_result, month, 12)
    return float(hourly_result.matched_total.sum() + monthly.matched_total.sum())


def flat_pass(inp: MatchingInput) -> float:
    total = 0.0
    residual = inp.load.copy()
    for a in (*inp.dedicated.values(), *inp.pooled.values()):
        m = np.minimum(a, residual)
        residual -= m
        total += float(m.sum())
    return total


def timed(fn, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--enterprises", type=int, default=len(demo_park.ENTERPRISES))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--url", help="a store holding the demo (part store)")
    args = ap.parse_args()
    t0 = time.perf_counter()
    inp, month = demo_arrays(args.enterprises)
    consumers, hours = inp.load.shape
    print(f"arrays: {consumers} consumers × {hours} hours built in "
          f"{time.perf_counter() - t0:.1f} s (not timed)")  # fmt: skip
    m = timed(lambda: matching(inp, month), args.repeat)
    f = timed(lambda: flat_pass(inp), args.repeat)
    mm, fm = statistics.median(m), statistics.median(f)
    print(f"matching (hourly + monthly): median {mm * 1e3:.1f} ms, first {m[0] * 1e3:.1f} ms")
    print(f"numpy flat pass:             median {fm * 1e3:.1f} ms")
    print(f"ratio matching / flat pass: {mm / fm:.1f}")
    if args.url:
        from lingtan.greenpower.matching.service import run_matching
        from lingtan.store import open_store

        with open_store(args.url) as store:
            s = timed(lambda: run_matching(store, year=YEAR), args.repeat)
        print(f"store run_matching end to end: median {statistics.median(s):.2f} s, "
              f"first {s[0]:.2f} s ({args.url})")  # fmt: skip


if __name__ == "__main__":
    main()
