"""The cost of whole months from aggregates (energy per local month and time of day, then
priced) against the hour-by-hour definition (:func:`lingtan.tariffs.cost.costs`): by hand on a
small series, on random years in three zones, and on a stored park of several accounts."""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from lingtan.identity.roles import SYSTEM
from lingtan.registry import parse_park_text
from lingtan.store import Store
from lingtan.tariffs import records, service
from lingtan.tariffs.cost import MonthCost, costs, month_costs, pieces
from tests.tariffs.test_service import _versions, _write

SH = ZoneInfo("Asia/Shanghai")
DEMO = records.find("demo-js-synthetic")  # 尖峰 1.25, 高峰 1.0, 平段 0.6, 低谷 0.3 元/kWh
HOUR = 3_600_000_000
CENT = 0.005


def _us(y: int, m: int, d: int, h: int, zone: ZoneInfo = SH) -> int:
    return int(dt.datetime(y, m, d, h, tzinfo=zone).timestamp() * 1_000_000)


def _same(a: MonthCost, b: MonthCost) -> None:
    """Equal months: the counts and status exactly, energy and cost per period to the cent."""
    assert (a.month, a.hours, a.missing_hours, a.status, a.tariff) == (
        b.month, b.hours, b.missing_hours, b.status, b.tariff,
    )  # fmt: skip
    assert a.prices == b.prices
    assert a.energy_kwh.keys() == b.energy_kwh.keys() and a.cost.keys() == b.cost.keys()
    for p in a.energy_kwh:
        assert abs(a.energy_kwh[p] - b.energy_kwh[p]) < CENT, p
    for p in a.cost:
        assert abs(a.cost[p] - b.cost[p]) < CENT, p
    if a.max_demand_kw is None:
        assert b.max_demand_kw is None
    else:
        assert b.max_demand_kw == pytest.approx(a.max_demand_kw)


def test_two_days_of_march_by_hand_and_hour_by_hour() -> None:
    # the same local hours on two days (the aggregate adds them before pricing):
    #   07:00 低谷: 40 + 44 kWh = 84 kWh × 0.3 = 25.2 元
    #   08:00 高峰: 50 kWh + unknown = 50 kWh × 1.0 = 50.0 元 (one hour missing)
    #   12:00 平段: 30 + 36 kWh = 66 kWh × 0.6 = 39.6 元
    # March: 200 kWh, 114.8 元, 6 hours of which 1 missing (incomplete), max demand 50 kW
    hours = [_us(2025, 3, d, h) for d in (10, 11) for h in (7, 8, 12)]
    energy = [40.0, 50.0, 30.0, 44.0, math.nan, 36.0]
    (m,) = month_costs(DEMO, hours, energy, SH)
    assert m.energy_kwh == pytest.approx({"低谷": 84.0, "高峰": 50.0, "平段": 66.0})
    assert m.cost == pytest.approx({"低谷": 25.2, "高峰": 50.0, "平段": 39.6})
    assert m.total_cost == pytest.approx(114.8)
    assert (m.hours, m.missing_hours, m.max_demand_kw, m.status) == (6, 1, 50.0, "incomplete")
    _, (ref,) = costs(DEMO, hours, energy, SH)
    _same(ref, m)


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "Asia/Kolkata", "Europe/Berlin"])
def test_a_random_year_costs_the_same_as_hour_by_hour(zone: str) -> None:
    # Kolkata (+05:30) splits every hour between two periods of the whole-hour schedules;
    # Berlin changes its offset twice a year (days of 23 and 25 hours)
    z = ZoneInfo(zone)
    start = _us(2025, 1, 1, 0, z)
    hours = [start + k * HOUR for k in range(8760)]
    rng = np.random.default_rng(7)
    energy = rng.uniform(0.0, 900.0, 8760)
    energy[rng.random(8760) < 0.03] = np.nan
    energy[24 * 40 : 24 * 69] = np.nan  # no known hour in most of February
    for tariff in records.shipped():
        _, reference = costs(tariff, hours, energy.tolist(), z)
        aggregated = month_costs(tariff, hours, energy.tolist(), z)
        assert len(aggregated) == len(reference) == 12
        for ref, agg in zip(reference, aggregated, strict=True):
            _same(ref, agg)


def test_pieces_split_at_month_starts_and_at_an_offset_change() -> None:
    # Berlin: +01:00 until 2025-03-30 01:00 UTC, +02:00 after; March and April local
    berlin = ZoneInfo("Europe/Berlin")
    utc = dt.UTC
    got = pieces(_us(2025, 3, 1, 0, berlin), _us(2025, 5, 1, 0, berlin), berlin)

    def us(*a: int) -> int:
        return int(dt.datetime(*a, tzinfo=utc).timestamp() * 1_000_000)

    assert [(p.start_us, p.end_us, p.month, p.offset_us // HOUR) for p in got] == [
        (us(2025, 2, 28, 23), us(2025, 3, 30, 1), "2025-03", 1),
        (us(2025, 3, 30, 1), us(2025, 3, 31, 22), "2025-03", 2),
        (us(2025, 3, 31, 22), us(2025, 4, 30, 22), "2025-04", 2),
    ]


PARK = """\
park:
  id: agg-park
  name: 聚合测试园区
  province: 江苏
enterprises:
  - id: E01
    name: 甲
  - id: E02
    name: 乙
points:
  - id: E01-a
    carrier: electricity_grid_import
    kind: total_increasing
    unit: kWh
    enterprise: E01
  - id: E01-b
    carrier: electricity_grid_import
    kind: total_increasing
    unit: MWh
    enterprise: E01
  - id: E02-main
    carrier: electricity_grid_import
    kind: total_increasing
    unit: kWh
    enterprise: E02
  - id: P-main
    carrier: electricity_grid_import
    kind: total_increasing
    unit: kWh
"""


def test_a_stored_park_costs_the_same_as_hour_by_hour(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three accounts (E01 of two meters, one in MWh; E02; the park's own meter), hours
    missing, February and March under two versions of the record, E02 from March under an
    assignment of its own: each account, the park and 基本电费 equal the per-hour method on the
    series written here."""
    _versions(monkeypatch)  # v1 in February, v2 (prices doubled) from March
    store.registry.save_park(parse_park_text(PARK))
    start, end = _us(2025, 2, 1, 0), _us(2025, 4, 1, 0)
    hours = list(range(start, end, HOUR))
    n = len(hours)
    rng = np.random.default_rng(3)
    kwh = {
        "E01-a": rng.uniform(5.0, 60.0, n),
        "E01-b": rng.uniform(0.01, 0.08, n),  # MWh
        "E02-main": rng.uniform(10.0, 90.0, n),
        "P-main": rng.uniform(1.0, 9.0, n),
    }
    gaps = {"E01-b": set(range(100, 105)), "E02-main": set(range(240, 264))}  # 5 and 11 Feb
    for code, values in kwh.items():
        keep = [k for k in range(n) if k not in gaps.get(code, set())]
        _write(store, code, [hours[k] for k in keep], [float(values[k]) for k in keep])
    for code, drop in gaps.items():
        kwh[code][sorted(drop)] = np.nan
    series = {
        "E01": kwh["E01-a"] + 1000.0 * kwh["E01-b"],
        "E02": kwh["E02-main"],
        "agg-park": kwh["P-main"],
    }
    service.assign(store, principal=SYSTEM, effective_from="2025-01",
                   tariff_id="demo-js-synthetic", basic_basis="demand")  # fmt: skip
    service.assign(store, principal=SYSTEM, effective_from="2025-03", enterprise="E02",
                   tariff_id="demo-js-synthetic", basic_basis="capacity", capacity_kva=80.0)  # fmt: skip
    v1, v2 = records.find("demo-js-synthetic", 1), records.find("demo-js-synthetic", 2)

    r = service.cost(store, principal=SYSTEM, scope="park", subject=None, start="2025-02",
                     months=2)  # fmt: skip
    assert [a.owner for a in r.accounts] == ["agg-park", "E01", "E02"]
    split = hours.index(_us(2025, 3, 1, 0))
    total = np.zeros(n)
    for account in r.accounts:
        e = series[account.owner]
        total = total + e
        _, (feb,) = costs(v1, hours[:split], e[:split].tolist(), SH)
        _, (mar,) = costs(v2, hours[split:], e[split:].tolist(), SH)
        _same(feb, account.months[0])
        _same(mar, account.months[1])
        # 基本电费: on the month's largest known hour × 40 元/kW (v2: the same rate), except
        # E02 in March: 80 kVA × 25 元/kVA
        assert account.basic["2025-02"]["amount"] == pytest.approx(feb.max_demand_kw * 40.0)
        expected = 80.0 * 25.0 if account.owner == "E02" else mar.max_demand_kw * 40.0
        assert account.basic["2025-03"]["amount"] == pytest.approx(expected)
    # the park: Σ of the accounts; an hour is missing when any account lacks it (29 hours:
    # 5 of E01-b in February, 24 of E02 on 11 February), the peak over the complete hours
    feb, mar = r.months
    assert (feb.missing_hours, mar.missing_hours) == (29, 0)
    assert feb.status == "incomplete" and mar.status == "ok"
    assert feb.max_demand_kw == pytest.approx(float(np.nanmax(total[:split])))
    assert mar.max_demand_kw == pytest.approx(float(np.nanmax(total[split:])))
    for k, month in enumerate((feb, mar)):
        parts = [a.months[k] for a in r.accounts]
        assert month.total_cost is not None
        assert abs(month.total_cost - sum(p.total_cost or 0.0 for p in parts)) < CENT
    # one month's hours (the hourly view, priced hour by hour) add up to the month
    h = service.cost(store, principal=SYSTEM, scope="enterprise", subject="E01", start="2025-03",
                     hourly=True)  # fmt: skip
    assert len(h.hourly) == n - split
    assert abs(sum(x.cost or 0.0 for x in h.hourly) - (h.months[0].total_cost or 0.0)) < CENT
