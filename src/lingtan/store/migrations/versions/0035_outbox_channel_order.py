"""Indexes for the outbox's claim of a backlog.

- ``notify_outbox (channel_id, state, id)``: an upload (channel kinds ``ecm``, ``region``) is
  sent only when no older row of its channel is pending; the claim finds that row as the lowest
  pending id of the channel, one look-up per candidate, where the channel index alone read every
  row the channel ever had and the claim of a backlog cost time growing with the square of its
  size.
- ``ix_notify_outbox_due`` gains ``id``: the claim takes the oldest due rows by
  ``(next_attempt_at, id)``; with ``id`` in the index they are read in that order and the scan
  stops at the batch size, instead of sorting every pending row (a backlog queued at once has
  one ``next_attempt_at``) for every batch.

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``ix_notify_outbox_channel_order``; ``ix_notify_outbox_due`` with ``id``."""
    op.create_index(
        "ix_notify_outbox_channel_order", "notify_outbox", ["channel_id", "state", "id"]
    )
    op.drop_index("ix_notify_outbox_due", table_name="notify_outbox")
    op.create_index("ix_notify_outbox_due", "notify_outbox", ["state", "next_attempt_at", "id"])


def downgrade() -> None:
    """The indexes as they were."""
    op.drop_index("ix_notify_outbox_due", table_name="notify_outbox")
    op.create_index("ix_notify_outbox_due", "notify_outbox", ["state", "next_attempt_at"])
    op.drop_index("ix_notify_outbox_channel_order", table_name="notify_outbox")
