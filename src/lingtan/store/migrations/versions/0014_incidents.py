"""The emergency-event register (应急事件台账, park standard 8.2.6): ``incident`` (the header,
tenant key ``enterprise_id``), ``incident_entry`` (the append-only time line),
``incident_attachment`` (content with its SHA-256, once per incident) and ``incident_alarm``
(linked alarms with a JSON snapshot of their evidence). New tables, nothing to fill.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the register's four tables."""
    op.create_table(
        "incident",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("park_id", Id, nullable=False),
        sa.Column("enterprise_id", Id),
        sa.Column("site_id", Id),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("level", sa.String(32)),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("occurred_at", sa.BigInteger(), nullable=False),
        sa.Column("latitude", sa.Float()),
        sa.Column("longitude", sa.Float()),
        sa.Column("place", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("responsible", sa.Text(), nullable=False),
        sa.Column("closing_report", sa.Text()),
        sa.Column("opened_by", sa.Text(), nullable=False),
        sa.Column("opened_at", sa.BigInteger(), nullable=False),
        sa.Column("closed_by", sa.Text()),
        sa.Column("closed_at", sa.BigInteger()),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["park_id"], ["park.id"], name="fk_incident_park_id_park"),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprise.id"], name="fk_incident_enterprise_id_enterprise"
        ),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name="fk_incident_site_id_site"),
        sa.PrimaryKeyConstraint("id", name="pk_incident"),
    )
    op.create_index("ix_incident_owner", "incident", ["park_id", "enterprise_id"])
    op.create_table(
        "incident_entry",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("incident_id", Id, nullable=False),
        sa.Column("enterprise_id", Id),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("recorded_at", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("corrects_id", Id),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incident.id"], name="fk_incident_entry_incident_id_incident"
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprise.id"], name="fk_incident_entry_enterprise_id_enterprise"
        ),
        sa.ForeignKeyConstraint(
            ["corrects_id"],
            ["incident_entry.id"],
            name="fk_incident_entry_corrects_id_incident_entry",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_incident_entry"),
    )
    op.create_index("ix_incident_entry_incident", "incident_entry", ["incident_id", "at"])
    op.create_table(
        "incident_attachment",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("incident_id", Id, nullable=False),
        sa.Column("enterprise_id", Id),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("media_type", sa.String(128), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.Text(), nullable=False),
        sa.Column("uploaded_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incident.id"], name="fk_incident_attachment_incident_id_incident"
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name="fk_incident_attachment_enterprise_id_enterprise",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_incident_attachment"),
        sa.UniqueConstraint(
            "incident_id", "sha256", name="uq_incident_attachment_incident_id_sha256"
        ),
    )
    op.create_table(
        "incident_alarm",
        sa.Column("incident_id", Id, nullable=False),
        sa.Column("alarm_id", sa.BigInteger(), nullable=False),
        sa.Column("enterprise_id", Id),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("linked_by", sa.Text(), nullable=False),
        sa.Column("linked_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incident.id"], name="fk_incident_alarm_incident_id_incident"
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprise.id"], name="fk_incident_alarm_enterprise_id_enterprise"
        ),
        sa.PrimaryKeyConstraint("incident_id", "alarm_id", name="pk_incident_alarm"),
    )


def downgrade() -> None:
    """Drop the register's tables."""
    for table in ("incident_alarm", "incident_attachment", "incident_entry", "incident"):
        op.drop_table(table)
