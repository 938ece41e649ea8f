"""Alarms (``lingtan.alarms``): rules, alarms and their transitions, evaluation state,
and suppression windows.

New tables only; nothing to build from existing data.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the alarm tables."""
    op.create_table(
        "alarm_rule",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("park_id", Id, sa.ForeignKey("park.id", name="fk_alarm_rule_park_id_park"),
                  nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("spec", sa.Text(), nullable=False),
        sa.Column("enterprise_id", Id,
                  sa.ForeignKey("enterprise.id", name="fk_alarm_rule_enterprise_id_enterprise")),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("deleted_at", sa.BigInteger()),
        sa.PrimaryKeyConstraint("id", name="pk_alarm_rule"),
        sa.UniqueConstraint("park_id", "code", name="uq_alarm_rule_park_id"),
    )  # fmt: skip
    op.create_table(
        "alarm",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("park_id", Id, sa.ForeignKey("park.id", name="fk_alarm_park_id_park"),
                  nullable=False),
        sa.Column("rule_id", Id, sa.ForeignKey("alarm_rule.id",
                  name="fk_alarm_rule_id_alarm_rule"), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("open_key", sa.String(64)),
        sa.Column("subject_kind", sa.String(16), nullable=False),
        sa.Column("subject_key", sa.BigInteger(), nullable=False),
        sa.Column("subject_code", sa.String(64), nullable=False),
        sa.Column("point_id", Id),
        sa.Column("enterprise_id", Id),
        sa.Column("first_at", sa.BigInteger(), nullable=False),
        sa.Column("last_at", sa.BigInteger(), nullable=False),
        sa.Column("raised_at", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float()),
        sa.Column("peak", sa.Float()),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("acked_by", sa.Text()),
        sa.Column("acked_at", sa.BigInteger()),
        sa.Column("ack_comment", sa.Text()),
        sa.Column("cleared_at", sa.BigInteger()),
        sa.Column("closed_by", sa.Text()),
        sa.Column("closed_at", sa.BigInteger()),
        sa.Column("escalated_at", sa.BigInteger()),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_alarm"),
        sa.UniqueConstraint("open_key", name="uq_alarm_open_key"),
    )  # fmt: skip
    op.create_index("ix_alarm_park_state", "alarm", ["park_id", "state"])
    op.create_index("ix_alarm_enterprise", "alarm", ["enterprise_id"])
    op.create_index("ix_alarm_rule_subject", "alarm", ["rule_id", "subject_key"])
    op.create_table(
        "alarm_event",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("alarm_id", Id, sa.ForeignKey("alarm.id", name="fk_alarm_event_alarm_id_alarm"),
                  nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.String(24), nullable=False),
        sa.Column("detail", sa.Text()),
        sa.PrimaryKeyConstraint("id", name="pk_alarm_event"),
    )  # fmt: skip
    op.create_index("ix_alarm_event_alarm", "alarm_event", ["alarm_id"])
    op.create_table(
        "alarm_condition",
        sa.Column("rule_id", Id, nullable=False),
        sa.Column("subject_key", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("rule_id", "subject_key", name="pk_alarm_condition"),
    )
    op.create_table(
        "alarm_suppression",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("park_id", Id, sa.ForeignKey("park.id",
                  name="fk_alarm_suppression_park_id_park"), nullable=False),
        sa.Column("rule_id", Id),
        sa.Column("point_id", Id),
        sa.Column("enterprise_id", Id),
        sa.Column("starts", sa.BigInteger(), nullable=False),
        sa.Column("ends", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("cancelled_at", sa.BigInteger()),
        sa.PrimaryKeyConstraint("id", name="pk_alarm_suppression"),
    )  # fmt: skip


def downgrade() -> None:
    """Drop the alarm tables."""
    for name in (
        "alarm_suppression", "alarm_condition", "alarm_event", "alarm", "alarm_rule",
    ):  # fmt: skip
        op.drop_table(name)
