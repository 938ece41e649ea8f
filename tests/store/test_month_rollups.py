"""Monthly rollups (``stat_month``, ``stat_month_carrier``) kept by the normaliser.

Whatever order the readings arrive in — late, out of order, re-sent — the monthly rows equal
(1) the sums of the same store's daily statistics and hourly owner × carrier rollups per local
calendar month, computed here independently with :mod:`zoneinfo`, and (2) what a recomputation
from scratch (every statistic deleted, then rebuilt from the raw readings) gives. The migration
that adds the tables builds the same rows from what a store already holds. Readers of a span
that is not whole months take the whole months from the monthly rows and the rest from days
or hours, and get the same sums as from days or hours alone.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from lingtan.ingest import ingest
from lingtan.normalize.service import normalise_pending, rebuild
from lingtan.readings import Reading
from lingtan.registry import parse_park_text
from lingtan.store import Store
from lingtan.store.accounting_repo import AccountingRepo
from tests.conftest import SMALL_PARK, fresh_store

UTC = dt.UTC
NOW = dt.datetime(2030, 1, 1, tzinfo=UTC)
STAT_TABLES = (
    "stat_hour_history",
    "stat_hour",
    "stat_day",
    "stat_month",
    "stat_hour_carrier",
    "stat_month_carrier",
)


def park_text(tz: str) -> str:
    return SMALL_PARK.replace("  province: 江苏\n", f"  province: 江苏\n  timezone: {tz}\n", 1)


def readings(tz: str, start: dt.date, days: int, seed: int) -> list[Reading]:
    """Readings of the small park's physical points from local midnight of ``start`` for
    ``days`` days: registers (one near its rollover), an interval gas meter and a power
    measurement, each at its own step with random gaps."""
    rng = random.Random(seed)
    t0 = dt.datetime(start.year, start.month, start.day, tzinfo=ZoneInfo(tz)).astimezone(UTC)
    end = t0 + dt.timedelta(days=days)
    out: list[Reading] = []
    for code, first in (
        ("E01-main", 1000.0),
        ("E01-hvac", 10.0),
        ("E02-main", 99_000.0),
        ("E02-gas", None),
        ("E01-power", None),
    ):
        step = dt.timedelta(minutes=rng.choice([15, 30, 60]))
        t, v = t0 + dt.timedelta(minutes=rng.randrange(0, 15)), first
        while t < end:
            if rng.random() > 0.1:  # about one reading in ten never arrives
                if code == "E02-gas":
                    out.append(Reading(code, t, round(rng.uniform(0, 5), 3)))
                elif code == "E01-power":
                    out.append(Reading(code, t, round(rng.uniform(50, 150), 2)))
                else:
                    assert v is not None
                    out.append(Reading(code, t, round(v % 100_000, 2)))
            if v is not None:
                v += rng.uniform(0, 40)
            t += step
    return out


def month_rows(store: Store) -> dict[str, dict[tuple[Any, ...], tuple[Any, ...]]]:
    """The monthly rollups keyed by point code and month (or owner, carrier, unit, month)."""
    with store.begin() as conn:
        months = conn.execute(
            text(
                "SELECT p.code, m.first_day, m.end_day, m.value, m.mean, m.min, m.max, "
                "m.measured_s, m.estimated_s, m.missing_s, m.flags, m.n, m.days "
                "FROM stat_month m JOIN point p ON p.id = m.point_id"
            )
        ).all()
        carriers = conn.execute(
            text(
                "SELECT enterprise_key, carrier, unit, month_start, month_end, value, "
                "measured_s, estimated_s, missing_s, hours FROM stat_month_carrier"
            )
        ).all()
    return {
        "stat_month": {tuple(r[:2]): tuple(r[2:]) for r in months},
        "stat_month_carrier": {tuple(r[:4]): tuple(r[4:]) for r in carriers},
    }


def expected_month_rows(store: Store, tz: str) -> dict[str, dict[tuple[Any, ...], tuple[Any, ...]]]:
    """The same rows summed here from the store's days and hourly owner × carrier rollups."""
    zone = ZoneInfo(tz)
    epoch = dt.date(1970, 1, 1)

    def midnight(d: dt.date) -> float:
        return dt.datetime(d.year, d.month, d.day, tzinfo=zone).timestamp()

    def next_month(d: dt.date) -> dt.date:
        return dt.date(d.year + d.month // 12, d.month % 12 + 1, 1)

    with store.begin() as conn:
        days = conn.execute(
            text(
                "SELECT p.code, d.day, d.value, d.mean, d.min, d.max, d.measured_s, "
                "d.estimated_s, d.flags, d.n FROM stat_day d JOIN point p ON p.id = d.point_id"
            )
        ).all()
        hours = conn.execute(
            text(
                "SELECT enterprise_key, carrier, unit, hour, value, measured_s, estimated_s, "
                "missing_s FROM stat_hour_carrier"
            )
        ).all()
    grouped: dict[tuple[str, dt.date], list[Any]] = {}
    for r in days:
        first = (epoch + dt.timedelta(days=r.day)).replace(day=1)
        grouped.setdefault((r.code, first), []).append(r)
    months: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for (code, first), rows in grouped.items():
        end = next_month(first)
        values = [r.value for r in rows if r.value is not None]
        with_mean = [r for r in rows if r.mean is not None]
        weight = sum(r.n for r in with_mean)
        measured = sum(r.measured_s for r in rows)
        estimated = sum(r.estimated_s for r in rows)
        flags = 0
        for r in rows:
            flags |= r.flags
        months[(code, (first - epoch).days)] = (
            (end - epoch).days,
            sum(values) if values else None,
            sum(r.mean * r.n for r in with_mean) / weight if weight else None,
            min(r.min for r in with_mean) if with_mean else None,
            max(r.max for r in with_mean) if with_mean else None,
            measured,
            estimated,
            max(0.0, midnight(end) - midnight(first) - measured - estimated),
            flags,
            sum(r.n for r in rows),
            len(rows),
        )
    sums: dict[tuple[Any, ...], list[Any]] = {}
    for r in hours:
        local = dt.datetime.fromtimestamp(r.hour / 1e6, zone).date().replace(day=1)
        start_us = round(midnight(local) * 1e6)
        end_us = round(midnight(next_month(local)) * 1e6)
        acc = sums.setdefault(
            (r.enterprise_key, r.carrier, r.unit, start_us), [end_us, None, 0.0, 0.0, 0.0, 0]
        )
        if r.value is not None:
            acc[1] = (acc[1] or 0.0) + r.value
        acc[2] += r.measured_s
        acc[3] += r.estimated_s
        acc[4] += r.missing_s
        acc[5] += 1
    return {
        "stat_month": months,
        "stat_month_carrier": {k: tuple(v) for k, v in sums.items()},
    }


def assert_same(
    got: dict[str, dict[tuple[Any, ...], tuple[Any, ...]]],
    want: dict[str, dict[tuple[Any, ...], tuple[Any, ...]]],
) -> None:
    for table in want:
        assert set(got[table]) == set(want[table]), table
        assert want[table], table
        for key, row in want[table].items():
            assert _close(got[table][key], row), (table, key, got[table][key], row)


def _close(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    """Equal row by row: NULL only where NULL, numbers within rounding (1e-9 relative)."""
    if len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        if x is None or y is None:
            if x is not y:
                return False
        elif abs(x - y) > 1e-9 * max(1.0, abs(x), abs(y)):
            return False
    return True


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    tz=st.sampled_from(["Asia/Shanghai", "Europe/Berlin"]),
    # spans over a month's end; those of March and October hold Berlin's DST changes
    start=st.sampled_from([dt.date(2025, 1, 28), dt.date(2025, 3, 27), dt.date(2025, 10, 24)]),
    days=st.integers(3, 9),
    seed=st.integers(0, 2**32 - 1),
    parts=st.integers(1, 5),
)
def test_month_rollups_equal_a_recomputation_whatever_the_arrival_order(
    engine: str,
    tmp_path_factory: pytest.TempPathFactory,
    tz: str,
    start: dt.date,
    days: int,
    seed: int,
    parts: int,
) -> None:
    data = readings(tz, start, days, seed)
    rnd = random.Random(seed)
    arriving = data + rnd.sample(data, min(20, len(data)))  # re-sent duplicates
    rnd.shuffle(arriving)
    cuts = sorted(rnd.sample(range(1, len(arriving)), parts - 1))
    chunks = [arriving[a:b] for a, b in zip([0, *cuts], [*cuts, len(arriving)], strict=True)]
    with fresh_store(engine, tmp_path_factory.mktemp("rollups")) as store:
        store.registry.save_park(parse_park_text(park_text(tz)))
        for chunk in chunks:  # each chunk late and out of order relative to the others
            ingest(store, chunk, now=NOW)
            normalise_pending(store)
        incremental = month_rows(store)
        assert_same(incremental, expected_month_rows(store, tz))

        with store.begin() as conn:
            for table in STAT_TABLES:
                conn.execute(text(f"DELETE FROM {table}"))
        rebuild(store)
        assert_same(incremental, month_rows(store))


@pytest.fixture
def normalised(loaded: Store) -> Store:
    """The small park with three weeks of readings over the end of February 2025."""
    ingest(loaded, readings("Asia/Shanghai", dt.date(2025, 2, 15), 21, 7), now=NOW)
    normalise_pending(loaded)
    return loaded


def test_migration_builds_the_rollups_the_normaliser_keeps(normalised: Store) -> None:
    from alembic import command
    from alembic.config import Config

    from lingtan.store.core import _MIGRATIONS

    kept = month_rows(normalised)
    assert kept["stat_month"] and kept["stat_month_carrier"]
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    with normalised.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0006")
    with normalised.begin() as conn:
        tables = set(normalised.engine.dialect.get_table_names(conn))
    assert "stat_month" not in tables and "stat_month_carrier" not in tables
    normalised.migrate()
    assert_same(month_rows(normalised), kept)


def test_periods_of_part_months_sum_like_days(normalised: Store) -> None:
    """Points over local days 2025-02-20 .. 2025-03-03 (no whole month), 2025-02-01 ..
    2025-03-31 (two whole months) and 2025-02-20 .. 2025-03-31 (part of February and all of
    March): the same sums as the daily rows, each row within one calendar month."""
    ids = sorted(p.id for p in normalised.registry.points_by_id().values())
    epoch = dt.date(1970, 1, 1)

    def n(d: dt.date) -> int:
        return (d - epoch).days

    with normalised.begin() as conn:
        days = conn.execute(
            text("SELECT point_id, day, value, measured_s, estimated_s FROM stat_day")
        ).all()
    for first, end in (
        (dt.date(2025, 2, 20), dt.date(2025, 3, 4)),
        (dt.date(2025, 2, 1), dt.date(2025, 4, 1)),
        (dt.date(2025, 2, 20), dt.date(2025, 4, 1)),
    ):
        rows = normalised.stats.point_periods(ids, n(first), n(end))
        for pid in ids:
            mine = [r for r in rows if r.point_id == pid]
            want = [d for d in days if d.point_id == pid and n(first) <= d.day < n(end)]
            assert sum(r.value or 0.0 for r in mine) == pytest.approx(
                sum(d.value or 0.0 for d in want), rel=1e-12, abs=1e-9
            )
            assert sum(r.measured_s for r in mine) == pytest.approx(sum(d.measured_s for d in want))
            for r in mine:
                a = epoch + dt.timedelta(days=r.first_day)
                b = epoch + dt.timedelta(days=r.end_day - 1)
                assert (a.year, a.month) == (b.year, b.month)
        if (first, end) == (dt.date(2025, 2, 1), dt.date(2025, 4, 1)):
            assert {r.end_day - r.first_day for r in rows} == {28, 31}  # whole months only


def test_carrier_totals_of_part_months_sum_like_hours(normalised: Store) -> None:
    """Owner × carrier totals over spans that start or end inside a local month equal the
    hourly rollups summed over the same hours."""
    park = normalised.registry.park()
    zone = ZoneInfo(park.timezone)

    def us(*args: int) -> int:
        return int(dt.datetime(*args, tzinfo=zone).timestamp()) * 1_000_000

    with normalised.begin() as conn:
        hours = conn.execute(
            text("SELECT enterprise_key, carrier, unit, hour, value FROM stat_hour_carrier")
        ).all()
    for h0, h1 in (
        (us(2025, 2, 20, 5), us(2025, 3, 2, 17)),  # inside February and March
        (us(2025, 2, 1), us(2025, 4, 1)),  # two whole months
        (us(2025, 2, 27, 12), us(2025, 4, 1)),  # part of February, all of March
    ):
        with normalised.begin() as conn:
            totals = AccountingRepo(normalised).carrier_totals(
                conn, park_id=park.id, h0=h0, h1=h1, enterprise_key=None
            )
        want: dict[tuple[int, str, str], list[float]] = {}
        for r in hours:
            if h0 <= r.hour < h1:
                acc = want.setdefault((r.enterprise_key, r.carrier, r.unit), [0.0, 0])
                acc[0] += r.value or 0.0
                acc[1] += 1
        got = {(t.enterprise_key, t.carrier, t.unit): [t.value, t.hours] for t in totals}
        assert set(got) == set(want)
        for key, (value, count) in want.items():
            assert got[key][0] == pytest.approx(value, rel=1e-12, abs=1e-9), key
            assert got[key][1] == count, key
