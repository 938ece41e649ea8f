"""A small park on SQLite with one day of constant hourly readings per point (1 January 2025
local), normalised: what the product-meter and water-quota tests grade."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from lingtan.ingest import ingest_columns
from lingtan.normalize.service import normalise_pending
from lingtan.registry import parse_park_text
from lingtan.store import Store, open_store
from lingtan.timeutil import HOUR_US, to_us


def day_park(path: Path, park_text: str, hourly: dict[str, float]) -> Store:
    """The park of ``park_text`` in a new SQLite file at ``path``; each point of ``hourly``
    advances by its value every hour of the day (24 readings from 01:00 +08:00)."""
    store = open_store(f"sqlite:///{path}")
    store.registry.save_park(parse_park_text(park_text), actor="test")
    pts = store.registry.points_by_code(refresh=True)
    start = to_us(dt.datetime(2025, 1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    ts = start + HOUR_US * np.arange(24, dtype=np.int64)
    ingest_columns(
        store,
        np.concatenate([np.full(24, pts[c].id, np.int64) for c in hourly]),
        np.concatenate([ts] * len(hourly)),
        np.concatenate([np.full(24, v) for v in hourly.values()]),
        source="test",
    )
    normalise_pending(store)
    return store
