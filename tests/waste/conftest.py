"""Fixtures of the waste service tests: the small park with a stream, a facility and a
receiver's licence for E01, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest

from lingtan.identity.roles import SYSTEM, Principal, Role
from lingtan.store import Store
from lingtan.store.query_repo import QueryRepo, Tenant
from lingtan.waste import service, transfers

SH = ZoneInfo("Asia/Shanghai")


def us(y: int, m: int, d: int, h: int = 12) -> int:
    """Epoch µs of a Shanghai local time."""
    return int(dt.datetime(y, m, d, h, tzinfo=SH).timestamp() * 1_000_000)


def enterprise_admin(store: Store, code: str, role: Role = Role.ENTERPRISE_ADMIN) -> Principal:
    """A user of one enterprise of the park."""
    ents, _ = QueryRepo(store).enterprises(
        tenant=Tenant.park_wide(), park_id=store.registry.park().id
    )
    ent = next(e for e in ents if e.code == code)
    return Principal(subject=f"u-{code}", role=role, enterprise_id=ent.id)


@dataclass
class Ledger:
    """The store and E01's stream, facility and receiver licence."""

    store: Store
    e01: Principal
    e02: Principal
    stream_id: int
    facility_id: int
    licence_id: int


@pytest.fixture
def book(loaded: Store) -> Ledger:
    e01 = enterprise_admin(loaded, "E01")
    e02 = enterprise_admin(loaded, "E02")
    stream = service.add_stream(
        loaded, principal=e01, enterprise_id=None, code="900-039-49", name="废活性炭",
        form="固态", process="VOCs 治理",
    )  # fmt: skip
    facility = service.add_facility(
        loaded, principal=e01, enterprise_id=None, code="WH-1", name="危废暂存间",
        location="二号厂房北侧", capacity=5000, unit="kg",
    )  # fmt: skip
    licence = transfers.add_licence(
        loaded, principal=SYSTEM, holder="某危废处置有限公司（合成）", number="JS-HW-0001",
        codes=["HW49"], capacity=100, unit="t", valid_from="2020-01-01", valid_to="2030-12-31",
    )  # fmt: skip
    return Ledger(loaded, e01, e02, stream.id, facility.id, licence.id)
