"""Stored matching runs: a run kept with its method and inputs' versions, read again as it was
after late data arrived, compared with the same method on today's data, superseded by a
recompute (history kept), and cut to an enterprise caller's own consumer."""

from __future__ import annotations

import pytest

from lingtan.errors import NotFound, PermissionDenied
from lingtan.greenpower.matching import stored
from lingtan.store import Store
from tests.accounting.parks import add, ids, load_january

# The hand-made park (tests/accounting/parks.py), January: E02's load is its grid import,
# 1 500 + 500 = 2 000 kWh; the park's 3 860 kWh (test_matching_service: 2 570 + 1 290).
E02_JANUARY = 2000.0
PARK_LOAD = 3860.0
# late data: one hour of February of E02's grid meter, 700 kWh
LATE = 700.0


def test_a_stored_run_is_read_as_stored_after_late_data(store: Store) -> None:
    load_january(store)
    first = stored.store_run(store, year=2025, note="published 2025-02-01", actor="tester")
    assert first["status"] == "current" and first["superseded"] == []
    assert first["method_version"] == stored.METHOD_VERSION
    add(store, {"B-grid": (LATE,)}, 2025, 2)

    # the stored run has not moved
    doc = stored.read_run(store, first["id"])
    e02 = next(c for c in doc["report"]["consumers"] if c["code"] == "E02")
    assert e02["load_kwh"] == pytest.approx(E02_JANUARY)
    assert doc["report"]["park_total"]["load_kwh"] == pytest.approx(PARK_LOAD)
    assert doc["inputs"]["consumers"]["E02"]["kwh"]["electricity_grid_import"] == pytest.approx(
        E02_JANUARY
    )
    hours = stored.run_hours(store, first["id"], enterprise_id=ids(store)["E02"])
    assert sum(x or 0 for x in hours["load_kwh"]) == pytest.approx(E02_JANUARY)

    # compared with today's data: only E02's inputs changed, by 700 kWh in February
    diff = stored.compare_run(store, first["id"])
    assert diff["inputs_changed"] == ["E02"]
    e02c = next(c for c in diff["consumers"] if c["code"] == "E02")
    assert e02c["load_kwh"] == [pytest.approx(E02_JANUARY), pytest.approx(E02_JANUARY + LATE)]
    february = e02c["months"][1]
    assert february["load_difference_kwh"] == pytest.approx(LATE)
    assert e02c["months"][0]["load_difference_kwh"] == pytest.approx(0.0)
    assert diff["park_total"]["load_kwh"][1] == pytest.approx(PARK_LOAD + LATE)

    # the recompute supersedes the first run, which stays readable
    second = stored.store_run(store, year=2025)
    assert second["superseded"] == [first["id"]]
    runs = {r["id"]: r for r in stored.list_runs(store, year=2025)}
    assert runs[first["id"]]["status"] == "superseded"
    assert runs[first["id"]]["superseded_by"] == second["id"]
    assert runs[second["id"]]["status"] == "current"
    again = stored.read_run(store, first["id"])
    assert again["report"]["park_total"]["load_kwh"] == pytest.approx(PARK_LOAD)
    # another method (rule) is another line of runs: nothing superseded
    other = stored.store_run(store, year=2025, rule="priority", priority=["E02"])
    assert other["superseded"] == []
    assert stored.compare_run(store, second["id"])["inputs_changed"] == []


def test_an_enterprise_reads_only_its_own_consumer_of_a_run(store: Store) -> None:
    load_january(store)
    known = ids(store)
    run_id = stored.store_run(store, year=2025, rule="priority", priority=["E02"])["id"]
    e01 = known["E01"]
    doc = stored.read_run(store, run_id, enterprise_scope=e01)
    assert [c["code"] for c in doc["report"]["consumers"]] == ["E01"]
    assert doc["report"]["park_total"] is None and doc["report"]["priority"] is None
    assert list(doc["inputs"]["consumers"]) == ["E01"] and "pool" not in doc["inputs"]
    listed = stored.list_runs(store, enterprise_scope=e01)
    assert [c["code"] for c in listed[0]["consumers"]] == ["E01"] and listed[0]["priority"] is None
    assert stored.run_hours(store, run_id, enterprise_scope=e01)["code"] == "E01"
    with pytest.raises(NotFound):
        stored.run_hours(store, run_id, enterprise_id=known["E02"], enterprise_scope=e01)
    compared = stored.compare_run(store, run_id, enterprise_scope=e01)
    assert [c["code"] for c in compared["consumers"]] == ["E01"]
    assert compared["park_total"] is None
    with pytest.raises(PermissionDenied):
        stored.store_run(store, year=2025, enterprise_scope=e01)
    with pytest.raises(NotFound):
        stored.read_run(store, run_id + 100)
