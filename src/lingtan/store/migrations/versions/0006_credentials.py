"""Credentials: a token version per user (older access tokens stop working), API key expiry,
and failed logins of names that have no usable account (so they lock like real ones); the
heartbeat of running jobs (a restarted worker fails only jobs whose process died).

Revision ID: 0006
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``app_user.token_version`` and ``last_failed_at``, ``api_key.expires_at``,
    ``refresh_token.token_version``, ``job.heartbeat_at`` and ``login_failure``."""
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(
            sa.Column("token_version", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("last_failed_at", sa.BigInteger()))
    with op.batch_alter_table("api_key") as batch:
        batch.add_column(sa.Column("expires_at", sa.BigInteger()))
    with op.batch_alter_table("job") as batch:
        batch.add_column(sa.Column("heartbeat_at", sa.BigInteger()))
    with op.batch_alter_table("refresh_token") as batch:
        batch.add_column(
            sa.Column("token_version", sa.Integer(), nullable=False, server_default="0")
        )
    op.create_table(
        "login_failure",
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.BigInteger()),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("username", name="pk_login_failure"),
    )
    op.create_index("ix_login_failure_updated_at", "login_failure", ["updated_at"])


def downgrade() -> None:
    """Drop what :func:`upgrade` added. Plain ``DROP COLUMN`` (SQLite >= 3.35), not batch
    mode: rebuilding ``app_user`` would fail on the foreign keys of its refresh tokens."""
    op.drop_index("ix_login_failure_updated_at", table_name="login_failure")
    op.drop_table("login_failure")
    op.drop_column("refresh_token", "token_version")
    op.drop_column("job", "heartbeat_at")
    op.drop_column("api_key", "expires_at")
    op.drop_column("app_user", "last_failed_at")
    op.drop_column("app_user", "token_version")
