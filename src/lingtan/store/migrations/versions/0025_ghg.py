"""Enterprise GHG accounting (``lingtan.ghg``): the append-only table of GHG documents.

New table only. Declared here as a frozen copy of ``store/schema.py``'s at this revision, on a
metadata with the store's naming convention.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, MetaData, String, Table, Text

revision = "0025"
down_revision = "0024"
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

ghg_document = Table(
    "ghg_document",
    meta,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("enterprise_id", Id, ForeignKey("enterprise.id"), nullable=False),
    Column("year", Integer, nullable=False),
    Column("sector", String(16), nullable=False),
    Column("document", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Index("ix_ghg_document_enterprise_id", "enterprise_id", "year"),
)


def upgrade() -> None:
    """Create the table."""
    bind = op.get_bind()
    ghg_document.create(bind)


def downgrade() -> None:
    """Drop the table."""
    op.drop_table("ghg_document")
