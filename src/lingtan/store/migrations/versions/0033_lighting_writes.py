"""Levels written to public-lighting circuits (``lighting_write``: zone, circuit, the instant the
level took effect, the level and why, the outcome, read-back and attempts, who wrote it).

A new table only. Declared here as a frozen copy of ``store/schema.py``'s at this revision, on a
metadata with the store's naming convention.

Revision ID: 0033
Revises: 0032
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
    Index,
    MetaData,
    String,
    Table,
    Text,
)

revision = "0033"
down_revision = "0032"
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

lighting_write = Table(
    "lighting_write",
    meta,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("zone", String(64), nullable=False),
    Column("device", String(64), nullable=False),
    Column("at", BigInteger, nullable=False),
    Column("level_pct", Float, nullable=False),
    Column("reason", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("readback", Float),
    Column("error", Text),
    Column("attempts", Text, nullable=False),
    Column("written_by", Text, nullable=False),
    Column("written_at", BigInteger, nullable=False),
    Index("ix_lighting_write_park_id", "park_id", "zone", "device"),
    Index("ix_lighting_write_written_at", "park_id", "written_at"),
)


def upgrade() -> None:
    """Create the table."""
    lighting_write.create(op.get_bind())


def downgrade() -> None:
    """Drop it."""
    op.drop_table("lighting_write")
