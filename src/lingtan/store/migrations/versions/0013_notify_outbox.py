"""Alarm notifications: channels (``notify_channel``) and the transactional outbox
(``notify_outbox``) that delivery workers drain (docs/alarms-notifications.md).

A channel belongs to the park (``enterprise_id`` NULL) or one enterprise. The outbox row of
a notification is written in the transaction of the alarm change it tells about, so a
committed change is always notified and a rolled-back one never is; its ``idempotency_key``
is unique (the same change enqueued twice gives one row) and is sent to receivers, which drop
repeats. Workers claim due rows under a lease (``locked_until``, ``lease``): a worker that dies
mid-delivery leaves a lease that expires, and the row is sent again by another.

Both tables start empty.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create ``notify_channel`` and ``notify_outbox``."""
    op.create_table(
        "notify_channel",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("park_id", Id, nullable=False),
        sa.Column("enterprise_id", Id),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("min_severity", sa.String(16), nullable=False),
        sa.Column("kinds", sa.Text()),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("secret", sa.Text()),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("deleted_at", sa.BigInteger()),
        sa.PrimaryKeyConstraint("id", name="pk_notify_channel"),
        sa.ForeignKeyConstraint(["park_id"], ["park.id"], name="fk_notify_channel_park_id_park"),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name="fk_notify_channel_enterprise_id_enterprise",
        ),
    )
    op.create_index("ix_notify_channel_owner", "notify_channel", ["park_id", "enterprise_id"])
    op.create_index(
        "uq_notify_channel_enterprise_code",
        "notify_channel",
        ["park_id", "enterprise_id", "code"],
        unique=True,
        sqlite_where=sa.text("deleted_at IS NULL"),
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.create_index(
        "uq_notify_channel_park_code",
        "notify_channel",
        ["park_id", "code"],
        unique=True,
        sqlite_where=sa.text("deleted_at IS NULL AND enterprise_id IS NULL"),
        postgresql_where=sa.text("deleted_at IS NULL AND enterprise_id IS NULL"),
    )
    op.create_table(
        "notify_outbox",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("channel_id", Id, nullable=False),
        sa.Column("park_id", Id, nullable=False),
        sa.Column("enterprise_id", Id),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.BigInteger(), nullable=False),
        sa.Column("locked_until", sa.BigInteger()),
        sa.Column("lease", sa.String(36)),
        sa.Column("last_error", sa.Text()),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("delivered_at", sa.BigInteger()),
        sa.PrimaryKeyConstraint("id", name="pk_notify_outbox"),
        sa.UniqueConstraint("idempotency_key", name="uq_notify_outbox_idempotency_key"),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["notify_channel.id"],
            name="fk_notify_outbox_channel_id_notify_channel",
        ),
        sa.ForeignKeyConstraint(["park_id"], ["park.id"], name="fk_notify_outbox_park_id_park"),
    )
    op.create_index("ix_notify_outbox_due", "notify_outbox", ["state", "next_attempt_at"])
    op.create_index("ix_notify_outbox_owner", "notify_outbox", ["park_id", "enterprise_id"])
    op.create_index("ix_notify_outbox_channel", "notify_outbox", ["channel_id"])


def downgrade() -> None:
    """Drop both tables."""
    op.drop_table("notify_outbox")
    op.drop_table("notify_channel")
