"""Forecasts of an enterprise's and the park's hourly load (the matching energy balance) on
the hand-made park of tests/accounting/parks.py, with hand-derived seasonal-naive values."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from lingtan.errors import NotFound, PermissionDenied
from lingtan.forecast import service as svc
from lingtan.identity.roles import Principal, Role
from lingtan.store import Store
from tests.accounting.parks import add, ids, load_park

ADMIN = Principal("admin", Role.PARK_ADMIN, None, user_id=1)
FIRST = dt.date(2025, 3, 1)  # no holiday and no 调休 day from 1 March to 2 April 2025
DAYS = 32  # 1 March – 1 April 2025
#: 2025-03-26 10:00 local: E01's direct-supply meter has no reading in the incomplete test
GAP_DAY, GAP_HOUR = 25, 10


def _pv(h: int) -> float:
    return 5.0 if 8 <= h < 16 else 0.0


def _series(gap: bool = False) -> dict[str, tuple[float, ...]]:
    """E01's boundary meters hour by hour from 1 March 00:00 (local):
    grid 100 + 10 × weekday + hour, direct supply 20, own PV 5 from 08:00 to 16:00; so its
    load (grid + direct + PV) is 120 + 10 × weekday + hour + PV(hour)."""
    grid, green, pv = [], [], []
    for d in range(DAYS):
        wd = (FIRST + dt.timedelta(days=d)).weekday()
        for h in range(24):
            grid.append(100.0 + 10 * wd + h)
            green.append(20.0)
            pv.append(_pv(h))
    out = {"A-grid": tuple(grid), "A-green": tuple(green), "A-pv": tuple(pv)}
    if gap:
        k = GAP_DAY * 24 + GAP_HOUR
        out["A-green"] = (*green[:k], math.nan, *green[k + 1 :])
    return out


def _load(store: Store, gap: bool = False) -> None:
    load_park(store)
    values = _series(gap)
    if gap:
        # a reading that never came: leave the hour out of the readings
        from lingtan.ingest import ingest
        from lingtan.normalize.service import normalise_pending
        from tests.accounting.parks import readings

        rows = [r for r in readings(values, 2025, 3) if not math.isnan(r.value)]
        ack = ingest(store, rows, source="test")
        assert ack.rejected == 0, ack.reasons
        normalise_pending(store)
    else:
        add(store, values, 2025, 3)


def _e(store: Store, code: str) -> Principal:
    return Principal(code, Role.ENTERPRISE_ADMIN, ids(store)[code], user_id=7)


def test_enterprise_load_forecast_is_the_seasonal_naive_of_its_balance(store: Store) -> None:
    _load(store)
    view = svc.issue_owner_forecast(
        store, principal=ADMIN, enterprise_code="E01", issue_day=dt.date(2025, 4, 1),
        history_days=32,
    )  # fmt: skip
    run = view.run
    assert (run.subject, run.subject_code, run.point_id, run.carrier) == (
        "enterprise", "E01", None, "electricity",
    )  # fmt: skip
    assert run.enterprise_id == ids(store)["E01"]
    assert run.status == "ok", run.detail
    # the load repeats every week, so seasonal-naive makes no backtest error and is kept
    assert run.model == "seasonal_naive"
    assert run.backtest["naive"]["mae"] == pytest.approx(0.0)
    # target Wednesday 2 April (weekday 2), a workday: its comparable day is Wednesday
    # 26 March, whose load is 120 + 10 × 2 + h + PV(h) = 140 + h + PV(h)
    assert run.first_day == "2025-04-02"
    p50 = [h[2] for h in view.hours]
    assert p50 == pytest.approx([140.0 + h + _pv(h) for h in range(24)])
    # the default issue day is the last complete day of the balance: 1 April
    again = svc.issue_owner_forecast(store, principal=ADMIN, enterprise_code="E01", dry_run=True)
    assert again.run.first_day == "2025-04-02"
    listed = svc.forecasts(store, principal=ADMIN, enterprise_code="E01")
    assert [(r.id, code) for r, code in listed] == [(run.id, "E01")]
    shown = svc.forecast(store, principal=ADMIN, run_id=run.id)
    assert shown.point_code == "E01" and shown.hours[0][4] is None  # no actuals of 2 April
    # the chart's actuals before it: 30 March (a Sunday, weekday 6) 00:00 is 120 + 60 + 0
    before = svc.actuals_before(store, principal=ADMIN, view=shown)
    assert len(before) == 72 and before[0][1] == pytest.approx(180.0)


def test_an_incomplete_hour_stays_unknown(store: Store) -> None:
    _load(store, gap=True)
    tz = svc._zone(store, store.registry.park().id)
    m = svc.owner_matrix(
        store, park_id=store.registry.park().id, owners=[ids(store)["E01"]],
        carrier="electricity", first=FIRST, days=DAYS, tz=tz,
    )  # fmt: skip
    # 26 March 10:00 lacks the direct-supply meter: unknown, not grid + PV = 100 + 20 + 10 + 5
    assert math.isnan(m[GAP_DAY, GAP_HOUR])
    assert m[GAP_DAY, GAP_HOUR - 1] == pytest.approx(140.0 + 9 + 5)
    view = svc.issue_owner_forecast(
        store, principal=ADMIN, enterprise_code="E01", issue_day=dt.date(2025, 4, 1),
        history_days=32,
    )  # fmt: skip
    # 2 April 10:00 copies the unknown hour: no value, and the status says an input is missing
    assert view.run.status == "missing_inputs"
    assert view.hours[GAP_HOUR][2] is None
    assert view.hours[GAP_HOUR - 1][2] == pytest.approx(140.0 + 9 + 5)
    # the park's load adds E02 and the park's own meters, which have no March data: unknown
    park = svc.issue_owner_forecast(
        store, principal=ADMIN, enterprise_code=None, issue_day=dt.date(2025, 4, 1),
        history_days=32,
    )  # fmt: skip
    assert (park.run.subject, park.run.subject_code) == ("park", "acc-park")
    assert park.run.status == "missing_inputs" and park.hours == []


def test_an_enterprise_forecasts_and_sees_its_own_load_only(store: Store) -> None:
    _load(store)
    e01, e02 = _e(store, "E01"), _e(store, "E02")
    mine = svc.issue_owner_forecast(
        store, principal=e01, enterprise_code="E01", issue_day=dt.date(2025, 4, 1),
        history_days=32,
    )  # fmt: skip
    assert mine.run.status == "ok"
    park = svc.issue_owner_forecast(store, principal=ADMIN, enterprise_code=None, dry_run=False)
    with pytest.raises(NotFound):
        svc.issue_owner_forecast(store, principal=e02, enterprise_code="E01")
    with pytest.raises(PermissionDenied):
        svc.issue_owner_forecast(store, principal=e01, enterprise_code=None)
    with pytest.raises(NotFound):
        svc.forecasts(store, principal=e02, enterprise_code="E01")
    with pytest.raises(PermissionDenied):
        svc.forecasts(store, principal=e01, park=True)
    with pytest.raises(NotFound):
        svc.forecast(store, principal=e02, run_id=mine.run.id)
    with pytest.raises(NotFound):
        svc.forecast(store, principal=e01, run_id=park.run.id)
    assert [c for _r, c in svc.forecasts(store, principal=e01)] == ["E01"]
    assert svc.forecasts(store, principal=e02) == []
    assert {c for _r, c in svc.forecasts(store, principal=ADMIN)} == {"E01", "acc-park"}


def test_the_nightly_job_reissues_the_owners_in_scope(store: Store) -> None:
    load_park(store)
    assert svc.owner_codes(store, ADMIN) == ["E01", "E02", None]
    e01 = _e(store, "E01")
    assert svc.owner_codes(store, e01) == ["E01"]
    views = svc.issue_all(store, principal=e01, points=[], owners=True)
    # no rollups at all: stored, without values, as missing inputs
    assert [(v.run.subject, v.point_code, v.run.status) for v in views] == [
        ("enterprise", "E01", "missing_inputs")
    ]
