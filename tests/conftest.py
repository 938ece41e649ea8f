"""Shared fixtures: stores on SQLite and PostgreSQL, the service gate, a small park."""

from __future__ import annotations

import os
import shutil
import socket
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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


#: what a freshly migrated store looks like, made once per test process (pytest-xdist worker)
#: and given to each test that opens a store: the migrations cost ~0.5 s on SQLite and ~2 s on
#: PostgreSQL per store, a copy of their result a tenth of that. Each test still gets a store
#: of its own at the newest revision (open_store checks the revision, a no-op on the copy).
_SQLITE_TEMPLATE: list[Path] = []
#: the SQL the migrations ran on an empty PostgreSQL schema, in order, with their parameters
_PG_MIGRATION: list[tuple[str, Any, bool]] = []


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(
        PG_URL.replace("postgresql+psycopg://", "postgresql://"), autocommit=True
    ) as c:
        c.execute(sql)  # type: ignore[arg-type]


#: the session settings of the tests' PostgreSQL connections (libpq ``options``): a commit does
#: not wait for its WAL to reach the disk. A crash of the server could lose the last commits of
#: a database the test drops anyway; what a test sees is the same (PostgreSQL manual, 30.4
#: Asynchronous Commit), and commits stop queueing behind the fsyncs of the other worker's.
PG_SESSION = "-csynchronous_commit%3Doff"


def _schema_url(schema: str) -> str:
    return f"{PG_URL}?options=-csearch_path%3D{schema}%20{PG_SESSION}"


def _schema_of(url: str) -> str:
    """The schema named by a URL of :func:`_schema_url`."""
    return url.rsplit("search_path%3D", 1)[1].split("%20", 1)[0]


def _sqlite_template() -> Path:
    if not _SQLITE_TEMPLATE:
        directory = Path(tempfile.mkdtemp(prefix="lingtan-template-"))
        import atexit

        atexit.register(shutil.rmtree, directory, ignore_errors=True)
        path = directory / "migrated.db"
        open_store(f"sqlite:///{path}").close()  # closed: no -wal file beside it
        _SQLITE_TEMPLATE.append(path)
    return _SQLITE_TEMPLATE[0]


def _pg_migration() -> list[tuple[str, Any, bool]]:
    """The statements of a migration of an empty schema, recorded as SQLAlchemy sent them."""
    if not _PG_MIGRATION:
        from sqlalchemy import event

        schema = f"lt_{os.getpid()}_tmpl_{uuid.uuid4().hex[:8]}"
        _pg_admin(f"CREATE SCHEMA {schema}")
        recorded: list[tuple[str, Any, bool]] = []
        store = Store(_schema_url(schema))

        def record(_c: Any, _cur: Any, sql: str, params: Any, _ctx: Any, many: bool) -> None:
            recorded.append((sql, params, many))

        event.listen(store.engine, "before_cursor_execute", record)
        try:
            store.migrate()
        finally:
            store.close()
            _pg_admin(f"DROP SCHEMA {schema} CASCADE")
        _PG_MIGRATION.extend(recorded)
    return _PG_MIGRATION


def migrated_copy(url: str) -> None:
    """Bring the empty database at ``url`` (a SQLite file that does not exist yet, or an empty
    PostgreSQL schema named by ``search_path``) to what the migrations make of it: a copy of
    a migrated SQLite file, or the migrations' statements run again in one transaction."""
    if url.startswith("sqlite:///"):
        target = Path(url.removeprefix("sqlite:///"))
        if not target.exists():
            shutil.copyfile(_sqlite_template(), target)
        return
    if "search_path%3D" not in url:
        return  # not a schema of ours: open_store migrates it
    import psycopg

    schema = _schema_of(url)
    statements = _pg_migration()
    dsn = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, options=f"-csearch_path={schema}") as conn, conn.cursor() as cur:
        if cur.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = %s", [schema]
        ).fetchone() != (0,):
            return  # the test made something there: open_store migrates what is there
        # pipelined: 212 statements without a round trip each (0.29 s a schema, not 0.40 s;
        # about 500 tests on PostgreSQL make one)
        with conn.pipeline():
            for sql, params, many in statements:
                if many:
                    cur.executemany(sql, params)
                else:
                    cur.execute(sql, params)  # as SQLAlchemy passed them (``%%`` stays escaped)


@contextmanager
def fresh_store(engine: str, directory: Path) -> Iterator[Store]:
    """An empty, migrated store on ``engine``: a new SQLite file in ``directory``, or a new
    PostgreSQL schema dropped afterwards."""
    if engine == "sqlite":
        url = f"sqlite:///{directory / f'{uuid.uuid4().hex}.db'}"
        migrated_copy(url)
        store = open_store(url)
        try:
            yield store
        finally:
            store.close()
        return
    need_service("PostgreSQL", "127.0.0.1", 5432)

    schema = f"lt_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    _pg_admin(f"CREATE SCHEMA {schema}")
    migrated_copy(_schema_url(schema))
    store = open_store(_schema_url(schema))
    try:
        yield store
    finally:
        store.close()
        _pg_admin(f"DROP SCHEMA {schema} CASCADE")


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
        yield _schema_url(schema)
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
    migrated_copy(store_url)
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


#: the modules with the longest tests (a full run's --durations, longest first) run first:
#: pytest-xdist hands the last tests out one or two at a time, and a 20-130 s test among them
#: keeps one worker busy while the other has nothing left; run first, the other worker takes
#: the short tests meanwhile. Whole modules move, so their module-scoped fixtures are built
#: as often as before; the order within a module and among the other tests stays.
LONG_FIRST = (
    "tests/api/test_schemathesis.py",
    "tests/demo/test_demo.py",
    "tests/normalize/test_incremental.py",
    "tests/region/test_federation.py",
    "tests/web/test_browser.py",
    "tests/store/test_parity.py",
    "tests/options/test_one_number.py",
    "tests/connectors/test_collect_e2e.py",
    "tests/cli/test_waste_cli.py",
    "tests/store/test_month_rollups.py",
    "tests/web/test_browser_forms.py",
)


@pytest.hookimpl(trylast=True)  # after pytest grouped the items by their fixtures' params
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {path: k for k, path in enumerate(LONG_FIRST)}
    missing = [p for p in LONG_FIRST if not (Path(__file__).parents[1] / p).is_file()]
    assert not missing, f"LONG_FIRST names modules that are not there: {missing}"
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))


def pytest_sessionfinish() -> None:
    """Drop the API worlds' PostgreSQL databases while the process (a pytest-xdist worker)
    still runs: at its exit the controller may stop it before a dozen drops are done."""
    world = sys.modules.get("tests.api.world")
    if world is not None:
        world._drop_databases()
