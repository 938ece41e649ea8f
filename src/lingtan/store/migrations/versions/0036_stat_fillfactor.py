"""Room on each page for the rows a live feed rewrites (PostgreSQL ``fillfactor``).

After every batch the normaliser rewrites every fed point's open hour (``stat_hour``), day
(``stat_day``), month (``stat_month``) and state (``norm_state``), and the owner × carrier rows
of the hours and months it touched. PostgreSQL writes an updated row as a new version; with
full pages (``fillfactor`` 100, the default) that version lands on another page and every
index of the table gets an entry for it. With space left on the page the update is a
heap-only tuple (HOT): no index entry, and the old versions are pruned on the page itself.
Measured with ``bench/ingest.py --live`` (1,000 points, a normaliser run after each batch of
10,000 readings, 24 runs): normalisation took 1.66–1.68 s with full pages and 1.44–1.45 s
with half-full ones, in A/B pairs on a fresh database (docs/performance.md). SQLite has no such setting; nothing is done there.

The setting applies to pages written from now on; existing pages fill up as before until the
table is rewritten (``VACUUM FULL`` or ``CLUSTER``), which this migration does not do: on a
large store that is an operator's choice of time.

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None

#: the tables the normaliser rewrites after every batch, and the share of a page filled by
#: inserts [%]: half, as each of these rows is rewritten many times while its hour, day or
#: month is open (one or two updates per batch), and only a free half keeps them on the page
TABLES = (
    "stat_hour",
    "stat_day",
    "stat_month",
    "norm_state",
    "stat_hour_carrier",
    "stat_month_carrier",
)
FILLFACTOR = 50


def upgrade() -> None:
    """``ALTER TABLE … SET (fillfactor = 50)`` on PostgreSQL."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} SET (fillfactor = {FILLFACTOR})")


def downgrade() -> None:
    """The default fill factor again."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} RESET (fillfactor)")
