"""Identity and access, background jobs, statistics records, 绿证 ledger, accounting results.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the platform tables."""
    op.create_table(
        "app_user",
        sa.Column("id", Id, autoincrement=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("enterprise_id", Id),
        sa.Column("display_name", sa.Text()),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.BigInteger()),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_app_user"),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprise.id"], name="fk_app_user_enterprise_id_enterprise"
        ),
        sa.UniqueConstraint("username", name="uq_app_user_username"),
    )
    op.create_table(
        "api_key",
        sa.Column("id", Id, autoincrement=True),
        sa.Column("prefix", sa.String(32), nullable=False),
        sa.Column("secret_hash", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("enterprise_id", Id),
        sa.Column("points", sa.Text()),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("revoked_at", sa.BigInteger()),
        sa.Column("last_used_at", sa.BigInteger()),
        sa.PrimaryKeyConstraint("id", name="pk_api_key"),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprise.id"], name="fk_api_key_enterprise_id_enterprise"
        ),
        sa.UniqueConstraint("prefix", name="uq_api_key_prefix"),
    )
    op.create_table(
        "refresh_token",
        sa.Column("id", Id, autoincrement=True),
        sa.Column("token_hash", sa.String(128), nullable=False),
        sa.Column("user_id", Id, nullable=False),
        sa.Column("issued_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("revoked_at", sa.BigInteger()),
        sa.PrimaryKeyConstraint("id", name="pk_refresh_token"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name="fk_refresh_token_user_id_app_user"
        ),
        sa.UniqueConstraint("token_hash", name="uq_refresh_token_token_hash"),
    )
    op.create_table(
        "job",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("result", sa.Text()),
        sa.Column("error", sa.Text()),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("enterprise_id", Id),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("started_at", sa.BigInteger()),
        sa.Column("finished_at", sa.BigInteger()),
        sa.PrimaryKeyConstraint("id", name="pk_job"),
    )
    op.create_table(
        "stat_record",
        sa.Column("id", Id, autoincrement=True),
        sa.Column("park_id", Id, nullable=False),
        sa.Column("enterprise_id", Id),
        sa.Column("category", sa.String(48), nullable=False),
        sa.Column("item", sa.Text(), nullable=False),
        sa.Column("period_start", sa.String(10), nullable=False),
        sa.Column("period_end", sa.String(10), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(16), nullable=False),
        sa.Column("source_document", sa.Text(), nullable=False),
        sa.Column("entered_by", sa.Text(), nullable=False),
        sa.Column("entered_at", sa.BigInteger(), nullable=False),
        sa.Column("supersedes_id", Id),
        sa.Column("note", sa.Text()),
        sa.PrimaryKeyConstraint("id", name="pk_stat_record"),
        sa.ForeignKeyConstraint(["park_id"], ["park.id"], name="fk_stat_record_park_id_park"),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprise.id"], name="fk_stat_record_enterprise_id_enterprise"
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"], ["stat_record.id"], name="fk_stat_record_supersedes_id_stat_record"
        ),
    )
    op.create_index("ix_stat_record_scope", "stat_record", ["park_id", "enterprise_id", "category"])
    op.create_table(
        "gec_certificate",
        sa.Column("cert_id", sa.String(32), nullable=False),
        sa.Column("project", sa.Text(), nullable=False),
        sa.Column("production_month", sa.String(7), nullable=False),
        sa.Column("tradable", sa.Boolean(), nullable=False),
        sa.Column("imported_at", sa.BigInteger(), nullable=False),
        sa.Column("imported_by", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("cert_id", name="pk_gec_certificate"),
    )
    op.create_table(
        "gec_retirement",
        sa.Column("cert_id", sa.String(32), nullable=False),
        sa.Column("claimant", sa.String(64), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("park", sa.String(64), nullable=False),
        sa.Column("period_start", sa.String(7), nullable=False),
        sa.Column("period_end", sa.String(7), nullable=False),
        sa.Column("retired_on", sa.String(10), nullable=False),
        sa.Column("settlement_id", sa.String(64)),
        sa.Column("recorded_at", sa.BigInteger(), nullable=False),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("cert_id", name="pk_gec_retirement"),
        sa.ForeignKeyConstraint(
            ["cert_id"],
            ["gec_certificate.cert_id"],
            name="fk_gec_retirement_cert_id_gec_certificate",
        ),
    )
    op.create_index("ix_gec_retirement_claimant", "gec_retirement", ["claimant"])
    op.create_table(
        "green_trade",
        sa.Column("settlement_id", sa.String(64), nullable=False),
        sa.Column("buyer", sa.String(64), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("park", sa.String(64), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("kwh", sa.Float(), nullable=False),
        sa.Column("seller_project", sa.Text(), nullable=False),
        sa.Column("cert_ids", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.BigInteger(), nullable=False),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("settlement_id", name="pk_green_trade"),
    )
    op.create_table(
        "inventory_result",
        sa.Column("id", Id, autoincrement=True),
        sa.Column("basis", sa.String(16), nullable=False),
        sa.Column("boundary", sa.String(64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer()),
        sa.Column("enterprise_id", Id),
        sa.Column("computed_at", sa.BigInteger(), nullable=False),
        sa.Column("computed_by", sa.Text(), nullable=False),
        sa.Column("options", sa.Text(), nullable=False),
        sa.Column("factor_ids", sa.Text(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_inventory_result"),
    )
    op.create_index(
        "ix_inventory_result_boundary", "inventory_result", ["basis", "boundary", "year"]
    )


def downgrade() -> None:
    """Drop the platform tables."""
    for table in (
        "inventory_result",
        "green_trade",
        "gec_retirement",
        "gec_certificate",
        "stat_record",
        "job",
        "refresh_token",
        "api_key",
        "app_user",
    ):
        op.drop_table(table)
