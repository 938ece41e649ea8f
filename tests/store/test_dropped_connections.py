"""A PostgreSQL server that drops the pool's connections (restart, failover, idle kill): the
store does not ping each checkout, so the first use of a dropped connection fails — as
:class:`Unavailable` (a 503 the caller retries), never as a raw driver error — and every
call after it works on fresh connections."""

from __future__ import annotations

import psycopg
from sqlalchemy import select

from lingtan.errors import Unavailable
from lingtan.store import Store, open_store
from lingtan.store import schema as s
from tests.conftest import PG_URL


def _read(store: Store) -> int:
    with store.begin() as conn:
        return len(conn.execute(select(s.park.c.id)).all())


def _backend_pids(store: Store) -> list[int]:
    with store.begin() as conn:
        return [int(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())]


def test_dropped_connections_give_unavailable_once_then_recover(pg_url: str) -> None:
    store = open_store(pg_url)
    try:
        before = _read(store)
        pids = _backend_pids(store)
        dsn = PG_URL.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn, autocommit=True) as admin:
            for pid in pids:
                admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        outcomes: list[int] = []
        messages: list[str] = []
        for _ in range(3):
            try:
                outcomes.append(_read(store))
            except Unavailable as err:
                messages.append(str(err))
                outcomes.append(-1)
        # the dropped connection fails at most once; the pool is renewed after it
        assert outcomes.count(-1) <= 1
        assert all(m.startswith("PostgreSQL") for m in messages)
        assert outcomes[-2:] == [before, before]
        assert _backend_pids(store) != pids
    finally:
        store.close()
