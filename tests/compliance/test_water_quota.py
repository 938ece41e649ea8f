"""Water intake per unit of product against the 取水定额 (GB/T 18916): the comparison by hand,
the record format's refusals, and the store-backed assessment (SQLite).

Tree of enterprise X (water, interval meters, m³ per hour, 24 h of 1 January 2025):

    X-water 10 (boundary)
    └── W1 6   [product:p1]
        └── W1a 1  [product:p2]   another product below p1's meter: taken out of W1
    └── W2 3   [product:p2]

p1 = (6 − 1) × 24 = 120 m³; p2 = (1 + 3) × 24 = 96 m³.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lingtan.cli import app
from lingtan.compliance import reference, service
from lingtan.compliance.reference import WaterQuota
from lingtan.compliance.water_quota import compare
from lingtan.errors import InvalidInput
from lingtan.identity.roles import Principal, Role
from lingtan.indicators import records as rec
from lingtan.store import Store
from tests.compliance.day_park import day_park

QUOTA: dict[str, Any] = {
    "id": "test.p", "standard": "GB/T 18916.99-2099", "part": 99, "edition": "2099",
    "table": "表1", "title": "test", "product": "p", "product_zh": "产品", "product_en": "p",
    "output_unit": "t", "unit": "m3/t", "scheme": "existing_new",
    "values": {"existing": 4.0, "new": 3.0}, "source": "test record", "url": None,
    "url_note": "test data", "confidence": "L", "verified": False,
}  # fmt: skip


def _quota(**over: Any) -> WaterQuota:
    return WaterQuota.model_validate({**QUOTA, **over})


def test_comparison_by_hand() -> None:
    q = _quota()
    # 350 m³ / 100 t = 3.5 m³/t ≤ 4.0 (existing): within, 0.5 m³/t of headroom (12.5 %)
    r = compare(enterprise="E", product="p", intake_m3=350, output=100, output_unit="t", quota=q)
    assert r.value == pytest.approx(3.5) and r.verdict == "within"
    assert r.margin == pytest.approx(0.5) and r.margin_pct == pytest.approx(0.125)
    assert r.excess_m3 == 0
    # the same plant judged as a new one: 3.5 > 3.0, 0.5 m³/t over × 100 t = 50 m³ too much
    n = compare(enterprise="E", product="p", intake_m3=350, output=100, output_unit="t",
                quota=q, category="new")  # fmt: skip
    assert n.verdict == "exceeds" and n.margin == pytest.approx(-0.5)
    assert n.excess_m3 == pytest.approx(50.0)


def test_boundary_equal_is_within() -> None:
    q = _quota()
    # 400 / 100 = 4.0 = the quota: within (a quota is the largest intake allowed, ≤)
    at = compare(enterprise="E", product="p", intake_m3=400, output=100, output_unit="t", quota=q)
    assert at.verdict == "within" and at.margin == 0
    # 401 / 100 = 4.01 > 4.0: exceeds by 0.01 m³/t × 100 t = 1 m³
    over = compare(enterprise="E", product="p", intake_m3=401, output=100, output_unit="t",
                   quota=q)  # fmt: skip
    assert over.verdict == "exceeds" and over.excess_m3 == pytest.approx(1.0)


def test_comparison_refuses_what_it_cannot_compare() -> None:
    q = _quota()
    with pytest.raises(InvalidInput, match="output unit"):
        compare(enterprise="E", product="p", intake_m3=1, output=1, output_unit="kg", quota=q)
    with pytest.raises(InvalidInput, match="no quota for leading"):
        compare(enterprise="E", product="p", intake_m3=1, output=1, output_unit="t", quota=q,
                category="leading")  # fmt: skip
    with pytest.raises(InvalidInput, match="output"):
        compare(enterprise="E", product="p", intake_m3=1, output=0, output_unit="t", quota=q)


@pytest.mark.parametrize(
    ("over", "match"),
    [
        ({"unit": "m3/kg"}, "unit must be m3/t"),
        ({"values": {"existing": 3.0, "new": 4.0}}, "must not loosen"),
        ({"values": {"existing": 4.0, "new": 3.0, "leading": 3.5}}, "must not loosen"),
        ({"values": {"leading": 1.0}}, "existing or new"),
        ({"values": {"existing": 0.0}}, "> 0"),
        ({"values": {"current": 4.0}}, "values"),
        ({"applies_to": ["p"]}, "repeats"),
        ({"verified": True}, "verified: false"),
        ({"url_note": None}, "url_note"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_record_refusals(over: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        _quota(**over)


def _file(tmp_path: Path, *records: dict[str, Any]) -> Path:
    f = tmp_path / "quotas.yaml"
    f.write_text(json.dumps({"records": list(records)}, ensure_ascii=False), encoding="utf-8")
    return f


def test_loader_refuses_a_product_with_two_quotas(tmp_path: Path) -> None:
    twice = _file(tmp_path, QUOTA, {**QUOTA, "id": "test.q", "product": "q", "applies_to": ["p"]})
    with pytest.raises(InvalidInput, match="product p has two water quotas"):
        reference.water_quotas(twice)
    same_id = _file(tmp_path, QUOTA, {**QUOTA, "product": "q"})
    with pytest.raises(InvalidInput, match="unique"):
        reference.water_quotas(same_id)
    broken = _file(tmp_path, {**QUOTA, "values": {"existing": -1}})
    with pytest.raises(InvalidInput, match="values"):
        reference.water_quotas(broken)


def test_shipped_quotas_name_their_source() -> None:
    q = reference.water_quotas()
    # every shipped record is from one secondary source: L, not verified, with its url
    assert all(r.confidence == "L" and not r.verified and r.url for r in q.values())
    # GB/T 18916.62-2022 水泥 as the source quotes it: 通用值 0.510, 先进值 0.225 m³/t 熟料
    clinker = q["cement_clinker"]
    assert clinker.values == {"existing": 0.510, "new": 0.225}
    # the EAF products of the limit standard map to the 电炉炼钢 process row
    assert q["eaf_steel_ge70t"].id == "gbt18916.2-2022.eaf_steelmaking"


PARK = """\
park: {id: water-park, name: 取水定额园区, province: 江苏}
enterprises:
  - {id: X, name: 制造}
points:
  - {id: X-water, carrier: water, kind: interval, unit: m3, enterprise: X, level: 1, interval_s: 3600, boundary: true}
  - {id: W1, carrier: water, kind: interval, unit: m3, enterprise: X, level: 2, parent: X-water, interval_s: 3600, tags: [product:p1]}
  - {id: W1a, carrier: water, kind: interval, unit: m3, enterprise: X, level: 3, parent: W1, interval_s: 3600, tags: [product:p2]}
  - {id: W2, carrier: water, kind: interval, unit: m3, enterprise: X, level: 2, parent: X-water, interval_s: 3600, tags: [product:p2]}
"""
HOURLY = {"X-water": 10.0, "W1": 6.0, "W1a": 1.0, "W2": 3.0}
DAY = dt.date(2025, 1, 1)
ADMIN = Principal(subject="p", role=Role.PARK_ADMIN, enterprise_id=None)


@pytest.fixture(scope="module")
def park(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, str]]:
    path = tmp_path_factory.mktemp("wq") / "wq.db"
    url = f"sqlite:///{path}"
    store = day_park(path, PARK, HOURLY)
    x = store.registry.enterprises(store.registry.park().id)[0].id
    for item, qty, unit in (("p1", 30.0, "t"), ("p2", 48.0, "t"), ("p3", 5.0, "t")):
        rec.add_record(
            store, enterprise_id=x, category="product_output", item=item, period_start=DAY,
            period_end=DAY, quantity=qty, unit=unit, source_document="test", entered_by="test",
        )  # fmt: skip
    yield store, url
    store.close()


def _park_quotas(tmp_path: Path) -> Path:
    return _file(
        tmp_path,
        {**QUOTA, "id": "test.p1", "product": "p1"},
        {**QUOTA, "id": "test.p2", "product": "p2", "values": {"existing": 1.5, "new": 1.0}},
    )


def test_metered_products_against_their_quotas(park: tuple[Store, str], tmp_path: Path) -> None:
    store, _ = park
    w = service.water_quotas(
        store, principal=ADMIN, year=2025, month=1, quotas_file=_park_quotas(tmp_path)
    )
    by = {r.product: r for r in w.results}
    # p1: (6 − 1) m³/h × 24 h = 120 m³ / 30 t = 4.0 m³/t = quota 4.0: within (equal)
    assert by["p1"].intake_m3 == pytest.approx(120.0) and by["p1"].verdict == "within"
    assert by["p1"].intake_source == "metered: points W1 minus W1a"
    # p2: (1 + 3) × 24 = 96 m³ / 48 t = 2.0 m³/t > 1.5: exceeds by 0.5 × 48 t = 24 m³
    assert by["p2"].value == pytest.approx(2.0) and by["p2"].verdict == "exceeds"
    assert by["p2"].excess_m3 == pytest.approx(24.0)
    # p3 has no quota record: not assessed, with the reason
    assert w.not_assessed == ({"enterprise": "X", "product": "p3",
                               "reason": service.NO_QUOTA},)  # fmt: skip
    assert set(w.sources) == {"test.p1", "test.p2"}


def test_several_products_without_tagged_meters_are_not_assessed(
    park: tuple[Store, str], tmp_path: Path
) -> None:
    store, _ = park
    f = _file(tmp_path, {**QUOTA, "id": "test.p3", "product": "p3"})
    w = service.water_quotas(store, principal=ADMIN, year=2025, month=1, quotas_file=f)
    # p3 has no tagged water meter and X makes three products: the boundary meter is not p3's
    p3 = next(n for n in w.not_assessed if n["product"] == "p3")
    assert (
        p3["reason"].endswith("several products: tag each product's water meters product:<code>")
        and not w.results
    )
    with pytest.raises(InvalidInput, match="water category"):
        service.water_quotas(store, principal=ADMIN, year=2025, month=1, category="old")


def test_grading_carries_the_water_comparison_and_the_cli_prints_it(
    park: tuple[Store, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, url = park
    f = _park_quotas(tmp_path)
    g = service.grading(store, principal=ADMIN, year=2025, month=1, water_category="new",
                        quotas_file=f)  # fmt: skip
    assert g.water is not None and g.water.category == "new"
    # as a new plant p1's 4.0 m³/t exceeds the new quota 3.0 by 1.0 × 30 t = 30 m³
    p1 = {r.product: r for r in g.water.results}["p1"]
    assert p1.verdict == "exceeds" and p1.excess_m3 == pytest.approx(30.0)
    assert g.as_dict()["water"]["results"][0]["category"] == "new"
    monkeypatch.setenv("LINGTAN_DATABASE_URL", url)
    r = CliRunner().invoke(app, ["compliance", "grading", "2025", "--month", "1", "--json",
                                 "--water-quotas", str(f), "--water-category", "new"])  # fmt: skip
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert {x["product"]: x["verdict"] for x in out["water"]["results"]} == {
        "p1": "exceeds",
        "p2": "exceeds",
    }


def test_cli_grades_with_the_parks_own_levels_file(
    park: tuple[Store, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, url = park
    x = store.registry.enterprises(store.registry.park().id)[0].id
    rec.add_record(
        store, enterprise_id=x, category="product_energy", item="p3", period_start=DAY,
        period_end=DAY, quantity=20.0, unit="kgce", source_document="test", entered_by="test",
    )  # fmt: skip
    f = tmp_path / "levels.yaml"
    f.write_text(
        "deadline_year: 2025\ndeadline_note: test\nrecords:\n"
        "- {id: test.p3, document: test, edition: '1', table: test, product: p3,\n"
        "   product_zh: 产品3, product_en: p3, numerator: energy, numerator_unit: kgce,\n"
        "   unit: kgce/t, benchmark: 3.0, baseline: 5.0, source: test record, url: null,\n"
        "   url_note: test data, confidence: L, verified: false}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("LINGTAN_DATABASE_URL", url)
    runner = CliRunner()
    r = runner.invoke(app, ["compliance", "grading", "2025", "--month", "1", "--json",
                            "--levels", str(f)])  # fmt: skip
    assert r.exit_code == 0, r.output
    # p3: 20 kgce / 5 t = 4 kgce/t: between 标杆 3 and 基准 5
    p3 = {g["product"]: g for g in json.loads(r.output)["grades"]}["p3"]
    assert p3["value"] == pytest.approx(4.0) and p3["efficiency"] == "between"
    # without the file p3 has no record and is not graded
    r = runner.invoke(app, ["compliance", "grading", "2025", "--month", "1", "--json"])
    assert "p3" not in {g["product"] for g in json.loads(r.output)["grades"]}
    missing = runner.invoke(app, ["compliance", "grading", "2025", "--levels", "nope.yaml"])
    assert missing.exit_code != 0
