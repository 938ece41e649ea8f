"""Store-backed accounting on the hand-made park of ``tests/accounting/parks.py``.

Expected values are worked by hand in each docstring from the metered totals listed in that
module and the shipped factor records:

* 附件4 fossil electricity 0.8325 kgCO2/kWh (``annex4.electricity.fossil``);
* natural gas NCV 389.31 GJ/10^4 m3, carbon 0.0153 tC/GJ, oxidation 0.99;
* diesel NCV 42.652 GJ/t, carbon 0.0202 tC/GJ, oxidation 0.98;
* fossil heat 0.11 tCO2/GJ; 江苏 2023 grid average 0.5827 kgCO2/kWh (latest before 2025);
  national 2023 excluding market-traded non-fossil 0.6096 kgCO2/kWh;
* GB/T 2589-2020: electricity 0.1229 kgce/kWh, heat 0.03412 tce/GJ; fuels without a measured
  NCV at the annex reference coefficients, 油田天然气 (the default kind) 1.3300 kgce/m3,
  柴油 1.4571 kgce/kg.

Derived once here:

* gas: 100 m3 = 0.01 × 10^4 m3 × 389.31 = 3.8931 GJ; × 0.0153 × 0.99 × 44/12 = 0.21621888 t;
  100 m3 × 1.3300 kgce/m3 = 0.133 tce
* diesel: 0.2 t × 42.652 = 8.5304 GJ; × 0.0202 × 0.98 × 44/12 = 0.61918193 t;
  0.2 t × 1.4571 kgce/kg = 0.29142 tce
"""

from __future__ import annotations

import datetime as dt

import pytest

from lingtan.accounting import (
    MeteringOptions,
    account_building,
    account_enterprise,
    account_enterprises,
    account_park,
    account_park_and_enterprises,
    get_result,
    history,
    list_supplements,
    save_supplement,
)
from lingtan.carbon.factors import FactorSeries, default_library
from lingtan.carbon.inventory import AccountingOptions
from lingtan.errors import InvalidInput, NotFound, PermissionDenied
from lingtan.greenpower.ledger import Certificate, Month, Period
from lingtan.greenpower.service import import_certificates, retire_certificates
from lingtan.store import Store
from tests.accounting.parks import add, ids, load_january
from tests.greenpower.clock import set_ledger_clock


@pytest.fixture
def park(store: Store) -> Store:
    load_january(store)
    return store


def supplement(boundary: str = "park", **sections: object) -> dict[str, object]:
    return {"boundary": boundary, "name": "补充", "year": 2025, "province": "江苏", **sections}


def test_park_inventory_from_metered_rollups(park: Store) -> None:
    """E电 = (1000 + 2000 + 200) kWh grid × 0.8325 = 2.664 t (direct green 500 at factor 0; the
    park's export of 50 kWh falls in the hour its PV made 80 kWh, so it is non-fossil, factor 0);
    fuel = gas 0.21621888 + diesel 0.61918193 = 0.83540081; heat = 10 GJ × 0.11 = 1.1.
    Total 4.59940081 t. Energy: electricity (grid 3200 + direct 500 + PV 100 + 110 − export 50)
    = 3860 kWh × 0.1229 = 0.474394 tce (on-site PV included, the default), gas 0.133,
    diesel 0.29142, heat 10 × 0.03412 = 0.3412 → 1.240014 tce; intensity 4.59940081 /
    1.240014 = 3.7091523 tCO2/tce."""
    result = account_park(park, year=2025)
    inv = result.inventory
    assert inv.basis == "park"
    assert inv.emissions["electricity"] == pytest.approx(2.664)
    assert inv.emissions["fuel"] == pytest.approx(0.83540081)
    assert inv.emissions["heat"] == pytest.approx(1.1)
    assert inv.emissions["total"] == pytest.approx(4.59940081)
    assert inv.energy_tce == pytest.approx(1.240014)
    assert inv.intensity_tco2_per_tce == pytest.approx(3.7091523)
    assert result.activity.electricity.generated_kwh() == pytest.approx(210)
    assert any("water 20 m3" in n for n in inv.notes)  # reported, not silently dropped
    assert result.record is not None and result.record.boundary == "acc-park"
    assert set(result.record.factor_ids) == set(inv.factor_ids)
    assert "annex4.electricity.fossil" in result.record.factor_ids


def test_park_is_the_sum_of_its_owners_without_double_counting(park: Store) -> None:
    """Grid received = A-grid 1000 + B-grid 2000 + P-grid 200 = 3200 kWh: the sub-meter A-hvac
    (300 kWh, has a parent) and the virtual P-sum (A + B, boundary false) are not boundary
    points, and each boundary point belongs to one owner."""
    result = account_park(park, year=2025, persist=False)
    assert result.activity.electricity.received_kwh("grid") == pytest.approx(3200)
    assert result.activity.electricity.received_kwh("direct_non_fossil") == pytest.approx(500)
    grid = [s for s in result.sources if s.carrier == "electricity_grid_import"]
    assert sorted((s.owner, s.value) for s in grid) == [
        ("E01", 1000),
        ("E02", 2000),
        ("acc-park", 200),
    ]
    enterprises = account_enterprises(park, year=2025, persist=False)
    per_owner = sum(r.activity.electricity.received_kwh("grid") for r in enterprises)
    assert per_owner + 200 == pytest.approx(3200)
    assert result.record is None


def test_enterprise_inventory_location_and_market_based(park: Store) -> None:
    """E01: combustion = gas 0.21621888; purchased electricity (location) 1000 kWh × 0.5827 =
    0.5827; purchased heat 10 × 0.11 = 1.1; total 1.89891888. Scope 2 location = 0.5827 + 1.1;
    market = 1000 × 0.6096 + 1.1 (no certificates); the 500 kWh direct green line is 0 in both."""
    e01 = ids(park)["E01"]
    result = account_enterprise(park, enterprise_id=e01, year=2025)
    inv = result.inventory
    assert inv.basis == "enterprise" and inv.name == "甲公司"
    assert inv.emissions["total"] == pytest.approx(1.89891888)
    assert inv.scope2_location_tco2 == pytest.approx(1.6827)
    assert inv.scope2_market_tco2 == pytest.approx(1.7096)
    assert result.record is not None and result.record.enterprise_id == e01


def test_certificates_feed_market_based_and_park_electricity(
    park: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """E01 retires one certificate (1000 kWh) for January: its market-based scope 2 becomes
    (1000 − 1000) × 0.6096 + 1.1 = 1.1; the park's E电 becomes (3200 − 1000) × 0.8325 = 1.8315.
    A certificate retired for January counts in January and in the year, not in February."""
    set_ledger_clock(monkeypatch, dt.date(2025, 2, 10))
    e01 = ids(park)["E01"]
    cert = Certificate("1" * 32, "风电场甲", Month(2024, 12))
    import_certificates(park, certificates=[cert], enterprise_id=e01)
    retire_certificates(
        park,
        cert_ids=[cert.cert_id],
        period=Period(Month(2025, 1), Month(2025, 1)),
        enterprise_id=e01,
        retired_on=dt.date(2025, 2, 10),
    )
    ent = account_enterprise(park, enterprise_id=e01, year=2025).inventory
    assert ent.scope2_market_tco2 == pytest.approx(1.1)
    assert ent.scope2_location_tco2 == pytest.approx(1.6827)  # location ignores them
    annual = account_park(park, year=2025)
    assert annual.inventory.emissions["electricity"] == pytest.approx(1.8315)
    assert annual.as_dict()["green_electricity"]["cert_ids"] == [cert.cert_id]
    january = account_park(park, year=2025, month=1)
    assert january.inventory.emissions["electricity"] == pytest.approx(1.8315)
    add(park, {"A-grid": (100, 100)}, 2025, 2)
    february = account_park(park, year=2025, month=2, persist=False)
    assert february.inventory.emissions["electricity"] == pytest.approx(0.1665)
    assert february.activity.electricity.received_kwh("green_certified") == 0


def test_month_reads_only_its_hours(park: Store) -> None:
    """February adds A-grid 100 + 100 kWh: month 2 has 200 kWh × 0.8325 = 0.1665 t, the year
    3400 kWh × 0.8325 = 2.8305 t for electricity; month 1 keeps 2.664 t."""
    add(park, {"A-grid": (100, 100)}, 2025, 2)
    feb = account_park(park, year=2025, month=2)
    assert feb.inventory.emissions["electricity"] == pytest.approx(0.1665)
    assert feb.month == 2 and feb.record is not None and feb.record.month == 2
    assert account_park(park, year=2025, month=1).inventory.emissions[
        "electricity"
    ] == pytest.approx(2.664)
    assert account_park(park, year=2025).inventory.emissions["electricity"] == pytest.approx(2.8305)
    with pytest.raises(InvalidInput):
        account_park(park, year=2025, month=13)


def test_export_split_pv_first(park: Store) -> None:
    """March, park only: P-grid 500 + 500 kWh, P-export 100 then 20, P-pv 30 then 80. With
    export_kind=pv_first (the default): non-fossil = min(100, 30) + min(20, 80) = 50, fossil =
    70 kWh, so E电 = (1000 − 70) × 0.8325 = 0.774225 t; all non-fossil: 1000 × 0.8325 = 0.8325 t;
    all fossil: (1000 − 120) × 0.8325 = 0.7326 t. Energy is the same whatever the split:
    (1000 + 110 PV − 120) kWh × 0.1229 = 0.121671 tce."""
    add(park, {"P-grid": (500, 500), "P-export": (100, 20), "P-pv": (30, 80)}, 2025, 3)
    split = account_park(park, year=2025, month=3, persist=False)
    assert split.inventory.emissions["electricity"] == pytest.approx(0.774225)
    assert split.activity.electricity.sent_kwh("fossil") == pytest.approx(70)
    assert split.activity.electricity.sent_kwh("non_fossil") == pytest.approx(50)
    assert split.inventory.energy_tce == pytest.approx(0.121671)
    plain = account_park(
        park, year=2025, month=3, persist=False, metering=MeteringOptions(export_kind="non_fossil")
    )
    assert plain.inventory.emissions["electricity"] == pytest.approx(0.8325)
    assert plain.activity.electricity.sent_kwh("non_fossil") == pytest.approx(120)
    fossil = account_park(
        park, year=2025, month=3, persist=False, metering=MeteringOptions(export_kind="fossil")
    )
    assert fossil.inventory.emissions["electricity"] == pytest.approx(0.7326)
    assert fossil.inventory.energy_tce == pytest.approx(0.121671)


def test_hourly_grid_factor_series_multiplies_hour_by_hour(park: Store) -> None:
    """E01's grid is 600 kWh in local hour 00 and 400 kWh in hour 01 of 1 January; an hourly
    series of 0.5 then 0.7 kgCO2/kWh gives 600 × 0.5 + 400 × 0.7 = 580 kg = 0.58 t location-based
    (the flat 江苏 factor would give 0.5827 t)."""
    library = default_library()
    library.append_series(
        FactorSeries(
            id="test.hourly.js.2025",
            kind="grid_electricity_hourly",
            unit="kgCO2/kWh",
            scope="province",
            region="江苏",
            basis="average",
            year=2025,
            resolution="hour",
            start=dt.datetime(2025, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8))),
            values=(0.5, 0.7, *([0.6] * 22)),
            source="hand-made test series",
            url=None,
            url_note="test data",
            confidence="U",
            verified=False,
        )
    )
    e01 = ids(park)["E01"]
    result = account_enterprise(
        park,
        enterprise_id=e01,
        year=2025,
        library=library,
        options=AccountingOptions(grid_series_id="test.hourly.js.2025"),
    )
    assert result.inventory.scope2_location_tco2 == pytest.approx(1.68)
    assert "test.hourly.js.2025" in result.record.factor_ids  # type: ignore[union-attr]


def test_factor_revision_restates_and_both_results_stay(park: Store) -> None:
    """Appending a revision of the park fossil factor (0.9, hypothetical, same slot) changes the
    recomputed E电 from 3200 × 0.8325 = 2.664 t to 3200 × 0.9 = 2.88 t; history returns both,
    newest first, each with the record (id and value) it used."""
    first = account_park(park, year=2025)
    library = default_library()
    original = library.get("annex4.electricity.fossil")
    revised = original.model_copy(
        update={"id": "test.annex4.electricity.fossil.rev", "value": 0.9, "note": "test revision"}
    )
    library.append(revised)
    second = account_park(park, year=2025, library=library)
    assert second.inventory.emissions["electricity"] == pytest.approx(2.88)
    records = history(park, basis="park", boundary="acc-park", year=2025)
    assert [r.id for r in records] == [second.record.id, first.record.id]  # type: ignore[union-attr]
    used = [
        {f["id"]: f["value"] for f in r.result["factors"] if f["kind"] == "grid_electricity"}
        for r in records
    ]
    assert used == [
        {"test.annex4.electricity.fossil.rev": 0.9},
        {"annex4.electricity.fossil": 0.8325},
    ]
    assert records[1].result["emissions_tco2"]["electricity"] == pytest.approx(2.664)
    assert get_result(park, result_id=records[1].id).result == records[1].result


def test_supplements_add_what_metering_cannot_give(park: Store) -> None:
    """A park supplement with 10 t of lime × 0.5 tCO2/t (factor given) and 1.0 t CCER, and an
    E02 supplement with 1 t of diesel for vehicles bought by invoice: process = 5 t; fuel gains
    42.652 × 0.0202 × 0.98 × 44/12 = 3.09590966 t; the CCER is reported beside, not deducted.
    A later supplement of the same slot replaces the earlier one for new results."""
    e02 = ids(park)["E02"]
    save_supplement(
        park,
        document=supplement(
            process=[{"product": "石灰", "amount": 10, "unit": "t", "factor": 0.4}]
        ),
        source_document="2025年统计报表（初稿）",
    )
    save_supplement(
        park,
        document=supplement(
            process=[{"product": "石灰", "amount": 10, "unit": "t", "factor": 0.5}],
            offsets={"ccer_tco2": 1.0},
        ),
        source_document="2025年统计报表",
    )
    save_supplement(
        park,
        document=supplement(
            "enterprise", fuels=[{"fuel": "diesel", "use": "terminal", "amount": 1, "unit": "t"}]
        ),
        enterprise_id=e02,
        source_document="柴油发票",
    )
    result = account_park(park, year=2025)
    assert result.inventory.emissions["process"] == pytest.approx(5.0)
    # fuel 0.21621888 + 0.61918193 + 3.09590964 = 3.93131045
    assert result.inventory.emissions["fuel"] == pytest.approx(3.93131045)
    # total 2.664 + 3.93131045 + 1.1 + 5.0 = 12.69531045
    assert result.inventory.emissions["total"] == pytest.approx(12.69531045)
    assert result.inventory.offsets["ccer_tco2"] == 1.0
    assert sorted(s.source_document for s in result.supplements) == ["2025年统计报表", "柴油发票"]
    ent = account_enterprise(park, enterprise_id=e02, year=2025).inventory
    assert ent.emissions["fuel"] == pytest.approx(3.71509157)  # 0.61918193 + 3.09590964
    assert len(list_supplements(park, year=2025)) == 3
    assert [s.source_document for s in list_supplements(park, year=2025, enterprise_scope=e02)] == [
        "柴油发票"
    ]


def test_supplement_refusals(park: Store) -> None:
    """Certificate-backed electricity only from the ledger; boundary must match; an enterprise
    cannot write the park's supplement."""
    e01 = ids(park)["E01"]
    green = supplement(
        electricity={
            "received": [{"kind": "grid", "kwh": 10}, {"kind": "green_certified", "kwh": 5}]
        }
    )
    with pytest.raises(InvalidInput, match="ledger"):
        save_supplement(park, document=green, source_document="x")
    with pytest.raises(InvalidInput, match="boundary"):
        save_supplement(park, document=supplement("enterprise"), source_document="x")
    with pytest.raises(PermissionDenied):
        save_supplement(park, document=supplement(), source_document="x", enterprise_scope=e01)
    with pytest.raises(InvalidInput, match="province"):
        save_supplement(park, document={**supplement(), "province": "广东"}, source_document="x")


def test_building_inventory_from_daily_statistics(park: Store) -> None:
    """S-A (1000 m2): electricity used = grid 1000 + direct green 500 + PV 100 = 1600 kWh, on-site
    renewable 100 → (1600 − 100) × 0.5827 = 0.87405 t; heat 10 GJ × 0.11 = 1.1; gas 0.21621888.
    Annual 2.19026888 t → 2.19026888 kgCO2/(m2·a). S-P (2000 m2): used = 200 + 110 − 50 = 260,
    renewable = 110 − 50 = 60 → 200 × 0.5827 = 0.11654 t → 0.05827 kgCO2/(m2·a)."""
    sites = ids(park)
    a = account_building(park, site_id=sites["S-A"], year=2025)
    annual = 2.19026888  # 0.87405 + 1.1 + 0.21621888
    assert a.inventory.building is not None
    assert a.inventory.building["annual_tco2"] == pytest.approx(annual)
    assert a.inventory.building["per_m2_year_kgco2"] == pytest.approx(annual)
    assert a.record is not None and a.record.enterprise_id == sites["E01"]
    p = account_building(park, site_id=sites["S-P"], year=2025)
    assert p.inventory.building["per_m2_year_kgco2"] == pytest.approx(0.05827)  # type: ignore[index]
    with pytest.raises(InvalidInput, match="floor_area"):
        account_building(park, site_id=sites["S-B"], year=2025)
    # an enterprise-scoped caller: another enterprise's site, a park building and a missing
    # site are the same NotFound, naming nothing (it may not learn which site ids exist)
    for site_id, scope in (
        (sites["S-A"], sites["E02"]),
        (sites["S-P"], sites["E01"]),
        (max(sites.values()) + 1000, sites["E01"]),
    ):
        with pytest.raises(NotFound, match=r"^site not found$"):
            account_building(park, site_id=site_id, year=2025, enterprise_scope=scope)


def test_tenant_scope_of_services_and_history(park: Store) -> None:
    """An enterprise caller gets its own inventory and history only."""
    e01, e02 = ids(park)["E01"], ids(park)["E02"]
    with pytest.raises(PermissionDenied):
        account_park(park, year=2025, enterprise_scope=e01)
    with pytest.raises(NotFound):
        account_enterprise(park, enterprise_id=e02, year=2025, enterprise_scope=e01)
    own = account_enterprise(park, enterprise_id=e01, year=2025, enterprise_scope=e01)
    account_enterprise(park, enterprise_id=e02, year=2025)
    assert [r.id for r in history(park, basis="enterprise", boundary="E01", year=2025,
                                   enterprise_scope=e01)] == [own.record.id]  # type: ignore[union-attr]  # fmt: skip
    assert history(park, basis="enterprise", boundary="E02", year=2025, enterprise_scope=e01) == []
    with pytest.raises(NotFound):
        get_result(park, result_id=own.record.id, enterprise_scope=e02)  # type: ignore[union-attr]
    every = account_enterprises(park, year=2025, enterprise_scope=e01, persist=False)
    assert [r.boundary for r in every] == ["E01"]


def test_volume_metered_diesel_is_refused_not_guessed(store: Store) -> None:
    """Diesel metered in litres needs a density lingtan does not assume: a clear error."""
    from lingtan.registry import parse_park_text
    from tests.accounting.parks import PARK

    store.registry.save_park(parse_park_text(PARK.replace("unit: kg,", "unit: L,")))
    add(store, {"B-diesel": (100, 100), "B-grid": (1, 1)}, 2025, 1)
    with pytest.raises(InvalidInput, match="density"):
        account_park(store, year=2025, persist=False)


def test_park_and_enterprises_from_one_read_equal_the_separate_calls(park: Store) -> None:
    """One read serves the park and every enterprise: the same totals as the separate calls,
    and all results stored."""
    park_result, enterprises = account_park_and_enterprises(park, year=2025)
    alone = account_park(park, year=2025, persist=False)
    assert park_result.inventory.emissions == alone.inventory.emissions
    separate = account_enterprises(park, year=2025, persist=False)
    assert [r.inventory.emissions for r in enterprises] == [r.inventory.emissions for r in separate]
    assert [r.boundary for r in enterprises] == ["E01", "E02"]
    assert all(r.record is not None for r in (park_result, *enterprises))
    with pytest.raises(PermissionDenied):
        account_park_and_enterprises(park, year=2025, enterprise_scope=ids(park)["E01"])


def test_results_stored_together_read_back_as_returned_with_one_audit_entry_each(
    park: Store,
) -> None:
    """The park's and its enterprises' results go in with one statement: each returned record
    is what reading it back gives, in the order of the results, and each has its audit entry."""
    from lingtan.store.accounting_repo import AccountingRepo

    park_result, enterprises = account_park_and_enterprises(park, year=2025)
    records = [r.record for r in (park_result, *enterprises)]
    assert all(r is not None for r in records)
    repo = AccountingRepo(park)
    for result, record in zip((park_result, *enterprises), records, strict=True):
        assert record is not None
        assert repo.result(record.id, enterprise_scope=None) == record
        assert record.boundary == result.boundary
    audited = {
        e["entity_id"]
        for e in park.audit.list(limit=1000, entity="inventory_result")
        if e["action"] == "account"
    }
    assert {str(r.id) for r in records if r is not None} <= audited


def test_a_retirement_over_three_months_counts_pro_rata_in_months_ytd_and_year(
    park: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """E01's grid: January 1000 kWh (the fixture), February A-grid 1000 + 1000 = 2000 kWh,
    March 500 + 500 = 1000 kWh; the park's grid: January 3200, February 2000, March 1000.
    E01 retires 3 certificates (3000 kWh) for January–March: each month counts 3000 × 1/3 =
    1000 kWh, January–February 2000 kWh, the year 3000 kWh.

    Park E电 (0.8325 kg/kWh): January (3200 − 1000) = 1.8315 t; February (2000 − 1000) =
    0.8325 t; March (1000 − 1000) = 0; January–February (5200 − 2000) = 2.664 t; the year
    (6200 − 3000) = 2.664 t = 1.8315 + 0.8325 + 0. E01 market-based scope 2 in February:
    (2000 − 1000) × 0.6096 kg = 0.6096 t."""
    set_ledger_clock(monkeypatch, dt.date(2025, 4, 10))
    add(park, {"A-grid": (1000, 1000)}, 2025, 2)
    add(park, {"A-grid": (500, 500)}, 2025, 3)
    e01 = ids(park)["E01"]
    certs = [Certificate(f"{n:032d}", "风电场甲", Month(2024, 12)) for n in (1, 2, 3)]
    import_certificates(park, certificates=certs, enterprise_id=e01)
    retire_certificates(
        park,
        cert_ids=[c.cert_id for c in certs],
        period=Period(Month(2025, 1), Month(2025, 3)),
        enterprise_id=e01,
    )

    def electricity(month: int | None, ytd: bool = False) -> float:
        result = account_park(park, year=2025, month=month, ytd=ytd, persist=False)
        return result.inventory.emissions["electricity"]

    assert electricity(1) == pytest.approx(1.8315)
    assert electricity(2) == pytest.approx(0.8325)
    assert electricity(3) == pytest.approx(0.0)
    assert electricity(2, ytd=True) == pytest.approx(2.664)
    assert electricity(None) == pytest.approx(2.664)
    february = account_park(park, year=2025, month=2, persist=False)
    assert february.green is not None and february.green.certified_kwh == pytest.approx(1000)
    assert any("pro rata by months" in n and "1/3" in n for n in february.inventory.notes)
    assert february.as_dict()["green_electricity"]["allocations"][0]["months_total"] == 3
    ent = account_enterprise(park, enterprise_id=e01, year=2025, month=2, persist=False)
    assert ent.inventory.scope2_market_tco2 == pytest.approx(0.6096)


def test_an_annual_supplement_counts_by_months_or_is_refused(park: Store) -> None:
    """An annual park supplement of 12 t of lime × 0.5 tCO2/t (6 t a year) and 12 t of CCER, and
    a February supplement of 1 t × 0.5 = 0.5 t. Counted pro rata by months (the default):
    January 6 × 1/12 = 0.5 t (CCER 1 t); February 0.5 + 0.5 = 1.0 t; January–February
    6 × 2/12 + 0.5 = 1.5 t; the year 6 + 0.5 = 6.5 t = the twelve months' 12 × 0.5 + 0.5.
    With supplement_allocation=refuse a January result is refused; the annual one is not.
    (February has some metered grid electricity so that its energy is not zero.)"""
    add(park, {"A-grid": (100, 100)}, 2025, 2)
    save_supplement(
        park,
        document=supplement(
            process=[{"product": "石灰", "amount": 12, "unit": "t", "factor": 0.5}],
            offsets={"ccer_tco2": 12.0},
        ),
        source_document="2025年统计年报",
    )
    save_supplement(
        park,
        document=supplement(process=[{"product": "石灰", "amount": 1, "unit": "t", "factor": 0.5}]),
        month=2,
        source_document="2月统计月报",
    )

    def process(month: int | None, ytd: bool = False) -> float:
        result = account_park(park, year=2025, month=month, ytd=ytd, persist=False)
        return result.inventory.emissions["process"]

    assert process(1) == pytest.approx(0.5)
    assert process(2) == pytest.approx(1.0)
    assert process(2, ytd=True) == pytest.approx(1.5)
    assert process(None) == pytest.approx(6.5)
    january = account_park(park, year=2025, month=1, persist=False)
    assert january.inventory.offsets["ccer_tco2"] == pytest.approx(1.0)
    assert any("counted 1/12 in 2025-01" in n for n in january.inventory.notes)
    assert january.as_dict()["supplements"][0]["share"] == pytest.approx(1 / 12)
    refuse = MeteringOptions(supplement_allocation="refuse")
    with pytest.raises(InvalidInput) as err:
        account_park(park, year=2025, month=1, metering=refuse, persist=False)
    assert err.value.field == "supplement_allocation"
    annual = account_park(park, year=2025, metering=refuse, persist=False)
    assert annual.inventory.emissions["process"] == pytest.approx(6.5)


def test_a_year_to_date_result_is_not_stored(park: Store) -> None:
    """Year-to-date is computed on demand; asking to store it is refused."""
    with pytest.raises(InvalidInput) as err:
        account_park(park, year=2025, month=3, ytd=True)
    assert err.value.field == "persist"
