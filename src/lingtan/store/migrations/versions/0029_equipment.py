"""Equipment register, inspection plans and work orders, public-lighting zones
(``lingtan.equipment``).

New tables only. Declared here as a frozen copy of ``store/schema.py``'s at this revision, on a
metadata with the store's naming convention.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

revision = "0029"
down_revision = "0028"
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
Table("point", meta, Column("id", Id, primary_key=True))

equipment = Table(
    "equipment",
    meta,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("enterprise_id", Id, ForeignKey("enterprise.id")),
    Column("code", String(64), nullable=False),
    Column("type", String(24), nullable=False),
    Column("spec", Text, nullable=False),
    Column("power_point_id", Id, ForeignKey("point.id")),
    Column("flow_point_id", Id, ForeignKey("point.id")),
    Column("created_by", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    UniqueConstraint("park_id", "code", name="uq_equipment_code"),
    Index("ix_equipment_enterprise_id", "enterprise_id"),
)

inspection_plan = Table(
    "inspection_plan",
    meta,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("enterprise_id", Id, ForeignKey("enterprise.id")),
    Column("code", String(64), nullable=False),
    Column("kind", String(24), nullable=False),
    Column("spec", Text, nullable=False),
    Column("equipment_id", Id, ForeignKey("equipment.id")),
    Column("point_id", Id, ForeignKey("point.id")),
    Column("first_due", String(10), nullable=False),
    Column("last_done", String(10)),
    Column("active", Boolean, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    UniqueConstraint("park_id", "code", name="uq_inspection_plan_code"),
    Index("ix_inspection_plan_enterprise_id", "enterprise_id"),
)

work_order = Table(
    "work_order",
    meta,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("enterprise_id", Id, ForeignKey("enterprise.id")),
    Column("plan_id", Id, ForeignKey("inspection_plan.id"), nullable=False),
    Column("due", String(10), nullable=False),
    Column("status", String(16), nullable=False),
    Column("findings", Text),
    Column("corrective_action", Text),
    Column("done_on", String(10)),
    Column("created_by", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_by", Text, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Index("ix_work_order_plan_id", "plan_id"),
)

lighting_zone = Table(
    "lighting_zone",
    meta,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("code", String(64), nullable=False),
    Column("spec", Text, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    UniqueConstraint("park_id", "code", name="uq_lighting_zone_code"),
)

TABLES = (equipment, inspection_plan, work_order, lighting_zone)


def upgrade() -> None:
    """Create the tables."""
    bind = op.get_bind()
    for t in TABLES:
        t.create(bind)


def downgrade() -> None:
    """Drop the tables."""
    for t in reversed(TABLES):
        op.drop_table(t.name)
