"""The tariff service on a stored park (SQLite and PostgreSQL): cost by scope from hourly
statistics, 基本电费, bills and the bill check, and the tenant scope of each."""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from lingtan.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from lingtan.identity.roles import SYSTEM, Principal, Role
from lingtan.normalize.hourly import HourlyStats
from lingtan.store import Store
from lingtan.store.query_repo import QueryRepo, Tenant
from lingtan.store.stats_repo import StatsRepo
from lingtan.tariffs import service

SH = ZoneInfo("Asia/Shanghai")


def _hour(d: int, h: int) -> int:
    return int(dt.datetime(2025, 3, d, h, tzinfo=SH).timestamp() * 1_000_000)


def _write(store: Store, code: str, hours: list[int], kwh: list[float]) -> None:
    n = len(hours)
    nan = np.full(n, np.nan)
    stats = HourlyStats(
        hours=np.array(hours, np.int64), value=np.array(kwh), mean=nan, min=nan, max=nan,
        measured_s=np.full(n, 3600.0), estimated_s=np.zeros(n), missing_s=np.zeros(n),
        flags=np.zeros(n, np.int64), n=np.ones(n, np.int64),
    )  # fmt: skip
    point = QueryRepo(store).point(tenant=Tenant.park_wide(), code=code)
    with store.begin() as conn:
        StatsRepo(store).write_hours(conn, point.id, stats, now=0)


def _march_hours() -> list[int]:
    start = _hour(1, 0)
    return [start + i * 3_600_000_000 for i in range(31 * 24)]


@pytest.fixture
def costed(loaded: Store) -> Store:
    """March 2025 complete for E01-main (10 kWh every hour) and E02-main (20 kWh, 30 kWh at
    local 09:00 on the 3rd); E01-hvac (a sub-meter, not boundary) 99 kWh that must not count."""
    hours = _march_hours()
    _write(loaded, "E01-main", hours, [10.0] * len(hours))
    e02 = [20.0] * len(hours)
    e02[2 * 24 + 9] = 30.0
    _write(loaded, "E02-main", hours, e02)
    _write(loaded, "E01-hvac", hours, [99.0] * len(hours))
    return loaded


def _ent_principal(store: Store, code: str) -> Principal:
    ents, _ = QueryRepo(store).enterprises(
        tenant=Tenant.park_wide(), park_id=store.registry.park().id
    )
    ent = next(e for e in ents if e.code == code)
    return Principal(subject=f"u-{code}", role=Role.ENTERPRISE_ADMIN, enterprise_id=ent.id)


def test_cost_without_assignment_says_no_tariff(costed: Store) -> None:
    r = service.cost(costed, principal=SYSTEM, scope="park", subject=None, start="2025-03")
    assert r.status == "no_tariff" and r.months == []


def test_enterprise_and_park_cost_of_march(costed: Store) -> None:
    service.assign(
        costed,
        principal=SYSTEM,
        effective_from="2025-01",
        tariff_id="demo-js-synthetic",
        basic_basis="demand",
    )
    # March (not a 尖峰 month), per day: 低谷 8 h, 高峰 8 h (08-11, 17-22), 平段 8 h (11-17, 22-24)
    # E01: 10 kWh/h × 31 days → 低谷 2480, 高峰 2480, 平段 2480 kWh
    #   energy cost = 2480 × (0.3 + 1.0 + 0.6) = 4712 元; max demand 10 kW → 10 × 40 = 400 元
    r = service.cost(costed, principal=SYSTEM, scope="enterprise", subject="E01", start="2025-03")
    assert r.status == "ok" and r.assigned_to == "park"
    assert r.points == ["E01-main"]  # not the sub-meter E01-hvac, not the kW point
    (m,) = r.months
    assert m.energy_kwh == pytest.approx({"低谷": 2480.0, "高峰": 2480.0, "平段": 2480.0})
    assert m.total_cost == pytest.approx(4712.0)
    assert r.basic["2025-03"]["amount"] == pytest.approx(400.0)
    # park: E01 + E02 = 30 kWh/h, plus 10 kWh more at 09:00 on 3 March (高峰)
    #   高峰 7440 + 10 = 7450 kWh × 1.0, 低谷 7440 × 0.3, 平段 7440 × 0.6
    #   = 7450 + 2232 + 4464 = 14146 元; max demand 40 kW → 1600 元
    p = service.cost(costed, principal=SYSTEM, scope="park", subject=None, start="2025-03")
    (pm,) = p.months
    assert pm.total_cost == pytest.approx(14146.0)
    assert p.basic["2025-03"]["amount"] == pytest.approx(1600.0)


def test_missing_hours_are_reported_not_zeroed(loaded: Store) -> None:
    service.assign(
        loaded, principal=SYSTEM, effective_from="2025-01", tariff_id="demo-js-synthetic"
    )
    hours = _march_hours()[:24]  # only 1 March
    _write(loaded, "E01-main", hours, [10.0] * 24)
    r = service.cost(loaded, principal=SYSTEM, scope="point", subject="E01-main", start="2025-03")
    (m,) = r.months
    # 744 hours in March, 24 known: 720 missing; the cost covers the known day only
    # 1 March: 8 h × 10 × (0.3 + 1.0 + 0.6) = 152 元
    assert (m.hours, m.missing_hours) == (744, 720)
    assert m.total_cost == pytest.approx(152.0)
    assert m.status == "incomplete" and r.status == "incomplete"  # 152 元 is a lower bound
    # April has no known hour: no cost at all (None, a gap in the chart), not 0 元
    r = service.cost(loaded, principal=SYSTEM, scope="point", subject="E01-main", start="2025-03",
                     months=2)  # fmt: skip
    april = r.months[1]
    assert (april.status, april.total_cost, april.missing_hours) == ("no_data", None, 720)
    assert r.status == "incomplete"
    from lingtan.web.costs_pages import _chart

    chart = _chart(r, "en")
    assert all(t["y"][1] is None for t in chart["traces"])
    assert chart["missing_hours"] == [720, 720]


def test_point_scope_refuses_a_gas_meter_and_bad_months(costed: Store) -> None:
    service.assign(
        costed, principal=SYSTEM, effective_from="2025-01", tariff_id="demo-js-synthetic"
    )
    with pytest.raises(InvalidInput, match="natural_gas") as err:
        service.cost(costed, principal=SYSTEM, scope="point", subject="E02-gas", start="2025-03")
    assert err.value.field == "id"
    with pytest.raises(InvalidInput) as err:
        service.cost(costed, principal=SYSTEM, scope="park", subject=None, start="2025-13")
    assert err.value.field == "start"


def test_enterprise_user_sees_only_its_own_costs_and_bills(costed: Store) -> None:
    service.assign(
        costed, principal=SYSTEM, effective_from="2025-01", tariff_id="demo-js-synthetic"
    )
    e02 = _ent_principal(costed, "E02")
    with pytest.raises(NotFound):
        service.cost(costed, principal=e02, scope="enterprise", subject="E01", start="2025-03")
    with pytest.raises(NotFound):
        service.cost(costed, principal=e02, scope="point", subject="E01-main", start="2025-03")
    # the park scope of an enterprise user covers its own points only
    r = service.cost(costed, principal=e02, scope="park", subject=None, start="2025-03")
    assert r.points == ["E02-main"]
    with pytest.raises(PermissionDenied):
        service.assign(costed, principal=e02, tariff_id="demo-js-synthetic")
    b = service.import_bill(
        costed, principal=SYSTEM,
        data={"month": "2025-03", "enterprise": "E01", "energy_kwh": {"低谷": 2480},
              "total_amount": 5000, "reference": "B-1"},
    )  # fmt: skip
    assert service.bills(costed, principal=e02) == []
    with pytest.raises(NotFound):
        service.check_bill(costed, principal=e02, bill_id=b.id)


def test_bill_check_within_and_outside_tolerance(costed: Store) -> None:
    service.assign(
        costed, principal=SYSTEM, effective_from="2025-01", tariff_id="demo-js-synthetic"
    )
    # E01 metered in March: 2480 kWh in each period, 4712 元, max demand 10 kW
    data = {
        "month": "2025-03", "enterprise": "E01", "reference": "JS-2025-03-001",
        "kwh_低谷": "2480", "kwh_高峰": "2500", "kwh_平段": "2400",
        "energy_amount": "4700", "max_demand_kw": "10", "total_amount": "5100",
    }  # fmt: skip
    b = service.import_bill(costed, principal=SYSTEM, data=data)
    with pytest.raises(Conflict):
        service.import_bill(costed, principal=SYSTEM, data=data)
    check = service.check_bill(costed, principal=SYSTEM, bill_id=b.id, tolerance=0.02)
    lines = {line.item: line for line in check.lines}
    # 高峰: 2480 − 2500 = −20 kWh, −0.8 % → ok; 平段: 2480 − 2400 = +80, +3.33 % → differs
    assert lines["kwh_高峰"].status == "ok"
    assert lines["kwh_高峰"].difference == pytest.approx(-20.0)
    assert lines["kwh_平段"].status == "differs"
    assert lines["kwh_平段"].relative == pytest.approx(80 / 2400)
    # energy amount 4712 vs 4700: +12 元, +0.26 % → ok; demand equal → ok
    assert lines["energy_amount"].difference == pytest.approx(12.0)
    assert lines["energy_amount"].status == "ok"
    assert lines["max_demand_kw"].status == "ok"
    assert check.status == "differs"
    # a 5 % tolerance accepts the 平段 line too
    assert service.check_bill(costed, principal=SYSTEM, bill_id=b.id, tolerance=0.05).status == "ok"


def test_bill_fields_are_validated_by_name(costed: Store) -> None:
    base = {"month": "2025-03", "energy_kwh": {"高峰": 1}, "total_amount": 1, "reference": "x"}
    for field, value in [
        ("month", "2025-3"),
        ("total_amount", "abc"),
        ("energy_kwh", {"峰段": 1}),
        ("reference", ""),
        ("max_demand_kw", -1),
        ("total_amount", math.inf),
    ]:
        with pytest.raises(InvalidInput) as err:
            service.import_bill(costed, principal=SYSTEM, data={**base, field: value})
        assert err.value.field == field


def _settle(store: Store, sid: str, buyer: str, kwh: float, price: float | None) -> None:
    """Store a settlement as the ledger does (the ledger's caps against metered consumption are
    the greenpower tests' subject; this park's rollups are not built here)."""
    from lingtan.greenpower.ledger import Month, TradeSettlement
    from lingtan.store.greenpower_repo import GreenpowerRepo

    park = store.registry.park()
    ents = {e.code: e.id for e in store.registry.enterprises(park.id)}
    t = TradeSettlement(
        settlement_id=sid, buyer=buyer, level="enterprise", park=park.code,
        month=Month.parse("2025-03"), kwh=kwh, seller_project="风电场", price=price,
    )  # fmt: skip
    with GreenpowerRepo(store).session(
        park_id=park.id, park=park.code, enterprise_ids=ents, actor="test", now=0
    ) as session:
        session.add_settlement(t)


def test_green_power_trades_are_costed_at_their_settled_price(costed: Store) -> None:
    from lingtan.greenpower.ledger import Month, TradeSettlement

    service.assign(
        costed, principal=SYSTEM, effective_from="2025-01", tariff_id="demo-js-synthetic"
    )
    _settle(costed, "T1", "E01", 1000.0, 0.45)
    _settle(costed, "T2", "E01", 500.0, None)
    _settle(costed, "T3", "E02", 200.0, 0.5)
    with pytest.raises(InvalidInput) as err:
        TradeSettlement(settlement_id="T4", buyer="E01", level="enterprise", park="p",
                        month=Month.parse("2025-03"), kwh=1.0, seller_project="x", price=-1.0)  # fmt: skip
    assert err.value.field == "price"
    # E01: 1000 kWh × 0.45 = 450 元 priced, 500 kWh without a price (unknown, not zero)
    r = service.cost(costed, principal=SYSTEM, scope="enterprise", subject="E01", start="2025-03")
    assert r.green["2025-03"] == pytest.approx(
        {"kwh": 1500.0, "cost": 450.0, "unpriced_kwh": 500.0}
    )
    # park: + E02's 200 kWh × 0.5 = 100 元 → 550 元
    p = service.cost(costed, principal=SYSTEM, scope="park", subject=None, start="2025-03")
    assert p.green["2025-03"] == pytest.approx(
        {"kwh": 1700.0, "cost": 550.0, "unpriced_kwh": 500.0}
    )
    # E02's user sees its own trade only, in the park scope too
    mine = service.cost(costed, principal=_ent_principal(costed, "E02"), scope="park", subject=None,
                        start="2025-03")  # fmt: skip
    assert mine.green["2025-03"] == pytest.approx(
        {"kwh": 200.0, "cost": 100.0, "unpriced_kwh": 0.0}
    )


def _peaky(store: Store) -> None:
    """March 2025 complete: E01-main 10 kWh/h but 25 kWh at local 05:00 on 1 March (低谷);
    E02-main 20 kWh/h but 30 kWh at local 09:00 on 3 March (高峰) — the two peaks do not
    coincide."""
    hours = _march_hours()
    e01 = [10.0] * len(hours)
    e01[5] = 25.0
    e02 = [20.0] * len(hours)
    e02[2 * 24 + 9] = 30.0
    _write(store, "E01-main", hours, e01)
    _write(store, "E02-main", hours, e02)


def test_park_demand_charge_is_the_sum_of_each_accounts_own_peak(loaded: Store) -> None:
    _peaky(loaded)
    service.assign(loaded, principal=SYSTEM, effective_from="2025-01",
                   tariff_id="demo-js-synthetic", basic_basis="demand")  # fmt: skip
    p = service.cost(loaded, principal=SYSTEM, scope="park", subject=None, start="2025-03")
    # each account is billed on its own maximum demand: E01 25 kW + E02 30 kW = 55 kW
    #   × 40 元/kW·月 = 2200 元 (the coincident peak of the sum, max(25 + 20, 10 + 30) = 45 kW,
    #   would give 1800 元)
    assert p.basic["2025-03"]["amount"] == pytest.approx(2200.0)
    assert p.basic["2025-03"]["status"] == "ok"
    assert [a.owner for a in p.accounts] == ["E01", "E02"]
    assert p.months[0].max_demand_kw == pytest.approx(45.0)  # the coincident peak, shown only


def test_park_cost_uses_each_enterprises_own_tariff(loaded: Store) -> None:
    _peaky(loaded)
    service.assign(loaded, principal=SYSTEM, effective_from="2025-01",
                   tariff_id="demo-js-synthetic", basic_basis="demand")  # fmt: skip
    service.assign(loaded, principal=SYSTEM, effective_from="2025-01", enterprise="E02",
                   tariff_id="demo-js-synthetic", basic_basis="capacity", capacity_kva=100.0)  # fmt: skip
    p = service.cost(loaded, principal=SYSTEM, scope="park", subject=None, start="2025-03")
    # E01 under the park's assignment: demand 25 kW × 40 = 1000 元;
    # E02 under its own: capacity 100 kVA × 25 元/kVA·月 = 2500 元 → 3500 元
    assert p.basic["2025-03"]["amount"] == pytest.approx(3500.0)
    # energy: E01 2480 kWh per period + 15 kWh more 低谷: 2480 × 1.9 + 15 × 0.3 = 4716.5 元;
    # E02 4960 kWh per period + 10 kWh more 高峰: 4960 × 1.9 + 10 × 1.0 = 9434 元 → 14150.5 元
    assert p.months[0].total_cost == pytest.approx(14150.5)
    # E02's own record has no energy price: the park's month cannot be priced (the park's
    # record alone would have priced it at 14150.5 元)
    service.assign(loaded, principal=SYSTEM, effective_from="2025-01", enterprise="E02",
                   tariff_id="cn-js-large-industry")  # fmt: skip
    p = service.cost(loaded, principal=SYSTEM, scope="park", subject=None, start="2025-03")
    assert (p.status, p.months[0].total_cost) == ("no_price", None)
    e01, e02 = p.accounts
    assert e01.months[0].total_cost == pytest.approx(4716.5)
    assert e02.months[0].tariff == "cn-js-large-industry@1"


def test_a_notice_record_gives_basic_charges_while_its_energy_is_unpriced(
    loaded: Store,
) -> None:
    _peaky(loaded)
    # 山东 v2 (from 2025-01): 需量 40.0 元/kW·月, 容量 25.0 元/kVA·月 (山东电网输配电价表, two-part
    # 1~10（20）千伏); no monthly base price: the energy cost is no_price, never 0
    service.assign(loaded, principal=SYSTEM, effective_from="2025-01",
                   tariff_id="cn-sd-industry-commerce", basic_basis="demand")  # fmt: skip
    service.assign(loaded, principal=SYSTEM, effective_from="2025-01", enterprise="E02",
                   tariff_id="cn-sd-industry-commerce", basic_basis="capacity",
                   capacity_kva=1000.0)  # fmt: skip
    p = service.cost(loaded, principal=SYSTEM, scope="park", subject=None, start="2025-03")
    (m,) = p.months
    assert (m.status, m.total_cost, m.tariff) == ("no_price", None, "cn-sd-industry-commerce@2")
    # E01 on demand: 25 kW × 40.0 = 1,000 元; E02 on capacity: 1,000 kVA × 25.0 = 25,000 元
    e01, e02 = (p.basic["2025-03"]["accounts"][k] for k in ("E01", "E02"))
    assert (e01["basis"], e01["amount"], e01["status"]) == ("demand", pytest.approx(1000.0), "ok")
    assert (e02["basis"], e02["amount"]) == ("capacity", pytest.approx(25_000.0))
    assert p.basic["2025-03"]["amount"] == pytest.approx(26_000.0)
    assert p.basic["2025-03"]["status"] == "ok"


def _versions(monkeypatch: pytest.MonkeyPatch) -> None:
    """demo-js-synthetic v1 valid until 2025-03-01 (exclusive), v2 from then with every price
    doubled."""
    from lingtan.tariffs import records

    v1 = records.find("demo-js-synthetic", 1)
    old = v1.model_copy(update={"valid_to": dt.date(2025, 3, 1)})
    new = v1.model_copy(
        update={"version": 2, "valid_from": dt.date(2025, 3, 1),
                "prices": {k: 2 * v for k, v in v1.prices.items()}}
    )  # fmt: skip
    shipped = (*(r for r in records.shipped() if r.id != v1.id), old, new)
    monkeypatch.setattr(records, "shipped", lambda: shipped)


def test_each_month_is_priced_by_the_version_valid_in_it(
    costed: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    _versions(monkeypatch)
    service.assign(
        costed, principal=SYSTEM, effective_from="2025-01", tariff_id="demo-js-synthetic"
    )
    r = service.cost(costed, principal=SYSTEM, scope="enterprise", subject="E01", start="2025-02",
                     months=2)  # fmt: skip
    feb, march = r.months
    assert (feb.tariff, march.tariff) == ("demo-js-synthetic@1", "demo-js-synthetic@2")
    # March under v2: 2480 kWh per period × 2 × (0.3 + 1.0 + 0.6) = 9424 元 (v1: 4712 元)
    assert march.total_cost == pytest.approx(9424.0)
    # a record pinned to v1 is not valid in March 2025: no cost, a status saying why
    service.assign(costed, principal=SYSTEM, effective_from="2025-03", version=1,
                   tariff_id="demo-js-synthetic")  # fmt: skip
    r = service.cost(costed, principal=SYSTEM, scope="enterprise", subject="E01", start="2025-03")
    assert (r.status, r.months[0].status, r.months[0].total_cost) == (
        "tariff_not_valid",
        "tariff_not_valid",
        None,
    )


def test_an_old_month_keeps_the_assignment_in_force_then(costed: Store) -> None:
    service.assign(
        costed, principal=SYSTEM, effective_from="2025-01", tariff_id="demo-js-synthetic"
    )
    # assigned later, applying from April: March keeps the demo record (4712 元, see above)
    service.assign(
        costed, principal=SYSTEM, effective_from="2025-04", tariff_id="cn-js-large-industry"
    )
    r = service.cost(costed, principal=SYSTEM, scope="enterprise", subject="E01", start="2025-03",
                     months=2)  # fmt: skip
    march, april = r.months
    assert march.tariff == "demo-js-synthetic@1" and march.total_cost == pytest.approx(4712.0)
    assert april.tariff == "cn-js-large-industry@1" and april.status == "no_price"
    # before the first assignment's month there is no tariff: 2024-12
    r = service.cost(costed, principal=SYSTEM, scope="enterprise", subject="E01", start="2024-12")
    assert r.status == "no_tariff"
    # the demo record is valid from 2020-01-01: an assignment from 2019 cannot price 2019-12
    service.assign(
        costed, principal=SYSTEM, effective_from="2019-01", tariff_id="demo-js-synthetic"
    )
    r = service.cost(costed, principal=SYSTEM, scope="enterprise", subject="E01", start="2019-12")
    assert r.months[0].status == "tariff_not_valid"
    with pytest.raises(InvalidInput) as err:
        service.assign(
            costed, principal=SYSTEM, effective_from="2025-13", tariff_id="demo-js-synthetic"
        )
    assert err.value.field == "effective_from"


def test_bill_check_compares_a_billed_period_the_tariff_lacks_with_zero(costed: Store) -> None:
    service.assign(
        costed, principal=SYSTEM, effective_from="2025-01", tariff_id="demo-js-synthetic"
    )
    # E01's March is complete: 2480 kWh in each of 低谷, 高峰, 平段; the demo record has no 深谷
    # and March no 尖峰, so a bill with 100 kWh 深谷 and 50 kWh 尖峰 differs: metered 0 − 100
    # and 0 − 50 kWh
    b = service.import_bill(costed, principal=SYSTEM, data={
        "month": "2025-03", "enterprise": "E01", "reference": "X-1", "total_amount": 5000,
        "energy_kwh": {"低谷": 2480, "高峰": 2480, "平段": 2480, "深谷": 100, "尖峰": 50}})  # fmt: skip
    check = service.check_bill(costed, principal=SYSTEM, bill_id=b.id)
    lines = {line.item: line for line in check.lines}
    assert (lines["kwh_深谷"].metered, lines["kwh_深谷"].difference) == (0.0, -100.0)
    assert lines["kwh_深谷"].status == "differs"
    assert (lines["kwh_尖峰"].metered, lines["kwh_尖峰"].status) == (0.0, "differs")
    assert check.status == "differs"
