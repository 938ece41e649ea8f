"""A fixed clock for the 绿证 services: certificates are imported and retired on a known day."""

from __future__ import annotations

import datetime as dt

import pytest

TZ8 = dt.timezone(dt.timedelta(hours=8))


def set_ledger_clock(monkeypatch: pytest.MonkeyPatch, day: dt.date, hour: int = 10) -> None:
    """Make :mod:`lingtan.greenpower.service` see ``day`` at ``hour``:00 park time (UTC+8) as now."""
    now = dt.datetime(day.year, day.month, day.day, hour, tzinfo=TZ8).astimezone(dt.UTC)
    monkeypatch.setattr("lingtan.greenpower.service.utcnow", lambda: now)
