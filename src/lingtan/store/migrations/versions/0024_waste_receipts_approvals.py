"""Waste: receivers in the park confirm their receipts, and cross-province transfer approvals
(跨省转移审批, 固废法 第八十二条) as a precondition of a manifest.

Nullable columns (existing licences name no enterprise and no province; existing manifests no
receiver enterprise and no approval) and one new table. The columns carry no foreign key: a
plain ALTER on both engines, no table rebuilt; the service checks the enterprise is the park's.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    ForeignKey,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
meta = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)
Table("park", meta, Column("id", Id, primary_key=True))
Table("enterprise", meta, Column("id", Id, primary_key=True))

#: cross-province transfer approvals (frozen copy of store/schema.py's at this revision)
waste_transfer_approval = Table(
    "waste_transfer_approval",
    meta,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("enterprise_id", Id, ForeignKey("enterprise.id"), nullable=False),
    Column("number", String(64), nullable=False),
    Column("origin", Text, nullable=False),
    Column("destination", Text, nullable=False),
    Column("codes", Text, nullable=False),
    Column("quantity_t", Float, nullable=False),
    Column("valid_from", String(10), nullable=False),
    Column("valid_to", String(10), nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    UniqueConstraint("park_id", "number"),
)

COLUMNS = (
    ("waste_licence", "enterprise_id", Id),
    ("waste_licence", "province", sa.Text()),
    ("waste_manifest", "receiver_enterprise_id", Id),
    ("waste_manifest", "approval_id", Id),
)


def upgrade() -> None:
    """Add the columns and the approvals table."""
    for table, name, type_ in COLUMNS:
        op.add_column(table, sa.Column(name, type_))
    waste_transfer_approval.create(op.get_bind())


def downgrade() -> None:
    """Drop the approvals table and the columns (SQLite ≥ 3.35 drops a column in place)."""
    waste_transfer_approval.drop(op.get_bind())
    for table, name, _ in reversed(COLUMNS):
        op.drop_column(table, name)
