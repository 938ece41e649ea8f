"""Shared fixtures: stores on SQLite and PostgreSQL, the service gate, a small park."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from lingtan.registry import ParkModel, parse_park_text
from lingtan.store import Store, open_store

PG_URL = os.environ.get("LINGTAN_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_SERVICES = os.environ.get("LINGTAN_REQUIRE_SERVICES") == "1"
# rich wraps CLI output at the terminal's width, 80 columns where there is none; the paths of
# pytest-xdist workers' temporary directories are longer, and a wrapped path fails the
# assertions that look for it: one wide, fixed width for every run
os.environ["COLUMNS"] = "200"


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def need_service(name: str, host: str, port: int) -> None:
    """Skip (or fail with LINGTAN_REQUIRE_SERVICES=1) when a service is not reachable."""
    if _reachable(host, port):
        return
    message = f"{name} is not reachable on {host}:{port}"
    if REQUIRE_SERVICES:
        pytest.fail(f"{message} and LINGTAN_REQUIRE_SERVICES=1")
    pytest.skip(message)


@contextmanager
def fresh_store(engine: str, directory: Path) -> Iterator[Store]:
    """An empty, migrated store on ``engine``: a new SQLite file in ``directory``, or a new
    PostgreSQL schema dropped afterwards."""
    if engine == "sqlite":
        store = open_store(f"sqlite:///{directory / f'{uuid.uuid4().hex}.db'}")
        try:
            yield store
        finally:
            store.close()
        return
    need_service("PostgreSQL", "127.0.0.1", 5432)
    import psycopg

    schema = f"lt_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    dsn = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    store = open_store(f"{PG_URL}?options=-csearch_path%3D{schema}")
    try:
        yield store
    finally:
        store.close()
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'lingtan.db'}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh schema in the test database, dropped afterwards."""
    need_service("PostgreSQL", "127.0.0.1", 5432)
    import psycopg

    schema = f"lt_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    dsn = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest) -> str:
    """The same test on SQLite and on PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "pg_url"
    return str(request.getfixturevalue(name))


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = open_store(store_url)
    try:
        yield s
    finally:
        s.close()


SMALL_PARK = """\
park:
  id: test-park
  name: 测试园区
  province: 江苏
enterprises:
  - id: E01
    name: 甲电子有限公司
    uscc: "914403001922038216"
    industry: C3971
  - id: E02
    name: 乙食品有限公司
sites:
  - id: B01
    name: 一号厂房
    enterprise: E01
    floor_area_m2: 12000
    use: factory
points:
  - id: E01-main
    carrier: electricity_grid_import
    kind: total_increasing
    unit: kWh
    enterprise: E01
    site: B01
    level: 1
    max_rate: 400
  - id: E01-hvac
    carrier: electricity_grid_import
    kind: total_increasing
    unit: kWh
    enterprise: E01
    level: 2
    parent: E01-main
  - id: E02-main
    carrier: electricity_grid_import
    kind: total_increasing
    unit: kWh
    enterprise: E02
    level: 1
    register_max: 100000
    max_rate: 400
  - id: E02-gas
    carrier: natural_gas
    kind: interval
    unit: m3
    enterprise: E02
    level: 1
  - id: E01-power
    carrier: electricity_grid_import
    kind: measurement
    unit: kW
    enterprise: E01
  - id: park-net
    carrier: electricity_grid_import
    kind: total_increasing
    unit: kWh
    formula: E01-main + E02-main
    boundary: false
"""


@pytest.fixture
def small_park() -> ParkModel:
    return parse_park_text(SMALL_PARK)


@pytest.fixture
def loaded(store: Store, small_park: ParkModel) -> Store:
    store.registry.save_park(small_park)
    return store
