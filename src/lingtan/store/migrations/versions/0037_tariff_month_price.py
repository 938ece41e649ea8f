"""A park's entries of a tariff record's monthly base price (``tariff_month_price``).

A ``ratios`` tariff record floats a month's base price (the 代理购电 price the grid company
publishes every month, or the market price) by the notice's ratios; the shipped records do not
hold those monthly lists. A park administrator enters the month's price, the part of it the
notice does not float and the list it was read from, as the bill or the 代理购电 notice gives
them; costs of that record and month then have prices. Entries are appended, never changed: a
correction is a newer entry for the same record and month, which takes its place, the older one
kept with who entered it and when.

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create ``tariff_month_price``."""
    op.create_table(
        "tariff_month_price",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("park_id", Id, nullable=False),
        sa.Column("tariff_id", sa.String(64), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("price", sa.Float(), nullable=False),
        sa.Column("fixed", sa.Float(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("entered_by", sa.Text(), nullable=False),
        sa.Column("entered_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name="fk_tariff_month_price_park_id_park"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_tariff_month_price"),
    )
    op.create_index(
        "ix_tariff_month_price_key", "tariff_month_price", ["park_id", "tariff_id", "month"]
    )


def downgrade() -> None:
    """Drop ``tariff_month_price``."""
    op.drop_index("ix_tariff_month_price_key", table_name="tariff_month_price")
    op.drop_table("tariff_month_price")
