"""Forecasts (``lingtan.forecast``): PV plants' declared parameters, imported weather series,
issued forecasts with their model, features and backtest, and their hourly P10/P50/P90. A
forecast's subject is a point, an enterprise or the park (an owner's hourly balance).

New tables only; nothing to build from existing data.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the forecast tables."""
    op.create_table(
        "pv_plant",
        sa.Column("point_id", Id, sa.ForeignKey("point.id", name="fk_pv_plant_point_id_point"),
                  nullable=False),
        sa.Column("enterprise_id", Id,
                  sa.ForeignKey("enterprise.id", name="fk_pv_plant_enterprise_id_enterprise")),
        sa.Column("kwp", sa.Float(), nullable=False),
        sa.Column("tilt_deg", sa.Float(), nullable=False),
        sa.Column("azimuth_deg", sa.Float(), nullable=False),
        sa.Column("losses_pct", sa.Float(), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("altitude_m", sa.Float(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("point_id", name="pk_pv_plant"),
    )  # fmt: skip
    op.create_table(
        "weather_series",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("park_id", Id, sa.ForeignKey("park.id", name="fk_weather_series_park_id_park"),
                  nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("quantity", sa.String(16), nullable=False),
        sa.Column("unit", sa.String(16), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("imported_by", sa.Text(), nullable=False),
        sa.Column("imported_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_weather_series"),
        sa.UniqueConstraint("park_id", "code", name="uq_weather_series_park_id"),
    )  # fmt: skip
    op.create_table(
        "weather_value",
        sa.Column("series_id", Id, sa.ForeignKey("weather_series.id",
                  name="fk_weather_value_series_id_weather_series"), nullable=False),
        sa.Column("hour", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("series_id", "hour", name="pk_weather_value"),
    )  # fmt: skip
    op.create_table(
        "forecast_run",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("park_id", Id, sa.ForeignKey("park.id", name="fk_forecast_run_park_id_park"),
                  nullable=False),
        sa.Column("subject", sa.String(16), nullable=False, server_default="point"),
        sa.Column("subject_code", sa.String(64), nullable=False),
        sa.Column("point_id", Id, sa.ForeignKey("point.id", name="fk_forecast_run_point_id_point")),
        sa.Column("enterprise_id", Id,
                  sa.ForeignKey("enterprise.id", name="fk_forecast_run_enterprise_id_enterprise")),
        sa.Column("carrier", sa.String(32)),
        sa.Column("horizon", sa.String(16), nullable=False),
        sa.Column("first_day", sa.String(10), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("model", sa.String(32), nullable=False),
        sa.Column("model_version", sa.String(32), nullable=False),
        sa.Column("features", sa.Text(), nullable=False),
        sa.Column("train_start", sa.String(10)),
        sa.Column("train_end", sa.String(10)),
        sa.Column("backtest", sa.Text(), nullable=False),
        sa.Column("issued_by", sa.Text(), nullable=False),
        sa.Column("issued_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_forecast_run"),
    )  # fmt: skip
    op.create_index(
        "ix_forecast_run_point_id", "forecast_run", ["point_id", "horizon", "first_day"]
    )
    op.create_index(
        "ix_forecast_run_subject", "forecast_run", ["park_id", "subject", "subject_code", "horizon"]
    )
    op.create_table(
        "forecast_value",
        sa.Column("run_id", Id, sa.ForeignKey("forecast_run.id",
                  name="fk_forecast_value_run_id_forecast_run"), nullable=False),
        sa.Column("hour", sa.BigInteger(), nullable=False),
        sa.Column("p10", sa.Float()),
        sa.Column("p50", sa.Float()),
        sa.Column("p90", sa.Float()),
        sa.PrimaryKeyConstraint("run_id", "hour", name="pk_forecast_value"),
    )  # fmt: skip


def downgrade() -> None:
    """Drop the forecast tables."""
    op.drop_table("forecast_value")
    op.drop_index("ix_forecast_run_subject", table_name="forecast_run")
    op.drop_index("ix_forecast_run_point_id", table_name="forecast_run")
    op.drop_table("forecast_run")
    op.drop_table("weather_value")
    op.drop_table("weather_series")
    op.drop_table("pv_plant")
