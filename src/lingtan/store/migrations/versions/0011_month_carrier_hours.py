"""The hours of each monthly owner × carrier rollup, packed in its row: ``hour_starts`` (the hour
starts, big-endian int8) and ``hour_values`` (their values, big-endian float8, an unknown value
as 0) of the hourly rollup rows the month sums, in hour order.

Why: hourly factors (an hourly grid series) multiply each owner's grid electricity hour by hour,
so an annual park + enterprise inventory needs every owner's 8 760 hourly values. Read row by
row from ``stat_hour_carrier`` that is 1.75 M rows for 200 enterprises, the largest part of the
inventory; packed it is 12 rows per owner. The store packs a month whenever it rewrites its row:
PostgreSQL server-side (``int8send``/``float8send`` aggregated in hour order, in the statement
that writes the month), SQLite in Python (it has no such functions). A NULL pair means "read
the hourly rows".

On PostgreSQL the packed columns are stored uncompressed out of line (``STORAGE EXTERNAL``):
measured floats do not compress, and the totals' reads of the same rows never touch them.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

import numpy as np
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def _pack_in_python(bind: sa.Connection) -> None:
    """Each monthly row's hours packed from its hourly rows, series by series (each read by its
    primary-key range)."""
    series = bind.execute(
        sa.text("SELECT DISTINCT park_id, enterprise_key, carrier, unit FROM stat_month_carrier")
    ).all()
    for park_id, ekey, carrier, unit in series:
        key = {"park": park_id, "ekey": ekey, "carrier": carrier, "unit": unit}
        months = bind.execute(
            sa.text(
                "SELECT month_start, month_end FROM stat_month_carrier WHERE park_id = :park "
                "AND enterprise_key = :ekey AND carrier = :carrier AND unit = :unit"
            ),
            key,
        ).all()
        rows = bind.execute(
            sa.text(
                "SELECT hour, value FROM stat_hour_carrier WHERE park_id = :park "
                "AND enterprise_key = :ekey AND carrier = :carrier AND unit = :unit ORDER BY hour"
            ),
            key,
        ).all()
        hours = np.array([r[0] for r in rows], np.int64)
        values = np.array([0.0 if r[1] is None else r[1] for r in rows], np.float64)
        updates = []
        for ms, me in months:
            lo, hi = np.searchsorted(hours, [int(ms), int(me)])
            if lo < hi:
                updates.append(
                    {
                        **key,
                        "ms": ms,
                        "hs": hours[lo:hi].astype(">i8").tobytes(),
                        "hv": values[lo:hi].astype(">f8").tobytes(),
                    }
                )
        if updates:
            bind.execute(
                sa.text(
                    "UPDATE stat_month_carrier SET hour_starts = :hs, hour_values = :hv "
                    "WHERE park_id = :park AND enterprise_key = :ekey AND carrier = :carrier "
                    "AND unit = :unit AND month_start = :ms"
                ),
                updates,
            )


def upgrade() -> None:
    """Add the packed hours and fill them from the hourly rollups."""
    op.add_column("stat_month_carrier", sa.Column("hour_starts", sa.LargeBinary()))
    op.add_column("stat_month_carrier", sa.Column("hour_values", sa.LargeBinary()))
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        _pack_in_python(bind)
        return
    for column in ("hour_starts", "hour_values"):
        op.execute(f"ALTER TABLE stat_month_carrier ALTER COLUMN {column} SET STORAGE EXTERNAL")
    # written out here, not taken from the store's code, so the revision stays what it is.
    # Month by month through the primary key (park, owner, carrier, unit, hour): each month's
    # hours come in hour order from the index, where one grouped join of the whole table
    # sorts it on disk (measured: minutes for 8.76 M hourly rows)
    op.execute(
        "UPDATE stat_month_carrier m SET hour_starts = x.hs, hour_values = x.hv "
        "FROM stat_month_carrier m2 CROSS JOIN LATERAL ("
        "SELECT string_agg(int8send(h.hour), ''::bytea ORDER BY h.hour) AS hs, "
        "string_agg(float8send(COALESCE(h.value, 0)::float8), ''::bytea ORDER BY h.hour) AS hv "
        "FROM stat_hour_carrier h WHERE h.park_id = m2.park_id "
        "AND h.enterprise_key = m2.enterprise_key AND h.carrier = m2.carrier "
        "AND h.unit = m2.unit AND h.hour >= m2.month_start AND h.hour < m2.month_end) x "
        "WHERE m.park_id = m2.park_id AND m.enterprise_key = m2.enterprise_key "
        "AND m.carrier = m2.carrier AND m.unit = m2.unit AND m.month_start = m2.month_start"
    )


def downgrade() -> None:
    """Drop the packed hours (the hourly rollups they repeat stay)."""
    op.drop_column("stat_month_carrier", "hour_values")
    op.drop_column("stat_month_carrier", "hour_starts")
