"""Compliance (``lingtan.compliance``): stored project admission checks with their inputs.

New table only. Declared here (a frozen copy of ``store/schema.py``'s at this revision) on a
metadata with the store's naming convention, so the constraint names match.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

revision = "0022"
down_revision = "0021"
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

admission_check = Table(
    "admission_check",
    meta,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("project_name", Text, nullable=False),
    Column("year", Integer, nullable=False),
    Column("verdict", String(16), nullable=False),
    Column("inputs", Text, nullable=False),
    Column("report", Text, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Index("ix_admission_check_park_id", "park_id", "created_at"),
)


def upgrade() -> None:
    """Create the admission-check table."""
    admission_check.create(op.get_bind())


def downgrade() -> None:
    """Drop the admission-check table."""
    admission_check.drop(op.get_bind())
