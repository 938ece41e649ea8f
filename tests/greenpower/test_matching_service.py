"""Matching over the store: the hand-made park of tests/accounting/parks.py (two hours of
January 2025), its certificates, the grid-factor import and the tenant scope."""

from __future__ import annotations

import datetime as dt

import pytest

from lingtan.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from lingtan.greenpower.ledger import Certificate, Month, Period
from lingtan.greenpower.matching import service as matching
from lingtan.greenpower.service import import_certificates, retire_certificates
from lingtan.store import Store
from tests.accounting.parks import ids, load_january
from tests.greenpower.clock import set_ledger_clock

TZ8 = dt.timezone(dt.timedelta(hours=8))

# Hand balance of each owner, L = grid + direct + PV − export (parks.py):
#   hour 0: E01 600 + 300 + 40 = 940, E02 1 500, park 100 + 30 − 0 = 130  → 2 570
#   hour 1: E01 400 + 200 + 60 = 660, E02   500, park 100 + 80 − 50 = 130 → 1 290
# green: E01's own PV 40/60 and direct supply 300/200 are E01's; the park PV 30/80 less the
# park's export 0/50 is pooled: 30/30 (the 50 kWh exported in hour 1 left the park).
# Every green kWh fits under some load, so the park matches 40+30+300 + 60+30+200 = 660 kWh.
LOAD = 2570 + 1290
MATCHED = 660


def test_park_matching_of_the_hand_made_park(store: Store) -> None:
    load_january(store)
    run = matching.run_matching(store, year=2025)
    report = matching.summary(run)
    total = report["park_total"]
    assert total["load_kwh"] == pytest.approx(LOAD)
    assert total["cfe_hourly"] == pytest.approx(MATCHED / LOAD)
    e01 = next(c for c in report["consumers"] if c["code"] == "E01")
    # pro rata: hour 0 residuals E01 940−40 = 900, E02 1 500, park 130 (Σ 2 530); hour 1
    # E01 660−60 = 600, E02 500, park 130 (Σ 1 230)
    e01_pv = 40 + 30 * 900 / 2530 + 60 + 30 * 600 / 1230
    january = e01["months"][0]
    assert january["matched_kwh"]["pv"] == pytest.approx(e01_pv)
    assert january["matched_kwh"]["direct"] == pytest.approx(500)
    assert e01["data_status"]["missing_grid_hours"] == 8760 - 2
    # direct supply: self-consumed 500 of E01's 1 600 kWh (31.25 % ≥ 30 %); generation unmetered
    checks = {c["quantity"]: c for c in e01["direct_supply"] if c["month"] == "2025-01"}
    use = checks["self_consumed_share_of_total_consumption"]
    assert (use["value"], use["status"]) == (pytest.approx(500 / 1600), "met")
    assert use["rule"]["verified"] is False
    assert checks["self_consumed_share_of_available_generation"]["status"] == "missing_input"
    # the location basis: Jiangsu's latest published average (2023: 0.5827 kgCO2/kWh) on the
    # grid part, E01 in January: (1 600 − 500 direct − e01_pv) × 0.5827 / 1 600
    assert report["factors"]["location_and_hourly"]["label"] == "annual"
    assert january["intensity_kg_per_kwh"]["location"] == pytest.approx(
        (1600 - 500 - e01_pv) * 0.5827 / 1600
    )


def test_priority_serves_the_listed_consumer_first(store: Store) -> None:
    load_january(store)
    run = matching.run_matching(store, year=2025, rule="priority", priority=["E02"])
    e02 = next(c for c in matching.summary(run)["consumers"] if c["code"] == "E02")
    # E02 is first for the pooled park PV: all 30 + (80 − 50 exported) kWh
    assert e02["months"][0]["matched_kwh"]["pv"] == pytest.approx(60)
    with pytest.raises(InvalidInput) as err:
        matching.run_matching(store, year=2025, rule="priority", priority=["E99"])
    assert err.value.field == "priority"


def test_a_certificate_counts_in_its_claimed_month_hours(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One 绿证 of E01 produced 2025-01, retired for January: spread over January's 744 hours,
    only the 2 hours with load take 1 000/744 kWh each. Monthly, E01's green offer (own PV 100,
    direct 500, the certificate 1 000, a share of the park PV) exceeds its 1 600 kWh, so the
    month is fully matched; hourly it gets 100 + 500 + its pooled PV + 2 000/744."""
    load_january(store)
    set_ledger_clock(monkeypatch, dt.date(2025, 2, 10))
    e01 = ids(store)["E01"]
    cert = Certificate(f"{1:032d}", "风电场B", Month(2025, 1))
    import_certificates(store, certificates=[cert], enterprise_id=e01)
    retire_certificates(
        store,
        cert_ids=[cert.cert_id],
        period=Period(Month(2025, 1), Month(2025, 1)),
        enterprise_id=e01,
    )
    report = matching.summary(matching.run_matching(store, year=2025))
    january = next(c for c in report["consumers"] if c["code"] == "E01")["months"][0]
    assert january["matched_kwh"]["certificate"] == pytest.approx(2000 / 744)
    pooled = 30 * 900 / 2530 + 30 * 600 / 1230
    assert january["monthly_matched_kwh"] == pytest.approx(1600)
    assert january["gap_kwh"] == pytest.approx(1600 - (100 + 500 + pooled + 2000 / 744))
    assert report["park_total"]["unmatched_kwh"]["certificate"] == pytest.approx(1000 - 2000 / 744)


def test_an_enterprise_sees_only_itself(store: Store) -> None:
    load_january(store)
    known = ids(store)
    run = matching.run_matching(store, year=2025, enterprise_scope=known["E02"])
    report = matching.summary(run)
    assert [c["code"] for c in report["consumers"]] == ["E02"]
    assert report["park_total"] is None
    assert matching.owner_hours(run, enterprise_id=None)["code"] == "E02"
    with pytest.raises(NotFound):
        matching.owner_hours(run, enterprise_id=known["E01"])
    with pytest.raises(PermissionDenied):
        matching.run_matching(
            store, year=2025, enterprise_scope=known["E02"], rule="priority", priority=["E01"]
        )


def test_grid_factor_series_import_and_use(store: Store) -> None:
    """A two-hour series for 江苏 2025: those hours take 0.9 and 0.1, every other hour the
    annual factor; the basis says so. Importing it again is a no-op; other values under the
    same id are refused; an enterprise user cannot import."""
    load_january(store)
    start, values = matching.parse_factor_csv(
        "hour,value\n2025-01-01T00:00:00+08:00,0.9\n2025-01-01T01:00:00+08:00,0.1\n"
    )
    args = {
        "series_id": "test.js.2025",
        "region": "江苏",
        "year": 2025,
        "start": start,
        "source": "test fixture (synthetic values)",
        "url": None,
        "url_note": "synthetic",
        "confidence": "L",
        "verified": False,
    }
    _, new = matching.import_grid_series(store, values=values, **args)  # type: ignore[arg-type]
    assert new
    _, again = matching.import_grid_series(store, values=values, **args)  # type: ignore[arg-type]
    assert not again
    with pytest.raises(Conflict):
        matching.import_grid_series(store, values=[0.5, 0.5], **args)  # type: ignore[arg-type]
    with pytest.raises(Exception, match="park-level"):
        matching.import_grid_series(store, values=values, enterprise_scope=1, **args)  # type: ignore[arg-type]
    run = matching.run_matching(store, year=2025)
    basis = run.factor_basis
    assert (basis["label"], basis["hours_hourly"]) == ("hourly+annual", 2)
    assert run.factor[:3].tolist() == [0.9, 0.1, 0.5827]


def test_a_bad_factor_csv_names_the_line() -> None:
    with pytest.raises(InvalidInput, match="line 3"):
        matching.parse_factor_csv(
            "hour,value\n2025-01-01T00:00:00+08:00,0.9\n2025-01-01T02:00:00+08:00,0.1\n"
        )
    with pytest.raises(InvalidInput, match="UTC offset"):
        matching.parse_factor_csv("hour,value\n2025-01-01T00:00:00,0.9\n")


OTHER_PARK = """\
park:
  id: other-park
  name: 另一园区
  province: 江苏
enterprises:
  - id: E01
    name: 另一企业
"""


def test_grid_factor_series_belong_to_their_park(store: Store) -> None:
    """Park acc-park imports a 江苏 2025 series; other-park (also in 江苏) keeps the annual
    factor and lists no series. Within acc-park, of a one-hour series (0.7) and a two-hour
    one (0.9, 0.1) the two-hour one covers more hours and is used even though imported first;
    a series on another basis is never used as the average factor."""
    from lingtan.registry import parse_park_text

    load_january(store)
    store.registry.save_park(parse_park_text(OTHER_PARK))
    parks = {p.code: p.id for p in store.registry.parks()}
    base = {
        "region": "江苏",
        "year": 2025,
        "source": "test fixture (synthetic values)",
        "url": None,
        "url_note": "synthetic",
        "confidence": "L",
        "verified": False,
    }
    start = dt.datetime(2025, 1, 1, tzinfo=TZ8)
    for sid, values, basis in (
        ("two.hours", [0.9, 0.1], "average"),
        ("one.hour", [0.7], "average"),
        ("marginal.three", [2.0, 2.0, 2.0], "marginal"),
    ):
        matching.import_grid_series(
            store,
            series_id=sid,
            start=start,
            values=values,
            basis=basis,
            park_id=parks["acc-park"],
            **base,  # type: ignore[arg-type]
        )
    own = matching.run_matching(store, year=2025, park_id=parks["acc-park"])
    assert own.factor[:3].tolist() == [0.9, 0.1, 0.5827]
    assert own.factor_basis["series"]["id"] == "two.hours"
    assert own.factor_basis["series_candidates"] == ["two.hours", "one.hour"]
    other = matching.run_matching(store, year=2025, park_id=parks["other-park"])
    assert other.factor_basis["label"] == "annual"
    assert other.factor[0] == pytest.approx(0.5827)
    assert matching.list_grid_series(store, park_id=parks["other-park"]) == []
    assert len(matching.list_grid_series(store, park_id=parks["acc-park"])) == 3
    # the same id in another park is that park's own series, not a conflict
    _, new = matching.import_grid_series(
        store,
        series_id="one.hour",
        start=start,
        values=[0.3],
        park_id=parks["other-park"],
        **base,  # type: ignore[arg-type]
    )
    assert new
    assert matching.run_matching(store, year=2025, park_id=parks["other-park"]).factor[0] == 0.3


def test_an_hour_missing_one_of_an_owners_meters_is_not_known(store: Store) -> None:
    """E01 gets a second grid meter that reads only in hour 0; E02 a kW grid measurement;
    the park a second grid meter in MWh reading both hours. By hand, over the 8 760 hours:
    E01's grid is complete in hour 0 only (hour 1 lacks A-grid2) → 8 759 missing; its
    incomplete grid rows are hour 1 and the valueless row the normaliser writes for the hour
    after the last reading → 2. E02's kW rows are no energy → 8 758 missing and only that
    trailing row incomplete → 1. The park's kWh and MWh meters are both complete in two hours
    → 8 758 missing (counting both units' rows would give 8 756)."""
    from lingtan.registry import parse_park_text
    from tests.accounting.parks import JANUARY, PARK, add

    extra = (
        "  - {id: A-grid2, carrier: electricity_grid_import, kind: interval, unit: kWh,"
        " enterprise: E01, site: S-A, interval_s: 3600}\n"
        "  - {id: B-kw, carrier: electricity_grid_import, kind: measurement, unit: kW,"
        " enterprise: E02}\n"
        "  - {id: P-grid2, carrier: electricity_grid_import, kind: interval, unit: MWh,"
        " site: S-P, interval_s: 3600}\n"
    )
    store.registry.save_park(parse_park_text(PARK + extra))
    add(store, {**JANUARY, "A-grid2": (10,), "B-kw": (900, 800), "P-grid2": (0.05, 0.05)}, 2025, 1)
    report = matching.summary(matching.run_matching(store, year=2025))
    status = {c["code"]: c["data_status"] for c in report["consumers"]}
    assert status["E01"]["missing_grid_hours"] == 8760 - 1
    assert status["E01"]["unknown_hours_by_carrier"]["electricity_grid_import"] == 2
    assert status["E01"]["status"] == "incomplete"
    assert status["E02"]["missing_grid_hours"] == 8760 - 2
    assert status["E02"]["unknown_hours_by_carrier"]["electricity_grid_import"] == 1
    assert status["acc-park"]["missing_grid_hours"] == 8760 - 2


def test_a_year_before_the_direct_supply_rule_reports_no_rule(store: Store) -> None:
    """The same two hours in January 2024, before the direct-supply thresholds apply (2025):
    the report is produced and E01's ratios say no_rule. ρ_use for January is still given:
    direct 300 + 200 = 500 of E01's load 940 + 660 = 1 600 kWh → 0.3125, with no threshold."""
    from tests.accounting.parks import JANUARY, add, load_park

    load_park(store)
    add(store, JANUARY, 2024, 1)
    report = matching.summary(matching.run_matching(store, year=2024))
    e01 = next(c for c in report["consumers"] if c["code"] == "E01")
    checks = {c["quantity"]: c for c in e01["direct_supply"] if c["month"] == "2024-01"}
    use = checks["self_consumed_share_of_total_consumption"]
    assert (use["status"], use["threshold"], use["rule"]) == ("no_rule", None, None)
    assert use["value"] == pytest.approx(500 / 1600)
    assert checks["self_consumed_share_of_available_generation"]["status"] == "no_rule"


def test_a_trade_of_a_buyer_no_longer_in_the_park_is_reported(store: Store) -> None:
    """A January 2025 settlement of 300 kWh for E77 (not an enterprise of the park) is not
    matched to anyone and shows as 300 kWh outside; the hourly supply of trades is 0."""
    from sqlalchemy import insert

    from lingtan.store import schema

    load_january(store)
    with store.begin() as conn:
        conn.execute(
            insert(schema.green_trade).values(
                settlement_id="T-gone",
                buyer="E77",
                level="enterprise",
                park="acc-park",
                month="2025-01",
                kwh=300.0,
                seller_project="风电场B",
                cert_ids="[]",
                recorded_at=0,
                recorded_by="test",
            )
        )
    total = matching.summary(matching.run_matching(store, year=2025))["park_total"]
    assert total["trades_outside_kwh"] == pytest.approx(300)
    assert total["supply_kwh"].get("trade", 0.0) == 0.0


STORAGE_POINTS = (
    "  - {id: P-charge, carrier: storage_charge, kind: interval, unit: kWh, site: S-P,"
    " interval_s: 3600}\n"
    "  - {id: P-discharge, carrier: storage_discharge, kind: interval, unit: kWh, site: S-P,"
    " interval_s: 3600}\n"
)


def test_the_storage_starts_the_year_with_last_years_green_charge(store: Store) -> None:
    """1 December 2024, hour 0: park PV 200, storage charge 100, grid 0 → park load
    0 + 200 − 100 = 100 takes 100 PV, the other 100 PV charge the store (η = 1): 2024 ends
    with E = 100, G = 100 kWh. January 2025 hour 0: 50 kWh discharged → 50 · 100/100 = 50 green
    (none unexplained); starting 2025 empty would make all 50 unexplained and not green."""
    from lingtan.registry import parse_park_text
    from tests.accounting.parks import JANUARY, PARK, add

    store.registry.save_park(parse_park_text(PARK + STORAGE_POINTS))
    add(store, {"P-grid": (0, 100), "P-pv": (200, 0), "P-charge": (100, 0)}, 2024, 12)
    add(store, {**JANUARY, "P-discharge": (50, 0)}, 2025, 1)
    total = matching.summary(matching.run_matching(store, year=2025, storage_efficiency=1.0))[
        "park_total"
    ]
    st = total["storage"]
    assert (st["initial_energy_kwh"], st["initial_green_kwh"]) == (100, 100)
    assert st["green_out_kwh"] == pytest.approx(50)
    assert st["unexplained_discharge_kwh"] == pytest.approx(0)


def test_certificates_count_over_their_claimed_months_as_the_ledger_does(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """E01 retires one 绿证 produced 2024-12 for 2025-01; E02 one produced 2025-01 for
    2025-01..03. As the ledger counts them (1 000 kWh pro rata by claimed months): E01 1 000 in
    January; E02 1 000/3 in each of January, February and March — 2 000 kWh claimed in 2025,
    none outside. Hourly, each January amount is spread over its 744 hours and the 2 loaded
    hours take 2/744 of it: E01 2 000/744, E02 2 · (1 000/3)/744. The monthly basis offers the
    same 2 000 kWh: January 1 000 + 1 000/3, February and March 1 000/3."""
    load_january(store)
    set_ledger_clock(monkeypatch, dt.date(2025, 4, 10))
    known = ids(store)
    december = Certificate(f"{2:032d}", "风电场B", Month(2024, 12))
    january = Certificate(f"{3:032d}", "风电场B", Month(2025, 1))
    for cert, who, last in ((december, "E01", 1), (january, "E02", 3)):
        import_certificates(store, certificates=[cert], enterprise_id=known[who])
        retire_certificates(
            store,
            cert_ids=[cert.cert_id],
            period=Period(Month(2025, 1), Month(2025, last)),
            enterprise_id=known[who],
        )
    run = matching.run_matching(store, year=2025)
    report = matching.summary(run)
    total = report["park_total"]
    assert total["certificates_outside_kwh"] == 0
    assert total["supply_kwh"]["certificate"] == pytest.approx(2000)
    assert run.monthly.supply["certificate"][:4].tolist() == pytest.approx(
        [4000 / 3, 1000 / 3, 1000 / 3, 0]
    )
    jan = {c["code"]: c["months"][0]["matched_kwh"] for c in report["consumers"]}
    assert jan["E01"]["certificate"] == pytest.approx(2000 / 744)
    assert jan["E02"]["certificate"] == pytest.approx(2 * (1000 / 3) / 744)


def test_the_generation_ratio_reads_the_declared_generation_meter(store: Store) -> None:
    """E01's direct-supply line A-green declares the project's generation meter A-gen (500 and
    400 kWh in the two hours). E01's direct supply is matched whole (300 and 200 kWh, under its
    940 and 660 kWh loads), so ρ_gen = (300 + 200) / (500 + 400) = 0.556 < 60 %: not met, over
    the 2 hours A-gen metered; January's other 742 hours are left out of both sums."""
    from lingtan.registry import parse_park_text
    from tests.accounting.parks import JANUARY, PARK, add

    line = "enterprise: E01, site: S-A, interval_s: 3600}"
    declared = PARK.replace(
        "{id: A-green, carrier: direct_green_electricity, kind: interval, unit: kWh, " + line,
        "{id: A-green, carrier: direct_green_electricity, kind: interval, unit: kWh, "
        + line.replace("}", ", generation_point: A-gen}"),
    ) + (
        "  - {id: A-gen, carrier: direct_green_electricity, kind: interval, unit: kWh,"
        " enterprise: E01, boundary: false, interval_s: 3600}\n"
    )
    assert declared.count("generation_point") == 1
    store.registry.save_park(parse_park_text(declared))
    add(store, {**JANUARY, "A-gen": (500, 400)}, 2025, 1)
    report = matching.summary(matching.run_matching(store, year=2025))
    e01 = next(c for c in report["consumers"] if c["code"] == "E01")
    gen = next(
        c
        for c in e01["direct_supply"]
        if c["month"] == "2025-01"
        and c["quantity"] == "self_consumed_share_of_available_generation"
    )
    assert gen["denominator_kwh"] == pytest.approx(900)
    assert gen["numerator_kwh"] == pytest.approx(500)
    assert (gen["value"], gen["status"]) == (pytest.approx(500 / 900), "not_met")
    assert gen["note"].startswith("742 hours")
    # the project's generation counts in no total: E01's load is unchanged (940 + 660)
    assert e01["load_kwh"] == pytest.approx(1600)


def test_a_generation_point_must_be_a_generation_meter_outside_the_totals() -> None:
    from lingtan.registry import parse_park_text
    from tests.accounting.parks import PARK

    def with_link(target: str) -> str:
        return PARK.replace(
            "unit: kWh, enterprise: E01, site: S-A, interval_s: 3600}\n  - {id: A-gas",
            f"unit: kWh, enterprise: E01, site: S-A, interval_s: 3600, generation_point: {target}}}"
            "\n  - {id: A-gas",
        )

    with pytest.raises(InvalidInput) as err:
        parse_park_text(with_link("A-pv"))  # E01's own PV counts in its totals
    assert "boundary: false" in str(err.value)
    with pytest.raises(InvalidInput) as err:
        parse_park_text(with_link("A-nowhere"))
    assert "generation_point 'A-nowhere' is not a point" in str(err.value)
    with pytest.raises(InvalidInput) as err:
        parse_park_text(PARK.replace("B-grid, carrier: electricity_grid_import, kind: interval,"
                                     " unit: kWh,", "B-grid, carrier: electricity_grid_import,"
                                     " kind: interval, unit: kWh, generation_point: A-pv,"))  # fmt: skip
    assert "direct_green_electricity lines only" in str(err.value)
