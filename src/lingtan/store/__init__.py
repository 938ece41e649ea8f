"""The store: the only package that talks SQL (SQLAlchemy Core on SQLite or PostgreSQL).

``open_store(settings)`` builds the engine for ``LINGTAN_DATABASE_URL``, runs the alembic
migrations and returns a :class:`Store` whose repositories the services use.
"""

from __future__ import annotations

from lingtan.store.core import Store, open_store
from lingtan.store.records import (
    EnterpriseRecord,
    ParkRecord,
    PersistOutcome,
    PointRecord,
    RejectRow,
    ReplacementRecord,
    SaveReport,
    SiteRecord,
)

__all__ = [
    "EnterpriseRecord",
    "ParkRecord",
    "PersistOutcome",
    "PointRecord",
    "RejectRow",
    "ReplacementRecord",
    "SaveReport",
    "SiteRecord",
    "Store",
    "open_store",
]
