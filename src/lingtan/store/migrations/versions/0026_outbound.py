"""The outbound exchange (docs/outbound.md): the notification outbox becomes the one outbox of
every upload. ``notify_channel.topics`` names the events a channel takes (a JSON list of
``alarm``, ``report``, ``accounting``; NULL = alarms only, as every channel before this
revision); ``notify_outbox.ack`` keeps the destination's acknowledgement (its answer to the
delivering request, e.g. the provincial platform's receipt).

Both columns are nullable and added empty: existing channels keep receiving alarms only.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``notify_channel.topics`` and ``notify_outbox.ack``."""
    op.add_column("notify_channel", sa.Column("topics", sa.Text()))
    op.add_column("notify_outbox", sa.Column("ack", sa.Text()))


def downgrade() -> None:
    """Drop both columns."""
    with op.batch_alter_table("notify_outbox") as batch:
        batch.drop_column("ack")
    with op.batch_alter_table("notify_channel") as batch:
        batch.drop_column("topics")
