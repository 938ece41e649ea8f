"""Shared pieces of the register's tests: callers of the small park and an alarm's evidence."""

from __future__ import annotations

import datetime as dt

import pytest

from lingtan.alarms.incidents.model import AlarmEvidence
from lingtan.identity.roles import SYSTEM, Principal, Role
from lingtan.store import Store
from lingtan.timeutil import to_us

#: 2025-07-01 10:00 +08:00 — "now" of the tests
NOW = to_us(dt.datetime(2025, 7, 1, 2, 0, tzinfo=dt.UTC))
MINUTE = 60_000_000


def enterprise_ids(store: Store) -> dict[str, int]:
    """Enterprise code → id of the loaded park."""
    park = store.registry.park()
    return {e.code: e.id for e in store.registry.enterprises(park.id)}


def admin_of(store: Store, code: str) -> Principal:
    """The administrator of enterprise ``code``."""
    return Principal(
        subject=f"{code}-admin",
        role=Role.ENTERPRISE_ADMIN,
        enterprise_id=enterprise_ids(store)[code],
    )


def viewer_of(store: Store, code: str) -> Principal:
    """A viewer of enterprise ``code``."""
    return Principal(
        subject=f"{code}-viewer",
        role=Role.ENTERPRISE_VIEWER,
        enterprise_id=enterprise_ids(store)[code],
    )


PARK_ADMIN = SYSTEM


def evidence(alarm_id: int, enterprise_id: int | None, *, first_at: int) -> AlarmEvidence:
    """An over-limit alarm on E01's main meter with two readings."""
    return AlarmEvidence(
        alarm_id=alarm_id,
        rule_code="E01-main-over",
        kind="threshold",
        severity="major",
        subject="E01-main",
        enterprise_id=enterprise_id,
        first_at=first_at,
        last_at=first_at + 5 * MINUTE,
        value=512.5,
        message="功率超过 400 kW",
        readings=(("E01-main", first_at, 480.0), ("E01-main", first_at + 5 * MINUTE, 512.5)),
    )


@pytest.fixture
def ids(loaded: Store) -> dict[str, int]:
    return enterprise_ids(loaded)
