"""Shared fixtures for the carbon tests."""

from __future__ import annotations

import pytest

from lingtan.carbon.factors import FactorLibrary, default_library


@pytest.fixture
def library() -> FactorLibrary:
    """A fresh copy of the shipped factor library."""
    return default_library()
