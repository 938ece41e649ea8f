"""The alarm engine on a real store: each rule kind raised and cleared by the readings that
cause it, de-duplication, settle and automatic close, escalation, suppression, tenancy.

Times are 2025-03-01 local (+08:00); expected values are worked out in the comments.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from lingtan.alarms import service as alarms
from lingtan.alarms.engine import Engine
from lingtan.alarms.model import AlarmState
from lingtan.alarms.rules import parse_rule, parse_rules
from lingtan.errors import InvalidInput
from lingtan.identity.roles import SYSTEM, Principal, Role
from lingtan.ingest import ingest
from lingtan.normalize.service import normalise_pending
from lingtan.readings import Reading
from lingtan.store import Store
from lingtan.store.alarms_repo import AlarmFilter
from lingtan.timeutil import to_us
from lingtan.wording import Wording

CST = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2025, 3, 1, 8, 0, tzinfo=CST)
MIN = dt.timedelta(minutes=1)


def _t(minutes: float) -> dt.datetime:
    return T0 + minutes * MIN


def _us(minutes: float) -> int:
    return to_us(_t(minutes))


def _rules(store: Store, *items: dict[str, Any]) -> None:
    park_id = store.registry.park().id
    alarms.save_rules(store, park_id=park_id, rules=parse_rules(items), actor="test", source="test")


def _all(store: Store, **filters: Any) -> list[Any]:
    rows, _ = alarms.list_alarms(
        store, principal=SYSTEM, filters=AlarmFilter(**filters), limit=100, offset=0
    )
    return sorted(rows, key=lambda a: a.id)


def _power(store: Store, pairs: list[tuple[float, float]]) -> None:
    ingest(store, [Reading("E01-power", _t(m), v) for m, v in pairs], now=_t(10_000))


@pytest.fixture
def engine(loaded: Store) -> Engine:
    clock = {"now": _us(0)}
    e = Engine(loaded, clock=lambda: clock["now"]).attach()
    e.clock_box = clock  # type: ignore[attr-defined]
    return e


THRESHOLD = {
    "id": "power-high",
    "name": "负荷超限",
    "kind": "threshold",
    "severity": "major",
    "scope": {"points": ["E01-power"]},
    "op": "above",
    "high": 100,
    "hold_min": 10,
    "hysteresis": 5,
}


def test_threshold_raises_after_the_hold_and_clears_past_the_hysteresis(
    loaded: Store, engine: Engine
) -> None:
    _rules(loaded, THRESHOLD)
    # 120 kW at minutes 0, 5: held 5 min < 10 — nothing yet
    _power(loaded, [(0, 120), (5, 120)])
    assert _all(loaded) == []
    # minute 10: held 10 min = hold → raised, at the sample of minute 10, since minute 0
    _power(loaded, [(10, 130)])
    (a,) = _all(loaded)
    assert (a.state, a.first_at, a.last_at, a.count) == (AlarmState.OPEN, _us(0), _us(10), 1)
    assert a.value == 130 and a.peak == 130 and a.subject_code == "E01-power"
    # 97 kW: below the limit 100 but inside the hysteresis band (100 - 5 = 95) → still open
    _power(loaded, [(15, 97)])
    assert _all(loaded)[0].state is AlarmState.OPEN
    # 94 kW <= 95 → cleared
    _power(loaded, [(20, 94)])
    (a,) = _all(loaded)
    assert a.state is AlarmState.CLEARED and a.cleared_at is not None
    actions = [e.action for e in alarms.get_alarm(loaded, principal=SYSTEM, alarm_id=a.id)[1]]
    assert actions == ["raised", "cleared"]


def test_a_condition_returning_within_the_settle_time_reopens_the_same_alarm(
    loaded: Store, engine: Engine
) -> None:
    _rules(loaded, {**THRESHOLD, "hold_min": 0, "hysteresis": 0, "settle_min": 60})
    # raise at 0, clear at 5, raise at 10, clear at 15: one alarm counted twice
    _power(loaded, [(0, 150), (5, 50), (10, 160), (15, 50)])
    (a,) = _all(loaded)
    assert a.count == 2 and a.state is AlarmState.CLEARED and a.peak == 160
    # the settle time (60 min) after the clearance passes: the tick closes it
    now = a.cleared_at + 61 * 60 * 1_000_000
    report = engine.tick(now=now)
    assert report.closed == 1
    (a,) = _all(loaded)
    assert a.state is AlarmState.CLOSED and a.closed_by == "system"
    # the next episode is a new alarm
    _power(loaded, [(20, 170)])
    assert [x.count for x in _all(loaded)] == [2, 1]


def test_re_sent_and_late_readings_do_not_raise_again(loaded: Store, engine: Engine) -> None:
    _rules(loaded, {**THRESHOLD, "hold_min": 0})
    _power(loaded, [(0, 150), (5, 50)])
    # the same readings again, and a late one before the newest: not live, ignored
    _power(loaded, [(0, 150), (5, 50), (3, 180)])
    (a,) = _all(loaded)
    assert a.count == 1


def test_rate_of_change(loaded: Store, engine: Engine) -> None:
    _rules(
        loaded,
        {
            "id": "power-step",
            "name": "负荷突变",
            "kind": "rate_of_change",
            "scope": {"points": ["E01-power"]},
            "max_step": 50,
            "within_min": 15,
            "direction": "rise",
        },
    )
    # 10 → 40 (step 30 <= 50) → 100 at minute 10: 100 - 10 = 90 > 50 within 15 min → raise
    _power(loaded, [(0, 10), (5, 40), (10, 100)])
    (a,) = _all(loaded)
    assert a.state is AlarmState.OPEN and a.last_at == _us(10)
    # minute 30: the window [15, 30) holds no sample; 100 → 100 is no step → clear
    _power(loaded, [(30, 100)])
    assert _all(loaded)[0].state is AlarmState.CLEARED


def test_freshness_raises_on_silence_and_clears_when_readings_return(
    loaded: Store, engine: Engine
) -> None:
    # E01-main reports every 15 min (default interval 900 s); factor 3 → silent > 45 min
    _rules(
        loaded,
        {
            "id": "comms",
            "name": "通信中断",
            "kind": "freshness",
            "severity": "major",
            "scope": {"points": ["E01-main"]},
            "factor": 3,
        },
    )
    ingest(loaded, [Reading("E01-main", _t(m), 100.0 + m) for m in (0, 15, 30)], now=_t(10_000))
    engine.tick(now=_us(30 + 45))  # silent exactly 45 min: not more than the limit
    assert _all(loaded) == []
    engine.tick(now=_us(30 + 46))
    (a,) = _all(loaded)
    assert a.state is AlarmState.OPEN and a.first_at == _us(30)
    ingest(loaded, [Reading("E01-main", _t(90), 190.0)], now=_t(10_000))
    (a,) = _all(loaded)
    assert a.state is AlarmState.CLEARED


def test_a_silence_inside_replayed_data_is_recorded_as_raised_and_cleared(
    loaded: Store, engine: Engine
) -> None:
    _rules(
        loaded,
        {"id": "comms", "name": "通信中断", "kind": "freshness",
         "scope": {"points": ["E01-main"]}, "factor": 3},
    )  # fmt: skip
    # a gateway replays its buffer: readings at 0, 15, then 120 (a 105-min silence > 45)
    ingest(loaded, [Reading("E01-main", _t(m), 100.0 + m) for m in (0, 15, 120)], now=_t(10_000))
    (a,) = _all(loaded)
    # the silence began at the reading of minute 15 and ended at minute 120
    assert a.state is AlarmState.CLEARED and a.first_at == _us(15)
    assert a.last_at == _us(120)


def test_quarantined_reading_raises_a_quality_alarm_until_a_good_one(
    loaded: Store, engine: Engine
) -> None:
    _rules(
        loaded,
        {"id": "bad-data", "name": "数据质量", "kind": "quality",
         "scope": {"points": ["E01-main"]}, "conditions": ["rejected"]},
    )  # fmt: skip
    ingest(loaded, [Reading("E01-main", _t(0), 100.0), Reading("E01-main", _t(15), 90.0, unit="kWh")],
           now=_t(10_000))  # fmt: skip
    assert _all(loaded) == []  # a drop is a reset of a register, not a rejected reading
    ingest(loaded, [Reading("E01-main", _t(30), "ERR")], now=_t(10_000))
    (a,) = _all(loaded)
    assert (
        a.state is AlarmState.OPEN
        and a.message == "E01-main: a reading was quarantined (bad_value)"
    )
    assert Wording("zh-CN").text(a.message) == "E01-main：读数被隔离（数值无效）"
    ingest(loaded, [Reading("E01-main", _t(45), 120.0)], now=_t(10_000))
    assert _all(loaded)[0].state is AlarmState.CLEARED


def test_hourly_threshold_and_quality_flags_from_the_statistics(
    loaded: Store, engine: Engine
) -> None:
    _rules(
        loaded,
        {"id": "hour-high", "name": "小时用电超限", "kind": "threshold", "on": "hour",
         "scope": {"points": ["E01-main"]}, "op": "above", "high": 300},
        {"id": "resets", "name": "表码复位", "kind": "quality",
         "scope": {"points": ["E01-main"]}, "conditions": ["reset"]},
    )  # fmt: skip
    # register every 15 min: hour 08-09 +100 kWh per quarter = 400 kWh (> 300);
    # hour 09-10 +50 per quarter = 200; at 10:15 the register drops to 5 (a reset)
    regs = [1000 + 100 * k for k in range(5)]  # 08:00 … 09:00
    regs += [regs[-1] + 50 * k for k in range(1, 5)]  # 09:15 … 10:00
    regs += [5.0, 55.0, 105.0, 155.0, 205.0]  # 10:15 … 11:15
    ingest(loaded, [Reading("E01-main", _t(15 * k), v) for k, v in enumerate(regs)], now=_t(10_000))
    normalise_pending(loaded)
    engine.tick(now=_us(6 * 60))  # 14:00: hours up to 13:00 are settled
    got = {a.rule_code: a for a in _all(loaded)}
    high = got["hour-high"]
    # the 08:00 hour (400 kWh) raised, judged at its end (09:00); the 09:00 hour (200) cleared
    assert high.value == pytest.approx(400.0) and high.first_at == _us(60)
    assert high.state is AlarmState.CLEARED
    assert got["resets"].message == "E01-main: data quality: reset"


def test_deviation_of_a_main_meter_from_its_sub_meter(loaded: Store, engine: Engine) -> None:
    _rules(
        loaded,
        {"id": "balance", "name": "计量平衡", "kind": "deviation",
         "scope": {"points": ["E01-main"]}, "expected": {"points": ["E01-hvac"]},
         "max_pct": 50},
    )  # fmt: skip
    # main +100/h, hvac +40/h: |100 - 40| = 60 > 50 % of 40 = 20 → raise
    main = [Reading("E01-main", _t(60 * h), 1000.0 + 100 * h) for h in range(4)]
    hvac = [Reading("E01-hvac", _t(60 * h), 500.0 + 40 * h) for h in range(4)]
    ingest(loaded, main + hvac, now=_t(10_000))
    normalise_pending(loaded)
    engine.tick(now=_us(10 * 60))
    (a,) = _all(loaded)
    # the first hour judged: 100 kWh against 40 expected
    assert a.value == pytest.approx(100.0)
    assert a.message == "E01-main: 100 kWh against 40 expected, more than 50 % apart"


def test_budget_projection_of_an_enterprise(loaded: Store, engine: Engine) -> None:
    _rules(
        loaded,
        {"id": "e01-budget", "name": "甲企业月度用电预算", "kind": "budget",
         "scope": {"enterprise": "E01"}, "metric": "consumption",
         "carrier": "electricity_grid_import", "unit": "kWh", "target": 20000,
         "min_elapsed_h": 24},
    )  # fmt: skip
    # 100 kWh per hour from 2025-03-01 00:00 local through 03-03 00:00 (48 h = 4,800 kWh);
    # March has 31 days = 744 h: projected 4,800 × 744 / 48 = 74,400 kWh > 20,000 → raise
    start = dt.datetime(2025, 3, 1, tzinfo=CST)
    readings = [Reading("E01-main", start + dt.timedelta(hours=h), 100.0 * h) for h in range(49)]
    ingest(loaded, readings, now=_t(100_000))
    normalise_pending(loaded)
    engine.tick(now=to_us(start + dt.timedelta(hours=48)))
    (a,) = _all(loaded)
    assert a.subject_code == "E01" and a.enterprise_id is not None
    assert a.value == pytest.approx(74_400.0)
    assert a.evidence["used"] == pytest.approx(4_800.0)


def test_escalation_of_an_unacknowledged_major_alarm(loaded: Store, engine: Engine) -> None:
    _rules(loaded, {**THRESHOLD, "hold_min": 0, "escalate_after_min": 30})
    engine.clock_box["now"] = _us(0)  # type: ignore[attr-defined]
    _power(loaded, [(0, 150)])
    (a,) = _all(loaded)
    assert engine.tick(now=a.raised_at + 29 * 60 * 1_000_000).escalated == 0
    assert engine.tick(now=a.raised_at + 30 * 60 * 1_000_000).escalated == 1
    assert engine.tick(now=a.raised_at + 90 * 60 * 1_000_000).escalated == 0  # once
    assert _all(loaded)[0].escalated_at is not None


def test_acknowledged_alarms_are_not_escalated(loaded: Store, engine: Engine) -> None:
    _rules(loaded, {**THRESHOLD, "hold_min": 0})
    _power(loaded, [(0, 150)])
    (a,) = _all(loaded)
    a = alarms.acknowledge(loaded, principal=SYSTEM, alarm_id=a.id, comment="已派人检查")
    assert a.state is AlarmState.ACKNOWLEDGED and a.acked_by == "cli"
    assert engine.tick(now=a.raised_at + 120 * 60 * 1_000_000).escalated == 0
    with pytest.raises(Exception, match="acknowledged"):
        alarms.acknowledge(loaded, principal=SYSTEM, alarm_id=a.id, comment=None)


def test_a_maintenance_window_suppresses_and_releases(loaded: Store, engine: Engine) -> None:
    _rules(loaded, {**THRESHOLD, "hold_min": 0})
    alarms.add_suppression(
        loaded, principal=SYSTEM, starts=_us(-10), ends=_us(20), reason="检修",
        point_code="E01-power",
    )  # fmt: skip
    _power(loaded, [(0, 150), (5, 160)])
    assert _all(loaded) == []
    # the window ends while the load is still high: the tick raises it then
    engine.tick(now=_us(21))
    (a,) = _all(loaded)
    assert a.state is AlarmState.OPEN and a.first_at == _us(0)


def test_enterprise_users_see_and_acknowledge_only_their_own_alarms(
    loaded: Store, engine: Engine
) -> None:
    _rules(
        loaded,
        {**THRESHOLD, "hold_min": 0},
        {"id": "comms", "name": "通信中断", "kind": "freshness",
         "scope": {"points": ["E02-main"]}, "factor": 1},
    )  # fmt: skip
    _power(loaded, [(0, 150)])
    ingest(loaded, [Reading("E02-main", _t(0), 1.0)], now=_t(10_000))
    engine.tick(now=_us(60))
    e01, e02 = (e.id for e in loaded.registry.enterprises(loaded.registry.park().id))
    a01 = Principal("a", Role.ENTERPRISE_ADMIN, e01, user_id=1)
    a02 = Principal("b", Role.ENTERPRISE_ADMIN, e02, user_id=2)
    mine = alarms.list_alarms(loaded, principal=a01, filters=AlarmFilter(), limit=10, offset=0)[0]
    theirs = alarms.list_alarms(loaded, principal=a02, filters=AlarmFilter(), limit=10, offset=0)[0]
    assert [a.subject_code for a in mine] == ["E01-power"]
    assert [a.subject_code for a in theirs] == ["E02-main"]
    from lingtan.errors import NotFound

    with pytest.raises(NotFound):
        alarms.acknowledge(loaded, principal=a02, alarm_id=mine[0].id, comment=None)
    assert alarms.counts(loaded, principal=a01)["major"] == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"hold_min": -1}, "hold_min"),
        ({"op": "outside", "low": 200}, "low"),
        ({"high": None}, "high"),
        ({"severity": "urgent"}, "severity"),
    ],
)
def test_invalid_rules_are_refused_with_the_field_named(change: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput, match=field):
        parse_rule({**THRESHOLD, **change})


def test_a_rule_naming_an_unknown_point_is_refused(loaded: Store) -> None:
    with pytest.raises(InvalidInput, match=r"scope\.points: unknown point 'E99'"):
        _rules(loaded, {**THRESHOLD, "scope": {"points": ["E99"]}})


def test_streaming_touches_only_watched_points(loaded: Store, engine: Engine) -> None:
    """Readings of points no rule watches cost no evaluation state."""
    _rules(loaded, THRESHOLD)
    ingest(loaded, [Reading("E02-main", _t(m), float(m)) for m in range(0, 60, 15)], now=_t(10_000))
    engine.flush()
    with loaded.begin() as conn:
        states = loaded.alarms.all_conditions(conn, [r.id for r in loaded.alarms.rules()])
    assert states == {}


def test_emissions_budget_projects_the_months_inventory(loaded: Store, engine: Engine) -> None:
    """The emissions metric takes the month's inventory so far (lingtan.accounting) and
    projects it linearly: used × 744 h / 48 h for March after two days."""
    from lingtan.accounting.service import account_enterprise

    _rules(
        loaded,
        {"id": "e01-co2", "name": "甲企业月度碳排放预算", "kind": "budget",
         "scope": {"enterprise": "E01"}, "metric": "emissions", "target": 1.0,
         "min_elapsed_h": 24},
    )  # fmt: skip
    start = dt.datetime(2025, 3, 1, tzinfo=CST)
    readings = [Reading("E01-main", start + dt.timedelta(hours=h), 100.0 * h) for h in range(49)]
    ingest(loaded, readings, now=_t(100_000))
    normalise_pending(loaded)
    e01 = next(
        e.id for e in loaded.registry.enterprises(loaded.registry.park().id) if e.code == "E01"
    )
    used = account_enterprise(
        loaded, year=2025, month=3, enterprise_id=e01, persist=False
    ).inventory.emissions["total"]
    assert used > 1.0  # 4,800 kWh at a grid factor of some 0.5 tCO2/MWh is over 2 t
    engine.tick(now=to_us(start + dt.timedelta(hours=48)))
    (a,) = _all(loaded)
    assert a.evidence["used"] == pytest.approx(used)
    assert a.value == pytest.approx(used * 744 / 48)
    assert a.evidence["unit"] == "tCO2"


def test_a_collector_reporting_comms_lost_raises_at_once(loaded: Store, engine: Engine) -> None:
    """The collector's status feeds freshness rules: a device that stopped answering raises
    the alarm of its points before the silence passes the rule's limit; its readings clear it."""
    _rules(
        loaded,
        {"id": "comms", "name": "通信中断", "kind": "freshness", "severity": "major",
         "scope": {"points": ["E01-main", "E02-main"]}, "factor": 3},
    )  # fmt: skip
    ingest(loaded, [Reading("E01-main", _t(0), 100.0)], now=_t(10_000))
    # two failed polls at minute 5: well inside the 45-minute limit
    raised = engine.report_comms(["E01-main"], lost=True, at=_us(5), detail="modbus/gw-1: timeout")
    assert raised == 1
    (a,) = _all(loaded)
    assert a.state is AlarmState.OPEN and a.first_at == _us(0) and a.subject_code == "E01-main"
    assert "the collector reports comms lost (modbus/gw-1: timeout)" in a.message
    # the same report again, and the tick: still one alarm
    assert engine.report_comms(["E01-main"], lost=True, at=_us(6)) == 0
    engine.tick(now=_us(30))  # minute 30: E01's silence (30 min) is within the 45-min limit
    assert len(_all(loaded)) == 1
    ingest(loaded, [Reading("E01-main", _t(20), 110.0)], now=_t(10_000))
    e01 = next(a for a in _all(loaded) if a.subject_code == "E01-main")
    assert e01.state is AlarmState.CLEARED


def test_a_rule_scoped_by_tag_watches_the_tagged_points(store: Store) -> None:
    """Tags from the park file group points across owners: the rule watches E01-power and
    E02-gas (tagged ``critical``), not the untagged E01-main."""
    from lingtan.registry import parse_park_text
    from tests.conftest import SMALL_PARK

    text = SMALL_PARK.replace(
        "    kind: measurement\n    unit: kW\n",
        "    kind: measurement\n    unit: kW\n    tags: [critical]\n",
    ).replace(
        "    kind: interval\n    unit: m3\n",
        "    kind: interval\n    unit: m3\n    tags: [critical, gas]\n",
    )
    store.registry.save_park(parse_park_text(text))
    points = store.registry.points_by_code(refresh=True)
    assert points["E02-gas"].tags == ("critical", "gas") and points["E01-main"].tags == ()
    _rules(
        store,
        {"id": "crit", "name": "关键负荷", "kind": "freshness", "scope": {"tags": ["critical"]}},
    )
    compiled = Engine(store).compiled()
    (rule,) = compiled.rules
    assert sorted(s.code for s in rule.subjects.values()) == ["E01-power", "E02-gas"]


def test_retiring_a_rule_closes_the_alarms_it_holds(loaded: Store, engine: Engine) -> None:
    _rules(loaded, {**THRESHOLD, "hold_min": 0})
    _power(loaded, [(0, 150)])
    (a,) = _all(loaded)
    assert a.state is AlarmState.OPEN
    alarms.retire_rule(loaded, principal=SYSTEM, code="power-high")
    (a,) = _all(loaded)
    assert a.state is AlarmState.CLOSED and a.closed_by == "cli"
    events = alarms.get_alarm(loaded, principal=SYSTEM, alarm_id=a.id)[1]
    assert (events[-1].action, events[-1].detail) == ("closed", "rule retired")
    _power(loaded, [(5, 170)])  # the retired rule is no longer evaluated
    assert len(_all(loaded)) == 1
