"""Fixtures of the API tests: a served demo park with users of every role (SQLite and
PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.world import World, fresh_world


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """One world per test module and database; tests must not depend on each other's writes."""
    yield from fresh_world(request.param, str(tmp_path_factory.mktemp("api")))


@pytest.fixture
def sqlite_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """A fresh world on SQLite for tests that change much."""
    yield from fresh_world("sqlite", str(tmp_path_factory.mktemp("api1")))
