"""Indicator profiles a park uploads (``lingtan.indicators.park_profiles``): one row per
version of a park's own profile (the validated YAML text).

New table only. Declared here as a frozen copy of ``store/schema.py``'s at this revision, on a
metadata with the store's naming convention.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

revision = "0027"
down_revision = "0026"
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

indicator_profile = Table(
    "indicator_profile",
    meta,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("profile_id", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("document", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("reason", Text),
    Column("created_by", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    UniqueConstraint("park_id", "profile_id", "version", name="uq_indicator_profile_version"),
)


def upgrade() -> None:
    """Create the table."""
    indicator_profile.create(op.get_bind())


def downgrade() -> None:
    """Drop the table."""
    op.drop_table("indicator_profile")
