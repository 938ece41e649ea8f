"""The National Hazardous Waste List records and the manifest state machine (pure)."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from lingtan.errors import Conflict, InvalidInput
from lingtan.waste import catalogue
from lingtan.waste import manifests as mf
from lingtan.waste.model import Licence


def test_the_2021_edition_has_the_46_categories() -> None:
    # HW01–HW50 less HW41–HW44 (merged by the 2016 edition): 50 − 4 = 46
    ed = catalogue.edition_for(dt.date(2024, 12, 31))
    assert ed.edition == "2021" and ed.partial
    cats = [c.category for c in ed.categories]
    assert len(cats) == 46 and "HW41" not in cats and cats[-1] == "HW50"


def test_the_2025_edition_is_used_from_1_january_2025() -> None:
    # 《国家危险废物名录（2025年版）》 in force 2025-01-01; the 2021 edition the day before
    assert catalogue.edition_for(dt.date(2025, 1, 1)).edition == "2025"
    assert catalogue.check_code("900-039-49", day=dt.date(2025, 6, 1)).edition == "2025"
    assert catalogue.check_code("900-039-49", day=dt.date(2024, 6, 1)).edition == "2021"
    ed = catalogue.edition_for(dt.date(2025, 6, 1))
    # carried over, unread: every record at confidence L, the file partial
    assert ed.partial and {c.confidence for c in [*ed.categories, *ed.codes]} == {"L"}


def test_the_editions_state_how_many_kinds_they_list() -> None:
    # 2021: 467 kinds (ministry interview, nyzixun.org.cn/show-73752.html: "共计列入467种危险废物,
    # 较2016年版《名录》减少了12种"; the 2016 edition listed 479: 479 - 12 = 467);
    # 2025: 470 kinds, "相比2021年版《名录》总共增加了3种" (m.nttaihe.com/details/3189): 467 + 3
    old = catalogue.edition_for(dt.date(2024, 12, 31))
    new = catalogue.edition_for(dt.date(2025, 6, 1))
    assert old.kinds_total is not None and new.kinds_total is not None
    assert (old.kinds_total.value, old.kinds_total.confidence) == (467, "M")
    assert (new.kinds_total.value, new.kinds_total.confidence) == (470, "L")
    # both files hold only the 11 codes listed in docs/waste.md: partial
    assert (len(old.codes), len(new.codes)) == (11, 11) and old.partial and new.partial


def _edition(*, partial: bool, total: int, codes: list[str]) -> dict[str, object]:
    return {
        "edition": "x", "title": "t", "in_force": "2021-01-01", "source": "s",
        "partial": partial, "kinds_total": {"value": total, "source": "s", "confidence": "M"},
        "categories": [{"category": "HW49", "name": "其他废物", "confidence": "M"}],
        "codes": [{"code": c, "category": f"HW{c[-2:]}", "industry": "非特定行业", "description": "d",
                   "hazard": ["T"], "confidence": "M"} for c in codes],
    }  # fmt: skip


def test_an_edition_file_must_agree_with_its_count_and_categories() -> None:
    ok = catalogue.Edition.model_validate(_edition(partial=False, total=2,
                                                   codes=["900-041-49", "900-039-49"]))  # fmt: skip
    assert len(ok.codes) == 2
    bad = [
        # a complete edition holding 2 of its 3 kinds
        (_edition(partial=False, total=3, codes=["900-041-49", "900-039-49"]), "2 of 3"),
        # 2 codes, more than the 1 kind it says it lists
        (_edition(partial=True, total=1, codes=["900-041-49", "900-039-49"]), "more than"),
        (_edition(partial=True, total=5, codes=["900-041-49", "900-041-49"]), "twice"),
        # HW08 is not among the file's categories
        (_edition(partial=True, total=5, codes=["900-249-08"]), "HW08 does not fit"),
    ]
    for data, reason in bad:
        with pytest.raises(ValidationError, match=reason):
            catalogue.Edition.model_validate(data)


def test_codes_are_checked_against_the_list() -> None:
    known = catalogue.check_code("900-041-49")
    assert (known.category, known.listed, known.hazard) == ("HW49", True, ["T", "In"])
    # a partial edition accepts a well-formed code of a known category, flagged unlisted
    assert catalogue.check_code("900-999-08").listed is False
    with pytest.raises(InvalidInput, match="HW41"):
        catalogue.check_code("900-041-41")
    with pytest.raises(InvalidInput, match="not a waste code"):
        catalogue.check_code("90004149")


def test_rule_records_name_their_sources() -> None:
    assert "第八十一条" in catalogue.rule("storage-time-limit").source
    assert catalogue.rule("plan-deviation").verified is False


def _licence(codes: list[str]) -> Licence:
    return Licence(1, 1, "某环保公司", "JS-001", codes, 100.0, "2025-01-01", "2025-12-31", "t", 0)


def test_a_receiver_without_a_licence_for_the_code_is_refused() -> None:
    day = dt.date(2025, 6, 1)
    lic = _licence(["900-041-49", "HW08"])
    mf.check_licence(lic, code="900-041-49", category="HW49", day=day, quantity_t=1, used_t=0)
    mf.check_licence(lic, code="900-249-08", category="HW08", day=day, quantity_t=1, used_t=0)
    with pytest.raises(InvalidInput, match="900-039-49"):
        mf.check_licence(lic, code="900-039-49", category="HW49", day=day, quantity_t=1, used_t=0)
    with pytest.raises(InvalidInput, match="not valid"):
        mf.check_licence(lic, code="900-041-49", category="HW49", day=dt.date(2026, 1, 1),
                         quantity_t=1, used_t=0)  # fmt: skip
    # 99.5 t already this year + 1 t > 100 t capacity
    with pytest.raises(InvalidInput, match="capacity"):
        mf.check_licence(lic, code="900-041-49", category="HW49", day=day, quantity_t=1,
                         used_t=99.5)  # fmt: skip


def test_manifest_state_machine() -> None:
    assert mf.next_state("draft", "dispatch") == "dispatched"
    assert mf.next_state("dispatched", "receive") == "received"
    assert mf.next_state("received", "close") == "closed"
    assert mf.next_state("draft", "cancel") == "cancelled"
    for state, action in [("draft", "receive"), ("dispatched", "cancel"), ("closed", "close"),
                          ("cancelled", "dispatch"), ("received", "dispatch")]:  # fmt: skip
        with pytest.raises(Conflict):
            mf.next_state(state, action)
    with pytest.raises(InvalidInput, match="action"):
        mf.next_state("draft", "teleport")
