"""The versions that add the two-part charges (基本电费) and the fixed 输配电价 of the provincial
输配电价 tables to the time-of-use records of 江苏, 浙江, 山东 and 广东 (1-10(20) kV): they take
over the months of the version they extend, keep its periods and ratios, and the charges and
fixed parts are costed. Each expected charge below is the figure quoted in the record's file
from the table, multiplied out by hand."""

from __future__ import annotations

import pytest

from lingtan.errors import InvalidInput
from lingtan.tariffs import records
from lingtan.tariffs.cost import capacity_charge, demand_charge, period_price

JS3 = records.find("cn-js-large-industry", 3)
ZJ4 = records.find("cn-zj-large-industry", 4)
SD2 = records.find("cn-sd-industry-commerce", 2)
GD3 = records.find("cn-gd-industry-commerce", 3)


@pytest.mark.parametrize(
    ("new", "old"),
    [
        (JS3, records.find("cn-js-large-industry", 2)),
        (ZJ4, records.find("cn-zj-large-industry", 3)),
        (SD2, records.find("cn-sd-industry-commerce", 1)),
        (GD3, records.find("cn-gd-industry-commerce", 2)),
    ],
)
def test_a_charges_version_keeps_the_periods_and_ratios_it_extends(
    new: records.Tariff, old: records.Tariff
) -> None:
    assert new.id == old.id and new.version > old.version
    assert new.schedules == old.schedules
    assert (new.pricing, new.ratios) == (old.pricing, old.ratios)
    assert new.source == old.source  # the time-of-use notice is still the old version's
    assert old.capacity_charge is None and old.demand_charge is None


@pytest.mark.parametrize(
    ("tariff_id", "month", "version"),
    [
        # 江苏 v3 has v2's validity (from 2025-06): it takes over v2's months, v1's stay
        ("cn-js-large-industry", "2025-05", 1),
        ("cn-js-large-industry", "2025-06", 3),
        # 浙江 v4 from 2026-07 (v3's start); before, v2 (〔2024〕21号, no charges)
        ("cn-zj-large-industry", "2026-06", 2),
        ("cn-zj-large-industry", "2026-07", 4),
        ("cn-sd-industry-commerce", "2025-01", 2),
        # 广东 v3 from the third regulatory period (2023-06); v2 before
        ("cn-gd-industry-commerce", "2023-05", 2),
        ("cn-gd-industry-commerce", "2023-06", 3),
        ("cn-gd-industry-commerce", "2026-11", 3),
    ],
)
def test_the_charges_versions_are_in_force_from_their_start(
    tariff_id: str, month: str, version: int
) -> None:
    found = records.in_force(tariff_id, None, month)
    assert found is not None and found.version == version


@pytest.mark.parametrize(
    ("tariff", "capacity", "demand", "confidence"),
    [
        # 1,000 kVA × 32.0 元/kVA·月 = 32,000 元; 800 kW × 51.2 元/kW·月 = 40,960 元
        (JS3, 32_000.0, 40_960.0, "M"),
        # 1,000 × 29.5 = 29,500 元; 800 × 47.2 = 37,760 元
        (ZJ4, 29_500.0, 37_760.0, "L"),
        # 1,000 × 25.0 = 25,000 元; 800 × 40.0 = 32,000 元
        (SD2, 25_000.0, 32_000.0, "M"),
        # 1,000 × 22.6 = 22,600 元; 800 × 36.1 = 28,880 元
        (GD3, 22_600.0, 28_880.0, "M"),
    ],
)
def test_basic_charges_of_a_1000_kva_800_kw_user(
    tariff: records.Tariff, capacity: float, demand: float, confidence: str
) -> None:
    assert tariff.capacity_charge is not None and tariff.demand_charge is not None
    assert capacity_charge(1000.0, tariff.capacity_charge) == pytest.approx(capacity)
    assert demand_charge(800.0, tariff.demand_charge) == pytest.approx(demand)
    assert tariff.confidence == confidence
    src = tariff.charges_source
    assert src is not None and src.notice == "发改价格〔2023〕526号"
    assert tariff.province in src.table and "1~10（20）千伏" in src.table
    assert tariff.voltage == "1-10(20)kV" and tariff.unverified


def test_the_fixed_tariff_is_added_to_a_month_unfloated() -> None:
    # 江苏 floats the purchase price only (426号). A test month (not a price list): purchase
    # price 0.40 元/kWh floating, fixed 0.20 元/kWh (the table's 0.1298 of 输配电价 and the
    # month's other fixed parts): 高峰 0.40 × 1.8 + 0.20 = 0.92, 平段 0.60,
    # 低谷 0.40 × 0.35 + 0.20 = 0.34
    assert [(c.name, c.price) for c in JS3.fixed_components] == [
        ("输配电价（两部制 1~10（20）千伏）", 0.1298)
    ]
    data = JS3.model_dump(by_alias=True)
    data["base_prices"] = [{"month": "2025-07", "price": 0.40, "fixed": 0.20, "source": "test"}]
    js = records.Tariff.model_validate(data)
    assert period_price(js, "高峰", "2025-07") == pytest.approx(0.92)
    assert period_price(js, "平段", "2025-07") == pytest.approx(0.60)
    assert period_price(js, "低谷", "2025-07") == pytest.approx(0.34)
    # a month whose fixed part leaves out the 输配电价 (0.05 < 0.1298) is refused, naming it
    data["base_prices"] = [{"month": "2025-07", "price": 0.40, "fixed": 0.05, "source": "test"}]
    with pytest.raises(ValueError, match=r"2025-07.*below the fixed components"):
        records.Tariff.model_validate(data)
    # 山东: 0.1400 of 输配电价 fixed; 浙江 and 广东 give none (which parts float is not known
    # in 浙江; 广东 floats the 输配电价 with the purchase price)
    assert [c.price for c in SD2.fixed_components] == [0.14]
    assert ZJ4.fixed_components == [] and GD3.fixed_components == []


def _doc(**changes: object) -> str:
    """A small record (one schedule) as YAML, with ``changes``."""
    import yaml

    doc: dict[str, object] = {
        "id": "t-charges", "version": 1, "province": "江苏", "user_class": "大工业",
        "voltage": "1-10kV", "valid_from": "2025-01-01", "valid_to": None, "pricing": "ratios",
        "schedules": [{"name": "全年", "months": list(range(1, 13)),
                       "hours": [{"period": "平段", "from": "00:00", "to": "24:00"}]}],
        "ratios": {"平段": 1.0},
        "source": {"notice": None, "title": "t", "issuer": "t", "date": None, "url": None},
        "confidence": "L",
    }  # fmt: skip
    doc.update(changes)
    return yaml.safe_dump(doc, allow_unicode=True)


def test_charges_name_their_table_and_fixed_parts_need_ratios() -> None:
    with pytest.raises(InvalidInput, match="charges_source"):
        records.parse_tariffs(_doc(capacity_charge=30.0), "t.yaml")
    # a synthetic record (the demo's invented charges) names none
    (demo,) = records.parse_tariffs(_doc(demand_charge=40.0, synthetic=True), "t.yaml")
    assert demo.demand_charge == 40.0
    part = {"name": "输配电价", "price": 0.1, "source": "t"}
    with pytest.raises(InvalidInput, match="fixed_components"):
        records.parse_tariffs(
            _doc(pricing="prices", ratios={}, prices={"平段": 0.6}, fixed_components=[part]),
            "t.yaml",
        )
    with pytest.raises(InvalidInput, match="listed twice"):
        records.parse_tariffs(_doc(fixed_components=[part, part]), "t.yaml")
