"""Monthly rollups: statistics per point and local calendar month (``stat_month``) and the owner ×
carrier sums per local month (``stat_month_carrier``), built here from the daily statistics and
the hourly owner × carrier rollups already stored; the normaliser keeps them from then on.

The build is written out here rather than taken from the store's code, so that this revision
does the same thing whatever the code becomes later: a month sums its daily rows as
``StatsRepo.refresh_months_many`` does (values summed, NULL when no day has one; the mean
weighted by readings; min and max of the days; time measured and estimated summed, the rest of
the month missing; flags or-ed), and a month of a series sums its hourly rows.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_EPOCH = dt.date(1970, 1, 1)
_BATCH = 5000


def _stat_cols() -> list[sa.Column[Any]]:
    return [
        sa.Column("value", sa.Float()),
        sa.Column("mean", sa.Float()),
        sa.Column("min", sa.Float()),
        sa.Column("max", sa.Float()),
        sa.Column("measured_s", sa.Float(), nullable=False),
        sa.Column("estimated_s", sa.Float(), nullable=False),
        sa.Column("missing_s", sa.Float(), nullable=False),
        sa.Column("flags", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
    ]


def _midnight_us(day: dt.date, tz: ZoneInfo) -> int:
    local = dt.datetime(day.year, day.month, day.day, tzinfo=tz)
    return (local - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _floats(values: list[Any]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], np.float64)


def _month_row(
    point_id: int, first: dt.date, rows: list[Any], tz: ZoneInfo, now: int
) -> dict[str, Any]:
    """One month of a point from its daily rows (d.day, value, mean, min, max, measured_s,
    estimated_s, flags, n)."""
    end = _next_month(first)
    value = _floats([r[1] for r in rows])
    mean = _floats([r[2] for r in rows])
    lo = _floats([r[3] for r in rows])
    hi = _floats([r[4] for r in rows])
    n = np.array([r[8] for r in rows], np.int64)
    has_v = ~np.isnan(value)
    has_m = ~np.isnan(mean)
    weights = n[has_m]
    measured = float(np.array([r[5] for r in rows], np.float64).sum())
    estimated = float(np.array([r[6] for r in rows], np.float64).sum())
    seconds = (_midnight_us(end, tz) - _midnight_us(first, tz)) / 1_000_000
    flags = 0
    for r in rows:
        flags |= int(r[7])
    return {
        "point_id": point_id,
        "first_day": (first - _EPOCH).days,
        "end_day": (end - _EPOCH).days,
        "value": float(value[has_v].sum()) if has_v.any() else None,
        "mean": float(np.average(mean[has_m], weights=weights)) if weights.sum() > 0 else None,
        "min": float(np.nanmin(lo)) if has_m.any() else None,
        "max": float(np.nanmax(hi)) if has_m.any() else None,
        "measured_s": measured,
        "estimated_s": estimated,
        "missing_s": max(0.0, seconds - measured - estimated),
        "flags": flags,
        "n": int(n.sum()),
        "days": len(rows),
        "computed_at": now,
    }


def _build_months(bind: sa.Connection, table: sa.Table) -> None:
    """``stat_month`` from ``stat_day``, park by park, streaming the days in key order."""
    parks = bind.execute(sa.text("SELECT id, timezone FROM park")).all()
    now = (dt.datetime.now(dt.UTC) - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(
        microseconds=1
    )
    for park_id, zone in parks:
        tz = ZoneInfo(zone)
        result = bind.execute(
            sa.text(
                "SELECT d.point_id, d.day, d.value, d.mean, d.min, d.max, d.measured_s, "
                "d.estimated_s, d.flags, d.n FROM stat_day d JOIN point p ON p.id = d.point_id "
                "WHERE p.park_id = :park ORDER BY d.point_id, d.day"
            ),
            {"park": park_id},
            execution_options={"stream_results": True, "yield_per": _BATCH},
        )
        out: list[dict[str, Any]] = []
        key: tuple[int, dt.date] | None = None
        rows: list[Any] = []
        for r in result:
            month = (_EPOCH + dt.timedelta(days=int(r[1]))).replace(day=1)
            if key != (int(r[0]), month):
                if key is not None:
                    out.append(_month_row(key[0], key[1], rows, tz, now))
                key, rows = (int(r[0]), month), []
            rows.append(tuple(r)[1:])
            if len(out) >= _BATCH:
                bind.execute(sa.insert(table), out)
                out = []
        if key is not None:
            out.append(_month_row(key[0], key[1], rows, tz, now))
        if out:
            bind.execute(sa.insert(table), out)


def _build_carrier_months(bind: sa.Connection) -> None:
    """``stat_month_carrier`` from ``stat_hour_carrier``, series by series (each read by its
    primary-key range)."""
    parks: dict[int, str] = {
        int(i): str(z) for i, z in bind.execute(sa.text("SELECT id, timezone FROM park"))
    }
    series = bind.execute(
        sa.text(
            "SELECT park_id, enterprise_key, carrier, unit, MIN(hour), MAX(hour) "
            "FROM stat_hour_carrier GROUP BY park_id, enterprise_key, carrier, unit"
        )
    ).all()
    for park_id, ekey, carrier, unit, h0, h1 in series:
        if park_id not in parks:
            continue
        tz = ZoneInfo(parks[park_id])
        first = (
            (dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=int(h0)))
            .astimezone(tz)
            .date()
            .replace(day=1)
        )
        months: list[tuple[int, int]] = []
        start = _midnight_us(first, tz)
        while start <= int(h1):
            first = _next_month(first)
            end = _midnight_us(first, tz)
            months.append((start, end))
            start = end
        values = ", ".join(f"({int(a)}, {int(b)})" for a, b in months)
        bind.execute(
            sa.text(
                f"WITH m(ms, me) AS (VALUES {values}) "
                "INSERT INTO stat_month_carrier (park_id, enterprise_key, carrier, unit, "
                "month_start, month_end, value, measured_s, estimated_s, missing_s, hours) "
                "SELECT :park, :ekey, :carrier, :unit, m.ms, m.me, SUM(h.value), "
                "SUM(h.measured_s), SUM(h.estimated_s), SUM(h.missing_s), COUNT(*) "
                "FROM m JOIN stat_hour_carrier h ON h.park_id = :park "
                "AND h.enterprise_key = :ekey AND h.carrier = :carrier AND h.unit = :unit "
                "AND h.hour >= m.ms AND h.hour < m.me GROUP BY m.ms, m.me"
            ),
            {"park": park_id, "ekey": ekey, "carrier": carrier, "unit": unit},
        )


def upgrade() -> None:
    """Create ``stat_month`` and ``stat_month_carrier`` and fill them from what is stored."""
    stat_month = op.create_table(
        "stat_month",
        sa.Column("point_id", Id, nullable=False),
        sa.Column("first_day", sa.Integer(), nullable=False),
        sa.Column("end_day", sa.Integer(), nullable=False),
        *_stat_cols(),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("point_id", "first_day", name="pk_stat_month"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "stat_month_carrier",
        sa.Column("park_id", Id, nullable=False),
        sa.Column("enterprise_key", sa.BigInteger(), nullable=False),
        sa.Column("carrier", sa.String(32), nullable=False),
        sa.Column("unit", sa.String(16), nullable=False),
        sa.Column("month_start", sa.BigInteger(), nullable=False),
        sa.Column("month_end", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.Float()),
        sa.Column("measured_s", sa.Float(), nullable=False),
        sa.Column("estimated_s", sa.Float(), nullable=False),
        sa.Column("missing_s", sa.Float(), nullable=False),
        sa.Column("hours", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "park_id",
            "enterprise_key",
            "carrier",
            "unit",
            "month_start",
            name="pk_stat_month_carrier",
        ),
        sqlite_with_rowid=False,
    )
    bind = op.get_bind()
    assert stat_month is not None
    _build_months(bind, stat_month)
    _build_carrier_months(bind)


def downgrade() -> None:
    """Drop the monthly rollups (the daily and hourly statistics they sum stay)."""
    op.drop_table("stat_month_carrier")
    op.drop_table("stat_month")
