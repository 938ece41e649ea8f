"""Fixtures of the dashboard tests: the served demo world on SQLite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.world import World, fresh_world


@pytest.fixture(scope="module")
def web_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One world per module (SQLite)."""
    yield from fresh_world("sqlite", str(tmp_path_factory.mktemp("web")))
