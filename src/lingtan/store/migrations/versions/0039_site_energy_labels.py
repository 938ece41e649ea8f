"""Buildings' energy-performance labels on ``site``.

A site of the park file may declare the class of GB/T 51350-2019《近零能耗建筑技术标准》
(``energy_label``: ultra_low_energy, near_zero_energy, zero_energy) and the grade of
GB/T 50378-2019《绿色建筑评价标准》 (``green_building_star``: basic, 1, 2, 3), each with the
certificate's number and the day it was granted (ISO date). The codes are reference data
(lingtan/registry/data/building_labels.yaml); the indicator profiles' building counts read them.
Nullable columns: every site stored before this revision declares no label.

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0039"
down_revision = "0038"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("energy_label", 24),
    ("energy_label_certificate", 64),
    ("energy_label_date", 10),
    ("green_building_star", 8),
    ("green_building_certificate", 64),
    ("green_building_date", 10),
)


def upgrade() -> None:
    """Add the six label columns to ``site``."""
    # plain ALTERs on both engines: nullable columns without a default
    for name, length in _COLUMNS:
        op.add_column("site", sa.Column(name, sa.String(length), nullable=True))


def downgrade() -> None:
    """Drop them (the declared labels are lost; the park file still holds them)."""
    for name, _ in reversed(_COLUMNS):
        op.drop_column("site", name)
