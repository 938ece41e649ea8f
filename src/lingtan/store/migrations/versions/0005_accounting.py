"""Accounting: who holds each 绿证, and non-metered activity supplements of a boundary.

Revision ID: 0005
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0002"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the certificate holdings and the activity supplements."""
    op.create_table(
        "gec_holding",
        sa.Column("cert_id", sa.String(32), nullable=False),
        sa.Column("park_id", Id, nullable=False),
        sa.Column("enterprise_id", Id),
        sa.PrimaryKeyConstraint("cert_id", name="pk_gec_holding"),
        sa.ForeignKeyConstraint(
            ["cert_id"], ["gec_certificate.cert_id"], name="fk_gec_holding_cert_id_gec_certificate"
        ),
        sa.ForeignKeyConstraint(["park_id"], ["park.id"], name="fk_gec_holding_park_id_park"),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprise.id"], name="fk_gec_holding_enterprise_id_enterprise"
        ),
    )
    op.create_index("ix_gec_holding_owner", "gec_holding", ["park_id", "enterprise_id"])
    op.create_table(
        "activity_supplement",
        sa.Column("id", Id, autoincrement=True),
        sa.Column("park_id", Id, nullable=False),
        sa.Column("enterprise_id", Id),
        sa.Column("boundary", sa.String(16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer()),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("source_document", sa.Text(), nullable=False),
        sa.Column("entered_by", sa.Text(), nullable=False),
        sa.Column("entered_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_activity_supplement"),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name="fk_activity_supplement_park_id_park"
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name="fk_activity_supplement_enterprise_id_enterprise",
        ),
    )
    op.create_index(
        "ix_activity_supplement_slot",
        "activity_supplement",
        ["park_id", "enterprise_id", "year"],
    )
    op.create_index("ix_inventory_result_enterprise", "inventory_result", ["enterprise_id", "year"])


def downgrade() -> None:
    """Drop them."""
    op.drop_index("ix_inventory_result_enterprise", "inventory_result")
    op.drop_table("activity_supplement")
    op.drop_table("gec_holding")
