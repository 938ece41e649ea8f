"""``Store.reads``: the reads inside one block share one transaction (a request's credential
and park lookups), and nothing outside the block or of another store joins it."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import Connection, select

from lingtan.store import Store, open_store
from lingtan.store import schema as s


def _conn_of(store: Store) -> Connection:
    with store.begin() as conn:
        conn.execute(select(s.park.c.id)).all()
        return conn


def test_reads_inside_one_block_share_one_transaction(store: Store, tmp_path: Path) -> None:
    seen: list[Connection] = []
    other = open_store(f"sqlite:///{tmp_path / 'other.db'}")
    try:
        with store.reads():
            first, second = _conn_of(store), _conn_of(store)
            with store.reads():  # nested: still the same transaction
                nested = _conn_of(store)
            elsewhere = _conn_of(other)  # another store opens its own
            thread = threading.Thread(target=lambda: seen.append(_conn_of(store)))
            thread.start()
            thread.join()
            assert first is second is nested
            assert first.in_transaction()
            assert elsewhere is not first
            assert seen[0] is not first  # another thread is not in the block
        assert not first.in_transaction()  # ended with the block
        assert _conn_of(store) is not first
    finally:
        other.close()


def test_a_failure_inside_the_block_ends_its_transaction(store: Store) -> None:
    kept: list[Connection] = []
    try:
        with store.reads():
            kept.append(_conn_of(store))
            raise KeyError("boom")
    except KeyError:
        pass
    assert not kept[0].in_transaction()
    with store.begin() as conn:  # the store is usable again
        assert conn is not kept[0]
