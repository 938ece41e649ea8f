"""The factor library: strict loading, provenance rules, exact lookup, append-only revisions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from lingtan.carbon.factors import (
    FactorLibrary,
    FactorRecord,
    default_library,
    grid_region_of,
    load_factor_file,
    normalise_province,
    parse_factor_document,
)
from lingtan.carbon.factors.loader import FactorSeries
from lingtan.errors import Conflict, InvalidInput, NotFound

RECORD = {
    "id": "user.ncv.coal.2023",
    "kind": "fuel_ncv",
    "key": "bituminous_coal",
    "value": 21.5,
    "unit": "GJ/t",
    "year": 2023,
    "scope": "enterprise",
    "region": "E01",
    "basis": "measured",
    "source": "企业实测 2023",
    "url": None,
    "url_note": "laboratory report",
    "confidence": "M",
    "verified": True,
}


@pytest.mark.parametrize(
    ("record_id", "value"),
    [
        # domain.md §4: national (three bases), regional, provincial — copied exactly
        ("grid.2021.national.average", 0.5568),
        ("grid.2021.national.excluding_market_non_fossil", 0.5942),
        ("grid.2021.national.fossil", 0.8426),
        ("grid.2022.national.average", 0.5366),
        ("grid.2022.national.excluding_market_non_fossil", 0.5856),
        ("grid.2022.national.fossil", 0.8325),
        ("grid.2023.national.average", 0.5306),
        ("grid.2023.national.excluding_market_non_fossil", 0.6096),
        ("grid.2023.national.fossil", 0.8273),
        ("grid.2022.region.north.average", 0.6776),
        ("grid.2023.region.south.average", 0.4042),
        ("grid.2023.region.southwest.average", 0.2472),
        ("grid.2023.province.510000.average", 0.1564),
        ("grid.2023.province.440000.average", 0.4419),
        ("grid.2022.province.530000.average", 0.1073),
        ("annex4.electricity.fossil", 0.8325),
        ("annex4.heat.fossil_default", 0.11),
        ("tce.gbt2589-2020.electricity", 0.1229),
        ("fuel.ndrc-2013-2015.natural_gas.ncv", 389.31),
        ("fuel.ndrc-2013-2015.diesel.carbon_content", 0.0202),
        ("fuel.secondary-coal-table.anthracite.ncv", 24.515),
    ],
)
def test_shipped_values_copied_exactly(record_id: str, value: float) -> None:
    """Spot checks against domain.md; values are compared exactly, never to a tolerance."""
    assert default_library().get(record_id).value == value


def test_shipped_records_cover_the_issue_list() -> None:
    """Years 2021–2023 nationally, 7 regions for 2022–2023, 30 provinces 2023, 8 provinces 2022."""
    lib = default_library()
    grid = [r for r in lib if r.kind == "grid_electricity" and r.key == "electricity"]
    assert {(r.year, r.basis) for r in grid if r.scope == "national"} == {
        (y, b)
        for y in (2021, 2022, 2023)
        for b in ("average", "excluding_market_non_fossil", "fossil")
    }
    for year in (2022, 2023):
        assert len({r.region for r in grid if r.scope == "grid_region" and r.year == year}) == 7
    assert len([r for r in grid if r.scope == "province" and r.year == 2023]) == 30
    assert len([r for r in grid if r.scope == "province" and r.year == 2022]) == 8
    fuels = {r.key for r in lib if r.kind == "fuel_ncv"}
    assert {
        "natural_gas",
        "diesel",
        "gasoline",
        "fuel_oil",
        "lpg",
        "kerosene",
        "crude_oil",
        "coke",
        "anthracite",
        "bituminous_coal",
        "lignite",
        "blast_furnace_gas",
        "converter_gas",
        "coke_oven_gas",
        "petroleum_coke",
    } <= fuels


def test_shipped_records_have_provenance_and_honest_grades() -> None:
    """Every record has a source and a URL (or a reason for none); L/U records are unverified."""
    for r in default_library():
        assert r.source
        assert r.url or r.url_note
        if r.confidence in ("L", "U"):
            assert not r.verified, r.id


# GB/T 2589 附录A reference coefficients as the tabulations named in the records print them
# (原煤 5 000 kcal/kg → 0.7143 kgce/kg …) and the 等价值 series of the China Electricity Council
GBT2589_REFERENCE = {
    "raw_coal": (0.7143, "kgce/kg"),
    "washed_coal": (0.9000, "kgce/kg"),
    "coke": (0.9714, "kgce/kg"),
    "crude_oil": (1.4286, "kgce/kg"),
    "fuel_oil": (1.4286, "kgce/kg"),
    "gasoline": (1.4714, "kgce/kg"),
    "kerosene": (1.4714, "kgce/kg"),
    "diesel": (1.4571, "kgce/kg"),
    "lpg": (1.7143, "kgce/kg"),
    "refinery_gas": (1.5714, "kgce/kg"),
    "natural_gas.oil_field": (1.3300, "kgce/m3"),
    "natural_gas.gas_field": (1.2143, "kgce/m3"),
    "coke_oven_gas": (0.6143, "kgce/m3"),
    "blast_furnace_gas": (0.1286, "kgce/m3"),
}


@pytest.mark.parametrize(("key", "expected"), sorted(GBT2589_REFERENCE.items()))
def test_gbt2589_reference_coefficients_copied_exactly(
    key: str, expected: tuple[float, str]
) -> None:
    """The current record of each annex row (the last appended of its slot) carries the annex
    value exactly, with a source, a reason for its grade and the edition; the superseded,
    unsourced records stay retrievable."""
    current = [
        r for r in default_library().history("standard_coal", key) if r.basis == "equivalent"
    ][-1]
    assert (current.value, current.unit) == expected
    assert current.edition == "gbt2589-2020" and "附录A" in current.source
    assert current.confidence in ("H", "M-H", "M") and current.verified
    assert current.url or current.url_note


def test_standard_coal_definition_and_equal_value_series() -> None:
    """1 kgce = 29 307 kJ (GB/T 2589 wording, grade M); the 供电标准煤耗 series by year in gce/kWh
    (2022: 300.7, 中电联 report, grade M; 2018–2020 recalled, grade U, flagged)."""
    lib = default_library()
    (definition,) = [
        r
        for r in lib.history("standard_coal", "standard_coal_calorific_value")
        if r.confidence == "M"
    ]
    assert (definition.value, definition.unit) == (29307, "kJ/kgce")
    series = {
        r.year: r for r in lib.history("standard_coal", "electricity") if r.basis == "equal_value"
    }
    assert {y: (r.value, r.unit) for y, r in series.items()} == {
        2018: (307.6, "gce/kWh"),
        2019: (306.4, "gce/kWh"),
        2020: (305.5, "gce/kWh"),
        2022: (300.7, "gce/kWh"),
    }
    assert series[2022].verified and series[2022].url
    assert all(not series[y].verified for y in (2018, 2019, 2020))


def test_conflicting_coke_editions_both_kept() -> None:
    """Two coke defaults disagree: the ndrc-2013-2015 record carries domain.md §3.2's values
    (28.435 GJ/t, 0.0295 tC/GJ, grade U), the secondary-coal-table record a repository table's
    (28.446 GJ/t, 0.02940 tC/GJ, not in domain.md). domain.md itself reports no coke conflict,
    only that coal parameters differ between editions. Both records stay, each flagged; the
    GB/T 32151 table (edition gbt32151.5-2015, tried first) agrees with the first."""
    coke = default_library().history("fuel_ncv", "coke")
    assert {r.edition: r.value for r in coke} == {
        "ndrc-2013-2015": 28.435,
        "secondary-coal-table": 28.446,
        "gbt32151.5-2015": 28.435,
    }
    assert all(r.note and "conflict" in r.note for r in coke if r.edition != "gbt32151.5-2015")


def test_loader_rejects_unknown_field_and_names_it() -> None:
    """extra='forbid': an unknown key is refused with its location."""
    with pytest.raises(InvalidInput, match=r"records\[0\]\.colour"):
        parse_factor_document({"records": [{**RECORD, "colour": "green"}]})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"confidence": "U", "verified": True}, "verified: false"),
        ({"url": None, "url_note": None}, "url_note"),
        ({"unit": "kgCO2/kWh"}, "does not fit kind"),
        ({"value": -1.0}, "non-negative"),
        ({"url": "ftp://x"}, "http"),
    ],
)
def test_loader_provenance_rules(change: dict[str, object], message: str) -> None:
    """U records cannot claim verification; a URL or a reason; units fit the kind; values ≥ 0."""
    with pytest.raises(InvalidInput, match=message):
        parse_factor_document({"records": [{**RECORD, **change}]})


def test_library_is_append_only() -> None:
    """Same id with other content is a Conflict; an identical re-append is a no-op."""
    lib = FactorLibrary()
    record = FactorRecord.model_validate(RECORD)
    lib.append(record)
    lib.append(record)
    assert len(lib) == 1
    with pytest.raises(Conflict):
        lib.append(record.model_copy(update={"value": 22.0}))


def test_lookup_returns_exact_slot_or_not_found() -> None:
    """Lookup never falls back; the latest appended record of the slot wins."""
    lib = default_library()
    r = lib.lookup(
        "grid_electricity",
        "electricity",
        scope="province",
        region="江苏",
        basis="average",
        year=2023,
    )
    assert r.id == "grid.2023.province.320000.average"
    with pytest.raises(NotFound):
        lib.lookup(
            "grid_electricity",
            "electricity",
            scope="province",
            region="江苏",
            basis="average",
            year=2022,
        )


def test_user_file_with_records_and_series(tmp_path: Path) -> None:
    """A user file adds a measured NCV and an hourly series; naive series starts are refused."""
    path = tmp_path / "factors.yaml"
    path.write_text(
        "records:\n"
        "  - {id: user.ncv.coal.2023, kind: fuel_ncv, key: bituminous_coal, value: 21.5, unit: GJ/t,\n"
        "     year: 2023, scope: enterprise, region: E01, basis: measured, source: 企业实测,\n"
        "     url: null, url_note: lab report, confidence: M, verified: true}\n"
        "series:\n"
        "  - {id: user.hourly.js.2023, kind: grid_electricity_hourly, unit: kgCO2/kWh, scope: province,\n"
        "     region: 江苏, basis: average, year: 2023, resolution: hour, start: '2023-01-01T00:00:00+08:00',\n"
        "     values: [0.5, 0.6, 0.7], source: 省电力交易中心, url: 'https://example.org/f',\n"
        "     confidence: L, verified: false}\n",
        encoding="utf-8",
    )
    lib = default_library()
    added = lib.extend_from_file(path)
    assert added == ["user.ncv.coal.2023", "user.hourly.js.2023"]
    series = lib.series(
        "grid_electricity_hourly", scope="province", region="江苏", basis="average", year=2023
    )
    tz = dt.timezone(dt.timedelta(hours=8))
    values = series.hourly_values(
        [dt.datetime(2023, 1, 1, 1, tzinfo=tz), dt.datetime(2023, 1, 1, 2, tzinfo=tz)]
    )
    assert list(values) == [0.6, 0.7]
    with pytest.raises(NotFound):
        series.hourly_values([dt.datetime(2023, 1, 1, 5, tzinfo=tz)])
    naive = path.read_text(encoding="utf-8").replace("+08:00", "")
    path.write_text(naive, encoding="utf-8")
    with pytest.raises(InvalidInput, match="aware"):
        load_factor_file(path)


def test_time_of_day_profile_needs_24_values() -> None:
    """A time-of-day profile has one value per local hour."""
    with pytest.raises(Exception, match="24"):
        FactorSeries(
            id="x",
            kind="grid_electricity_hourly",
            unit="kgCO2/kWh",
            scope="national",
            region="全国",
            basis="average",
            year=2023,
            resolution="time_of_day",
            values=(0.5,) * 23,
            source="s",
            url=None,
            url_note="n",
            confidence="U",
            verified=False,
        )


def test_provinces_and_regions() -> None:
    """Province names normalise; 内蒙古 has no single grid region."""
    assert normalise_province("广西壮族自治区") == "广西"
    assert normalise_province("上海市") == "上海"
    assert grid_region_of("湖南") == "华中"
    assert grid_region_of("内蒙古") is None
    with pytest.raises(InvalidInput):
        normalise_province("Atlantis")
