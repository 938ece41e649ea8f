"""A park enters the monthly base price of a ``ratios`` tariff record (the month's 代理购电
price and its unfloated part, from the list it was read from): costs of that record and month
then have prices; refusals name the field (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from lingtan.errors import Conflict, InvalidInput, PermissionDenied
from lingtan.identity.roles import SYSTEM, Principal, Role
from lingtan.normalize.hourly import HourlyStats
from lingtan.store import Store
from lingtan.store.query_repo import QueryRepo, Tenant
from lingtan.store.stats_repo import StatsRepo
from lingtan.tariffs import service

SH = ZoneInfo("Asia/Shanghai")
JS = "cn-js-large-industry"  # version 3 from 2025-06: ratios 高峰 1.8, 平段 1, 低谷 0.35


@pytest.fixture
def june(loaded: Store) -> Store:
    """E01-main: 10 kWh in every hour of June 2025 (local), assigned the 江苏 record."""
    start = int(dt.datetime(2025, 6, 1, tzinfo=SH).timestamp()) * 1_000_000
    n = 30 * 24
    nan = np.full(n, np.nan)
    stats = HourlyStats(
        hours=start + np.arange(n, dtype=np.int64) * 3_600_000_000, value=np.full(n, 10.0),
        mean=nan, min=nan, max=nan, measured_s=np.full(n, 3600.0), estimated_s=np.zeros(n),
        missing_s=np.zeros(n), flags=np.zeros(n, np.int64), n=np.ones(n, np.int64),
    )  # fmt: skip
    point = QueryRepo(loaded).point(tenant=Tenant.park_wide(), code="E01-main")
    with loaded.begin() as conn:
        StatsRepo(loaded).write_hours(conn, point.id, stats, now=0)
    service.assign(loaded, principal=SYSTEM, tariff_id=JS, effective_from="2025-06")
    return loaded


def _june(store: Store) -> service.CostResult:
    return service.cost(store, principal=SYSTEM, scope="enterprise", subject="E01", start="2025-06")


def test_an_entered_base_price_prices_the_month(june: Store) -> None:
    assert _june(june).months[0].status == "no_price"  # the record floats a price it lacks
    service.enter_month_price(
        june, principal=SYSTEM, tariff_id=JS, month="2025-06", price=0.40, fixed=0.20,
        source="test list 2025-06",
    )  # fmt: skip
    r = _june(june)
    (m,) = r.months
    # June (夏冬 calendar): 低谷 0-6 and 11-13, 高峰 14-22, the other 8 h 平段: 8 h × 30 d × 10
    #   = 2400 kWh in each; prices 0.40 × 1.8 + 0.20 = 0.92, 0.40 + 0.20 = 0.60,
    #   0.40 × 0.35 + 0.20 = 0.34 → 2400 × (0.92 + 0.60 + 0.34) = 4464 元
    assert m.status == "ok"
    assert m.prices == pytest.approx({"高峰": 0.92, "平段": 0.60, "低谷": 0.34})
    assert m.total_cost == pytest.approx(4464.0)
    base = r.accounts[0].assigned["2025-06"]["base_price"]
    assert base["price"] == 0.40 and base["fixed"] == 0.20
    assert base["source"] == f"test list 2025-06 (entered by {SYSTEM.actor})"
    # a correction is a newer entry: it prices the month, the first is kept
    service.enter_month_price(
        june, principal=SYSTEM, tariff_id=JS, month="2025-06", price=0.50, fixed=0.20,
        source="test list 2025-06, corrected",
    )  # fmt: skip
    # 0.5 × 1.8 + 0.2 = 1.10, 0.70, 0.5 × 0.35 + 0.2 = 0.375 → 2400 × 2.175 = 5220 元
    assert _june(june).months[0].total_cost == pytest.approx(5220.0)
    entries = service.month_prices(june, principal=SYSTEM, tariff_id=JS)
    assert [e.price for e in entries] == [0.40, 0.50]


def test_refusals_name_the_field(june: Store) -> None:
    def enter(**kw: object) -> None:
        args: dict[str, object] = {
            "tariff_id": JS, "month": "2025-06", "price": 0.4, "fixed": 0.2, "source": "list",
        }  # fmt: skip
        args.update(kw)
        service.enter_month_price(june, principal=SYSTEM, **args)  # type: ignore[arg-type]

    cases = [
        ({"fixed": 0.10}, "fixed"),  # below the record's 输配电价 of 0.1298 元/kWh
        ({"price": 0.0}, "price"),
        ({"month": "2025-13"}, "month"),
        ({"month": "2023-12"}, "month"),  # no version of the record before 2024-01
        ({"month": "2025-05"}, "tariff_id"),  # version 1 is unpriced
        ({"tariff_id": "demo-js-synthetic"}, "tariff_id"),  # priced by the record itself
        ({"source": "  "}, "source"),
    ]
    for kw, field in cases:
        with pytest.raises(InvalidInput) as err:
            enter(**kw)
        assert err.value.field == field, kw
    assert service.month_prices(june, principal=SYSTEM) == []  # nothing stored


def test_only_park_administrators_enter_prices(june: Store) -> None:
    ents, _ = QueryRepo(june).enterprises(
        tenant=Tenant.park_wide(), park_id=june.registry.park().id
    )
    e01 = next(e for e in ents if e.code == "E01")
    user = Principal(subject="u-e01", role=Role.ENTERPRISE_ADMIN, enterprise_id=e01.id)
    with pytest.raises(PermissionDenied):
        service.enter_month_price(
            june, principal=user, tariff_id=JS, month="2025-06", price=0.4, fixed=0.2,
            source="list",
        )  # fmt: skip


def test_a_month_the_record_prices_itself_is_refused(
    june: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lingtan.tariffs import records
    from lingtan.tariffs.records import MonthPrice

    shipped = records.in_force(JS, None, "2025-06")
    assert shipped is not None
    own = shipped.model_copy(
        update={"base_prices": [MonthPrice(month="2025-06", price=0.3, fixed=0.2, source="x")]}
    )
    monkeypatch.setattr(records, "in_force", lambda *a, **k: own)
    with pytest.raises(Conflict):
        service.enter_month_price(
            june, principal=SYSTEM, tariff_id=JS, month="2025-06", price=0.4, fixed=0.2,
            source="list",
        )  # fmt: skip
