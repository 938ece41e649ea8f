"""Hourly owner × carrier series read for hourly factors (``AccountingRepo.carrier_hours``).

The hours of whole months come packed in the monthly rollup rows (migration 0011; packed
server-side on PostgreSQL, in Python on SQLite) and the rest from the hourly rows. A series
over any span equals the hourly rollup rows of that span, read here directly from
``stat_hour_carrier``: the same hours in order, the same values (an unknown value as 0). A month
whose row holds no packed hours (as after a write that did not pack) is read from the hourly
rows, for its owner only.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from sqlalchemy import text

from lingtan.ingest import ingest
from lingtan.normalize.service import normalise_pending
from lingtan.store import Store
from lingtan.store.accounting_repo import AccountingRepo
from tests.store.test_month_rollups import NOW, readings

Series = dict[tuple[int, str, str], tuple[list[int], list[float]]]


@pytest.fixture
def normalised(loaded: Store) -> Store:
    """The small park with three weeks of readings over the end of February 2025."""
    ingest(loaded, readings("Asia/Shanghai", dt.date(2025, 2, 15), 21, 11), now=NOW)
    normalise_pending(loaded)
    return loaded


def _us(zone: ZoneInfo, *args: int) -> int:
    return int(dt.datetime(*args, tzinfo=zone).timestamp()) * 1_000_000


def _rows(store: Store, carrier: str, h0: int, h1: int) -> Series:
    """The hourly rollup rows of ``carrier`` in [h0, h1), straight from the table."""
    with store.begin() as conn:
        rows = conn.execute(
            text(
                "SELECT enterprise_key, carrier, unit, hour, value FROM stat_hour_carrier "
                "WHERE carrier = :c AND hour >= :h0 AND hour < :h1 "
                "ORDER BY enterprise_key, carrier, unit, hour"
            ),
            {"c": carrier, "h0": h0, "h1": h1},
        ).all()
    out: Series = {}
    for r in rows:
        hours, values = out.setdefault((int(r[0]), r[1], r[2]), ([], []))
        hours.append(int(r[3]))
        values.append(0.0 if r[4] is None else float(r[4]))
    return out


def _read(store: Store, carrier: str, h0: int, h1: int) -> Series:
    park = store.registry.park()
    with store.begin() as conn:
        series = AccountingRepo(store).carrier_hours(
            conn, park_id=park.id, h0=h0, h1=h1, carriers=[carrier], enterprise_key=None
        )
    return {
        (s.enterprise_key, s.carrier, s.unit): (s.hours.tolist(), s.values.tolist()) for s in series
    }


SPANS = (
    ((2025, 2, 20, 5), (2025, 3, 2, 17)),  # inside February and March
    ((2025, 2, 1), (2025, 4, 1)),  # two whole months
    ((2025, 2, 27, 12), (2025, 4, 1)),  # part of February, all of March
)


def test_hourly_series_equal_the_hourly_rows_over_any_span(normalised: Store) -> None:
    zone = ZoneInfo(normalised.registry.park().timezone)
    for a, b in SPANS:
        h0, h1 = _us(zone, *a), _us(zone, *b)
        want = _rows(normalised, "electricity_grid_import", h0, h1)
        assert want
        assert _read(normalised, "electricity_grid_import", h0, h1) == want


def test_a_month_without_packed_hours_is_read_from_the_hourly_rows(normalised: Store) -> None:
    zone = ZoneInfo(normalised.registry.park().timezone)
    h0, h1 = _us(zone, 2025, 2, 1), _us(zone, 2025, 4, 1)
    want = _rows(normalised, "electricity_grid_import", h0, h1)
    first_owner = min(k[0] for k in want)
    with normalised.begin() as conn:
        conn.execute(
            text(
                "UPDATE stat_month_carrier SET hour_starts = NULL, hour_values = NULL "
                "WHERE enterprise_key = :e AND month_start = :m"
            ),
            {"e": first_owner, "m": h0},
        )
    assert _read(normalised, "electricity_grid_import", h0, h1) == want


def test_each_month_holds_its_hours_and_the_migration_packs_what_is_stored(
    normalised: Store,
) -> None:
    from alembic import command
    from alembic.config import Config

    from lingtan.store.core import _MIGRATIONS

    def packed() -> dict[tuple[int, str, str, int], tuple[list[int], list[float]]]:
        with normalised.begin() as conn:
            rows = conn.execute(
                text(
                    "SELECT enterprise_key, carrier, unit, month_start, month_end, hour_starts, "
                    "hour_values FROM stat_month_carrier"
                )
            ).all()
        out = {}
        for e, c, u, ms, me, hs, hv in rows:
            want = _rows(normalised, c, ms, me)[(e, c, u)]
            got = (
                np.frombuffer(hs, ">i8").tolist(),
                np.frombuffer(hv, ">f8").tolist(),
            )
            assert got == want, (e, c, u, ms)
            out[(e, c, u, ms)] = got
        return out

    kept = packed()
    assert kept
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    with normalised.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0009")
    normalised.migrate()
    assert packed() == kept
