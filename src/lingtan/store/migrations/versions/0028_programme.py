"""The energy-management programme (``lingtan.programme``): annual saving plans, their
measures (with the verification plan, the contract and the last verified savings) and the
programme records (EnMS records, cleaner-production audits, circular projects, building
reviews).

New tables only. Declared here as a frozen copy of ``store/schema.py``'s at this revision, on a
metadata with the store's naming convention.

Revision ID: 0028
Revises: 0027
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
    UniqueConstraint,
)

revision = "0028"
down_revision = "0027"
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

#: an annual energy- or water-saving plan of an enterprise or of the park (``enterprise_id``
#: null); ``targets`` the validated JSON of its targets
programme_plan = Table(
    "programme_plan",
    meta,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("enterprise_id", Id, ForeignKey("enterprise.id")),
    Column("year", Integer, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("title", Text, nullable=False),
    Column("targets", Text, nullable=False),
    Column("approved_by", Text),
    Column("note", Text),
    Column("created_by", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Index("ix_programme_plan_park_id", "park_id", "year"),
)

#: a measure of a plan (same owner as its plan); ``document`` the validated JSON of the
#: measure (schedule, meters, verification plan, contract); ``verified`` the last verification's
#: result (JSON) or null
programme_measure = Table(
    "programme_measure",
    meta,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("enterprise_id", Id, ForeignKey("enterprise.id")),
    Column("plan_id", Id, ForeignKey("programme_plan.id"), nullable=False),
    Column("code", String(64), nullable=False),
    Column("name", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("document", Text, nullable=False),
    Column("verified", Text),
    Column("created_by", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    UniqueConstraint("plan_id", "code"),
)

#: a programme record (EnMS records of GB/T 23331, cleaner-production audits, circular
#: projects, building reviews): its kind, owner, validated document and the data it cites
programme_record = Table(
    "programme_record",
    meta,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("enterprise_id", Id, ForeignKey("enterprise.id")),
    Column("kind", String(32), nullable=False),
    Column("title", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("body", Text, nullable=False),
    Column("cites", Text, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Index("ix_programme_record_park_id", "park_id", "kind"),
)

TABLES = (programme_plan, programme_measure, programme_record)


def upgrade() -> None:
    """Create the tables."""
    for t in TABLES:
        t.create(op.get_bind())


def downgrade() -> None:
    """Drop the tables."""
    for t in reversed(TABLES):
        op.drop_table(t.name)
