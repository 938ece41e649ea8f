"""Hazardous and solid waste (``lingtan.waste``): streams, management plans, storage
facilities, the append-only ledger of movements, receivers' licences, transfer manifests, and
the waste exchange's listings and deals.

New tables only; nothing to build from existing data. The tables are declared here (frozen
copies of ``store/schema.py``'s at this revision) on a metadata with the store's naming
convention, so the constraint names match.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

revision = "0021"
down_revision = "0020"
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
# the referred tables, as stubs (only their keys matter here)
Table("park", meta, Column("id", Id, primary_key=True))
Table("enterprise", meta, Column("id", Id, primary_key=True))

#: a waste stream of an enterprise (one code of the National Hazardous Waste List, one process);
#: ``hazard`` is a JSON list; ``listed``/``edition``: whether the edition that validated the code
#: lists it (a partial edition accepts unlisted codes of known categories)
waste_stream = Table(
    "waste_stream",
    meta,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("enterprise_id", Id, ForeignKey("enterprise.id"), nullable=False),
    Column("code", String(16), nullable=False),
    Column("category", String(8), nullable=False),
    Column("name", Text, nullable=False),
    Column("form", String(32), nullable=False),
    Column("hazard", Text, nullable=False),
    Column("process", Text, nullable=False),
    Column("listed", Boolean, nullable=False),
    Column("edition", String(16), nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    UniqueConstraint("enterprise_id", "name"),
)

#: the management plan (管理计划): expected quantity of a stream in a year; appended, the newest
#: row of a (stream, year) is in force
waste_plan = Table(
    "waste_plan",
    meta,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("enterprise_id", Id, ForeignKey("enterprise.id"), nullable=False),
    Column("stream_id", Id, ForeignKey("waste_stream.id"), nullable=False),
    Column("year", Integer, nullable=False),
    Column("quantity_t", Float, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Index("ix_waste_plan_stream_id", "stream_id", "year"),
)

#: a storage facility (贮存设施) with its declared capacity
waste_facility = Table(
    "waste_facility",
    meta,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("enterprise_id", Id, ForeignKey("enterprise.id"), nullable=False),
    Column("code", String(64), nullable=False),
    Column("name", Text, nullable=False),
    Column("location", Text, nullable=False),
    Column("capacity", Float, nullable=False),
    Column("unit", String(16), nullable=False),
    Column("capacity_t", Float, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    UniqueConstraint("enterprise_id", "code"),
)

#: the ledger (管理台账): append-only movements of batches; a correction names the row it
#: replaces (``corrects_id``)
waste_movement = Table(
    "waste_movement",
    meta,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("enterprise_id", Id, ForeignKey("enterprise.id"), nullable=False),
    Column("stream_id", Id, ForeignKey("waste_stream.id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("batch", String(64), nullable=False),
    Column("quantity", Float, nullable=False),
    Column("unit", String(16), nullable=False),
    Column("quantity_t", Float, nullable=False),
    Column("at", BigInteger, nullable=False),
    Column("facility_id", Id, ForeignKey("waste_facility.id")),
    Column("container", Text),
    Column("manifest_id", Id),
    Column("corrects_id", Id, ForeignKey("waste_movement.id")),
    Column("note", Text),
    Column("created_by", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Index("ix_waste_movement_enterprise_id", "enterprise_id", "at"),
    Index("ix_waste_movement_stream_id", "stream_id", "batch"),
)

#: receivers' business licences (危险废物经营许可证), entered by the park; ``codes`` JSON list
#: of codes or whole categories
waste_licence = Table(
    "waste_licence",
    meta,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("holder", Text, nullable=False),
    Column("number", String(64), nullable=False),
    Column("codes", Text, nullable=False),
    Column("capacity_t", Float, nullable=False),
    Column("valid_from", String(10), nullable=False),
    Column("valid_to", String(10), nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    UniqueConstraint("park_id", "number"),
)

#: transfer manifests (电子转移联单); ``lines`` JSON, ``history`` JSON (each transition)
waste_manifest = Table(
    "waste_manifest",
    meta,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("enterprise_id", Id, ForeignKey("enterprise.id"), nullable=False),
    Column("number", String(64), nullable=False),
    Column("licence_id", Id, ForeignKey("waste_licence.id"), nullable=False),
    Column("receiver", Text, nullable=False),
    Column("receiver_licence", String(64), nullable=False),
    Column("transporter", Text, nullable=False),
    Column("transporter_licence", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("lines", Text, nullable=False),
    Column("note", Text),
    Column("history", Text, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("dispatched_at", BigInteger),
    Column("received_at", BigInteger),
    Column("closed_at", BigInteger),
    Column("cancelled_at", BigInteger),
    UniqueConstraint("park_id", "number"),
    Index("ix_waste_manifest_enterprise_id", "enterprise_id", "state"),
)

#: waste-exchange listings (固废交换): general industrial solid waste or by-products offered or
#: wanted by an enterprise
waste_listing = Table(
    "waste_listing",
    meta,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("enterprise_id", Id, ForeignKey("enterprise.id"), nullable=False),
    Column("side", String(8), nullable=False),
    Column("material", Text, nullable=False),
    Column("code", String(32)),
    Column("quantity", Float, nullable=False),
    Column("unit", String(16), nullable=False),
    Column("quantity_t", Float, nullable=False),
    Column("period_from", String(10), nullable=False),
    Column("period_to", String(10), nullable=False),
    Column("quality", Text),
    Column("location", Text),
    Column("state", String(16), nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Index("ix_waste_listing_park_id", "park_id", "state"),
)

#: deals between two enterprises on the exchange; visible to the two and the park
waste_deal = Table(
    "waste_deal",
    meta,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("offer_id", Id, ForeignKey("waste_listing.id"), nullable=False),
    Column("want_id", Id, ForeignKey("waste_listing.id")),
    Column("seller_id", Id, ForeignKey("enterprise.id"), nullable=False),
    Column("buyer_id", Id, ForeignKey("enterprise.id"), nullable=False),
    Column("material", Text, nullable=False),
    Column("quantity", Float, nullable=False),
    Column("unit", String(16), nullable=False),
    Column("quantity_t", Float, nullable=False),
    Column("agreed_on", String(10), nullable=False),
    Column("completed_on", String(10)),
    Column("state", String(16), nullable=False),
    Column("note", Text),
    Column("created_by", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Index("ix_waste_deal_seller_id", "seller_id", "state"),
    Index("ix_waste_deal_buyer_id", "buyer_id", "state"),
)


TABLES = (
    waste_stream,
    waste_plan,
    waste_facility,
    waste_movement,
    waste_licence,
    waste_manifest,
    waste_listing,
    waste_deal,
)


def upgrade() -> None:
    """Create the waste tables."""
    bind = op.get_bind()
    for table in TABLES:
        table.create(bind)


def downgrade() -> None:
    """Drop the waste tables."""
    bind = op.get_bind()
    for table in reversed(TABLES):
        table.drop(bind)
