"""SQLite and PostgreSQL give the same statistics for the same readings (the shrunk demo park)."""

from __future__ import annotations

import numpy as np
from sqlalchemy import text

from lingtan.demo.run import run
from lingtan.store import open_store


def _snapshot(url: str) -> dict[str, list[tuple[object, ...]]]:
    store = open_store(url)
    try:
        run(store, months=2, enterprises=4)
        with store.begin() as conn:
            return {
                table: [tuple(r) for r in conn.execute(text(query)).all()]
                for table, query in {
                    "stat_hour": "SELECT p.code, h.hour, h.value, h.mean, h.measured_s, h.estimated_s, "
                    "h.missing_s, h.flags, h.n FROM stat_hour h JOIN point p ON p.id = h.point_id "
                    "ORDER BY p.code, h.hour",
                    "stat_day": "SELECT p.code, d.day, d.value, d.missing_s, d.flags FROM stat_day d "
                    "JOIN point p ON p.id = d.point_id ORDER BY p.code, d.day",
                    "stat_hour_carrier": "SELECT enterprise_key, carrier, unit, hour, value, missing_s, points "
                    "FROM stat_hour_carrier ORDER BY enterprise_key, carrier, unit, hour",
                    "rejected": "SELECT point_code, reason FROM rejected_reading ORDER BY point_code, reason",
                }.items()
            }
    finally:
        store.close()


def _close(a: tuple[object, ...], b: tuple[object, ...]) -> bool:
    for x, y in zip(a, b, strict=True):
        if isinstance(x, float) and isinstance(y, float):
            if not np.isclose(x, y, rtol=1e-12, atol=1e-9):
                return False
        elif x != y:
            return False
    return True


def test_sqlite_and_postgresql_agree(sqlite_url: str, pg_url: str) -> None:
    lite, pg = _snapshot(sqlite_url), _snapshot(pg_url)
    for table in lite:
        assert len(lite[table]) == len(pg[table]), table
        assert len(lite[table]) > 0, table
        mismatched = [
            (a, b) for a, b in zip(lite[table], pg[table], strict=True) if not _close(a, b)
        ]
        assert not mismatched, (table, mismatched[:3])
