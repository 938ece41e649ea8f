"""Region mode (docs/region.md): parks registered with a regional instance (``region_park``),
the uploads received from them with their completeness, lateness and revision history
(``region_upload``), the uploads' hourly and monthly aggregates (``region_hourly``,
``region_monthly``), and users of the region instance bound to one park (``region_member``).

New tables only; nothing to build from existing data.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the region tables."""
    op.create_table(
        "region_park",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("secret", sa.Text()),
        sa.Column("public_key", sa.String(128)),
        sa.Column("targets", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_region_park"),
        sa.UniqueConstraint("code", name="uq_region_park_code"),
    )
    op.create_table(
        "region_upload",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("park_id", Id, sa.ForeignKey("region_park.id",
                  name="fk_region_upload_park_id_region_park"), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("received_at", sa.BigInteger(), nullable=False),
        sa.Column("deadline_at", sa.BigInteger(), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("completeness", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("receipt", sa.Text(), nullable=False),
        sa.Column("superseded_by", Id),
        sa.Column("superseded_at", sa.BigInteger()),
        sa.PrimaryKeyConstraint("id", name="pk_region_upload"),
        sa.UniqueConstraint("idempotency_key", name="uq_region_upload_idempotency_key"),
        sa.UniqueConstraint("park_id", "kind", "year", "month", "revision",
                            name="uq_region_upload_rev"),
    )  # fmt: skip
    op.create_index("ix_region_upload_park_id", "region_upload", ["park_id", "year", "month"])
    for table, extra in (
        ("region_hourly", [sa.Column("hour", sa.BigInteger(), nullable=False)]),
        ("region_monthly", []),
    ):
        keys = ["upload_id", "carrier", "enterprise", "building", "unit"] + (
            ["hour"] if table == "region_hourly" else []
        )
        cols: list[sa.schema.SchemaItem] = [
            sa.Column("upload_id", Id, sa.ForeignKey(
                "region_upload.id", name=f"fk_{table}_upload_id_region_upload"), nullable=False),
            sa.Column("carrier", sa.String(64), nullable=False),
            sa.Column("enterprise", sa.String(64), nullable=False),
            sa.Column("building", sa.String(64), nullable=False),
            *extra,
            sa.Column("unit", sa.String(16), nullable=False),
            sa.Column("value", sa.Float()),
        ]  # fmt: skip
        if table == "region_monthly":
            cols.append(sa.Column("completeness", sa.Float(), nullable=False))
        op.create_table(table, *cols, sa.PrimaryKeyConstraint(*keys, name=f"pk_{table}"))
    op.create_table(
        "region_member",
        sa.Column("user_id", Id, sa.ForeignKey("app_user.id",
                  name="fk_region_member_user_id_app_user"), nullable=False),
        sa.Column("park_id", Id, sa.ForeignKey("region_park.id",
                  name="fk_region_member_park_id_region_park"), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_region_member"),
    )  # fmt: skip


def downgrade() -> None:
    """Drop them."""
    for table in ("region_member", "region_monthly", "region_hourly"):
        op.drop_table(table)
    op.drop_index("ix_region_upload_park_id", table_name="region_upload")
    op.drop_table("region_upload")
    op.drop_table("region_park")
