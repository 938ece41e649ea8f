"""Tariffs and utility bills: ``tariff_assignment`` (which time-of-use tariff record applies to
a park or an enterprise from which local month, and its 基本电费 basis) and ``utility_bill`` (a month's bill imported as
a record), and ``green_trade.price`` (the settled price of a green-power trade, 元/kWh;
null for the settlements recorded before, whose price is unknown).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the two tables; add the nullable price column."""
    op.add_column("green_trade", sa.Column("price", sa.Float()))
    op.create_table(
        "tariff_assignment",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("park_id", Id, nullable=False),
        sa.Column("enterprise_id", Id),
        sa.Column("tariff_id", sa.String(64), nullable=False),
        sa.Column("tariff_version", sa.Integer()),
        sa.Column("basic_basis", sa.String(16), nullable=False),
        sa.Column("capacity_kva", sa.Float()),
        sa.Column("assigned_by", sa.Text(), nullable=False),
        sa.Column("assigned_at", sa.BigInteger(), nullable=False),
        sa.Column("effective_from", sa.String(7), nullable=False),
        sa.ForeignKeyConstraint(["park_id"], ["park.id"], name="fk_tariff_assignment_park_id_park"),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name="fk_tariff_assignment_enterprise_id_enterprise",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_tariff_assignment"),
    )
    op.create_index("ix_tariff_assignment_owner", "tariff_assignment", ["park_id", "enterprise_id"])
    op.create_table(
        "utility_bill",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("park_id", Id, nullable=False),
        sa.Column("enterprise_id", Id),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("energy_kwh", sa.Text(), nullable=False),
        sa.Column("max_demand_kw", sa.Float()),
        sa.Column("energy_amount", sa.Float()),
        sa.Column("basic_amount", sa.Float()),
        sa.Column("total_amount", sa.Float(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("imported_by", sa.Text(), nullable=False),
        sa.Column("imported_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["park_id"], ["park.id"], name="fk_utility_bill_park_id_park"),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprise.id"], name="fk_utility_bill_enterprise_id_enterprise"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_utility_bill"),
    )
    op.create_index("ix_utility_bill_owner", "utility_bill", ["park_id", "enterprise_id", "month"])


def downgrade() -> None:
    """Drop the two tables and the price column."""
    op.drop_column("green_trade", "price")
    op.drop_index("ix_utility_bill_owner", table_name="utility_bill")
    op.drop_table("utility_bill")
    op.drop_index("ix_tariff_assignment_owner", table_name="tariff_assignment")
    op.drop_table("tariff_assignment")
